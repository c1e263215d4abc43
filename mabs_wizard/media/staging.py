"""The staging folder: extraction happens beside the destination and is renamed into place at the end.

``rename(2)`` within one filesystem is atomic, so the destination either does not exist or holds the
complete, verified tree; an interrupted, failed or cancelled run leaves no partial destination. The
staging folder holds a lock file (``flock``): the kernel drops the lock when its holder dies, even by
SIGKILL, so the next run can tell a stale folder from a running extraction (refuse). A stale folder
whose journal was made for the same media and plan is taken over and resumed (the caller re-checks
every file it keeps); any other stale folder is removed. A failed or cancelled run removes its own
staging folder; only a run that could not clean up (killed, power lost) leaves one to resume.
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
from mabs_wizard.media.journal import JOURNAL_NAME, Journal, JournalState, PartEntry, read_journal

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
    """Context manager: ``tree`` is where the backend writes; ``commit(folder)`` publishes it.

    With an ``identity`` (a digest of the media and the plan) the folder keeps a journal and a stale
    folder with the same identity is resumed: ``previous`` is then its journal, to be re-checked.
    """

    def __init__(self, destination: Path, *, identity: str | None = None, emit: Emit = ignore,
                 step: str = "extraction", durable: bool = True) -> None:
        self.destination = Path(os.path.abspath(destination))
        self.identity = identity
        self.durable = durable
        self._emit = emit
        self._step = step
        self._created_parents: list[Path] = []
        self._lock_fd: int | None = None
        self.root: Path | None = None
        self.committed = False
        self.previous: JournalState | None = None
        self.journal: Journal | None = None

    @property
    def tree(self) -> Path:
        assert self.root is not None
        return self.root / "tree"

    @property
    def lock_fd(self) -> int:
        assert self._lock_fd is not None
        return self._lock_fd

    @property
    def resumed(self) -> str | None:
        """The name of the interrupted run's staging folder being resumed, if any."""
        return self.root.name if self.root is not None and self.previous is not None else None

    def __enter__(self) -> Staging:
        problem = destination_problem(self.destination)
        if problem:
            raise InputError(problem)
        try:
            self._make_parents()
            self._claim_stale()
            if self.root is None:
                self._create()
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._cleanup()

    def start_journal(self, files: dict[str, tuple[int, str]] | None = None,
                      parts: dict[str, PartEntry] | None = None) -> Journal:
        """Begin this run's journal, carrying over what a resume kept (already re-checked)."""
        assert self.root is not None and self.identity is not None
        self.journal = Journal(self.root / JOURNAL_NAME, self.identity, durable=self.durable)
        self.journal.start(files, parts)
        return self.journal

    def discard_except(self, keep: set[str], base: Path) -> None:
        """Remove every file under the tree but ``keep`` (paths relative to ``base``): partial files
        and files the journal does not vouch for are extracted again, never trusted for existing."""
        for folder, dirs, names in os.walk(self.tree):
            for name in names + [d for d in dirs if (Path(folder) / d).is_symlink()]:
                path = Path(folder) / name
                try:
                    relative = path.relative_to(base).as_posix()
                except ValueError:
                    relative = None
                if relative not in keep:
                    path.unlink()

    def commit(self, folder: Path | None = None) -> None:
        """Rename ``folder`` (default: the whole tree) to the destination, durably."""
        source = folder or self.tree
        problem = destination_problem(self.destination)  # someone may have written there meanwhile
        if problem:
            raise InputError(problem)
        if self.journal is not None:
            self.journal.close()
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

    def _claim_stale(self) -> None:
        """Lock every stale folder (refusing if one is in use), adopt the newest one made for this
        identity, remove the others."""
        claimed: list[tuple[Path, int | None, JournalState | None]] = []
        try:
            for stale in stale_staging(self.destination):
                fd = _take_lock(stale / LOCK, self.destination)
                state = read_journal(stale / JOURNAL_NAME) if self.identity else None
                claimed.append((stale, fd, state if state is not None and state.identity == self.identity else None))
            resumable = sorted((c for c in claimed if c[2] is not None), key=lambda c: _mtime(c[0] / JOURNAL_NAME))
            adopt = resumable[-1] if resumable else None
            for stale, fd, _state in claimed:
                if adopt is not None and stale == adopt[0]:
                    continue
                try:
                    shutil.rmtree(stale)
                except OSError as exc:
                    raise InputError(f"{stale}: leftovers of an interrupted extraction cannot be removed: {exc.strerror}") from None
                why = "" if not self.identity else " (not resumable: made for other media or by another version)"
                self._emit(Message(self._step, "info", f"removed {stale.name}: leftovers of an interrupted extraction{why}"))
            if adopt is not None:
                stale, fd, state = adopt
                if fd is None:
                    fd = _new_lock(stale / LOCK)
                self.root, self._lock_fd, self.previous = stale, fd, state
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
                self.tree.mkdir(mode=0o755, exist_ok=True)
        finally:
            for _stale, fd, _state in claimed:
                if fd is not None and fd != self._lock_fd:
                    os.close(fd)

    def _create(self) -> None:
        parent = self.destination.parent
        name = f"{staging_prefix(self.destination)}{os.getpid()}-{secrets.token_hex(4)}"
        root = parent / name
        try:
            os.mkdir(root, 0o700)  # private while partial: nobody reads half a tree
        except OSError as exc:
            raise InputError(f"{parent}: cannot create a staging folder for the extraction: {exc.strerror}") from None
        self.root = root
        self._lock_fd = _new_lock(root / LOCK)
        os.mkdir(self.tree, 0o755)

    def _cleanup(self) -> None:
        if self.journal is not None:
            self.journal.close()
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


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _new_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"pid {os.getpid()}\n".encode())
    return fd


def _take_lock(lock: Path, destination: Path) -> int | None:
    """Lock a stale folder's lock file for ourselves (None when it has none); InputError when a
    running extraction holds it. Taking the lock, not just testing it, means two runs starting at
    once cannot both adopt (or one remove what the other adopts)."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise InputError(
                f"{destination}: another extraction into it is running ({text or 'another process'}); "
                "wait for it to finish or stop it first"
            ) from None
        raise
    return fd


def clear_stale(destination: Path, emit: Emit = ignore, step: str = "extraction") -> None:
    """Remove staging leftovers beside a destination that is already complete (nothing to resume)."""
    for stale in stale_staging(Path(os.path.abspath(destination))):
        try:
            fd = _take_lock(stale / LOCK, destination)
        except InputError:
            continue  # in use: not ours to touch
        try:
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            if fd is not None:
                os.close(fd)
        emit(Message(step, "info", f"removed {stale.name}: leftovers of an interrupted extraction"))

