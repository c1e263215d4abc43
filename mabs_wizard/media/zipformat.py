"""Reading a ZIP's central directory from a spanned view, with damage diagnosed per part.

Python's ``zipfile`` can read the directory too, but when the set is damaged it says "Bad magic
number" or "File is not a zip file"; the operator needs "MicrosoftAzureBackupServerInstaller-3.bin is
truncated". So the directory is parsed here, where every failure can be traced to a part by offset.
Offsets in the directory are absolute in the concatenated stream (an adjusted self-extractor, as the
demo kit writes) or relative to the end of the .exe stub (a plain ZIP glued behind a stub); both work.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mabs_wizard.errors import InputError
from mabs_wizard.media.spanned import SpannedReader

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
EOCD_SIG = b"PK\x05\x06"
EOCD64_SIG = b"PK\x06\x06"
EOCD64_LOCATOR_SIG = b"PK\x06\x07"

LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # sig, version, flags, method, time, date, crc, csize, size, nlen, xlen
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
EOCD = struct.Struct("<4s4H2LH")
EOCD64 = struct.Struct("<4sQ2H2L4Q")
EOCD64_LOCATOR = struct.Struct("<4sLQL")

MAX_COMMENT = 0xFFFF
MAX_DIRECTORY = 256 * 2**20  # a directory bigger than this is not an installer, it is an attack

STORED = 0
DEFLATED = 8

FLAG_ENCRYPTED = 0x1
FLAG_DATA_DESCRIPTOR = 0x8
FLAG_UTF8 = 0x800


@dataclass(frozen=True)
class ZipEntry:
    name: str
    raw_name: bytes
    header_offset: int  # absolute offset of the local header in the combined stream
    compress_size: int
    file_size: int
    crc: int
    method: int
    flags: int
    external_attr: int
    create_system: int
    dos_time: int
    dos_date: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/") or bool(self.external_attr & 0x10)


@dataclass(frozen=True)
class ZipDirectory:
    entries: list[ZipEntry]
    directory_start: int  # absolute offset of the first central header
    size: int  # size of the whole combined stream


def find_eocd(reader: SpannedReader, end: int) -> int | None:
    """Offset of an end-of-central-directory record that ends exactly at ``end`` (comment included)."""
    start = max(0, end - EOCD.size - MAX_COMMENT)
    tail = reader.read_exact(start, end - start)
    at = len(tail)
    while True:
        at = tail.rfind(EOCD_SIG, 0, at)
        if at < 0:
            return None
        if at + EOCD.size <= len(tail):
            (comment_len,) = struct.unpack_from("<H", tail, at + 20)
            if at + EOCD.size + comment_len == len(tail):
                return start + at


def read_directory(reader: SpannedReader) -> ZipDirectory:
    eocd_at = find_eocd(reader, reader.size)
    if eocd_at is None:
        raise InputError(_diagnose_missing_end(reader))
    _sig, disk, cd_disk, _n_disk, n_total, cd_size, cd_offset, _clen = EOCD.unpack(reader.read_exact(eocd_at, EOCD.size))
    directory_end = eocd_at
    if eocd_at >= EOCD64_LOCATOR.size:
        locator = reader.read_exact(eocd_at - EOCD64_LOCATOR.size, EOCD64_LOCATOR.size)
        if locator.startswith(EOCD64_LOCATOR_SIG):
            record_at = _find_eocd64(reader, eocd_at, EOCD64_LOCATOR.unpack(locator)[2])
            fields = EOCD64.unpack(reader.read_exact(record_at, EOCD64.size))
            disk, cd_disk, n_total, cd_size, cd_offset = fields[4], fields[5], fields[7], fields[8], fields[9]
            directory_end = record_at
    first = reader.part_name(0)
    if disk != 0 or cd_disk != 0:
        raise InputError(f"{first}: a multi-disk ZIP (disk numbers in its directory) is not supported")
    if cd_size > MAX_DIRECTORY:
        raise InputError(f"{first}: the ZIP directory claims {cd_size} bytes, more than any installer needs")
    directory_start = directory_end - cd_size
    if directory_start < 0:
        raise InputError(f"{reader.part_name(eocd_at)}: the ZIP directory claims more bytes than the whole set holds")
    entries = _parse_central(reader.read_exact(directory_start, cd_size), n_total, reader, directory_start)
    delta = directory_start - cd_offset
    if delta != 0:
        entries = _rebase(reader, entries, delta, directory_start)
    return ZipDirectory(entries=entries, directory_start=directory_start, size=reader.size)


def _find_eocd64(reader: SpannedReader, eocd_at: int, stated: int) -> int:
    for candidate in (stated, eocd_at - EOCD64_LOCATOR.size - EOCD64.size):
        if 0 <= candidate <= reader.size - EOCD64.size and reader.read_exact(candidate, 4) == EOCD64_SIG:
            return candidate
    raise InputError(f"{reader.part_name(eocd_at)}: the ZIP64 end record is missing or damaged")


def _parse_central(data: bytes, count: int, reader: SpannedReader, base: int) -> list[ZipEntry]:
    entries: list[ZipEntry] = []
    at = 0
    for _ in range(count):
        if at + CENTRAL_HEADER.size > len(data) or data[at : at + 4] != CENTRAL_SIG:
            raise InputError(f"{reader.part_name(base + at)}: the ZIP directory is damaged (entry {len(entries) + 1} of {count})")
        (_sig, _cver, create_system, _xver, _xsys, flags, method, dos_time, dos_date, crc, csize, size,
         nlen, xlen, clen, disk_start, _iattr, eattr, offset) = CENTRAL_HEADER.unpack_from(data, at)
        at += CENTRAL_HEADER.size
        raw_name = data[at : at + nlen]
        extra = data[at + nlen : at + nlen + xlen]
        at += nlen + xlen + clen
        if at > len(data):
            raise InputError(f"{reader.part_name(base)}: the ZIP directory is damaged (entry {len(entries) + 1} runs past its end)")
        size, csize, offset, disk_start = _apply_zip64(extra, size, csize, offset, disk_start)
        if disk_start != 0:
            raise InputError(f"{reader.part_name(base)}: a multi-disk ZIP (disk numbers in its directory) is not supported")
        name = raw_name.decode("utf-8" if flags & FLAG_UTF8 else "cp437", errors="replace")
        entries.append(ZipEntry(name, raw_name, offset, csize, size, crc, method, flags, eattr, create_system, dos_time, dos_date))
    return entries


def _apply_zip64(extra: bytes, size: int, csize: int, offset: int, disk: int) -> tuple[int, int, int, int]:
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        body = extra[at + 4 : at + 4 + length]
        at += 4 + length
        if tag != 0x0001:
            continue
        # The ZIP64 field holds only the values whose classic field is saturated, in this order.
        pos = 0
        values = [size, csize, offset]
        for i, marker in enumerate((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)):
            if values[i] == marker and pos + 8 <= len(body):
                (values[i],) = struct.unpack_from("<Q", body, pos)
                pos += 8
        if disk == 0xFFFF and pos + 4 <= len(body):
            (disk,) = struct.unpack_from("<L", body, pos)
        return values[0], values[1], values[2], disk
    return size, csize, offset, disk


def _rebase(reader: SpannedReader, entries: list[ZipEntry], delta: int, directory_start: int) -> list[ZipEntry]:
    """Offsets do not add up: either a stub before an unadjusted ZIP (fine) or bytes lost or added."""
    ordered = sorted(entries, key=lambda e: e.header_offset)
    if ordered and delta > 0 and _local_header_at(reader, ordered[0].header_offset + delta):
        return [
            ZipEntry(e.name, e.raw_name, e.header_offset + delta, e.compress_size, e.file_size, e.crc, e.method,
                     e.flags, e.external_attr, e.create_system, e.dos_time, e.dos_date)
            for e in entries
        ]
    # Walk the members at their stated offsets: the first one not found there lies past the damage.
    previous = 0
    for entry in ordered:
        if not _local_header_at(reader, entry.header_offset):
            break
        previous = entry.header_offset
    else:
        entry = None
    until = entry.header_offset + LOCAL_HEADER.size if entry is not None else directory_start
    suspects = reader.parts_between(previous, min(until, reader.size))
    short = _shorter_than_siblings(reader)
    if delta < 0 and len(short) == 1:
        suspects = short  # the .bin parts are cut to one size: the short one lost the bytes
    how = "shorter" if delta < 0 else "longer"
    raise InputError(
        f"{' or '.join(suspects)}: damaged or truncated: the set is {abs(delta)} bytes {how} than its ZIP "
        f"directory says (download {'that part' if len(suspects) == 1 else 'those parts'} again)"
    )


def _shorter_than_siblings(reader: SpannedReader) -> list[str]:
    """Middle .bin parts smaller than the others (parts are cut to one size; the last holds the rest)."""
    middle = list(range(1, len(reader.names) - 1))
    if len(middle) < 2:
        return []
    sizes = {i: reader.part_bounds(i)[1] - reader.part_bounds(i)[0] for i in middle}
    biggest = max(sizes.values())
    return [reader.names[i] for i in middle if sizes[i] < biggest - 1]


def _local_header_at(reader: SpannedReader, offset: int) -> bool:
    if offset < 0 or offset + 4 > reader.size:
        return False
    return reader.read_exact(offset, 4) == LOCAL_SIG


def _diagnose_missing_end(reader: SpannedReader) -> str:
    names = reader.names
    # The archive may end inside an earlier part: then the later parts do not belong to it.
    for index in range(len(names) - 2, -1, -1):
        _start, end = reader.part_bounds(index)
        if find_eocd(reader, end) is not None:
            extra = names[index + 1 :]
            return (
                f"{', '.join(extra)}: not part of this installer (the archive ends in {names[index]}); "
                f"move {'it' if len(extra) == 1 else 'them'} out of the folder"
            )
    head = reader.read_exact(0, min(reader.size, 8 * 2**20))
    if LOCAL_SIG in head:
        return (
            f"{names[-1]}: the end of the archive is missing: this last part is truncated, or parts after it "
            f"are missing (download the set again)"
        )
    return f"{names[0]}: not a ZIP-based installer (no ZIP directory at the end of the set)"
