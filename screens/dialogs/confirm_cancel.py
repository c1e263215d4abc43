"""Cancel asks first, and offers to save the answers so far (a replayable, partial answers file)."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

CancelChoice = Literal["save", "quit", "stay"]


class ConfirmCancel(ModalScreen[CancelChoice]):
    BINDINGS = [Binding("escape", "stay", "Stay"), Binding("s", "choose('save')", "Save and quit", show=False),
                Binding("q", "choose('quit')", "Quit", show=False)]

    def __init__(self, detail: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-cancel"):
            yield Static("Cancel the wizard?", classes="dialog-title")
            yield Static(
                "Nothing more will be applied. You can save the answers so far and resume later with "
                "mabs-wizard run --answers FILE." + (f"\n{self._detail}" if self._detail else ""),
                classes="dialog-text",
            )
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
