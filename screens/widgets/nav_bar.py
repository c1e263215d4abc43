"""Back / Next / Cancel on every screen, plus Help: the mouse path to what the keys do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static


class NavBar(Horizontal):
    DEFAULT_CSS = """
    NavBar { height: 1; }
    NavBar > .nav-spacer { width: 1fr; }
    NavBar > Button { margin: 0 0 0 1; min-width: 10; }
    """

    def __init__(self, *, next_label: str = "Next >", back: bool = True) -> None:
        super().__init__(id="nav")
        self._next_label = next_label
        self._back = back

    def compose(self) -> ComposeResult:
        yield Button("Help", id="nav-help", compact=True)
        yield Static("", classes="nav-spacer")
        yield Button("< Back", id="nav-back", compact=True, disabled=not self._back)
        yield Button(self._next_label, id="nav-next", compact=True, variant="primary")
        yield Button("Cancel", id="nav-cancel", compact=True)

    def set_next(self, label: str | None = None, *, enabled: bool | None = None) -> None:
        button = self.query_one("#nav-next", Button)
        if label is not None:
            button.label = label
        if enabled is not None:
            button.disabled = not enabled

    def set_back(self, enabled: bool) -> None:
        self.query_one("#nav-back", Button).disabled = not enabled
