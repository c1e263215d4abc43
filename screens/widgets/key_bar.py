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


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(self.line(), id="keys")

    @staticmethod
    def line() -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, word) in enumerate(KEYS):
            if i:
                text.append("  ")
            text.append(key, style="bold")
            text.append(f" {word}")
        return text
