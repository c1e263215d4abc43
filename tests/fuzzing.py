"""Hypothesis profiles: deterministic in `make test` (CI), long and random in `make fuzz`.

`make test` runs the "ci" profile: derandomized (the same examples every run, so a red CI is never a
coin toss) and no example database (nothing written into the repository, no earlier failure
replayed into a later outcome). `make fuzz` runs "fuzz": random, 20 times the examples, its
database under ~/.cache. A failure fuzzing finds becomes a regular test with that input.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FACTOR = 20 if PROFILE == "fuzz" else 1

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True,
                          database=DirectoryBasedExampleDatabase(str(Path.home() / ".cache" / "mabs-wizard-hypothesis")),
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` examples under `make test`, ``20 * n`` under `make fuzz`."""
    return n * FACTOR
