"""Extraction wizard, page 3: verify the extraction location, then Extract."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.answers.models import ExtractionAnswers
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.whole_text import WholeText


class ExtractReady(WizardPage):
    KEY = "extract_ready"
    NEXT_LABEL = "Extract"
    HELP = """
Check the folders, then press **Extract** (or Enter). Extraction verifies every part as it reads it
and can be cancelled at any time; a cancelled run removes what it wrote.
"""

    def compose_body(self) -> ComposeResult:
        yield Static("The wizard is ready to extract the installer files.", classes="intro", markup=False)
        yield WholeText(id="ready-details-box", text_id="ready-details")  # the folders whole, never broken

    def refresh_view(self) -> None:
        ext = self.state.model("extraction")
        box = self.query_one("#ready-details-box", WholeText)
        if not isinstance(ext, ExtractionAnswers):
            box.update("No extraction settings yet: go Back and choose the folders.")
        else:
            done = self.state.outcomes.get("extraction")
            box.update(["From: ", str(ext.source)], ["To:   ", str(ext.destination)], "",
                       f"Already extracted: {done.result.get('file_count', '?')} files. Next goes on without extracting again."
                       if done is not None else "Verify the extraction location, and select Extract.")
        self.set_next("Next >" if "extraction" in self.state.outcomes else "Extract")


Page = ExtractReady
