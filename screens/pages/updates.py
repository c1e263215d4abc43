"""MABS setup: Microsoft Update Opt-In."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.screens.page import FormPage


class UpdatesOptIn(FormPage):
    KEY = "updates"
    SECTION = "updates"
    HELP = """
Choose whether MABS uses **Microsoft Update** when checking for updates. The seed recommends having
Windows Update redirect to Microsoft Update, which offers security and important updates for Windows
and other products such as Azure Backup Server. In the MARS installer this is the `/m` switch.
"""

    def compose_form(self) -> ComposeResult:
        yield Static("Microsoft Update offers security and other important updates for Windows and "
                     "other Microsoft software, including Azure Backup Server.", classes="intro", markup=False)
        yield from super().compose_form()


Page = UpdatesOptIn
