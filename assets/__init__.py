"""Data the wizard ships: styles (.tcss), the committed JSON Schemas, the facts collector script.

Installed as ``mabs_wizard.assets``; read with :func:`path` (importlib.resources), never by a path
relative to a source file, so it works the same from a checkout and from an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(*parts: str) -> Path:
    """A file shipped in this package, as a file-system path (wheels install as plain files)."""
    return Path(str(files(__name__).joinpath(*parts)))
