"""Running collect-facts.ps1 on this Windows host: the same script operators run on a target.

Returns the bytes of the facts file the script wrote; ``mabs_wizard.facts`` reads them like any facts
file. This module imports nothing from ``mabs_wizard.facts``, so there is no import circle.

The command is the README's one command with `-NonInteractive` added (a probe must never wait for
input) and `-Path` pointing into a private temporary folder.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mabs_wizard.errors import WizardError

TIMEOUT_S = 180  # CIM, Get-WindowsFeature and Add-Type together take seconds; a hung WMI must not hang the wizard


def collector_argv(script: Path, output: Path, scratch_paths: Sequence[str] = (), powershell: str = "powershell.exe") -> list[str]:
    """Windows PowerShell 5.1 (every supported Windows Server has it), no profile, no prompts."""
    argv = [powershell, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", str(script), "-Path", str(output)]
    if scratch_paths:
        # -File passes each argument as one string: the script splits a ';'-separated list.
        argv += ["-ScratchPath", ";".join(scratch_paths)]
    return argv


def collect_windows_facts(scratch_paths: Sequence[str] = (), *, powershell: str = "powershell.exe",
                          timeout: float = TIMEOUT_S) -> bytes:
    """Run the collector into a temporary file and return that file's bytes (WizardError if it fails)."""
    from mabs_wizard.assets import path

    script = path("facts", "collect-facts.ps1")
    with tempfile.TemporaryDirectory(prefix="mabs-wizard-facts-") as tmp:
        output = Path(tmp) / "facts.json"
        try:
            done = subprocess.run(collector_argv(script, output, scratch_paths, powershell),
                                  capture_output=True, text=True, errors="replace", timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise WizardError(f"could not collect facts of this Windows host with {script.name}: {exc}") from None
        if done.returncode != 0 or not output.is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise WizardError(f"{script.name} failed on this host (exit code {done.returncode})"
                              + (": " + " ".join(detail) if detail else ""))
        return output.read_bytes()
