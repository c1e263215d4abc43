"""An unfinished session was found in the output folder: resume it, or start over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from mabs_wizard.screens.dialogs.base import Dialog

if TYPE_CHECKING:
    from mabs_wizard.session import Session


class ResumeSession(Dialog[bool]):
    BINDINGS = [Binding("escape", "start_over", "Start over"), Binding("r", "resume", "Resume", show=False)]

    def __init__(self, found: Session, page_title: str) -> None:
        super().__init__()
        self._found = found
        self._page_title = page_title

    def compose_dialog(self) -> ComposeResult:
        when = self._found.saved_at.strftime("%Y-%m-%d %H:%M")
        with Vertical(classes="dialog", id="resume-session"):
            yield Static("Resume the last session?", classes="dialog-title")
            yield Static(f"A session saved at {when} stopped on the page “{self._page_title}”. Resume takes up its "
                         "answers there (secrets you typed are asked again: they were never saved). Start over "
                         "begins afresh; the old session is replaced once you go on.",
                         classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resume", id="resume", compact=True, variant="primary")
                yield Button("Start over", id="start-over", compact=True)

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "resume")

    def action_resume(self) -> None:
        self.dismiss(True)

    def action_start_over(self) -> None:
        self.dismiss(False)
