"""Finishing each extracted file off the critical path: its SHA-256, fsync, journal entry.

A file is handed over once its bytes are checked (the ZIP backend's CRC-32, or innoextract's own
checksum before it moved to the next file). Worker threads fsync it and only then write its journal
line, so a line in the journal always means a complete, durable, verified file. Its digest
(``sha256:<hex>`` or ``sha1:<hex>``) comes with it: the ZIP backend hashes the bytes on a thread of
their own as it writes them (``FileHasher``); an Inno Setup installer lists each file's SHA-1, which
innoextract has just checked the written bytes against, so that is the file's digest and nothing is
read again. Only a file with neither (an installer listing a CRC-32 or none) is read back from the
OS for its SHA-256 (page cache: the digest of what the kernel holds, the bytes the fsync makes
durable).
Several fsyncs in flight let the filesystem batch them into one journal commit; the disk flushes
while the next files are read, checked and written. The staging folder is renamed into place only
after every file finished: after a crash the destination holds complete files or does not exist.
"""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.media.journal import Journal

WORKERS = 4
READ_CHUNK = 2 * 2**20
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class _Job:
    path: str  # relative to the root, "/"-separated
    size: int  # what the file must hold
    fd: int | None  # a descriptor handed over, or None: open ``root / path``
    digest: Future[str] | str | None  # from the writer, listed by the installer, or None: read it back


class FileProblem(Exception):
    """A finished file is not what the plan says (its size); reported as the media's problem."""


ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}


def file_digest(fd: int, buffer: bytearray, algorithm: str = "sha256") -> tuple[int, str]:
    """(bytes read, ``algorithm:hex``) of an open file, read from its start."""
    digest = ALGORITHMS[algorithm]()
    view = memoryview(buffer)
    offset = 0
    while n := os.preadv(fd, [view], offset):
        digest.update(view[:n])
        offset += n
    return offset, f"{algorithm}:{digest.hexdigest()}"


def algorithm_of(digest: str) -> str:
    """``sha1`` for ``sha1:…``; ValueError for anything this module does not compute."""
    algorithm = digest.partition(":")[0]
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown digest algorithm in {digest[:16]!r}")
    return algorithm


class Finisher:
    def __init__(self, root: Path, journal: Journal | None, *, durable: bool = True, workers: int = WORKERS) -> None:
        self.root = root
        self.journal = journal
        self.durable = durable
        self.digests: dict[str, tuple[int, str]] = {}
        self._error: BaseException | None = None
        self._abandoned = False
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=64)  # bounds the open descriptors
        self._threads = [threading.Thread(target=self._run, name=f"finish-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def hand_over(self, fd: int, path: str, size: int, digest: Future[str]) -> None:
        """Take ownership of ``fd``: flushed and closed; journaled once ``digest`` (its SHA-256,
        computed by the writer) is known."""
        if self._error is not None or self._abandoned:
            os.close(fd)
            return
        self._queue.put(_Job(path, size, fd, digest))

    def submit(self, path: str, size: int, listed: str | None = None) -> None:
        """Finish ``root / path``, written by another process (innoextract): its digest is ``listed``
        (the installer's, already checked by the writer), or read back for its SHA-256."""
        if self._error is None and not self._abandoned:
            self._queue.put(_Job(path, size, None, listed))

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self, folders: list[Path] | None = None) -> dict[str, tuple[int, str]]:
        """Wait for every file, flush the folders' entries; raise the first error; the digests."""
        self._stop()
        self.check()
        if self.durable:
            for folder in folders or []:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        if self.journal is not None:
            self.journal.sync()
        return dict(self.digests)

    def close(self) -> None:
        """Abandon: close whatever is pending without finishing it (after a failure or cancel)."""
        self._abandoned = True
        self._stop()

    def _stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _run(self) -> None:
        buffer = bytearray(READ_CHUNK)
        while True:
            job = self._queue.get()
            if job is None:
                return
            fd = job.fd
            try:
                if self._error is not None or self._abandoned:
                    continue
                if fd is None:
                    fd = os.open(self.root / job.path, os.O_RDONLY | NOFOLLOW)
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        raise FileProblem(f"{job.path}: not a regular file after extraction")
                if job.digest is None:
                    size, digest = file_digest(fd, buffer)
                else:
                    size = os.fstat(fd).st_size
                if size != job.size:
                    raise FileProblem(f"{job.path}: {size} bytes after extraction, the installer lists {job.size}")
                if self.durable:
                    os.fsync(fd)
                    # Clean now, and never read again by the extraction: let the kernel reuse these
                    # pages for the next files instead of growing the page cache by the whole
                    # payload (3 GB of installer evicting everything else; measured here, writing
                    # into recycled pages costs a fraction of the CPU of writing into fresh ones).
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                if isinstance(job.digest, Future):
                    digest = job.digest.result()
                elif job.digest is not None:
                    digest = job.digest
                with self._lock:
                    self.digests[job.path] = (size, digest)
                if self.journal is not None:
                    self.journal.add_file(job.path, size, digest)
            except BaseException as exc:  # noqa: BLE001 - surfaced by check() / finish()
                self._error = self._error or exc
            finally:
                if fd is not None:
                    os.close(fd)


class FileHasher:
    """SHA-256 of each file as its bytes stream past, on a thread of its own (hashlib releases the
    GIL): the ZIP backend hands it the very buffers it writes, so no file is read back."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Future[str], object, Callable[[], None] | None] | None] = queue.Queue(maxsize=16)
        self._thread = threading.Thread(target=self._run, name="file-sha256", daemon=True)
        self._thread.start()

    def begin(self) -> Future[str]:
        """A file starts: its digest, once ``end`` is called for it."""
        return Future()

    def update(self, file: Future[str], data: bytes | memoryview, release: Callable[[], None] | None = None) -> None:
        self._queue.put((file, data, release))

    def end(self, file: Future[str]) -> None:
        self._queue.put((file, None, None))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        current: Future[str] | None = None
        digest = hashlib.sha256()
        while (item := self._queue.get()) is not None:
            file, data, release = item
            try:
                if file is not current:
                    current, digest = file, hashlib.sha256()
                if data is None:
                    file.set_result(f"sha256:{digest.hexdigest()}")
                    current = None
                else:
                    digest.update(data)  # type: ignore[arg-type]
            finally:
                if release is not None:
                    release()

