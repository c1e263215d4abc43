"""Native backend: a ZIP spanned across the .exe and its ``-N.bin`` parts, streamed out member by member.

One sequential sweep over the combined stream: gaps and headers are only hashed, member data is read
into a large reusable buffer, CRC-checked (``zlib.crc32`` over the whole buffer), written, and handed
to the part hasher thread and, for a member's data, to the file hasher thread (the file's SHA-256
from the very buffer written); each finished file goes to the finisher (fsync, journal). Every byte of every part is read exactly once; memory is a handful of buffers whatever the
media size. Everything about the members (names, types, sizes, ratios, overlaps) is checked before
the first byte is written.

Resuming: members the journal vouches for (re-checked by the caller) are not written again; parts
whose SHA-256 the journal holds (unchanged since) are not read again, so the sweep only seeks
through them to the members it still has to write.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.errors import InputError, WizardError
from mabs_wizard.events import CancelToken
from mabs_wizard.media.finisher import FileHasher, Finisher
from mabs_wizard.media.integrity import BufferPool, PartHasher
from mabs_wizard.media.models import MediaSet
from mabs_wizard.media.problems import refuse
from mabs_wizard.media.progress import ProgressMeter
from mabs_wizard.media.safety import SafeMember, check_members
from mabs_wizard.media.spanned import SpannedReader
from mabs_wizard.media.zipformat import DEFLATED, LOCAL_HEADER, LOCAL_SIG, ZipDirectory, read_directory

CHUNK = 4 * 2**20  # large reads: syscalls and per-chunk Python work vanish against the copy
BUFFERS = 6  # one being processed, the rest queued for hashing (the parts' and the file's)
OUT_OF_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class ZipPlan:
    """A set that passed every check that needs no extraction: what would be written, and where from."""

    directory: ZipDirectory
    members: list[SafeMember]
    payload_bytes: int
    file_count: int
    blocks_bytes: int  # payload rounded up to 4 KiB per file: what it really takes on disk
    identity: str  # the journal's identity: these parts (names, sizes) and this directory

    def sizes(self) -> dict[str, int]:
        """Each file's relative path ("/"-separated) and size."""
        return {"/".join(m.parts): m.entry.file_size for m in self.members if not m.is_dir}


@dataclass(frozen=True)
class ZipOutcome:
    file_count: int
    bytes_extracted: int  # the whole payload (kept files included)
    files_written: int
    part_sha256: list[str]
    setup_exe: str | None


def plan_zip(media: MediaSet, reader: SpannedReader) -> ZipPlan:
    directory = read_directory(reader)
    if not directory.entries:
        raise InputError(f"{media.installer}: the archive is empty")
    members, problems = check_members(directory.entries, media.installer)
    problems += _layout_problems(reader, directory, members)
    if problems:
        raise refuse(problems)
    files = [m for m in members if not m.is_dir]
    payload = sum(m.entry.file_size for m in files)
    blocks = sum(-(-m.entry.file_size // 4096) * 4096 for m in files)
    return ZipPlan(directory, members, payload, len(files), blocks, _identity(media, directory))


def _identity(media: MediaSet, directory: ZipDirectory) -> str:
    """Same parts and the same directory (names, offsets, sizes, CRC-32s): a journal written for this
    plan describes these members, whose kept files a resume then re-checks by SHA-256."""
    digest = hashlib.sha256(b"zip\0")
    for part in media.parts:
        digest.update(f"{part.name}\0{part.size}\n".encode())
    for e in directory.entries:
        digest.update(e.raw_name + f"\0{e.header_offset} {e.compress_size} {e.file_size} {e.crc} {e.method}\n".encode())
    return digest.hexdigest()


def _layout_problems(reader: SpannedReader, directory: ZipDirectory, members: Sequence[SafeMember]) -> list[str]:
    """Members must follow each other without overlapping (the overlapping "better zip bomb")."""
    problems = []
    ordered = sorted(members, key=lambda m: m.entry.header_offset)
    for before, after in zip(ordered, ordered[1:]):
        end = before.entry.header_offset + LOCAL_HEADER.size + len(before.entry.raw_name) + before.entry.compress_size
        if after.entry.header_offset < end:
            problems.append(
                f"{reader.part_name(after.entry.header_offset)}: member {after.entry.name!r} overlaps "
                f"{before.entry.name!r}: refused (overlapping members are a ZIP bomb technique)"
            )
    if ordered:
        last = ordered[-1].entry
        if last.header_offset + LOCAL_HEADER.size + last.compress_size > directory.directory_start:
            problems.append(f"{reader.part_name(last.header_offset)}: member {last.name!r} runs into the ZIP directory")
    return problems


def find_setup_exe(members: Sequence[SafeMember]) -> str | None:
    """``Setup.exe`` at the top, else inside a single top-level folder (as some repacks have it)."""
    files = [m for m in members if not m.is_dir]
    for depth in (1, 2):
        for m in files:
            if len(m.parts) == depth and m.parts[-1].casefold() == "setup.exe":
                return "/".join(m.parts)
    return None


class _Sweep:
    """The position in the combined stream. Bytes before ``hash_from`` belong to parts already
    hashed (a resume): they are read only where a member must be written, and never hashed."""

    def __init__(self, reader: SpannedReader, hasher: PartHasher, pool: BufferPool, cancel: CancelToken | None) -> None:
        self.reader = reader
        self.hasher = hasher
        self.pool = pool
        self.cancel = cancel
        self.position = 0
        self.hash_from = hasher.start
        self.files = FileHasher()

    def checkpoint(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        self.hasher.check()

    def _submit(self, offset: int, view: memoryview | bytes, release: Callable[[], None] | None) -> None:
        end = offset + len(view)
        if end <= self.hash_from:
            if release is not None:
                release()
            return
        if offset < self.hash_from:
            view = memoryview(view)[self.hash_from - offset :]
            offset = self.hash_from
        self.hasher.submit(offset, view, release)

    def read_chunk(self, length: int, file: Future[str] | None = None) -> tuple[bytearray, memoryview]:
        """Read the next ``length`` (≤ CHUNK) bytes; queue them for hashing (and for ``file``'s
        digest, when they are its bytes as stored); the caller may use them until its next
        ``read_chunk`` (the pool has spare buffers for the hashers' backlog)."""
        buffer = self.pool.acquire()
        view = memoryview(buffer)[:length]
        n = self.reader.readinto_at(self.position, view)
        if n != length:
            self.pool.release(buffer)
            raise InputError(
                f"{self.reader.part_name(self.position)}: unexpected end of the set at offset {self.position + n}; "
                "a part is truncated"
            )
        release = _after(2 if file is not None else 1, lambda: self.pool.release(buffer))
        self._submit(self.position, view, release)
        if file is not None:
            self.files.update(file, view, release)
        self.position += length
        return buffer, view

    def skip_to(self, offset: int) -> None:
        """Hash (without writing) everything up to ``offset``: stub, data descriptors, the directory,
        members already extracted; bytes of parts hashed before are not even read."""
        if self.position < self.hash_from:
            self.position = min(max(offset, self.position), self.hash_from)
        while self.position < offset:
            self.checkpoint()
            self.read_chunk(min(CHUNK, offset - self.position))

    def take(self, length: int) -> bytes:
        data = self.reader.read_exact(self.position, length)
        self._submit(self.position, data, None)
        self.position += length
        return data


def _after(count: int, release: Callable[[], None]) -> Callable[[], None]:
    """``release`` once the last of ``count`` consumers (on different threads) is done."""
    if count == 1:
        return release
    left = [count]
    lock = threading.Lock()

    def done() -> None:
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            release()

    return done


def extract_zip(
    media: MediaSet,
    reader: SpannedReader,
    plan: ZipPlan,
    tree: Path,
    *,
    destination: Path,
    meter: ProgressMeter,
    expected: dict[str, str] | None,
    cancel: CancelToken | None,
    finisher: Finisher,
    kept: Collection[str] = frozenset(),
    recheck: Callable[[], set[str]] | None = None,
    known_parts: Sequence[str] = (),
    on_part: Callable[[int, str], None] | None = None,
) -> ZipOutcome:
    """Extract into ``tree`` every member but those in ``kept`` (relative paths, already there and
    being re-checked: ``recheck()`` names, at the end, those that failed, which are then extracted
    too); ``known_parts`` are the digests of the first parts (not read again)."""
    sizes = [end - start for start, end in map(reader.part_bounds, range(len(reader.names)))]
    changed = [p.name for p, size in zip(media.parts, sizes) if p.size != size]
    if changed:
        raise InputError(f"{changed[0]}: changed size since the set was discovered (still downloading?)")
    hasher = PartHasher(reader.names, sizes, expected, known_parts, on_part)
    pool = BufferPool(BUFFERS, CHUNK)
    sweep = _Sweep(reader, hasher, pool, cancel)
    folders: set[Path] = {tree}
    written_files = 0
    try:
        for member in sorted(plan.members, key=lambda m: m.entry.header_offset):
            sweep.checkpoint()
            entry = member.entry
            target = tree.joinpath(*member.parts)
            if not member.is_dir and "/".join(member.parts) in kept:
                _make_folders(target.parent, folders)
                continue  # already extracted and re-checked: the next member's skip_to passes its bytes
            sweep.skip_to(entry.header_offset)
            _read_local_header(sweep, member)
            if member.is_dir:
                _make_folders(target, folders)
                continue
            _make_folders(target.parent, folders)
            meter.file_started(entry.name)
            _write_member(sweep, member, target, meter, finisher, destination)
            written_files += 1
            meter.file_finished()
        sweep.skip_to(reader.size)
        failed = recheck() if recheck is not None else set()
        if failed:
            written_files += _redo(reader, plan, tree, failed, hasher, pool, cancel, meter, finisher, destination)
        digests = hasher.finish()
        meter.finish()
        try:
            finisher.finish(sorted(folders, key=lambda p: len(p.parts), reverse=True))
        except OSError as exc:
            raise _write_error(exc, destination, "flushing the extracted files") from None
    finally:
        sweep.files.close()
        finisher.close()
        hasher.close()
    return ZipOutcome(plan.file_count, plan.payload_bytes, written_files, digests, find_setup_exe(plan.members))


def _redo(reader: SpannedReader, plan: ZipPlan, tree: Path, failed: set[str], hasher: PartHasher, pool: BufferPool,
          cancel: CancelToken | None, meter: ProgressMeter, finisher: Finisher, destination: Path) -> int:
    """Extract the kept files whose re-check failed (their files are gone): each member read again
    from where it starts; the parts are hashed already, so nothing more goes to the part hasher."""
    members = sorted((m for m in plan.members if not m.is_dir and "/".join(m.parts) in failed),
                     key=lambda m: m.entry.header_offset)
    meter.not_done_after_all(sum(m.entry.file_size for m in members), len(members))
    sweep = _Sweep(reader, hasher, pool, cancel)
    sweep.hash_from = reader.size
    try:
        for member in members:
            sweep.checkpoint()
            sweep.position = member.entry.header_offset
            _read_local_header(sweep, member)
            meter.file_started(member.entry.name)
            _write_member(sweep, member, tree.joinpath(*member.parts), meter, finisher, destination)
            meter.file_finished()
    finally:
        sweep.files.close()
    return len(members)


def _read_local_header(sweep: _Sweep, member: SafeMember) -> None:
    entry = member.entry
    header = sweep.take(LOCAL_HEADER.size)
    sig, *_rest, name_len, extra_len = LOCAL_HEADER.unpack(header)
    where = sweep.reader.part_name(entry.header_offset)
    if sig != LOCAL_SIG:
        raise InputError(f"{where}: damaged: member {entry.name!r} is not where the ZIP directory says (offset {entry.header_offset})")
    name = sweep.take(name_len)
    if name != entry.raw_name:
        raise InputError(f"{where}: damaged or crafted: member {entry.name!r} has a different name in its local header")
    sweep.take(extra_len)


def _make_folders(folder: Path, made: set[Path]) -> None:
    if folder in made:
        return
    _make_folders(folder.parent, made)
    try:
        os.mkdir(folder, 0o755)
    except FileExistsError:
        if folder.is_symlink() or not folder.is_dir():
            raise InputError(f"{folder}: a file and a folder share this name in the archive") from None
    made.add(folder)


def _write_member(sweep: _Sweep, member: SafeMember, target: Path, meter: ProgressMeter, finisher: Finisher,
                  destination: Path) -> int:
    entry = member.entry
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o644)
    except OSError as exc:
        raise _write_error(exc, destination, entry.name) from None
    handed = False
    digest = sweep.files.begin()
    try:
        if entry.method == DEFLATED:
            crc, written = _inflate(sweep, member, fd, meter, destination, digest)
        else:
            crc, written = _copy(sweep, member, fd, meter, destination, digest)
        sweep.files.end(digest)
        if crc != entry.crc:
            raise _crc_error(sweep, entry.name, sweep.position - entry.compress_size)
        _set_mtime(fd, entry.dos_date, entry.dos_time)
        finisher.hand_over(fd, "/".join(member.parts), written, digest)
        handed = True
        return written
    finally:
        if not handed:
            os.close(fd)


def _crc_error(sweep: _Sweep, name: str, data_start: int) -> InputError:
    """Name the corrupt part: exactly, when SHA256SUMS is there (hash on to the end of the part the
    member ends in), else the parts the member's data spans."""
    if sweep.hasher.verifying:
        index = sweep.reader.part_index(sweep.position - 1)
        sweep.skip_to(sweep.reader.part_bounds(index)[1])
        sweep.hasher.drain()
        sweep.hasher.check()  # raises the SHA256SUMS mismatch, which names the one part
    parts = sweep.reader.parts_between(data_start, sweep.position)
    if len(parts) == 1:
        return InputError(f"{parts[0]}: CRC mismatch in {name!r}: the part is corrupt; download it again")
    return InputError(
        f"{', '.join(parts)}: CRC mismatch in {name!r}, whose data spans these {len(parts)} parts: one of "
        "them is corrupt; download them again (a SHA256SUMS file beside the parts would name the one)"
    )


def _copy(sweep: _Sweep, member: SafeMember, fd: int, meter: ProgressMeter, destination: Path,
          digest: Future[str]) -> tuple[int, int]:
    remaining = member.entry.compress_size
    crc = 0
    while remaining:
        sweep.checkpoint()
        _buffer, view = sweep.read_chunk(min(CHUNK, remaining), digest)
        crc = zlib.crc32(view, crc)
        _write_all(fd, view, destination, member.entry.name)
        remaining -= len(view)
        meter.advance(len(view))
    return crc, member.entry.compress_size


def _inflate(sweep: _Sweep, member: SafeMember, fd: int, meter: ProgressMeter, destination: Path,
             digest: Future[str]) -> tuple[int, int]:
    entry = member.entry
    inflater = zlib.decompressobj(-15)
    remaining = entry.compress_size
    crc = written = 0

    def emit(data: bytes) -> None:
        nonlocal crc, written
        written += len(data)
        if written > entry.file_size:
            raise InputError(
                f"{sweep.reader.part_name(sweep.position - 1)}: member {entry.name!r} inflates beyond its declared "
                f"{entry.file_size} bytes: refused as a ZIP bomb"
            )
        crc = zlib.crc32(data, crc)
        _write_all(fd, data, destination, entry.name)
        sweep.files.update(digest, data)
        meter.advance(len(data))

    while remaining and not inflater.eof:
        sweep.checkpoint()
        _buffer, view = sweep.read_chunk(min(CHUNK, remaining))
        remaining -= len(view)
        pending: bytes | memoryview = view
        while pending and not inflater.eof:
            # Cap each output at the declared size + 1, so a bomb is caught at the first excess byte.
            emit(inflater.decompress(pending, min(CHUNK, entry.file_size - written + 1)))
            pending = inflater.unconsumed_tail
    if remaining:
        sweep.skip_to(sweep.position + remaining)  # trailing bytes after the deflate end: hash only
    if not inflater.eof:
        emit(inflater.flush())
        if not inflater.eof:
            raise InputError(f"{sweep.reader.part_name(sweep.position - 1)}: member {entry.name!r} is cut short (damaged deflate data)")
    if written != entry.file_size:
        raise InputError(
            f"{sweep.reader.part_name(sweep.position - 1)}: member {entry.name!r} inflated to {written} bytes, "
            f"its directory says {entry.file_size}: damaged"
        )
    return crc, written


def _write_all(fd: int, data: bytes | memoryview, destination: Path, name: str) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except OSError as exc:
            raise _write_error(exc, destination, name) from None
        view = view[n:]


def _write_error(exc: OSError, destination: Path, what: str) -> WizardError:
    if exc.errno in OUT_OF_SPACE:
        return InputError(
            f"{destination}: the destination ran out of space (or hit a file size limit) while writing "
            f"{what}: {exc.strerror}; free space there or choose another destination"
        )
    return WizardError(f"{destination}: writing {what} failed: {exc.strerror}")


def _set_mtime(fd: int, dos_date: int, dos_time: int) -> None:
    try:
        stamp = time.mktime((
            (dos_date >> 9) + 1980, (dos_date >> 5) & 0xF, dos_date & 0x1F,
            dos_time >> 11, (dos_time >> 5) & 0x3F, (dos_time & 0x1F) * 2, 0, 0, -1,
        ))
        os.utime(fd, (stamp, stamp))
    except (OverflowError, ValueError, OSError):
        pass  # a nonsense timestamp is not worth failing the extraction for
