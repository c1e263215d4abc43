"""Extraction wizard, page 1: what the wizard will do (the seed: "click Next to continue")."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.whole_text import WholeText

INTRO = (
    "This wizard prepares a Microsoft Azure Backup Server (MABS) installation, in the order of the "
    "Azure Stack guide:\n\n"
    "  1. Extract installer: unpack the downloaded installer and its .bin parts.\n"
    "  2. MABS setup: prerequisites, SQL, installation, security and update settings.\n"
    "  3. MARS agent: Internet connectivity and proxy for the Recovery Services agent.\n"
    "  4. Register server: vault credentials and the backup encryption passphrase.\n\n"
    "At least 4 GB of free space is required to extract the setup files. "
    "Nothing is installed on this machine: the Windows steps are handed over to the target with "
    "the exact commands. Press Next to continue."
)


class ExtractWelcome(WizardPage):
    KEY = "extract_welcome"
    BACK = False
    HELP = """
The **Extract installer** phase unpacks the MABS download (`MicrosoftAzureBackupServerInstaller.exe`
plus its `-1.bin` … `-7.bin` parts, all in one folder) into a folder of your choice, verifying every
part as it goes.

Started with `--answers FILE`, every screen is prefilled from that file; with `--skip-answered` the
wizard goes straight to the first screen that still needs input.
"""

    def compose_body(self) -> ComposeResult:
        # A list item that wraps continues under its text, not at the margin.
        yield WholeText(*INTRO.split("\n"), hang=None, classes="intro")
        yield Static("", id="welcome-answers", markup=False)

    def refresh_view(self) -> None:
        state = self.state
        lines = []
        if state.answers_path is not None:
            lines.append(f"Answers file: {state.answers_path}")
            if state.prefill_problems:
                lines.append(f"! {len(state.prefill_problems)} problem(s) in it; the screens concerned show them.")
        lines.append(f"Output folder: {state.output_dir}")
        self.query_one("#welcome-answers", Static).update("\n".join(lines))


Page = ExtractWelcome
