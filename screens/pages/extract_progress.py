"""Extraction wizard, page 4: the real extraction in a worker, with a progress bar, rate and ETA."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, Static

from mabs_wizard.events import Event, Message, Progress, StepDone
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.event_log import MARK


def _fmt(n: float) -> str:
    from mabs_wizard.media.models import format_bytes

    return format_bytes(n)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def progress_line(event: Progress) -> str:
    """`12.0 MiB of 30.0 MiB · 3/7 files · 85.2 MiB/s · ETA 2s` (rate and ETA from the engine)."""
    parts = [f"{_fmt(event.done)} of {_fmt(event.total)}"]
    if event.files_total:
        parts.append(f"{event.files_done}/{event.files_total} files")
    parts.append(f"{_fmt(event.rate)}/s" if event.rate else "rate: measuring")
    if event.eta is not None and event.done < event.total:
        parts.append(f"ETA {_duration(event.eta)}")
    return " · ".join(parts)


class ExtractProgress(WizardPage):
    KEY = "extract_progress"
    BACK = False
    HELP = """
The files are being extracted. The bar, rate and time left come from the extraction itself.
**Stop** (or Cancel) stops it at the next chunk and removes the staging folder; nothing is left
half-written in the destination. After a stop or a failure, Back returns to the folders.
"""

    def __init__(self) -> None:
        super().__init__()
        self.state_text = "idle"  # idle | running | done | cancelled | failed

    def compose_body(self) -> ComposeResult:
        yield Static("Extracting the installer files…", id="progress-title", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="bar")
        yield Static("", id="progress-stats", markup=False)
        yield Static("", id="progress-current", markup=False)
        yield Static("", id="progress-messages", classes="status-line", markup=False)
        with Horizontal(classes="button-row"):
            yield Button("Stop", id="stop", compact=True, variant="warning")
            yield Button("Retry", id="retry", compact=True, disabled=True)

    def refresh_view(self) -> None:
        if "extraction" in self.state.outcomes:
            self._show_done()
        elif self.state_text not in ("running",):
            self.start()

    def start(self) -> None:
        self.state_text = "running"
        self.set_next(enabled=False)
        self.set_back(False)
        self.query_one("#stop", Button).disabled = False
        self.query_one("#retry", Button).disabled = True
        self.query_one("#stop", Button).display = True
        self.query_one("#retry", Button).display = True
        self.query_one("#progress-messages", Static).update("")
        self.query_one("#progress-title", Static).update("Extracting the installer files…")
        self.query_one("#bar", ProgressBar).update(total=None, progress=0)
        self.run_work(self._extract, done=self._finished, failed=self._ended, group="extraction")

    def _extract(self, token: Any) -> Any:
        from mabs_wizard import flow

        ctx = self.state.run_context(self.events_to(self.on_engine_event), token)
        return flow.run_step("extraction", self.state.answers_so_far(), ctx)

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, Progress):
            bar = self.query_one("#bar", ProgressBar)
            bar.update(total=max(event.total, 1), progress=event.done)
            self.query_one("#progress-stats", Static).update(progress_line(event))
            if event.current:
                self.query_one("#progress-current", Static).update(f"File: {event.current}")
        elif isinstance(event, Message):
            box = self.query_one("#progress-messages", Static)
            mark = MARK.get(event.level, "·")
            old = str(box.render())
            box.update((old + "\n" if old else "") + f"{mark} {event.text}")
        elif isinstance(event, StepDone) and event.summary:
            self.query_one("#progress-current", Static).update(event.summary)

    def _finished(self, outcome: object) -> None:
        self.state.outcomes["extraction"] = outcome  # type: ignore[assignment]
        self._show_done()

    def _show_done(self) -> None:
        self.state_text = "done"
        done = self.state.outcomes["extraction"]
        result = done.result
        bar = self.query_one("#bar", ProgressBar)
        bar.update(total=max(result.get("bytes_extracted", 1), 1), progress=max(result.get("bytes_extracted", 1), 1))
        reused = bool(result.get("reused"))
        self.query_one("#progress-title", Static).update(
            "Already extracted, verified: nothing was extracted again." if reused else "Extraction complete.")
        resumed = result.get("files_resumed") or 0
        self.query_one("#progress-stats", Static).update(
            f"{result.get('file_count', 0)} files, {_fmt(result.get('bytes_extracted', 0))} in {result.get('destination', '')}"
            + (f" ({resumed} kept from an interrupted run)" if resumed else ""))
        self.query_one("#progress-current", Static).update("")
        self.query_one("#stop", Button).display = False
        self.query_one("#retry", Button).display = False
        self.set_next(enabled=True)
        self.set_back(False)
        self.focus_next_button()

    def _ended(self, how: str, lines: list[str]) -> None:
        self.state_text = how
        if how == "cancelled":
            lines = ["Extraction stopped; the staging folder was removed."]
        title = "Extraction stopped." if how == "cancelled" else "Extraction failed."
        self.query_one("#progress-title", Static).update(title)
        self.query_one("#progress-messages", Static).update("\n".join(f"✗ {line}" for line in lines if line))
        self.query_one("#stop", Button).disabled = True
        self.query_one("#retry", Button).disabled = False
        self.set_next(enabled=False)
        self.set_back(True)
        self.query_one("#retry", Button).focus()

    def action_back(self) -> None:
        # After a stop or failure, Back returns to the folders (the ready page is in between).
        if self.busy:
            return
        self.wizard.show("extract_destination")

    def action_cancel(self) -> None:
        if self.stop_work():
            self.query_one("#progress-title", Static).update("Stopping…")
            return
        super().action_cancel()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "stop":
            event.stop()
            if self.stop_work():
                self.query_one("#progress-title", Static).update("Stopping…")
            return
        if event.button.id == "retry":
            event.stop()
            self.start()
            return


Page = ExtractProgress
