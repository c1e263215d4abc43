"""Per-part SHA-256: computed for the manifest on every run, checked against ``SHA256SUMS`` when present.

The extraction already reads every byte of every part once, in order; the digests ride along on a
second thread (hashlib releases the GIL on big buffers) so they cost no extra pass over the media.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken
from mabs_wizard.media.models import MediaSet
from mabs_wizard.media.problems import refuse

SHA256SUMS = "SHA256SUMS"
MAX_SUMS_FILE = 1 * 2**20
CHUNK = 4 * 2**20

_GNU_LINE = re.compile(r"^\\?([0-9a-fA-F]{64}) [ *](.+)$")
_BSD_LINE = re.compile(r"^SHA256 ?\((.+)\) ?= ?([0-9a-fA-F]{64})$")


def parse_sha256sums(path: Path) -> dict[str, tuple[str, int]]:
    """``{file name: (hex digest, line number)}`` from coreutils (or BSD-tag) format."""
    try:
        if path.stat().st_size > MAX_SUMS_FILE:
            raise InputError(f"{path}: too large for a checksum list ({path.stat().st_size} bytes)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (expected 'sha256sum' output)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from None
    sums: dict[str, tuple[str, int]] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        gnu, bsd = _GNU_LINE.match(line), _BSD_LINE.match(line)
        if gnu:
            digest, name = gnu.group(1), gnu.group(2)
        elif bsd:
            name, digest = bsd.group(1), bsd.group(2)
        else:
            problems.append(f"{path}:{number}: not a SHA-256 checksum line (expected '<64 hex digits>  <file name>')")
            continue
        name = name[2:] if name.startswith("./") else name
        if name in sums:
            problems.append(f"{path}:{number}: {name} is listed twice (first on line {sums[name][1]})")
            continue
        sums[name] = (digest.lower(), number)
    if problems:
        raise refuse(problems)
    return sums


def expected_digests(media: MediaSet) -> tuple[dict[str, str] | None, list[str]]:
    """Digests to check each part against (None without SHA256SUMS) and warnings for unlisted parts."""
    if media.checksums_file is None:
        return None, []
    path = Path(media.folder) / media.checksums_file
    sums = parse_sha256sums(path)
    names = {p.name for p in media.parts}
    stem = media.installer[:-4].casefold()
    problems = [
        f"{path}:{line}: lists {name}, which is not in the folder (a part is missing)"
        for name, (_digest, line) in sums.items()
        if name not in names and name.casefold().startswith(stem) and not (Path(media.folder) / name).exists()
    ]
    if problems:
        raise refuse(problems)
    warnings = [f"{p.name} is not listed in {media.checksums_file}; its checksum cannot be verified" for p in media.parts if p.name not in sums]
    return {name: digest for name, (digest, _line) in sums.items() if name in names}, warnings


class BufferPool:
    """A few large reusable buffers: the extraction's whole working memory, flat for any media size."""

    def __init__(self, count: int, size: int) -> None:
        self.size = size
        self._free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(count):
            self._free.put(bytearray(size))

    def acquire(self) -> bytearray:
        return self._free.get()

    def release(self, buffer: bytearray) -> None:
        self._free.put(buffer)


class PartHasher:
    """SHA-256 of each part, fed the combined stream strictly in order, hashed on a worker thread.

    ``known`` are the digests of the first parts when a resumed run already has them (the journal's,
    for parts unchanged since): feeding then starts at the end of those parts (``start``).
    ``on_part(index, digest)`` runs on the worker as each part is hashed and checked.
    """

    def __init__(self, names: Sequence[str], sizes: Sequence[int], expected: dict[str, str] | None,
                 known: Sequence[str] = (), on_part: Callable[[int, str], None] | None = None) -> None:
        self._names = list(names)
        self._ends: list[int] = []
        total = 0
        for size in sizes:
            total += size
            self._ends.append(total)
        self._expected = expected or {}
        self._digests: list[str] = list(known)
        self._on_part = on_part
        self._current = hashlib.sha256()
        self.start = self._ends[len(known) - 1] if known else 0
        self._position = self.start
        self._failure: InputError | None = None
        self._queue: queue.Queue[tuple[int, memoryview, Callable[[], None] | None] | None] = queue.Queue(maxsize=16)
        self._thread = threading.Thread(target=self._run, name="part-hasher", daemon=True)
        self._thread.start()

    def submit(self, offset: int, data: bytes | memoryview, release: Callable[[], None] | None = None) -> None:
        """Queue ``data`` (which starts at ``offset`` of the stream); ``release`` runs once it is hashed."""
        self._queue.put((offset, memoryview(data), release))

    def check(self) -> None:
        if self._failure is not None:
            raise self._failure

    @property
    def verifying(self) -> bool:
        return bool(self._expected)

    def drain(self) -> None:
        """Wait until everything submitted so far is hashed (and checked)."""
        self._queue.join()

    def finish(self) -> list[str]:
        self._queue.put(None)
        self._thread.join()
        self.check()
        if len(self._digests) != len(self._names):
            raise AssertionError(f"hashed {self._position} bytes, the set has {self._ends[-1]}")
        return list(self._digests)

    def close(self) -> None:
        """Stop the worker after a failure elsewhere; digests are discarded."""
        if self._thread.is_alive():
            self._failure = self._failure or InputError("hashing stopped")
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            offset, view, release = item
            try:
                if self._failure is None:
                    self._consume(offset, view)
            except Exception as exc:  # noqa: BLE001 - surfaced to the producer through check()
                self._failure = exc if isinstance(exc, InputError) else InputError(f"hashing failed: {exc}")
            finally:
                if release is not None:
                    release()
                self._queue.task_done()

    def _consume(self, offset: int, view: memoryview) -> None:
        if offset != self._position:
            raise AssertionError(f"hasher fed out of order: at {self._position}, got {offset}")
        while view:
            index = len(self._digests)
            room = self._ends[index] - self._position
            piece = view[:room]
            self._current.update(piece)
            self._position += len(piece)
            view = view[len(piece) :]
            if self._position == self._ends[index]:
                self._close_part(index)

    def _close_part(self, index: int) -> None:
        digest = self._current.hexdigest()
        self._digests.append(digest)
        self._current = hashlib.sha256()
        name = self._names[index]
        want = self._expected.get(name)
        if want is not None and want != digest:
            raise InputError(
                f"{name}: SHA-256 does not match SHA256SUMS (expected {want[:12]}…, got {digest[:12]}…): "
                f"the part is corrupt or from another download; download it again"
            )
        if self._on_part is not None:
            self._on_part(index, digest)


def hash_parts(paths: Sequence[Path], expected: dict[str, str] | None, cancel: CancelToken | None = None,
               on_bytes: Callable[[int], None] | None = None, known: Sequence[str] = (),
               on_part: Callable[[int, str], None] | None = None) -> list[str]:
    """Hash the parts by reading them (for backends that do not stream the bytes through us); the
    first ``len(known)`` parts are not read again (see PartHasher)."""
    hasher = PartHasher([p.name for p in paths], [p.stat().st_size for p in paths], expected, known, on_part)
    pool = BufferPool(3, CHUNK)
    offset = hasher.start
    try:
        for path in paths[len(known):]:
            with open(path, "rb", buffering=0) as fh:
                while True:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    hasher.check()
                    buffer = pool.acquire()
                    n = fh.readinto(buffer)  # type: ignore[attr-defined]
                    if not n:
                        pool.release(buffer)
                        break
                    hasher.submit(offset, memoryview(buffer)[:n], lambda b=buffer: pool.release(b))
                    offset += n
                    if on_bytes is not None:
                        on_bytes(n)
        return hasher.finish()
    finally:
        hasher.close()
