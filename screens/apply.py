"""MABS setup: Installing (the setup phase's real work, step by step, in a worker).

Each step is `flow.run_step`: the prerequisite check writes the setup log, SQL and installation
settings are checked once more, the restricted accounts' password goes into the secret store.
Setup.exe itself is a Windows program handed over to the target (see the completion page).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import ProgressBar, RichLog, Static

from mabs_wizard.errors import Cancelled, WizardError
from mabs_wizard.events import CancelToken, Event, Message, StepDone, StepStarted
from mabs_wizard.findings import has_errors
from mabs_wizard.screens.base import WizardPage
from mabs_wizard.screens.navigation import SETUP_STEPS

MARK = {"done": "✓", "checked": "✓", "skipped": "·", "failed": "✗", "handed-over": "→"}


class Apply(WizardPage):
    KEY = "apply"
    BACK = False
    HELP = """
The MABS setup settings are applied here, one step at a time: prerequisite check and setup log, SQL
and installation checks, the restricted accounts' password into the secret store, the update
choice. If a step fails, its messages are shown and Back returns to the settings.
"""

    def __init__(self) -> None:
        super().__init__()
        self.token: CancelToken | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Applying the MABS setup settings…", id="apply-title", markup=False)
        yield ProgressBar(total=len(SETUP_STEPS), show_eta=False, id="apply-bar")
        yield RichLog(id="apply-log", markup=False, wrap=True, auto_scroll=True)

    def refresh_view(self) -> None:
        if all(step in self.state.outcomes for step in SETUP_STEPS):
            self._all_done()
        elif not self.busy:
            self.start()

    def start(self) -> None:
        self.busy = True
        self.set_next(enabled=False)
        self.set_back(False)
        self.query_one("#apply-log", RichLog).clear()
        self.query_one("#apply-title", Static).update("Applying the MABS setup settings…")
        self.token = CancelToken()
        self.wizard.cancel_token = self.token
        self.apply(self.token)

    @work(thread=True, exclusive=True, group="apply")
    def apply(self, token: CancelToken) -> None:
        from mabs_wizard import flow

        def emit(event: Event) -> None:
            self.app.call_from_thread(self.on_engine_event, event)

        try:
            self.wizard.ensure_store(token)
            ctx = self.state.run_context(emit, token)
            answers = self.state.answers_so_far()
            for index, key in enumerate(SETUP_STEPS):
                if key in self.state.outcomes:
                    self.app.call_from_thread(self._progress, index + 1, f"✓ {flow.STEPS[key].title} (already applied)")
                    continue
                outcome = flow.run_step(key, answers, ctx)
                self.state.store = ctx.store
                if has_errors(outcome.findings):
                    lines = [f.line() for f in outcome.findings if f.level == "error"]
                    self.app.call_from_thread(self._failed, key, lines)
                    return
                ctx.results[key] = outcome.result
                self.app.call_from_thread(self._record, key, outcome, index + 1)
        except Cancelled:
            self.app.call_from_thread(self._failed, "", ["stopped by the operator"])
            return
        except WizardError as exc:
            self.app.call_from_thread(self._failed, "", [str(exc), *getattr(exc, "problems", [])])
            return
        self.app.call_from_thread(self._all_done)

    def on_engine_event(self, event: Event) -> None:
        log = self.query_one("#apply-log", RichLog)
        if isinstance(event, StepStarted):
            log.write(f"▶ {event.title}")
        elif isinstance(event, Message):
            mark = {"error": "✗", "warning": "!", "pass": "✓"}.get(event.level, "·")
            log.write(f"│ {mark} {event.text}")
        elif isinstance(event, StepDone):
            log.write(f"└ {MARK.get(event.status, '·')} {event.status}" + (f" ({event.summary})" if event.summary else ""))

    def _record(self, key: str, outcome: object, done: int) -> None:
        self.state.outcomes[key] = outcome  # type: ignore[assignment]
        self._progress(done, None)

    def _progress(self, done: int, line: str | None) -> None:
        self.query_one("#apply-bar", ProgressBar).update(progress=done)
        if line:
            self.query_one("#apply-log", RichLog).write(line)

    def _failed(self, key: str, lines: list[str]) -> None:
        self.busy = False
        self.wizard.cancel_token = None
        log = self.query_one("#apply-log", RichLog)
        for line in lines:
            log.write(f"✗ {line}")
        self.query_one("#apply-title", Static).update(
            f"✗ {key or 'setup'} failed: go Back, fix the settings, and Install again.")
        self.set_back(True)
        self.set_next(enabled=False)

    def _all_done(self) -> None:
        self.busy = False
        self.wizard.cancel_token = None
        self.query_one("#apply-bar", ProgressBar).update(progress=len(SETUP_STEPS))
        log_path = self.state.outcomes["prerequisites"].result.get("setup_log") if "prerequisites" in self.state.outcomes else None
        self.query_one("#apply-title", Static).update(
            "✓ MABS setup settings applied." + (f" Setup log: {log_path}" if log_path else ""))
        self.set_next(enabled=True)
        self.set_back(False)
        self.focus_next_button()

    def action_back(self) -> None:
        if self.busy:
            return
        self.wizard.show("summary")

    def action_cancel(self) -> None:
        if self.busy and self.token is not None:
            self.token.cancel()
            return
        super().action_cancel()
