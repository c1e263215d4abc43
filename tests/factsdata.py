"""Target facts for tests: the demo kit's compliant Azure Stack A2 VM, and variations of it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mabs_wizard.demo import demo_facts
from mabs_wizard.facts import TargetFacts

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def facts(**changes: Any) -> TargetFacts:
    data = demo_facts(NOW)
    for key, value in changes.items():
        if key == "roles":
            data["roles"] = {**data["roles"], **value}
        else:
            data[key] = value
    return TargetFacts.model_validate(data)
