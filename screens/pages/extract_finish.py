"""Extraction wizard, page 5: done; the seed's "Execute setup.exe" checkbox (checked by default)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.answers.models import ExtractionAnswers
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.toggles import Check
from mabs_wizard.screens.widgets.whole_text import WholeText


class ExtractFinish(WizardPage):
    KEY = "extract_finish"
    NEXT_LABEL = "Finish"
    HELP = """
The files are extracted. **Execute setup.exe** (checked by default, as in the MABS wizard) continues
with MABS setup. On a machine that is not Windows, setup cannot run here: the wizard goes on
collecting the setup settings, and hands the exact `Setup.exe` command over to the target.
"""

    def compose_body(self) -> ComposeResult:
        yield WholeText(id="finish-details-box", text_id="finish-details")  # paths whole, never broken
        yield Check("Execute setup.exe", value=True, id="execute-setup", compact=True)
        yield Static("", id="finish-note", classes="field-note -shown", markup=False)

    def prefill(self) -> None:
        ext = self.state.model("extraction")
        if isinstance(ext, ExtractionAnswers):
            self.query_one("#execute-setup", Check).value = ext.execute_setup

    def refresh_view(self) -> None:
        done = self.state.outcomes.get("extraction")
        box = self.query_one("#finish-details-box", WholeText)
        if done is None:
            box.update("The files are not extracted yet.", "")
        else:
            r = done.result
            setup = r.get("setup_exe_path")
            box.update([f"Extracted {r.get('file_count', 0)} files to", str(r.get("destination", ""))],
                       ["Setup program:", str(setup)] if setup else "! No Setup.exe was found in the extracted files.", "")
        where = "this Windows machine" if self.state.host_is_windows else "this machine (not Windows)"
        self.query_one("#finish-note", Static).update(
            f"Setup is not run on {where}: Finish continues with the MABS setup settings, and the "
            "completion page lists the exact command to run on the target.")

    async def leave_forward(self) -> bool:
        ext = self.state.model("extraction")
        if isinstance(ext, ExtractionAnswers):
            chosen = self.query_one("#execute-setup", Check).value
            # The files are extracted either way: this choice changes the handover only.
            self.state.commit("extraction", ext.model_copy(update={"execute_setup": chosen}), redo=False)
        return True


Page = ExtractFinish
