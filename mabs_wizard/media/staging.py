"""The staging folder: extraction happens beside the destination and is renamed into place at the end.

``rename(2)`` within one filesystem is atomic, so the destination either does not exist or holds the
complete, verified tree; an interrupted, failed or cancelled run leaves no partial destination. The
staging folder holds a lock file (``flock``): the kernel drops the lock when its holder dies, even by
SIGKILL, so the next run can tell a stale folder (remove it, start clean) from a running extraction
(refuse).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
from pathlib import Path
from types import TracebackType

from mabs_wizard.errors import InputError
from mabs_wizard.events import Emit, Message, ignore
from mabs_wizard.fsutil import fsync_dir

MARK = ".mabs-partial-"
LOCK = ".lock"


def staging_prefix(destination: Path) -> str:
    return f".{destination.name}{MARK}"


def destination_problem(destination: Path) -> str | None:
    """Why extraction into ``destination`` must not start, or None (missing or an empty folder is fine)."""
    if destination.is_symlink():
        return f"{destination}: is a symbolic link; choose a real folder"
    if not destination.exists():
        return None
    if not destination.is_dir():
        return f"{destination}: exists and is not a folder"
    try:
        with os.scandir(destination) as entries:
            if next(entries, None) is not None:
                return f"{destination}: exists and is not empty (nothing was changed)"
    except OSError as exc:
        return f"{destination}: cannot be read: {exc.strerror}"
    return None


def stale_staging(destination: Path) -> list[Path]:
    parent = destination.parent
    if not parent.is_dir():
        return []
    prefix = staging_prefix(destination)
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink())


class Staging:
    """Context manager: ``tree`` is where the backend writes; ``commit(folder)`` publishes it."""

    def __init__(self, destination: Path, *, emit: Emit = ignore, step: str = "extraction") -> None:
        self.destination = Path(os.path.abspath(destination))
        self._emit = emit
        self._step = step
        self._created_parents: list[Path] = []
        self._lock_fd: int | None = None
        self.root: Path | None = None
        self.committed = False

    @property
    def tree(self) -> Path:
        assert self.root is not None
        return self.root / "tree"

    @property
    def lock_fd(self) -> int:
        assert self._lock_fd is not None
        return self._lock_fd

    def __enter__(self) -> Staging:
        problem = destination_problem(self.destination)
        if problem:
            raise InputError(problem)
        try:
            self._make_parents()
            self._remove_stale()
            self._create()
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._cleanup()

    def commit(self, folder: Path | None = None) -> None:
        """Rename ``folder`` (default: the whole tree) to the destination, durably."""
        source = folder or self.tree
        problem = destination_problem(self.destination)  # someone may have written there meanwhile
        if problem:
            raise InputError(problem)
        try:
            os.rename(source, self.destination)
        except OSError as exc:
            raise InputError(f"{self.destination}: cannot move the extracted files into place: {exc.strerror}") from None
        self.committed = True
        fsync_dir(self.destination.parent)

    # -- internals --------------------------------------------------------------------------------
    def _make_parents(self) -> None:
        missing: list[Path] = []
        parent = self.destination.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise InputError(f"{folder}: cannot create the destination's parent folder: {exc.strerror}") from None
            self._created_parents.append(folder)

    def _remove_stale(self) -> None:
        for stale in stale_staging(self.destination):
            holder = _lock_holder(stale / LOCK)
            if holder is not None:
                raise InputError(
                    f"{self.destination}: another extraction into it is running ({holder}); "
                    "wait for it to finish or stop it first"
                )
            try:
                shutil.rmtree(stale)
            except OSError as exc:
                raise InputError(f"{stale}: leftovers of an interrupted extraction cannot be removed: {exc.strerror}") from None
            self._emit(Message(self._step, "info", f"removed {stale.name}: leftovers of an interrupted extraction"))

    def _create(self) -> None:
        parent = self.destination.parent
        name = f"{staging_prefix(self.destination)}{os.getpid()}-{secrets.token_hex(4)}"
        root = parent / name
        try:
            os.mkdir(root, 0o700)  # private while partial: nobody reads half a tree
        except OSError as exc:
            raise InputError(f"{parent}: cannot create a staging folder for the extraction: {exc.strerror}") from None
        self.root = root
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._lock_fd = fd
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        os.mkdir(self.tree, 0o755)

    def _cleanup(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if not self.committed:
            for folder in reversed(self._created_parents):
                try:
                    folder.rmdir()
                except OSError:
                    break


def _lock_holder(lock: Path) -> str | None:
    """None when nobody holds ``lock`` (or it is missing); else a description of the holder."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                return text or "another process"
            raise
        return None
    finally:
        os.close(fd)
