"""What the media engine hands out: the discovered installer set and the result of an extraction.

Both are pydantic models so the TUI can show them and the manifest can store the result as JSON. They
hold names, sizes and digests only: never file contents, never anything secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

MediaKind = Literal["zip", "inno"]
Backend = Literal["zip", "innoextract"]
VerifyMode = Literal["quick", "full"]


class MediaPart(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # file name inside MediaSet.folder
    size: int


class MediaSet(BaseModel):
    """An installer set as found on disk: the .exe first, then ``-1.bin`` … ``-N.bin`` in order."""

    model_config = ConfigDict(frozen=True)

    folder: str
    installer: str  # the .exe's file name
    parts: tuple[MediaPart, ...]
    total_size: int
    kind: MediaKind
    checksums_file: str | None = None  # "SHA256SUMS" when the folder carries one

    @property
    def paths(self) -> list[Path]:
        return [Path(self.folder) / part.name for part in self.parts]

    @property
    def installer_path(self) -> Path:
        return Path(self.folder) / self.installer

    def describe(self) -> str:
        bins = len(self.parts) - 1
        tail = f" + {bins} .bin part{'s' if bins != 1 else ''}" if bins else ""
        return f"{self.installer}{tail} ({format_bytes(self.total_size)}, {self.kind})"


class PartRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    size: int
    sha256: str


class ExtractionResult(BaseModel):
    """The manifest's ``extraction`` part: what was extracted, from what, where, and how it checked.

    A run that finds the destination already holding this extraction (its completion record and
    exactly its files) says so with ``reused`` and writes nothing; a run that resumes an interrupted
    one counts the files it kept (``files_resumed``) apart from those it wrote (``files_written``).
    """

    model_config = ConfigDict(frozen=True)

    source: str  # the media folder
    installer: str
    parts: list[PartRecord]
    backend: Backend
    file_count: int
    bytes_extracted: int
    destination: str
    setup_exe_found: bool
    setup_exe_path: str | None  # relative to destination, "/"-separated
    sha256sums_verified: bool | None  # None: the folder has no SHA256SUMS
    duration_s: float
    warnings: list[str] = []
    reused: bool = False  # the destination already held this extraction, verified: nothing was extracted
    verified: VerifyMode | None = None  # how a reused destination was checked (None: extracted by this run)
    files_written: int = 0  # files this run extracted (0 when reused; the rest when resumed)
    files_resumed: int = 0  # files kept from an interrupted run after re-checking their size and digest
    # SHA-256 over the completion record's file list (path, size, SHA-256): the same media always gives
    # the same value, so two manifests say whether their extractions hold the same files.
    content_sha256: str | None = None


def format_bytes(n: int | float) -> str:
    """Human size with binary units, e.g. ``3.2 GiB``; exact bytes below 1 KiB."""
    value = float(n)
    if value < 1024:
        return f"{int(value)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
