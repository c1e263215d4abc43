"""Making the extracted files durable without serialising the disk behind the CPU.

Each finished file's descriptor goes to a few worker threads that fsync and close it, so the disk
flushes while the next files are read, checked and written; several fsyncs in flight let the
filesystem batch them into one journal commit (thousands of small files would otherwise wait on one
commit each). The staging folder is renamed
into place only after every flush succeeded: after a crash the destination holds complete files or
does not exist, never zero-filled ones.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path


WORKERS = 4


class Flusher:
    def __init__(self, durable: bool = True, workers: int = WORKERS) -> None:
        self.durable = durable
        self._error: OSError | None = None
        self._abandoned = False
        self._queue: queue.Queue[int | None] = queue.Queue(maxsize=64)  # bounds the open descriptors
        self._threads: list[threading.Thread] = []
        if durable:
            self._threads = [threading.Thread(target=self._run, name=f"fsync-{i}", daemon=True) for i in range(workers)]
            for thread in self._threads:
                thread.start()

    def hand_over(self, fd: int) -> None:
        """Take ownership of ``fd``: it will be fsynced (when durable) and closed."""
        if not self._threads:
            os.close(fd)
            return
        self._queue.put(fd)

    def finish(self, folders: list[Path] | None = None) -> None:
        """Wait for every pending flush, then flush the folders' entries; raise the first error."""
        self._stop()
        if self._error is not None:
            raise self._error
        if self.durable:
            for folder in folders or []:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def close(self) -> None:
        """Abandon: close whatever is pending without flushing it (after a failure or cancel)."""
        self._abandoned = True
        self._stop()

    def _stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _run(self) -> None:
        while True:
            fd = self._queue.get()
            if fd is None:
                return
            try:
                if self._error is None and not self._abandoned:
                    os.fsync(fd)
            except OSError as exc:
                self._error = exc
            finally:
                os.close(fd)
