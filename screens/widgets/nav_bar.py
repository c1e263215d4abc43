"""Back / Next / Cancel on every screen, plus Help: the mouse path to what the keys do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import Button, Static


class NavBar(Horizontal):
    DEFAULT_CSS = """
    NavBar { height: 1; }
    NavBar > .nav-spacer { width: 1fr; }
    NavBar > Button { margin: 0 0 0 1; min-width: 10; }
    """

    def __init__(self, *, next_label: str = "Next >", back: bool = True) -> None:
        super().__init__(id="nav")
        # The wanted state is kept here too: a screen may set it before the buttons are mounted.
        self._next_label = next_label
        self._next_enabled = True
        self._back_enabled = back

    def compose(self) -> ComposeResult:
        yield Button("Help", id="nav-help", compact=True)
        yield Static("", classes="nav-spacer")
        yield Button("< Back", id="nav-back", compact=True, disabled=not self._back_enabled)
        yield Button(self._next_label, id="nav-next", compact=True, variant="primary", disabled=not self._next_enabled)
        yield Button("Cancel", id="nav-cancel", compact=True)

    def set_next(self, label: str | None = None, *, enabled: bool | None = None) -> None:
        if label is not None:
            self._next_label = label
        if enabled is not None:
            self._next_enabled = enabled
        try:
            button = self.query_one("#nav-next", Button)
        except NoMatches:
            return
        button.label = self._next_label
        button.disabled = not self._next_enabled

    def set_back(self, enabled: bool) -> None:
        self._back_enabled = enabled
        try:
            self.query_one("#nav-back", Button).disabled = not enabled
        except NoMatches:
            return
