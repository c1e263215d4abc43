"""The encrypted secret store's password, asked in the UI (masked) when no OS keyring is usable.

The engine never prompts on the terminal under the TUI: the engine's store opener calls the app,
which asks here. Returns the password, or None if the operator cancels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from mabs_wizard.screens.dialogs.base import Dialog
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.whole_text import WholeText

if TYPE_CHECKING:
    from mabs_wizard.secret_store import PasswordRequest


class StorePassword(Dialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, request: PasswordRequest, *, blink: bool = True) -> None:
        super().__init__()
        self.request = request
        self._blink = blink

    def compose_dialog(self) -> ComposeResult:
        request = self.request
        with Vertical(classes="dialog", id="store-password"):
            yield Static("Secret store password", classes="dialog-title")
            # The store's path on a line of its own, never broken; the minimum length in plain sight.
            if request.new:
                yield WholeText("No OS keyring answers here, so the wizard keeps secrets in an encrypted file:",
                                [str(request.path)], f"Choose its password: at least {request.min_length} characters.",
                                hang=0, classes="dialog-text")
            else:
                yield WholeText("No OS keyring answers here. Type the password of the encrypted secret store:",
                                [str(request.path)], hang=0, classes="dialog-text")
            # Labelled fields, as on the pages: the focused one's label is marked.
            yield Field("store.password", "Password", Input(id="store-pw", password=True, compact=True,
                                                            placeholder=f"at least {request.min_length} characters" if request.new else ""))
            if request.new:
                yield Field("store.again", "Again", Input(id="store-pw2", password=True, compact=True,
                                                          placeholder="the same password again"))
            yield Static(request.error and f"✗ {request.error}", id="store-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", compact=True, variant="primary")
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = self._blink
        self.query_one("#store-pw", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "store-pw" and self.request.new:
            self.query_one("#store-pw2", Input).focus()
        else:
            self._ok()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._ok()
        else:
            self.dismiss(None)

    def _refuse(self, message: str) -> None:
        """Say what is wrong and start over: masked fields cannot be checked by eye, so both are emptied."""
        self.query_one("#store-error", Static).update(f"✗ {message}")
        for widget in self.query(Input):
            widget.value = ""
        self.query_one("#store-pw", Input).focus()

    def _ok(self) -> None:
        first = self.query_one("#store-pw", Input).value
        if not first:
            self._refuse("type a password")
            return
        if self.request.new:
            if len(first) < self.request.min_length:
                self._refuse(f"the password has {len(first)} characters; at least {self.request.min_length} are needed")
                return
            if self.query_one("#store-pw2", Input).value != first:
                self._refuse("the two passwords differ; type them again")
                return
        self.dismiss(first)

    def action_cancel(self) -> None:
        self.dismiss(None)
