"""Register Server: completion. Runs what is left (`flow.run` with the work already done), writes
the manifest and a replayable answers file, then shows the status of every part, where things are,
and export buttons for the files the target needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, RichLog, Static

from mabs_wizard.errors import WizardError
from mabs_wizard.events import Event, Progress
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.event_log import STATUS_MARK, event_line
from mabs_wizard.screens.widgets.whole_text import Line, WholeText

EXPORTS = {"export-mabs-ini": "mabs-ini", "export-mars-cmd": "mars-cmd", "export-ps1": "ps1"}  # button -> format
PART_NAMES = {"extraction": "Extract installer", "proxy": "Connectivity and proxy"}


class Completion(WizardPage):
    KEY = "completion"
    NEXT_LABEL = "Finish"
    BACK = False
    HELP = """
The last steps run here (whatever was not applied yet: vault check, the passphrase file and the
secret store, and extraction or the connectivity check if they were skipped), then the wizard
writes **install-manifest.json** (what was decided, checked and done; secrets only as references)
and a replayable **answers.yaml** next to it (mode 0600).

The table shows the status of every part. **Export** writes the files the Windows target needs
next to the manifest: the MABS unattended-setup ini, the MARS agent command line, and a PowerShell
script. They contain placeholders for secrets, never the secrets themselves. **Finish** closes
the wizard.
"""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def compose_body(self) -> ComposeResult:
        yield Static("Finishing…", id="completion-title", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="completion-bar")
        yield RichLog(id="completion-log", markup=False, wrap=True)
        with Horizontal(id="export-row"):  # the buttons go under the label on a narrow screen
            yield Static("Export for the target:", id="export-label", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("MABS ini", id="export-mabs-ini", compact=True, disabled=True)
                yield Button("MARS cmd", id="export-mars-cmd", compact=True, disabled=True)
                yield Button("PowerShell", id="export-ps1", compact=True, disabled=True)
        yield WholeText(id="export-status")
        yield Static("", id="completion-parts")
        yield WholeText(id="completion-where-box", text_id="completion-where")

    def refresh_view(self) -> None:
        if self.state.manifest is not None:
            self.show_done()
        elif not self.busy:
            self.start()

    def start(self) -> None:
        self.failed = False
        self.set_next(enabled=False)
        self.set_back(False)
        self.query_one("#completion-log", RichLog).clear()
        self.query_one("#completion-log", RichLog).display = True
        self.query_one("#completion-bar", ProgressBar).display = True
        self.run_work(self._finish_run, done=self._finished, failed=self._failed, group="completion")

    def _finish_run(self, token: Any) -> tuple[Any, Path, Path]:
        from mabs_wizard import flow
        from mabs_wizard.manifest import MANIFEST_NAME

        answers = self.state.answers()
        ctx = self.state.run_context(self.events_to(self.on_engine_event), token, ask=self.wizard.ask_store_password)
        try:
            manifest = flow.run(answers, ctx, done=dict(self.state.outcomes))
        finally:
            self.state.store = ctx.store
        saved = self.wizard.save_answers(self.wizard.default_answers_path(), answers_model=answers)
        return manifest, self.state.output_dir / MANIFEST_NAME, saved

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.query_one("#completion-bar", ProgressBar).update(total=max(event.total, 1), progress=event.done)
            return
        line = event_line(event)
        if line:
            self.query_one("#completion-log", RichLog).write(line)

    def _failed(self, how: str, lines: list[str]) -> None:
        self.failed = True
        log = self.query_one("#completion-log", RichLog)
        for line in lines:
            log.write(f"✗ {line}")
        self.query_one("#completion-title", Static).update(
            "Stopped: nothing more was applied." if how == "cancelled"
            else "✗ Not finished: go Back, fix what is reported, and come here again.")
        self.set_back(True)

    def _finished(self, result: tuple[Any, Path, Path]) -> None:
        manifest, path, saved = result
        self.state.manifest = manifest
        self.state.manifest_path = path
        self.state.saved_answers = saved
        self.wizard.save_session(finished=True)  # nothing left to resume
        self.show_done()
        self.sync_frame()  # every phase's work has run now: the rail ticks them

    def show_done(self) -> None:
        manifest: Any = self.state.manifest
        self.query_one("#completion-bar", ProgressBar).display = False
        self.query_one("#completion-log", RichLog).display = False
        ready = manifest.status == "ready-for-target"
        self.query_one("#completion-title", Static).update(
            "✓ All parts are ready for the target." if ready else "✗ Blocked: a part has errors (see the manifest).")
        self.query_one("#completion-parts", Static).update(parts_table(manifest))
        self.query_one("#completion-where-box", WholeText).update(*where_lines(self.state, manifest))
        for button in self.query("#export-row Button"):
            button.disabled = False
        self.set_next(enabled=True)
        self.set_back(False)
        self.focus_next_button()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in EXPORTS:
            event.stop()
            self.export(event.button.id)
            return

    def export(self, button_id: str) -> None:
        from mabs_wizard.export import DEFAULT_NAMES, render, write_export

        fmt = EXPORTS[button_id]
        manifest_path = self.state.manifest_path
        status = self.query_one("#export-status", WholeText)
        if manifest_path is None or self.state.manifest is None:
            return
        try:
            # No secrets are passed: the files carry placeholders (the ps1 asks at run time).
            target = write_export(manifest_path.parent / DEFAULT_NAMES[fmt], fmt, render(self.state.manifest, fmt))
        except (WizardError, OSError, ValueError) as exc:
            status.update(f"✗ {fmt}: {exc}")
            status.display = True
            return
        delivered = self.wizard.deliver(target)
        status.update([f"✓ {fmt} written to", str(target)] + (["and sent to the browser"] if delivered else []))
        status.display = True

    async def leave_forward(self) -> bool:
        return self.state.manifest is not None



def parts_table(manifest: Any) -> Table:
    """Status, then the part; under a part, its first problem in full (wrapped at spaces, not cut)."""
    from mabs_wizard.steps import STEPS

    table = Table(box=None, pad_edge=False, expand=True, show_edge=False)
    table.add_column("Status", no_wrap=True, width=13)
    table.add_column("Part", ratio=1)
    for key, step in STEPS.items():
        record = getattr(manifest, key)
        # The first thing to know about the part: its first error, else its first warning.
        first = next((f for f in record.findings if f.level == "error"), None) or next(
            (f for f in record.findings if f.level == "warning"), None)
        part = Text(PART_NAMES.get(key, step.title))
        if first:
            part.append("\n" + ("✗ " if first.level == "error" else "! ") + first.message, style="italic")
        table.add_row(Text(f"{STATUS_MARK.get(record.status, '·')} {record.status}"), part)
    handover = manifest.handover
    table.add_row(Text(f"{STATUS_MARK.get(handover.status, '→')} {handover.status}"),
                  Text(f"Windows setup on the target ({handover.target})"))
    return table


def where_lines(state: Any, manifest: Any) -> list[Line]:
    """Where each file is: a label, then the path whole (on a line of its own when it does not fit)."""
    lines: list[Line] = [["Manifest:", str(state.manifest_path)]]
    enc = manifest.encryption
    passphrase_file = enc.result.get("passphrase_file")
    record = enc.settings.passphrase
    if passphrase_file:
        lines.append(["Passphrase file:", str(passphrase_file)])
    if record is not None:
        # The backend description can carry why the OS keyring was not used: the first clause is the store.
        backend = record.backend.split(";")[0]
        lines.append(f"Passphrase stored in: {backend}, entry {record.service}/{record.username}")
    if state.saved_answers is not None:
        lines.append(["Answers saved:", str(state.saved_answers)])
    return lines


Page = Completion
