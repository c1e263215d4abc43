"""Rules every member of the installer must pass BEFORE a single byte is written.

Pure functions over names and attributes. The extracted tree ends up on a Windows server, so the
rules are Windows-aware: backslashes, drive letters and ``:`` are refused, and names that differ only
in case (or Unicode normalisation) count as duplicates because NTFS would merge them.
"""

from __future__ import annotations

import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mabs_wizard.media.zipformat import DEFLATED, FLAG_ENCRYPTED, STORED, ZipEntry

# A member inflating more than MAX_RATIO times its stored size is a bomb, unless it is small: a few
# megabytes of zeros (a log, a sparse image) may legitimately compress that well.
MAX_RATIO = 200
RATIO_FLOOR = 16 * 2**20
WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                             *(f"LPT{i}" for i in range(1, 10))})


@dataclass(frozen=True)
class SafeMember:
    """A member that passed the rules: its path as components, safe to join under the destination."""

    entry: ZipEntry
    parts: tuple[str, ...]
    is_dir: bool


def path_problem(name: str) -> str | None:
    """Why ``name`` cannot be extracted under a destination folder, or None when it can."""
    if not name or name in ("/", "."):
        return "empty name"
    if "\x00" in name:
        return "NUL byte in the name"
    if any(ord(c) < 0x20 for c in name):
        return "control character in the name"
    if "\\" in name:
        return "backslash in the name (a Windows path separator would change where it lands)"
    if name.startswith("/"):
        return "absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "drive letter in the name"
    components = name.rstrip("/").split("/")
    if ".." in components:
        return "'..' in the path would escape the destination"
    if any(c == "" for c in components):
        return "empty path component ('//')"
    if any(":" in c for c in components):
        return "':' in the name (an NTFS stream or drive)"
    for component in components:
        if component.split(".")[0].upper() in WINDOWS_DEVICES:
            return f"{component!r} is a reserved Windows device name"
        if component not in (".",) and component[-1] in ". ":
            return f"{component!r} ends with a dot or space (Windows would drop it and merge names)"
    return None


def path_components(name: str) -> tuple[str, ...]:
    return tuple(c for c in name.rstrip("/").split("/") if c != ".")


def windows_key(parts: Sequence[str]) -> str:
    """How NTFS sees a path: case-insensitive, composed Unicode."""
    return "/".join(unicodedata.normalize("NFC", p).casefold() for p in parts)


def _type_problem(entry: ZipEntry) -> str | None:
    if entry.create_system != 3:  # only Unix-made archives carry a file type in external_attr
        return None
    mode = entry.external_attr >> 16
    if not mode:
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link (refused: it could point outside the destination)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file (refused)"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "special file (FIFO or socket; refused)"
    return None


def _content_problem(entry: ZipEntry) -> str | None:
    if entry.flags & FLAG_ENCRYPTED:
        return "encrypted member (not supported)"
    if entry.method not in (STORED, DEFLATED):
        return f"compression method {entry.method} is not supported (only stored and deflate)"
    if entry.is_dir:
        return "directory entry with data" if entry.file_size or entry.compress_size else None
    if entry.method == STORED and entry.compress_size != entry.file_size:
        return f"stored member whose sizes disagree ({entry.compress_size} vs {entry.file_size} bytes)"
    if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
        ratio = entry.file_size // max(entry.compress_size, 1)
        return (
            f"compression ratio {ratio}:1 ({entry.compress_size} bytes inflate to {entry.file_size}) "
            f"exceeds {MAX_RATIO}:1: refused as a ZIP bomb"
        )
    return None


def check_members(entries: Iterable[ZipEntry], where: str) -> tuple[list[SafeMember], list[str]]:
    """Every member's verdict at once: the safe ones, and one line per problem naming the member."""
    safe: list[SafeMember] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for entry in entries:
        reason = path_problem(entry.name) or _type_problem(entry) or _content_problem(entry)
        if reason:
            problems.append(f"{where}: member {entry.name!r}: {reason}")
            continue
        parts = path_components(entry.name)
        key = windows_key(parts)
        if key in seen and not (entry.is_dir and seen[key].endswith("/")):
            problems.append(f"{where}: member {entry.name!r}: duplicate of {seen[key]!r} (names are case-insensitive on Windows)")
            continue
        seen.setdefault(key, entry.name)
        safe.append(SafeMember(entry, parts, entry.is_dir))
    problems.extend(_file_folder_clashes(safe, where))
    return safe, problems


def _file_folder_clashes(members: Sequence[SafeMember], where: str) -> list[str]:
    files = {windows_key(m.parts): m.entry.name for m in members if not m.is_dir}
    problems = []
    for m in members:
        for depth in range(1, len(m.parts)):
            parent = windows_key(m.parts[:depth])
            if parent in files:
                problems.append(f"{where}: member {m.entry.name!r}: its folder {files[parent]!r} is also a file")
                break
    return problems
