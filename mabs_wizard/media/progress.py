"""Turning a byte counter into Progress events: rate, ETA, at most ~10 events a second."""

from __future__ import annotations

import time
from collections.abc import Callable

from mabs_wizard.events import Emit, Progress

MIN_INTERVAL = 0.1


class ProgressMeter:
    def __init__(self, emit: Emit, step: str, total: int, files_total: int,
                 clock: Callable[[], float] = time.monotonic, interval: float = MIN_INTERVAL) -> None:
        self._emit = emit
        self._step = step
        self._clock = clock
        self._interval = interval
        self.total = total
        self.files_total = files_total
        self.done = 0
        self.files_done = 0
        self.current = ""
        self._started = clock()
        self._last_emit = float("-inf")

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def restart(self, total: int, files_total: int) -> None:
        """A new pass (e.g. verify, then extract) with its own totals and clock."""
        self.total, self.files_total = total, files_total
        self.done = self.files_done = 0
        self.current = ""
        self._started = self._clock()
        self._last_emit = float("-inf")

    def already_done(self, nbytes: int, files: int) -> None:
        """Work a resumed run does not redo (files kept from the interrupted one); the next event says so."""
        self.done += nbytes
        self.files_done += files

    def not_done_after_all(self, nbytes: int, files: int) -> None:
        """Files counted as kept that failed their re-check: they are extracted after all."""
        self.done = max(0, self.done - nbytes)
        self.files_done = max(0, self.files_done - files)

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        self._maybe_emit()

    def set_done(self, done: int) -> None:
        self.done = max(self.done, min(done, self.total))
        self._maybe_emit()

    def file_started(self, name: str) -> None:
        self.current = name
        self._maybe_emit()

    def file_finished(self) -> None:
        self.files_done += 1
        self._maybe_emit()

    def finish(self) -> None:
        self._send(self._clock())

    def _maybe_emit(self) -> None:
        now = self._clock()
        if now - self._last_emit >= self._interval:
            self._send(now)

    def _send(self, now: float) -> None:
        self._last_emit = now
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 and self.done else None
        eta = (self.total - self.done) / rate if rate else None
        self._emit(Progress(
            step=self._step, done=self.done, total=self.total, unit="bytes",
            files_done=self.files_done, files_total=self.files_total,
            rate=rate, eta=eta, current=self.current,
        ))
