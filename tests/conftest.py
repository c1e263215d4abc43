"""Test-wide set-up. The real Secret Service fixture lives in tests/fixtures_secrets.py."""

from __future__ import annotations

import os

import tests.fuzzing  # noqa: F401 - registers and loads the Hypothesis profile

pytest_plugins = ["tests.fixtures_secrets", "tests.wheel_support"]

# Deterministic UI and no stray colour codes in captured CLI output.
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.pop("MABS_WIZARD_DEBUG", None)
