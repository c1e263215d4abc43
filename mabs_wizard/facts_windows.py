"""Facts of a Windows host: the same script operators run on a target, so there is one collector."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

from mabs_wizard.errors import WizardError



def probe_windows(now: datetime | None = None):  # type: ignore[no-untyped-def]
    from mabs_wizard.assets import path
    from mabs_wizard.facts import TargetFacts

    script = path("facts", "collect-facts.ps1")
    try:
        done = subprocess.run(
            ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", str(script)],
            capture_output=True, text=True, timeout=120, check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise WizardError(f"could not collect facts of this Windows host with {script.name}: {exc}") from None
    return TargetFacts.model_validate(json.loads(done.stdout))
