"""Which Inno Setup wrote an installer, read from its setup header, and whether innoextract can read it.

An Inno Setup installer is a small loader (SetupLdr) followed by the compressed setup headers
("setup-0") and, unless disk-spanned, the file data. The loader carries an offset table that says
where the headers start; the headers start with a 64-byte signature such as
``Inno Setup Setup Data (6.3.0)`` (``(u)`` appended for Unicode builds before 6.3). Layout as
innoextract reads it (dscharrer/innoextract ``src/loader/offsets.cpp``): from Inno Setup 5.1.5 the
table is a resource (RT_RCDATA #11111) starting with the 12-byte magic
``rDlPtS\\xcd\\xe6\\xd7{\\x0b*``, a revision (1), the total size, the setup program's offset, size and
CRC-32, the header offset, the data offset, and a CRC-32 of everything before it. The table is found
here by its magic and accepted only when its CRC-32 matches, so a stray copy of the magic bytes
elsewhere in the loader cannot be mistaken for it. Older loaders (before 5.1.5, found through a
pointer at 0x30) are left to innoextract: every version they can be is one it reads.

innoextract reads a header only when its signature is in the list compiled into that release
(``src/setup/version.cpp``, ``known_versions``): 1.9 (Debian 12) ends at ``(6.1.0) (u)``, the
format Inno Setup 6.1.0 to 6.2.2 write (an installer built by 6.2.0 reads and extracts here); Inno
Setup 6.3.0 changed it to ``(6.3.0)``, which innoextract 1.9 rejects with "Stream error while
parsing setup headers" (dscharrer/innoextract issues 173 and 179; its git master added 6.3.x in
December 2024, after the last release).
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

SCAN_LIMIT = 16 * 2**20  # the offset table sits in the loader's resources, in its first megabytes
SCAN_CHUNK = 2**20
TABLE_MAGIC = b"rDlPtS\xcd\xe6\xd7{\x0b*"  # 5.1.5 and later
TABLE_515 = struct.Struct("<12s7I")  # magic, revision, total size, exe offset, exe size, exe CRC, header, data
TABLE_CRC = struct.Struct("<I")
SETUP_ID_LENGTH = 64
_SETUP_ID = re.compile(rb"^Inno Setup Setup Data \((\d+)\.(\d+)\.(\d+)")

# The newest setup header each innoextract release reads: the last "Inno Setup Setup Data (...)"
# of known_versions in src/setup/version.cpp at the release's tag (dscharrer/innoextract).
NEWEST_READABLE: dict[tuple[int, int], tuple[int, int, int]] = {
    (1, 6): (5, 5, 7),
    (1, 7): (5, 6, 0),
    (1, 8): (6, 0, 0),
    (1, 9): (6, 1, 0),
}
# The Inno Setup releases that write each of those header formats (jrsoftware.org "What's New").
WRITTEN_BY = {(5, 5, 7): "5.5.7 to 5.5.9", (5, 6, 0): "5.6.0 to 5.6.1", (6, 0, 0): "6.0.0 to 6.0.5",
              (6, 1, 0): "6.1.0 to 6.2.2"}

# Where the operator extracts instead: the installer itself, on the Windows target, with Inno Setup's
# documented switches (jrsoftware.org/ishelp, "Setup Command Line Parameters": /DIR="x:\dirname"
# overrides the destination folder, /SILENT shows only the progress window). The same switches are
# what MABS download scripts use (reference S40a, S41).
TARGET_FOLDER = r"C:\MABS-Extracted"


@dataclass(frozen=True)
class SetupVersion:
    """The setup header's signature, e.g. ``Inno Setup Setup Data (6.3.0)``."""

    numbers: tuple[int, int, int]
    signature: str


def read_setup_version(exe: Path) -> SetupVersion | None:
    """The installer's setup header version, or None when no offset table or signature is found
    (not Inno Setup, a loader format newer than this reader, or a damaged loader: innoextract decides)."""
    try:
        with open(exe, "rb") as fh:
            offset = _header_offset(fh)
            if offset is None:
                return None
            fh.seek(offset)
            raw = fh.read(SETUP_ID_LENGTH)
    except OSError:
        return None
    match = _SETUP_ID.match(raw)
    if not match:
        return None
    numbers = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    signature = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return SetupVersion(numbers, signature)


def _header_offset(fh) -> int | None:  # noqa: ANN001 - a binary file
    """Offset of the setup headers from a 5.1.5+ loader's offset table (magic, CRC-checked)."""
    size = TABLE_515.size + TABLE_CRC.size
    tail = b""
    read = 0
    while read < SCAN_LIMIT:
        chunk = fh.read(SCAN_CHUNK)
        if not chunk:
            return None
        window = tail + chunk
        start = 0
        while (at := window.find(TABLE_MAGIC, start)) >= 0:
            table = window[at : at + size]
            if len(table) == size:
                fields = TABLE_515.unpack(table[: TABLE_515.size])
                (crc,) = TABLE_CRC.unpack(table[TABLE_515.size :])
                if fields[1] == 1 and zlib.crc32(table[: TABLE_515.size]) == crc:
                    return fields[6]
            start = at + 1
        tail = window[-(size - 1) :]  # a table cut by the chunk boundary is whole in the next window
        read += len(chunk)
    return None


def innoextract_version(binary: str) -> tuple[int, int] | None:
    """``(1, 9)`` from ``innoextract --version``'s first line ("innoextract 1.9"), or None."""
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"innoextract (\d+)\.(\d+)", done.stdout)
    return (int(match.group(1)), int(match.group(2))) if match else None


def unreadable_message(installer: str, found: SetupVersion | str, tool: tuple[int, int] | None) -> str:
    """One line: the version found, the newest this innoextract reads, and what to run on the target."""
    found_text = found.signature if isinstance(found, SetupVersion) else f"Inno Setup Setup Data ({found})"
    if isinstance(found, SetupVersion):
        numbers: tuple[int, ...] | None = found.numbers
    else:  # innoextract's own words: "Unexpected setup data version: 6.3.0"
        numbers = tuple(int(n) for n in found.split(".")[:2]) if re.fullmatch(r"\d+\.\d+(\.\d+)*", found) else None
    built = f"built by Inno Setup {numbers[0]}.{numbers[1]} or later" if numbers else "built by a newer Inno Setup"
    newest = NEWEST_READABLE.get(tool) if tool else None
    tool_text = f"innoextract {tool[0]}.{tool[1]}" if tool else "innoextract"
    if newest:
        newest_text = ".".join(map(str, newest))
        reads = (f"{tool_text} on this host reads setup headers up to \"Inno Setup Setup Data ({newest_text})\" "
                 f"(Inno Setup {WRITTEN_BY.get(newest, 'up to ' + newest_text)})")
    else:
        reads = f"{tool_text} on this host cannot read that header format"
    return (
        f"{installer}: {built} (its setup header says \"{found_text}\"); {reads}. This is not damage: "
        f"downloading it again will not help. Extract it on the Windows target instead, in the folder holding "
        f"{installer} and its .bin parts: {installer} /DIR=\"{TARGET_FOLDER}\" /SILENT "
        f"(Inno Setup's /DIR= and /SILENT switches; Setup.exe is then in {TARGET_FOLDER})"
    )


def check_readable(installer: Path, binary: str) -> tuple[SetupVersion | None, tuple[int, int] | None, str | None]:
    """(version found, innoextract's version, refusal message or None). No refusal when either version
    is unknown: innoextract itself then has the last word (and its own errors are translated)."""
    found = read_setup_version(installer)
    tool = innoextract_version(binary)
    if found is None or tool is None or tool not in NEWEST_READABLE:
        return found, tool, None
    if found.numbers > NEWEST_READABLE[tool]:
        return found, tool, unreadable_message(installer.name, found, tool)
    return found, tool, None
