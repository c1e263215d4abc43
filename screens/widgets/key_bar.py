"""The key line at the bottom: the wizard's keys, the same on every page.

A plain line rather than Textual's Footer: the Footer rebuilds its key widgets whenever the focus
moves (its bindings may change), which costs a page change about 15 ms; the wizard's keys are fixed.
Each key is shown as a mark plus a word, readable without colour.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

KEYS = (("F1", "Help"), ("^S", "Save"), ("^B", "Back"), ("^N", "Next"), ("Esc", "Cancel"), ("^Q", "Quit"),
        ("PgUp/Dn", "Scroll"))
# In a browser (mabs-wizard serve) Chromium keeps Ctrl+N, Ctrl+T, Ctrl+W for itself and never hands
# them to a page (chrome/browser/ui/browser_command_controller.cc, IsReservedCommandOrKey), Firefox
# keeps Ctrl+Q: the wizard answers F2 and F10 too (any terminal), and shows those when served.
SERVED_KEYS = tuple({"^N": ("F2", "Next"), "^Q": ("F10", "Quit")}.get(key, (key, word)) for key, word in KEYS)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(self.line(), id="keys")

    def on_mount(self) -> None:
        if self.app.is_web:
            self.update(self.line(SERVED_KEYS))

    @staticmethod
    def line(keys: tuple[tuple[str, str], ...] = KEYS) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, word) in enumerate(keys):
            if i:
                text.append("  ")
            text.append(key, style="bold")
            text.append(f" {word}")
        return text
