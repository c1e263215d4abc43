"""Atomic, permission-aware file writes: temp file in the same folder, fsync, rename.

A reader never sees a half-written file, and a failure leaves the previous file (or none).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = PRIVATE) -> Path:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; chmod before any byte is written so nothing leaks wider.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(target.parent)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int = PRIVATE) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode)


def fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_private(path: Path) -> bool:
    """True when no group/other permission bit is set (what `file:` secrets require)."""
    return (path.stat().st_mode & 0o077) == 0


def read_bounded(path: Path, limit: int, *, what: str, missing: str | None = None, too_large: str | None = None) -> bytes:
    """A file the wizard reads whole (answers, facts, a manifest), never more than ``limit`` bytes;
    InputError naming the file and what is wrong (``what``: "an answers file", "a facts file"...).
    The read is sized by the file where it says (one buffer of the limit per read costs more than a
    small file's parse), by the limit where it cannot (a pipe)."""
    from mabs_wizard.errors import InputError

    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            raw = fh.read((size if 0 < size <= limit else limit) + 1)
    except FileNotFoundError:
        raise InputError(missing or f"{path}: no such file; expected {what}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if len(raw) > limit:
        raise InputError(too_large or f"{path}: larger than {limit} bytes; not {what}")
    return raw
