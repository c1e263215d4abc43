"""Quitting with something to lose asks first: typed values not saved yet, or work running.

"Save and quit" journals the session (resume it with `mabs-wizard run`); "Quit" leaves without
saving what changed since the last save; work running is stopped and cleaned up either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from mabs_wizard.screens.dialogs.base import Dialog

CancelChoice = Literal["save", "quit", "stay"]


class ConfirmCancel(Dialog[CancelChoice]):
    BINDINGS = [Binding("escape", "stay", "Stay"), Binding("s", "choose('save')", "Save and quit", show=False),
                Binding("q", "choose('quit')", "Quit", show=False)]

    def __init__(self, *, running: bool = False, output_dir: Path | None = None) -> None:
        super().__init__()
        self._work_running = running
        self._output_dir = output_dir

    def compose_dialog(self) -> ComposeResult:
        where = f" (in {self._output_dir})" if self._output_dir else ""
        if self._work_running:
            text = ("Work is running: quitting stops it and removes what it left half-done. "
                    f"Save and quit keeps your answers{where}; mabs-wizard run resumes them.")
        else:
            text = ("What you typed on this page is not saved yet. Save and quit keeps it with your other "
                    f"answers{where}; mabs-wizard run resumes them. Quit leaves it out.")
        with Vertical(classes="dialog", id="confirm-cancel"):
            yield Static("Quit the wizard?", classes="dialog-title")
            yield Static(text, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save and quit", id="save", compact=True, variant="primary")
                yield Button("Quit", id="quit", compact=True, variant="error")
                yield Button("Stay", id="stay", compact=True)

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_stay(self) -> None:
        self.dismiss("stay")

    def action_choose(self, choice: CancelChoice) -> None:
        self.dismiss(choice)
