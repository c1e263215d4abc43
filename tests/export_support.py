"""The manifest the export tests render from: written by the product (a replay of the demo kit), not
kept by hand, so an export is never tested on a manifest shape the wizard does not write.

Replayed once per test process at a fixed moment; only the run's own start and end times are then
fixed too (they are named in the exports' headers), as "times aside" everywhere else.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXED_NOW = datetime(2025, 11, 26, 9, 50, 30, tzinfo=UTC)


@functools.cache
def _replayed_text() -> str:
    from mabs_wizard.replay import replay_file
    from mabs_wizard.secret_store import open_store
    from tests.kits import offline_demo_kit

    folder = Path(tempfile.mkdtemp(prefix="mw-export-"))
    try:
        answers = offline_demo_kit(folder / "kit", media_bytes=2**20, now=FIXED_NOW)
        store = open_store("file", file_path=folder / "secrets.enc", password="export-tests-store-password")
        path = replay_file(answers, folder / "out", out=io.StringIO(), store=store, now=FIXED_NOW)
        data = json.loads(path.read_text())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    data["started_at"] = data["finished_at"] = FIXED_NOW.isoformat()
    return json.dumps(data)


def replayed_demo_manifest() -> dict[str, Any]:
    """A fresh copy of the replayed demo kit's manifest (callers may change it)."""
    return json.loads(_replayed_text())
