"""MABS setup: Installing (the setup phase's real work, step by step, in a worker).

The engine's runner (`flow.run_steps`) does the work, as replay does: the prerequisite check writes
the setup log, SQL and installation settings are checked once more, the restricted accounts'
password goes into the secret store. Setup.exe itself is a Windows program handed over to the
target (see the completion page).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import ProgressBar, RichLog

from mabs_wizard.events import Event
from mabs_wizard.findings import has_errors
from mabs_wizard.screens.navigation import SETUP_STEPS
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.event_log import event_line
from mabs_wizard.screens.widgets.whole_text import WholeText


class Apply(WizardPage):
    KEY = "apply"
    BACK = False
    HELP = """
The MABS setup settings are applied here, one step at a time: prerequisite check and setup log, SQL
and installation checks, the restricted accounts' password into the secret store, the update
choice. If a step fails, its messages are shown and Back returns to the settings.
"""

    def compose_body(self) -> ComposeResult:
        yield WholeText("Applying the MABS setup settings…", id="apply-title-box", text_id="apply-title")
        yield ProgressBar(total=len(SETUP_STEPS), show_eta=False, id="apply-bar")
        yield RichLog(id="apply-log", markup=False, wrap=True, auto_scroll=True)

    def refresh_view(self) -> None:
        if all(step in self.state.outcomes for step in SETUP_STEPS):
            self._all_done(None)
        elif not self.busy:
            self.start()

    def start(self) -> None:
        self.set_next(enabled=False)
        self.set_back(False)
        self.query_one("#apply-log", RichLog).clear()
        self.query_one("#apply-title-box", WholeText).update("Applying the MABS setup settings…")
        self.run_work(self._apply, done=self._all_done, failed=self._failed, group="apply")

    def _apply(self, token: Any) -> None:
        from mabs_wizard import flow

        ctx = self.state.run_context(self.events_to(self.on_engine_event), token, ask=self.wizard.ask_store_password)
        try:
            done = {key: self.state.outcomes[key] for key in SETUP_STEPS if key in self.state.outcomes}
            for index, (key, outcome) in enumerate(flow.run_steps(SETUP_STEPS, self.state.answers_so_far(), ctx, done=done), 1):
                if has_errors(outcome.findings):
                    from mabs_wizard.errors import InputError
                    from mabs_wizard.screens.words import finding_line

                    raise InputError(f"{key} failed", [finding_line(f) for f in outcome.findings if f.level == "error"])
                self.app.call_from_thread(self._record, key, outcome, index, key in done)
        finally:
            self.state.store = ctx.store

    def on_engine_event(self, event: Event) -> None:
        line = event_line(event)
        if line:
            self.query_one("#apply-log", RichLog).write(line)

    def _record(self, key: str, outcome: Any, done: int, before: bool) -> None:
        from mabs_wizard.steps import STEPS

        self.state.outcomes[key] = outcome
        self.query_one("#apply-bar", ProgressBar).update(progress=done)
        if before:
            self.query_one("#apply-log", RichLog).write(f"✓ {STEPS[key].title} (already applied)")

    def _failed(self, how: str, lines: list[str]) -> None:
        log = self.query_one("#apply-log", RichLog)
        for line in lines:
            log.write(f"✗ {line}")
        title = ("Stopped: nothing more was applied. Install applies the rest." if how == "cancelled"
                 else "✗ Not applied: go Back, fix the settings marked, and Install again.")
        self.query_one("#apply-title-box", WholeText).update(title)
        self.set_back(True)
        self.set_next(enabled=False)

    def _all_done(self, _result: Any) -> None:
        self.query_one("#apply-bar", ProgressBar).update(progress=len(SETUP_STEPS))
        log_path = self.state.outcomes["prerequisites"].result.get("setup_log") if "prerequisites" in self.state.outcomes else None
        # The setup log's path whole (copied from here), on a line of its own when long.
        self.query_one("#apply-title-box", WholeText).update(
            ["✓ MABS setup settings applied.", *(["Setup log:", str(log_path)] if log_path else [])])
        self.set_next(enabled=True)
        self.set_back(False)
        self.focus_next_button()

    def action_back(self) -> None:
        if self.busy:
            return
        self.wizard.show("summary")


Page = Apply
