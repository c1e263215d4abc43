"""MABS setup, page 1: welcome (the seed: "On the Welcome screen, click Next")."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.screens.page import WizardPage

INTRO = (
    "Microsoft Azure Backup Server setup.\n\n"
    "Azure Backup Server shares code with Data Protection Manager (DPM); you will see references to "
    "DPM in its files and logs.\n\n"
    "Next: check that the server meets the hardware and software prerequisites, then choose the SQL "
    "Server instance, the installation folders, the password of the restricted accounts and whether "
    "to use Microsoft Update. A summary is shown before anything is applied."
)


class SetupWelcome(WizardPage):
    KEY = "setup_welcome"
    HELP = """
MABS setup is the second phase. The prerequisite check judges facts about the Windows server MABS
goes on: collected there with the collector `mabs-wizard facts script` writes (a facts file), or probed from this
machine when it is that server.
"""

    def compose_body(self) -> ComposeResult:
        yield Static(INTRO, classes="intro", markup=False)


Page = SetupWelcome
