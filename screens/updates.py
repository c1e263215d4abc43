"""MABS setup: Microsoft Update Opt-In."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.answers.models import Section
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.toggles import Choice, Radio


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
        with Choice(id="microsoft-update", compact=True):
            yield Radio("Use Microsoft Update when I check for updates (recommended)", id="mu-yes", value=True, compact=True)
            yield Radio("I don't want to use Microsoft Update", id="mu-no", compact=True)

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        chosen = getattr(value, "microsoft_update", None) if isinstance(value, Section) else value.get("microsoft_update")
        self.query_one("#mu-no" if chosen is False else "#mu-yes", Radio).value = True

    def read_form(self) -> dict[str, Any]:
        return {"microsoft_update": self.query_one("#mu-yes", Radio).value}
