"""A read-only, seekable view over the parts of a spanned download, as if they were one file.

The real download is one stream cut into an .exe and ``-N.bin`` slices. Concatenating them on disk
would double the space needed and the I/O, so reads are mapped onto the parts instead: ``bisect`` over
the parts' start offsets finds the part, ``os.preadv`` reads straight into the caller's buffer (no
intermediate bytes objects, no shared file position, so a hashing thread can read too), and every
part's descriptor stays open for the life of the view.
"""

from __future__ import annotations

import io
import os
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path

from mabs_wizard.errors import InputError


class SpannedReader(io.RawIOBase):
    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        if not paths:
            raise ValueError("a spanned view needs at least one part")
        self._names = [p.name for p in paths]
        self._fds: list[int] = []
        self._starts: list[int] = []
        self._sizes: list[int] = []
        offset = 0
        try:
            for path in paths:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                self._fds.append(fd)
                size = os.fstat(fd).st_size
                self._starts.append(offset)
                self._sizes.append(size)
                offset += size
        except OSError as exc:
            self._close_fds()
            raise InputError(f"{exc.filename or paths[len(self._fds)]}: cannot be read: {exc.strerror}") from None
        self._size = offset
        self._pos = 0

    # -- geometry ---------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def part_index(self, offset: int) -> int:
        """Index of the part holding byte ``offset`` (the last part for offsets at or past the end)."""
        if offset >= self._size:
            return len(self._starts) - 1
        return bisect_right(self._starts, offset) - 1

    def part_name(self, offset: int) -> str:
        return self._names[self.part_index(offset)]

    def part_bounds(self, index: int) -> tuple[int, int]:
        """Start and end offset of part ``index`` in the combined stream."""
        return self._starts[index], self._starts[index] + self._sizes[index]

    def parts_between(self, start: int, end: int) -> list[str]:
        """Names of the parts that hold any byte of ``[start, end)``."""
        if end <= start:
            return [self.part_name(start)]
        return self._names[self.part_index(start) : self.part_index(end - 1) + 1]

    # -- positional reads -------------------------------------------------------------------------
    def readinto_at(self, offset: int, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` from ``offset``; returns fewer bytes only at the end of the last part."""
        view = memoryview(buffer).cast("B")
        wanted = len(view)
        done = 0
        index = self.part_index(offset) if offset < self._size else len(self._starts)
        while done < wanted and index < len(self._fds):
            start = self._starts[index]
            inner = offset + done - start
            room = self._sizes[index] - inner
            if room <= 0:
                index += 1
                continue
            chunk = view[done : done + min(room, wanted - done)]
            n = os.preadv(self._fds[index], [chunk], inner)
            if n == 0:  # the part shrank under us since it was opened
                raise InputError(f"{self._names[index]}: shorter than when it was opened (changed while reading)")
            done += n
        return done

    def read_exact(self, offset: int, length: int) -> bytes:
        buffer = bytearray(length)
        n = self.readinto_at(offset, buffer)
        if n != length:
            raise InputError(
                f"{self.part_name(offset)}: unexpected end of data at offset {offset} of the set "
                f"(wanted {length} bytes, the set ends after {n}); a part is truncated or missing"
            )
        return bytes(buffer)

    # -- io.RawIOBase, so zipfile and friends can use the view as a file --------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise OSError("negative seek position")
        self._pos = target
        return target

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = self.readinto_at(self._pos, buffer) if self._pos < self._size else 0
        self._pos += n
        return n

    def close(self) -> None:
        self._close_fds()
        super().close()

    def _close_fds(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
