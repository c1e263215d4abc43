"""Installer media: find the MABS download, verify it, and extract it safely.

Public API (what the CLI, replay and the TUI call):

- ``discover(source) -> MediaSet``: the installer set in a folder (or from its .exe); InputError
  naming the file for anything missing, duplicated, misnumbered, empty, or not an installer.
- ``check_destination(source_or_set, destination) -> list[Finding]``: pre-flight of a destination
  (usable, writable, free space against the payload and the 4 GB rule for MABS media); a destination
  already holding this extraction is verified against its completion record and passes (reused).
- ``extract(source, destination, *, emit, cancel, step, verify) -> ExtractionResult``: verify and
  extract, through a staging folder renamed into place only when complete, with a completion record;
  a finished destination is verified and reused (``result.reused``), an interrupted one resumed
  (``result.files_resumed``).
- ``make_demo_media(folder, total_bytes, parts, seed) -> MediaSet``: demo media shaped like the real
  download (spanned ZIP, random content, ``SHA256SUMS``).

Submodules are imported lazily so ``import mabs_wizard.media`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mabs_wizard.media.demo import make_demo_media
    from mabs_wizard.media.discovery import discover
    from mabs_wizard.media.extraction import check_destination, extract
    from mabs_wizard.media.models import ExtractionResult, MediaPart, MediaSet, PartRecord

__all__ = [
    "ExtractionResult",
    "MediaPart",
    "MediaSet",
    "PartRecord",
    "check_destination",
    "discover",
    "extract",
    "make_demo_media",
]

_WHERE = {
    "make_demo_media": "mabs_wizard.media.demo",
    "discover": "mabs_wizard.media.discovery",
    "check_destination": "mabs_wizard.media.extraction",
    "extract": "mabs_wizard.media.extraction",
    "ExtractionResult": "mabs_wizard.media.models",
    "MediaPart": "mabs_wizard.media.models",
    "MediaSet": "mabs_wizard.media.models",
    "PartRecord": "mabs_wizard.media.models",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mabs_wizard.media' has no attribute {name!r}")
