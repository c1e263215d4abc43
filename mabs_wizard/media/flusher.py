"""Making the extracted files durable without serialising the disk behind the CPU.

Each finished file's descriptor goes to a worker thread that fsyncs and closes it, so the disk
flushes one file while the next is being read, checked and written. The staging folder is renamed
into place only after every flush succeeded: after a crash the destination holds complete files or
does not exist, never zero-filled ones.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path


class Flusher:
    def __init__(self, durable: bool = True) -> None:
        self.durable = durable
        self._error: OSError | None = None
        self._queue: queue.Queue[int | None] = queue.Queue(maxsize=64)  # bounds the open descriptors
        self._thread: threading.Thread | None = None
        if durable:
            self._thread = threading.Thread(target=self._run, name="fsync", daemon=True)
            self._thread.start()

    def hand_over(self, fd: int) -> None:
        """Take ownership of ``fd``: it will be fsynced (when durable) and closed."""
        if self._thread is None:
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
        """Abandon: close whatever is pending (after a failure or cancel)."""
        self._stop()

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            fd = self._queue.get()
            if fd is None:
                return
            try:
                if self._error is None:
                    os.fsync(fd)
            except OSError as exc:
                self._error = exc
            finally:
                os.close(fd)
