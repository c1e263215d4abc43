"""Back / Next / Cancel on every page, plus Help: the mouse path to what the keys do.

Next is the default button (Enter): the only solid-blue, bold one. The focused button's label is in
reverse video, whichever it is, so focus reads the same without colour.

Light buttons of its own (a focusable, clickable line of text) rather than Textual's Button: the
Button's stylesheet (every variant, hover and press state) costs about 30 ms to parse and apply at
start-up, a tenth of the wizard's whole cold start, for four labels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.events import Click
from textual.message import Message
from textual.widgets import Static


class NavButton(Static, can_focus=True):
    DEFAULT_CSS = """
    NavButton {
        width: auto; min-width: 10; height: 1; padding: 0 1; margin: 0 0 0 1;
        content-align: center middle; background: $surface-lighten-1;
    }
    NavButton.-primary { background: $primary; color: $text; text-style: bold; }
    NavButton:hover { background: $primary-darken-1; }
    NavButton:focus { text-style: bold reverse; }
    NavButton:disabled { color: $text-disabled; background: $surface; text-style: none; }
    """
    BINDINGS = [Binding("enter,space", "press", "Press", show=False)]

    class Pressed(Message):
        """Posted like Button.Pressed: `button` is the NavButton."""

        def __init__(self, button: NavButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> NavButton:
            return self.button

    def __init__(self, label: str, *, id: str, primary: bool = False, disabled: bool = False) -> None:
        super().__init__(label, id=id, classes="-primary" if primary else "", markup=False, disabled=disabled)
        self._label = label

    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, value: str) -> None:
        self._label = value
        self.update(value)

    def press(self) -> None:
        if not self.disabled:
            self.post_message(self.Pressed(self))

    def action_press(self) -> None:
        self.press()

    def on_click(self, event: Click) -> None:
        event.stop()
        self.press()


class NavBar(Horizontal):
    DEFAULT_CSS = """
    NavBar { height: 1; }
    NavBar > .nav-spacer { width: 1fr; }
    """

    def __init__(self, *, next_label: str = "Next >", back: bool = True) -> None:
        super().__init__(id="nav")
        # The wanted state is kept here too: a page may set it before the buttons are mounted.
        self._next_label = next_label
        self._next_enabled = True
        self._back_enabled = back

    def compose(self) -> ComposeResult:
        yield NavButton("Help", id="nav-help")
        yield Static("", classes="nav-spacer")
        yield NavButton("< Back", id="nav-back", disabled=not self._back_enabled)
        yield NavButton(self._next_label, id="nav-next", primary=True, disabled=not self._next_enabled)
        yield NavButton("Cancel", id="nav-cancel")

    def set_next(self, label: str | None = None, *, enabled: bool | None = None) -> None:
        if label is not None:
            self._next_label = label
        if enabled is not None:
            self._next_enabled = enabled
        try:
            button = self.query_one("#nav-next", NavButton)
        except NoMatches:
            return
        button.label = self._next_label
        button.disabled = not self._next_enabled

    def set_back(self, enabled: bool) -> None:
        self._back_enabled = enabled
        try:
            self.query_one("#nav-back", NavButton).disabled = not enabled
        except NoMatches:
            return
