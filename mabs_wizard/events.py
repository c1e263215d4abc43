"""Events that long work reports, and the cancel token it polls.

Engine code never prints: it calls ``emit(event)``. Replay turns events into plain lines, the TUI
into widgets. Events are small frozen dataclasses so they cross threads safely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from mabs_wizard.errors import Cancelled

Level = Literal["pass", "warning", "error", "info"]


@dataclass(frozen=True)
class StepStarted:
    step: str
    title: str


@dataclass(frozen=True)
class Progress:
    """Progress of long work. ``rate`` is units per second, ``eta`` seconds (None: unknown)."""

    step: str
    done: int
    total: int
    unit: str = "bytes"
    files_done: int = 0
    files_total: int = 0
    rate: float | None = None
    eta: float | None = None
    current: str = ""


@dataclass(frozen=True)
class Message:
    step: str
    level: Level
    text: str


@dataclass(frozen=True)
class StepDone:
    step: str
    status: Literal["done", "checked", "skipped", "failed", "handed-over"]
    summary: str = ""


Event = StepStarted | Progress | Message | StepDone
Emit = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """An event sink that drops everything (pure validation, tests)."""


@dataclass
class CancelToken:
    """Set from any thread (signal handler, UI button); polled by workers between chunks."""

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the operator")
