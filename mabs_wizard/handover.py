"""What must run on the Windows target: the wizard never runs Windows setup programs itself."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mabs_wizard.answers.models import Answers
    from mabs_wizard.context import CheckContext


def handover(answers: Answers, ctx: CheckContext) -> dict[str, Any]:
    """The handover record of the manifest: why, to which computer, the commands in order, the exports."""
    reason = (
        "MABS setup, the MARS agent installer and registration are Windows programs; this host runs "
        f"{platform.system()}, so they are handed over to the target"
        if not ctx.host_is_windows
        else "running MABS setup from the wizard is not implemented; run these commands in an elevated prompt"
    )
    dest = str(answers.extraction.destination)
    steps = [
        f"Copy the extracted folder {dest} and the vault credentials file to {ctx.facts.computer_name}",
        "mabs-wizard export install-manifest.json --format mabs-ini --output MABSSetup.ini --with-secrets (on a trusted machine; delete after use)",
        "start /wait <extracted folder>\\Setup.exe /i /f <folder>\\MABSSetup.ini /l <folder>\\setup.log",
        "mabs-wizard export install-manifest.json --format ps1 --output Install-MABS.ps1  (MARS proxy and registration; asks for secrets at run time)",
    ]
    return {"status": "handed-over", "reason": reason, "target": ctx.facts.computer_name, "steps": steps, "exports": ["mabs-ini", "mars-cmd", "ps1"]}
