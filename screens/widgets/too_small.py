"""What a screen shows instead of itself when the terminal is smaller than the wizard can be read at.

The minimum was found by trying: below 54 columns the longest radio choice ("New instance
(recommended)") is cut beside its label, and below 16 rows a form page has fewer than a dozen rows
for its fields. Down to that size every page and dialog is laid out without clipping (the tests walk
them at 54×16 and 60×20); 80×24 is the size the wizard is designed for.

A screen yields a ``TooSmall`` first and calls ``guard(self, size)`` from its ``on_resize``; the class
``-too-small`` then hides every other child of the screen (see the CSS below).
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 54, 16
BEST = "80×24"


class TooSmall(Static):
    SCOPED_CSS = False  # the rules below style the screen the message is in, not only the message
    DEFAULT_CSS = """
    TooSmall {
        display: none; width: 1fr; height: 1fr; padding: 1 2;
        content-align: center middle; text-align: center; text-style: bold;
    }
    .-too-small > * { display: none; }
    .-too-small > TooSmall { display: block; }
    """

    def __init__(self) -> None:
        super().__init__("", id="too-small", markup=False)


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def message(size: Size) -> str:
    return (f"Terminal too small: {size.width}×{size.height}\n"
            f"The wizard needs at least {MIN_WIDTH}×{MIN_HEIGHT} (best: {BEST}).\n"
            "Enlarge the window or make the font smaller.\n\nCtrl+Q: quit")


def guard(screen: Screen[Any], size: Size) -> bool:
    """Show or hide the screen's too-small message for `size`; True while it is shown.

    While it is shown nothing is focused (keys must not edit a field no one can see); the focus goes
    back where it was once the terminal is large enough again."""
    small = too_small(size)
    was_small = screen.has_class("-too-small")
    if small:
        screen.query_one(TooSmall).update(message(size))
        if not was_small:
            screen._focus_before_too_small = screen.focused  # type: ignore[attr-defined]
            screen.set_focus(None)
    screen.set_class(small, "-too-small")
    if was_small and not small:
        before = getattr(screen, "_focus_before_too_small", None)
        if before is not None and before.is_attached:
            screen.call_after_refresh(before.focus)
    return small
