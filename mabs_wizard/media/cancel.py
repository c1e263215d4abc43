"""Ctrl+C and SIGTERM as a cancel request: the work notices within a chunk and cleans up itself.

Raising KeyboardInterrupt at an arbitrary bytecode could skip the staging cleanup; setting the token
lets the extraction stop at its next checkpoint (well under a second) and remove what it wrote.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from mabs_wizard.events import CancelToken

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def cancel_on_signals(token: CancelToken) -> Iterator[CancelToken]:
    """Within the block, SIGINT and SIGTERM set ``token`` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield token
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        token.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield token
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
