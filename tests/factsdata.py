"""Target facts for tests: the demo kit's compliant Azure Stack A2 VM and variations of it, and the
facts files in tests/fixtures/facts/ as Windows writes them (see the README there)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mabs_wizard.demo import demo_facts
from mabs_wizard.facts import TargetFacts

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures" / "facts"


def facts(**changes: Any) -> TargetFacts:
    data = demo_facts(NOW)
    for key, value in changes.items():
        if key == "roles":
            data["roles"] = {**data["roles"], **value}
        else:
            data[key] = value
    return TargetFacts.model_validate(data)


def fixture(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), f"missing fixture {path} (python {FIXTURES / 'make_fixtures.py'})"
    return path
