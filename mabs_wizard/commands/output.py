"""Printing a command's result to a reader that may stop reading (``mabs-wizard ... | head -1``).

Python ignores SIGPIPE, so a write to a pipe whose reader has gone raises BrokenPipeError, and the
interpreter's own flush of stdout at exit raises it again ("Exception ignored ... BrokenPipeError").
The Python documentation's answer (``signal`` module, "Note on SIGPIPE"): catch it, point stdout's
descriptor at /dev/null so nothing else is written, and exit with the code the command meant.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable


def print_lines(lines: Iterable[str]) -> bool:
    """Write ``lines`` to stdout; False (and stdout silenced) if the reader stopped reading."""
    try:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return False
    return True
