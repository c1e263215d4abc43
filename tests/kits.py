"""The demo kit for tests: the product's own kit, with its connectivity check pointed at loopback ports
where nothing listens, so a test's outcome ("not connected", for reasons the test controls) never
depends on whether the machine running it can reach Microsoft's endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mabs_wizard.demo import make_demo_kit

CLOSED_ENDPOINTS = ("https://127.0.0.1:9", "https://127.0.0.1:7")  # nothing listens: connection refused


def offline_demo_kit(folder: Path, **kwargs: Any) -> Path:
    answers = make_demo_kit(folder, **kwargs)
    text = answers.read_text()
    assert "  check: true\n" in text  # the kit probes by default: point it at loopback
    answers.write_text(text.replace("  check: true\n", f"  check: true\n  endpoints: [{', '.join(CLOSED_ENDPOINTS)}]\n"))
    return answers
