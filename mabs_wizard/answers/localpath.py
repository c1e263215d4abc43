"""Paths on the machine the wizard runs on, as an operator types them or an answers file holds them.

One parser for every door (answers files, TUI fields, dialogs) so that no input can raise from deep
inside ``pathlib`` or ``os``: ``Path("~nobody").expanduser()`` raises RuntimeError, a NUL byte makes
every ``os`` call raise ValueError, a lone surrogate (undecodable bytes) UnicodeEncodeError, and an
over-long name OSError(ENAMETOOLONG). Each becomes a ``ValueError`` whose text an operator can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

# Linux limits (PATH_MAX 4096 including the NUL, NAME_MAX 255 bytes per component).
MAX_PATH_BYTES = 4095
MAX_NAME_BYTES = 255


def parse_local_path(text: str, base: Path | None = None) -> Path:
    """``text`` as an absolute-or-relative local path, ``~`` expanded; ValueError says what is wrong.

    ``base``: the folder a relative path is relative to (the answers file's folder); None keeps it
    relative (callers that need it absolute resolve against the working folder themselves).
    """
    if "\x00" in text:
        raise ValueError("a path cannot contain a NUL character")
    try:
        # Strict UTF-8: a name with undecodable bytes (surrogate-escaped by Python) could be used
        # here but not written into an answers file or a manifest; refuse it up front.
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the path contains bytes that are not valid UTF-8 text; rename the file or folder") from None
    if text.startswith("\\\\") or text.startswith("//"):
        raise ValueError(f"{text} is a network share path (UNC); mount the share and give its local path")
    if len(encoded) > MAX_PATH_BYTES:
        raise ValueError(f"the path is {len(encoded)} bytes long; this system allows at most {MAX_PATH_BYTES}")
    path = Path(text)
    if text.startswith("~"):
        user = text[1:].split("/", 1)[0]
        try:
            path = path.expanduser()
        except RuntimeError:
            # Python raises the same "Could not determine home directory" for both cases.
            if user:
                raise ValueError(f"~{user}: there is no user named {user!r} on this machine") from None
            raise ValueError("~: the home folder is not known here (HOME is not set); give the full path") from None
    for part in path.parts:
        if len(part.encode()) > MAX_NAME_BYTES:
            raise ValueError(f"the name {part[:40]}… is longer than {MAX_NAME_BYTES} bytes, which this system does not allow")
    if base is not None and not path.is_absolute():
        path = base / path
    return path


def _relative_to_answers(value: Path, info: ValidationInfo) -> Path:
    # Paths in an answers file are relative to that file, so a kit can be moved as a folder.
    base = (info.context or {}).get("base_dir")
    return parse_local_path(str(value), Path(base) if base is not None else None)


LocalPath = Annotated[Path, AfterValidator(_relative_to_answers)]
