"""The staging folder's journal: which files are finished and verified, so a crashed run can resume.

One JSON object per line, appended. The first line names the media and plan the staging folder was
made for (``identity``); a later run resumes only a journal with its own identity. A file's line is
written only after the file's bytes were checked (the ZIP's CRC-32, or innoextract's checksum) and
fsync'd, with its digest (see finisher.py); a part's line only after its SHA-256 was computed (and checked
against SHA256SUMS). The journal itself is fdatasync'd at most every ``SYNC_INTERVAL`` seconds
(group commit: one flush for many files) and when the run ends: after a power loss the last lines
may be missing, and their files are extracted again. A line cut short by a crash does not parse and
is ignored. Nothing in the journal is trusted alone: a resuming run re-checks each file's size and
digest before keeping it (the rsync ``--partial`` / ``--append-verify`` model, as
``../shared/reference/windows-target-notes.md`` has it).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mabs_wizard.fsutil import fsync_dir

JOURNAL_NAME = "journal"
FORMAT = "mabs-wizard/extraction-journal/1"
SYNC_INTERVAL = 0.25
MAX_JOURNAL = 256 * 2**20  # thousands of files take a few MB; anything bigger is not ours


@dataclass(frozen=True)
class PartEntry:
    size: int
    sha256: str
    stat: tuple[int, ...]  # device, inode, mtime_ns, ctime_ns when it was hashed


@dataclass
class JournalState:
    identity: str
    files: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> (size, "sha256:<hex>" or "sha1:<hex>")
    parts: dict[str, PartEntry] = field(default_factory=dict)


def part_stat(path: Path | int) -> tuple[int, ...]:
    """What must not change for a part's earlier SHA-256 to stand: same file (device, inode), same
    size, not written since (mtime) and not even touched (ctime, which no user can set back)."""
    st = os.fstat(path) if isinstance(path, int) else os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_journal(path: Path) -> JournalState | None:
    """The journal at ``path``, or None when missing, unreadable or not one of ours."""
    try:
        if path.stat().st_size > MAX_JOURNAL:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    lines = data.split(b"\n")
    lines.pop()  # after the last newline: empty, or a line cut short by a crash
    state: JournalState | None = None
    for raw in lines:
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        if state is None:
            if item.get("journal") != FORMAT or not isinstance(item.get("identity"), str):
                return None
            state = JournalState(item["identity"])
            continue
        try:
            if "file" in item:
                state.files[str(item["file"])] = (int(item["size"]), str(item["digest"]))
            elif "part" in item:
                state.parts[str(item["part"])] = PartEntry(int(item["size"]), str(item["sha256"]),
                                                           tuple(int(v) for v in item["stat"]))
        except (KeyError, TypeError, ValueError):
            continue
    return state


class Journal:
    """Append-only, thread-safe; ``start`` rewrites it atomically with what a resume kept."""

    def __init__(self, path: Path, identity: str, *, durable: bool = True) -> None:
        self.path = path
        self.identity = identity
        self.durable = durable
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._last_sync = 0.0
        self._dirty = False

    def start(self, files: dict[str, tuple[int, str]] | None = None, parts: dict[str, PartEntry] | None = None) -> None:
        """Write the header and the entries carried over, then open for appending."""
        lines = [_line({"journal": FORMAT, "identity": self.identity})]
        lines += [_file_line(p, size, digest) for p, (size, digest) in (files or {}).items()]
        lines += [_part_line(n, e) for n, e in (parts or {}).items()]
        tmp = self.path.with_name(self.path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b"".join(lines))
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        if self.durable:
            fsync_dir(self.path.parent)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        self._last_sync = time.monotonic()

    def add_file(self, path: str, size: int, digest: str) -> None:
        self._append(_file_line(path, size, digest))

    def add_part(self, name: str, entry: PartEntry) -> None:
        self._append(_part_line(name, entry))

    def sync(self) -> None:
        with self._lock:
            self._sync_locked()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                self._sync_locked()
                os.close(self._fd)
                self._fd = None

    def _append(self, line: bytes) -> None:
        with self._lock:
            if self._fd is None:
                return  # closed after a failure: nothing more is recorded
            os.write(self._fd, line)  # one write per line, O_APPEND: lines never interleave
            self._dirty = True
            if time.monotonic() - self._last_sync >= SYNC_INTERVAL:
                self._sync_locked()

    def _sync_locked(self) -> None:
        if self._fd is not None and self._dirty and self.durable:
            os.fdatasync(self._fd)
        self._dirty = False
        self._last_sync = time.monotonic()


def _line(item: dict[str, object]) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _file_line(path: str, size: int, digest: str) -> bytes:
    return _line({"file": path, "size": size, "digest": digest})


def _part_line(name: str, entry: PartEntry) -> bytes:
    return _line({"part": name, "size": entry.size, "sha256": entry.sha256, "stat": list(entry.stat)})
