"""F1: help for the current screen (what it does, what each field means, the keys).

The text is Markdown; code spans (`Setup.exe`, `_`) are drawn bold in the text's own background, so a
one-character span such as `_` reads as itself rather than as a coloured box (see wizard.tcss).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Markdown, Static

from mabs_wizard.screens.dialogs.base import Dialog

KEYS = """
**Keys:** Tab / Shift+Tab move between fields · Enter or Ctrl+N: Next · Ctrl+B: Back ·
Esc: Cancel · Ctrl+S: save answers · F1: this help · Ctrl+Q: quit (asks first) ·
PgUp / PgDn: scroll a page longer than the screen

**Top line:** ✓ done · ▶ here · ○ answered, its work runs at Completion · · still to come
"""
# Served in a browser, which keeps Ctrl+N and Ctrl+Q for itself (see widgets/key_bar.py).
SERVED_KEYS = KEYS.replace("Enter or Ctrl+N: Next", "Enter or F2: Next").replace("Ctrl+Q: quit", "F10: quit")


class HelpDialog(Dialog[None]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("f1", "close", "Close", show=False)]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static(f"Help: {self._title}", classes="dialog-title")
            with VerticalScroll(id="help-scroll", classes="scroll-view"):
                yield Markdown(self._body.strip() + "\n\n" + (SERVED_KEYS if self.app.is_web else KEYS).strip())
            with Horizontal(classes="dialog-buttons"):  # where every dialog has its buttons
                yield Button("Close", id="close", compact=True, variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
