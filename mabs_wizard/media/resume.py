"""Resuming an interrupted extraction: what its journal offers, re-checked alongside the new work.

The staging folder of a run that could not clean up (killed, power lost) holds a journal of the files
it finished (checked, fsync'd, with their digests) and of the parts it hashed (see journal.py). A
resuming run offers each journaled file that is still there with the size the plan wants as a
candidate: the extraction skips it, while two threads re-read it and recompute its digest (its
SHA-256, or the installer's SHA-1). A candidate whose digest holds is kept, and journaled again at
once; one that does not is removed and extracted after all (a file is never trusted for existing,
nor for being in a journal). The re-check runs alongside the extraction of the other files because
it mostly waits on the disk (the kept files were dropped from the page cache after their fsync),
while the extraction mostly computes.

A part's journaled SHA-256 is carried over only for the leading parts whose file is the very one
it was taken from, untouched since (device, inode, size, mtime, ctime: see ``part_stat``) and that
still agree with SHA256SUMS; the others are read and hashed again.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.events import CancelToken, Emit, Message
from mabs_wizard.media.finisher import READ_CHUNK, algorithm_of, file_digest
from mabs_wizard.media.journal import Journal, PartEntry, part_stat
from mabs_wizard.media.models import MediaSet, format_bytes
from mabs_wizard.media.staging import Staging

HASHERS = 2


@dataclass(frozen=True)
class ResumePlan:
    candidates: dict[str, tuple[int, str]]  # path -> (size, digest): skipped, kept once re-checked
    parts: list[str]  # SHA-256 of the first parts, carried over
    part_entries: dict[str, PartEntry]

    @property
    def candidate_bytes(self) -> int:
        return sum(size for size, _ in self.candidates.values())


NOTHING = ResumePlan({}, [], {})


def plan_resume(staging: Staging, media: MediaSet, sizes: dict[str, int], base: Path,
                expected: dict[str, str] | None) -> ResumePlan:
    """The interrupted run's offer (none for a new staging folder). Every file in the staging tree
    that is not a candidate is removed now (partial files, files the journal does not list)."""
    previous = staging.previous
    if previous is None:
        return NOTHING
    candidates = {}
    for path, (size, digest) in previous.files.items():
        try:
            st = os.lstat(base / path)
        except (OSError, ValueError):
            continue
        if sizes.get(path) == size and st.st_size == size and not os.path.islink(base / path):
            candidates[path] = (size, digest)
    staging.discard_except(set(candidates), base)
    parts: list[str] = []
    entries: dict[str, PartEntry] = {}
    for part, path in zip(media.parts, media.paths):
        entry = previous.parts.get(part.name)
        if entry is None or entry.size != part.size or entry.stat != part_stat(path):
            break
        if expected and part.name in expected and expected[part.name] != entry.sha256:
            break
        parts.append(entry.sha256)
        entries[part.name] = entry
    return ResumePlan(candidates, parts, entries)


class Recheck:
    """Each candidate's size and digest recomputed on ``HASHERS`` threads, from the start."""

    def __init__(self, base: Path, candidates: dict[str, tuple[int, str]], journal: Journal | None,
                 cancel: CancelToken | None) -> None:
        self.base = base
        self.journal = journal
        self.cancel = cancel
        self.kept: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(HASHERS, thread_name_prefix="recheck") if candidates else None
        self._futures: dict[str, Future[bool]] = {
            path: self._pool.submit(self._one, path, entry) for path, entry in candidates.items()
        } if self._pool else {}

    def failed(self) -> set[str]:
        """Wait for every re-check; the candidates that did not hold (their files already removed)."""
        failed = {path for path, future in self._futures.items() if not future.result()}
        self.close()
        return failed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _one(self, path: str, entry: tuple[int, str]) -> bool:
        if self.cancel is not None and self.cancel.cancelled:
            return False
        size, digest = entry
        target = self.base / path
        try:
            algorithm = algorithm_of(digest)
            fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (ValueError, OSError):
            fd = None
        found = None
        if fd is not None:
            try:
                if os.fstat(fd).st_size == size:
                    found = file_digest(fd, bytearray(READ_CHUNK), algorithm)
            finally:
                os.close(fd)
        if found == (size, digest):
            with self._lock:
                self.kept[path] = entry
            if self.journal is not None:
                self.journal.add_file(path, size, digest)
            return True
        try:
            target.unlink()  # extracted again, after the rest
        except FileNotFoundError:
            pass
        return False


def announce(staging: Staging, plan: ResumePlan, total_files: int, emit: Emit, step: str, how: str) -> None:
    if staging.resumed is None:
        return
    left = total_files - len(plan.candidates)
    parts = f"; {len(plan.parts)} part(s)' SHA-256 carried over (unchanged since)" if plan.parts else ""
    emit(Message(step, "info",
                 f"resuming the interrupted extraction in {staging.resumed}: {len(plan.candidates)} of {total_files} "
                 f"files ({format_bytes(plan.candidate_bytes)}) to keep, their size and digest re-checked "
                 f"alongside; {left} to extract{how}{parts}"))


def report_failed(failed: set[str], emit: Emit, step: str) -> None:
    if failed:
        names = ", ".join(sorted(failed)[:3]) + (" …" if len(failed) > 3 else "")
        emit(Message(step, "warning", f"{len(failed)} file(s) from the interrupted extraction failed the re-check "
                                      f"of their size and digest ({names}): extracted again"))
