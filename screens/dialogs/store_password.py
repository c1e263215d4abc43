"""The encrypted secret store's password, asked in the UI (masked) when no OS keyring is usable.

The engine never prompts on the terminal under the TUI: the wizard asks here and passes the
password to `open_store(password=...)`. Returns the password, or None if the operator cancels.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class StorePassword(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, path: Path, *, new: bool, reason: str = "", error: str = "", blink: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self._path = path
        self._new = new
        self._reason = reason
        self._error = error
        self._blink = blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="store-password"):
            yield Static("Secret store password", classes="dialog-title")
            what = "Choose a password for the new" if self._new else "Password of the"
            yield Static(f"No OS keyring is usable here, so secrets go to an encrypted file. {what} "
                         f"encrypted store {self._path}:", classes="dialog-text", markup=False)
            yield Input(id="store-pw", password=True, compact=True, placeholder="store password")
            if self._new:
                yield Input(id="store-pw2", password=True, compact=True, placeholder="type it again")
            yield Static(self._error and f"✗ {self._error}", id="store-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", compact=True, variant="primary")
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = self._blink
        self.query_one("#store-pw", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "store-pw" and self._new:
            self.query_one("#store-pw2", Input).focus()
        else:
            self._ok()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._ok()
        else:
            self.dismiss(None)

    def _ok(self) -> None:
        first = self.query_one("#store-pw", Input).value
        error = self.query_one("#store-error", Static)
        if not first:
            error.update("✗ type a password")
            return
        if self._new and self.query_one("#store-pw2", Input).value != first:
            error.update("✗ the two passwords differ")
            return
        self.dismiss(first)

    def action_cancel(self) -> None:
        self.dismiss(None)
