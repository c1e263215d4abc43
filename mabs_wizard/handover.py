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
    # The unattended install (MicrosoftDocs/azure-docs backup-mabs-unattended-install.md): the ini, then
    # Setup.exe /i /f /l; the ps1 does that and what comes after it (backup-dpm-automation.md), reading
    # each secret from a parameter, an environment variable or a DPAPI file, or asking when run by hand.
    steps = [
        f"Copy the extracted folder {dest} and the vault credentials file to {ctx.facts.computer_name}",
        "mabs-wizard export install-manifest.json --format ps1 --output Install-MABS.ps1",
        "Put Install-MABS.ps1 in the extracted folder on the target and run it in an elevated Windows PowerShell 5.1: "
        ".\\Install-MABS.ps1 (it writes the ini just before setup and deletes it after; Get-Help .\\Install-MABS.ps1 -Full "
        "lists the parameters and environment variables for an unattended run)",
        "Or by hand: mabs-wizard export install-manifest.json --format mabs-ini --output MABSSetup.ini --with-secrets "
        "(on a trusted machine; delete after use), then start /wait <extracted folder>\\Setup.exe /i /f <folder>\\MABSSetup.ini "
        "/l <folder>\\setup.log",
    ]
    return {"status": "handed-over", "reason": reason, "target": ctx.facts.computer_name, "steps": steps, "exports": ["mabs-ini", "mars-cmd", "ps1"]}
