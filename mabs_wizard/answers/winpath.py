"""Windows paths on the target, validated as such while the wizard itself may run on Linux."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_DRIVE = re.compile(r"^[A-Za-z]:\\")
_UNC = re.compile(r"^\\\\[^\\/]+\\[^\\/]+")
_BAD_CHARS = set('<>"|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_PATH = 260


def validate_windows_path(value: str) -> str:
    """Accept `C:\\dir\\...` or `\\\\server\\share\\...`; forward slashes are normalised to backslashes."""
    value = value.strip().replace("/", "\\")
    if not (_DRIVE.match(value) or _UNC.match(value)):
        raise ValueError(f"'{value}' is not an absolute Windows path (expected like C:\\Folder or \\\\server\\share)")
    if len(value) >= MAX_PATH:
        raise ValueError(f"path is {len(value)} characters; Windows setup paths must stay under {MAX_PATH}")
    rest = value[2:] if _DRIVE.match(value) else value[2:]
    if any(c in _BAD_CHARS or ord(c) < 32 for c in rest) or ":" in rest:
        raise ValueError(f"'{value}' contains a character Windows does not allow in paths (<>:\"|?* or control)")
    for part in value.split("\\"):
        if part.split(".")[0].upper() in _RESERVED:
            raise ValueError(f"'{value}' uses the reserved device name '{part}'")
        if part.endswith((" ", ".")) and part not in (".", ".."):
            raise ValueError(f"'{value}': Windows strips trailing dots and spaces from '{part}'")
    return value.rstrip("\\") if len(value) > 3 else value


WindowsPath = Annotated[str, AfterValidator(validate_windows_path), Field(description="absolute Windows path on the target")]


def drive_of(path: str) -> str | None:
    """`C:` for `C:\\x`, None for UNC paths (network shares have no local volume)."""
    return path[:2].upper() if _DRIVE.match(path) else None


def is_unc(path: str) -> bool:
    return bool(_UNC.match(path))

