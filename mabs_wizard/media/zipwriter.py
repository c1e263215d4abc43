"""Writing spanned ZIP media: an .exe stub carrying the start of a ZIP, continued by ``-N.bin`` parts.

Used by the demo kit, the tests (which also need hostile members: odd names, symlink attributes,
deflate bombs) and the benchmark. Offsets in the directory are absolute in the concatenated stream,
as an adjusted self-extractor has them, so ``unzip`` and ``zipfile`` read the concatenation cleanly.
The layout is planned before the first byte is written, so the parts can be cut to exact sizes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mabs_wizard.fsutil import fsync_dir
from mabs_wizard.media.zipformat import (
    CENTRAL_HEADER,
    CENTRAL_SIG,
    DEFLATED,
    EOCD,
    EOCD64,
    EOCD64_LOCATOR,
    EOCD64_LOCATOR_SIG,
    EOCD64_SIG,
    EOCD_SIG,
    FLAG_UTF8,
    LOCAL_HEADER,
    LOCAL_SIG,
    STORED,
)

U32 = 0xFFFFFFFF
U16 = 0xFFFF
CHUNK = 4 * 2**20
DOS_TIME_2024 = (12 << 11) | (0 << 5)  # 12:00:00
DOS_DATE_2024 = ((2024 - 1980) << 9) | (1 << 5) | 2  # 2024-01-02

Content = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Member:
    """One ZIP member. ``content`` is the uncompressed bytes, or a callable yielding them in chunks."""

    name: str | bytes
    size: int
    content: Content = b""
    method: int = STORED
    external_attr: int = (stat.S_IFREG | 0o644) << 16
    create_system: int = 3  # Unix, so external_attr carries a file mode
    compressed: bytes | None = None  # deflated members: the raw deflate stream
    crc: int | None = None  # known up front (deflated members); stored members get it while writing
    declared_size: int | None = None  # tests only: lie about the uncompressed size
    # Filled in by the planner.
    header_offset: int = field(default=0, init=False)

    @property
    def raw_name(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")

    @property
    def compress_size(self) -> int:
        return len(self.compressed) if self.compressed is not None else self.size

    @property
    def stated_size(self) -> int:
        return self.declared_size if self.declared_size is not None else self.size

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.content, bytes):
            yield self.content
        else:
            yield from self.content()


def directory(name: str) -> Member:
    return Member(name if name.endswith("/") else name + "/", 0, external_attr=(stat.S_IFDIR | 0o755) << 16 | 0x10)


def deflated(name: str, data: bytes, **kwargs: object) -> Member:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = packer.compress(data) + packer.flush()
    return Member(name, len(data), data, method=DEFLATED, compressed=compressed, crc=zlib.crc32(data), **kwargs)  # type: ignore[arg-type]


class SpannedWriter:
    """Writes one stream into consecutive files of fixed sizes; temp names until ``commit``."""

    def __init__(self, paths: Sequence[Path], sizes: Sequence[int], mode: int = 0o644) -> None:
        self.paths = list(paths)
        self.sizes = list(sizes)
        self._temps = [p.with_name(f".{p.name}.tmp-{os.getpid()}") for p in self.paths]
        self._fds = [os.open(t, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode) for t in self._temps]
        self._starts = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self.position = 0

    def write(self, data: bytes | memoryview) -> None:
        self.pwrite(self.position, data)
        self.position += len(data)

    def pwrite(self, offset: int, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        while view:
            index = max(i for i, s in enumerate(self._starts) if s <= offset)
            inner = offset - self._starts[index]
            room = self.sizes[index] - inner
            if room <= 0:
                raise ValueError("write past the planned end of the set")
            piece = view[:room]
            while piece:
                n = os.pwrite(self._fds[index], piece, inner)
                piece, inner, offset, view = piece[n:], inner + n, offset + n, view[n:]

    def commit(self, durable: bool = True) -> list[tuple[str, int, str]]:
        """fsync, rename every part into place, and return (name, size, sha256) per part."""
        if self.position != sum(self.sizes):
            raise ValueError(f"wrote {self.position} bytes, planned {sum(self.sizes)}")
        with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL: use both cores
            digests = list(pool.map(_sha256_fd, self._fds))
        for fd in self._fds:
            if durable:
                os.fsync(fd)
            os.close(fd)
        self._fds = []
        for temp, path in zip(self._temps, self.paths):
            os.replace(temp, path)
        if durable:
            fsync_dir(self.paths[0].parent)
        return [(p.name, s, d) for p, s, d in zip(self.paths, self.sizes, digests)]

    def abort(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        for temp in self._temps:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass


def _sha256_fd(fd: int) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    offset = 0
    while True:
        n = os.preadv(fd, [view], offset)
        if n == 0:
            return digest.hexdigest()
        digest.update(view[:n])
        offset += n


# -- layout -----------------------------------------------------------------------------------------
def _local_extra(m: Member) -> bytes:
    if m.stated_size >= U32 or m.compress_size >= U32:
        return struct.pack("<2H2Q", 1, 16, m.stated_size, m.compress_size)
    return b""


def _central_extra(m: Member, force: bool = False) -> bytes:
    values = []
    if m.stated_size >= U32 or force:
        values.append(m.stated_size)
    if m.compress_size >= U32 or force:
        values.append(m.compress_size)
    if m.header_offset >= U32 or force:
        values.append(m.header_offset)
    if not values:
        return b""
    return struct.pack(f"<2H{len(values)}Q", 1, 8 * len(values), *values)


def plan(members: Sequence[Member], stub_size: int, zip64: bool = False) -> int:
    """Assign header offsets; return the total size of the stream (stub, members, directory, end).

    ``zip64`` forces ZIP64 records even when nothing needs them (tests of small archives).
    """
    offset = stub_size
    for m in members:
        m.header_offset = offset
        offset += LOCAL_HEADER.size + len(m.raw_name) + len(_local_extra(m)) + m.compress_size
    directory_start = offset
    for m in members:
        offset += CENTRAL_HEADER.size + len(m.raw_name) + len(_central_extra(m, zip64))
    if zip64 or _needs_zip64(members, directory_start, offset - directory_start):
        offset += EOCD64.size + EOCD64_LOCATOR.size
    return offset + EOCD.size


def _needs_zip64(members: Sequence[Member], directory_start: int, directory_size: int) -> bool:
    return len(members) >= U16 or directory_start >= U32 or directory_size >= U32


def _flags(m: Member) -> int:
    return FLAG_UTF8 if isinstance(m.name, str) and not m.name.isascii() else 0


def write_zip(out: SpannedWriter, members: Sequence[Member], stub: bytes, zip64: bool = False) -> None:
    """Write the planned stream: ``plan`` must have been called with ``len(stub)``."""
    out.write(stub)
    crcs: list[int] = []
    for m in members:
        assert out.position == m.header_offset, "plan() and write_zip() disagree"
        extra = _local_extra(m)
        size32 = U32 if extra else m.stated_size
        csize32 = U32 if extra else m.compress_size
        header_crc = m.crc if m.crc is not None else 0
        out.write(LOCAL_HEADER.pack(LOCAL_SIG, 20 if not extra else 45, _flags(m), m.method, DOS_TIME_2024,
                                    DOS_DATE_2024, header_crc, csize32, size32, len(m.raw_name), len(extra)))
        out.write(m.raw_name + extra)
        if m.compressed is not None:
            out.write(m.compressed)
            crc = m.crc if m.crc is not None else 0
        else:
            crc, written = 0, 0
            for chunk in m.chunks():
                crc = zlib.crc32(chunk, crc)
                out.write(chunk)
                written += len(chunk)
            if written != m.size:
                raise ValueError(f"member {m.name!r}: content was {written} bytes, declared {m.size}")
            if m.crc is None:
                out.pwrite(m.header_offset + 14, struct.pack("<L", crc))
            else:
                crc = m.crc
        crcs.append(crc)
    directory_start = out.position
    for m, crc in zip(members, crcs):
        extra = _central_extra(m, zip64)
        out.write(CENTRAL_HEADER.pack(
            CENTRAL_SIG, 20 if not extra else 45, m.create_system, 20 if not extra else 45, 0, _flags(m), m.method,
            DOS_TIME_2024, DOS_DATE_2024, crc,
            U32 if m.compress_size >= U32 or zip64 else m.compress_size,
            U32 if m.stated_size >= U32 or zip64 else m.stated_size,
            len(m.raw_name), len(extra), 0, 0, 0, m.external_attr,
            U32 if m.header_offset >= U32 or zip64 else m.header_offset,
        ))
        out.write(m.raw_name + extra)
    directory_size = out.position - directory_start
    count = len(members)
    if zip64 or _needs_zip64(members, directory_start, directory_size):
        record_at = out.position
        out.write(EOCD64.pack(EOCD64_SIG, EOCD64.size - 12, 45, 45, 0, 0, count, count, directory_size, directory_start))
        out.write(EOCD64_LOCATOR.pack(EOCD64_LOCATOR_SIG, 0, record_at, 1))
    out.write(EOCD.pack(EOCD_SIG, 0, 0, min(count, U16), min(count, U16), min(directory_size, U32),
                        min(directory_start, U32), 0))


def even_sizes(total: int, parts: int) -> list[int]:
    """Cut ``total`` bytes into ``parts`` sizes that differ by at most one byte, none of them empty."""
    if total < parts:
        raise ValueError(f"{total} bytes cannot fill {parts} parts")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def part_paths(folder: Path, installer: str, parts: int) -> list[Path]:
    stem = installer[: -len(".exe")] if installer.lower().endswith(".exe") else installer
    return [folder / installer] + [folder / f"{stem}-{n}.bin" for n in range(1, parts)]


def write_spanned_zip(
    folder: Path,
    members: Sequence[Member],
    *,
    installer: str = "MicrosoftAzureBackupServerInstaller.exe",
    parts: int = 8,
    stub: bytes = b"",
    durable: bool = True,
    zip64: bool = False,
) -> list[tuple[str, int, str]]:
    """Write the set into ``folder``; returns (name, size, sha256) for the .exe and each part."""
    folder.mkdir(parents=True, exist_ok=True)
    total = plan(members, len(stub), zip64)
    writer = SpannedWriter(part_paths(folder, installer, parts), even_sizes(total, parts))
    try:
        write_zip(writer, members, stub, zip64)
        return writer.commit(durable=durable)
    except BaseException:
        writer.abort()
        raise


def sha256sums_text(records: Iterable[tuple[str, int, str]]) -> str:
    """coreutils ``sha256sum`` format: digest, two spaces, name."""
    return "".join(f"{digest}  {name}\n" for name, _size, digest in records)
