"""Text that is never broken inside a path or a command's switch: what an operator copies stays whole.

A line is a sequence of *units* (a path, a switch with its quoted value, a label); it is wrapped only
between units, each continuation line indented, and a line of a command can end with the shell's
continuation mark (cmd.exe's ``^``) so what is copied still runs as one command. A unit wider than the
whole view is not folded either: the view scrolls sideways (a scroll bar shows, and the view becomes a
Tab stop, marked when focused, whose arrow keys scroll it).

A plain string given as a line is ordinary text: it may break at any space. Give a path or a command
as units (a list) wherever it holds spaces, as Windows paths do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

Unit = str | Text
Line = str | Text | Sequence[Unit]


def units_of(line: Line) -> list[Text]:
    """The unbreakable pieces of one line: a string's words, or the units as given."""
    if isinstance(line, str):
        body = line.lstrip(" ")
        words = [Text(word) for word in body.split(" ") if word] or [Text("")]
        words[0] = Text(" " * (len(line) - len(body))) + words[0]  # a leading indent is kept
        return words
    if isinstance(line, Text):
        return [line]
    return [unit if isinstance(unit, Text) else Text(unit) for unit in line] or [Text("")]


LIST_ITEM = re.compile(r"^( *)(\d+\.|[-*•·]) ")


def hanging_indent(first: str) -> int:
    """Where a line's continuation starts when it is not given: under the text of a list item
    ("  1. text" -> 5), else under the line's own indent."""
    item = LIST_ITEM.match(first)
    return item.end() if item else len(first) - len(first.lstrip(" "))


def pack(lines: Iterable[Line], width: int, *, hang: int | None = 2, continuation: str = "") -> list[Text]:
    """Lines at most `width` cells wide where the units allow: broken only between units, never
    inside one; continuation lines indented by `hang` (None: a list item's hanging indent) and the
    broken ones ending in `continuation`."""
    out: list[Text] = []
    room = max(1, width - len(continuation))
    for line in lines:
        units = units_of(line)
        indent = hang if hang is not None else hanging_indent(units[0].plain + " " + (units[1].plain if len(units) > 1 else ""))
        current = units[0].copy()
        for unit in units[1:]:
            if current.cell_len + 1 + unit.cell_len <= room:
                current.append(" ")
                current.append_text(unit)
            else:
                if continuation:
                    current.append(continuation)
                out.append(current)
                current = Text(" " * indent)
                current.append_text(unit)
        out.append(current)
    return out


class WholeText(ScrollableContainer, can_focus=False):
    """`WholeText(["Manifest:", path])`; `update(...)` replaces the lines."""

    DEFAULT_CSS = """
    WholeText {
        height: auto;
        overflow-x: auto;
        overflow-y: hidden;
        scrollbar-size-horizontal: 1;
    }
    WholeText > Static { height: auto; text-wrap: nowrap; }
    WholeText.scroll-view { border-left: blank; }
    WholeText.scroll-view:focus { border-left: outer $accent; }
    """

    def __init__(self, *lines: Line, hang: int | None = 2, continuation: str = "", focusable: bool = False,
                 id: str | None = None, classes: str = "", text_id: str | None = None, text_classes: str = "") -> None:
        """`focusable`: always a Tab stop (a view that also scrolls down); otherwise only when wide.
        `text_id` / `text_classes`: of the text inside (its `render()` is what is shown)."""
        super().__init__(id=id, classes=classes)
        self._lines: list[Line] = list(lines)
        self.hang = hang
        self.continuation = continuation
        self.always_focusable = focusable
        self.can_focus = focusable
        self._text_id = text_id
        self._text_classes = text_classes
        self._laid_out_at = -1

    def compose(self) -> ComposeResult:
        yield Static("", id=self._text_id, classes=f"whole-lines {self._text_classes}".strip())

    def update(self, *lines: Line) -> None:
        self._lines = list(lines)
        self._laid_out_at = -1
        if self.is_mounted:
            self._layout(self._width())

    @property
    def text(self) -> str:
        """What is shown, line by line (as an operator would copy it)."""
        return "\n".join(line.plain for line in pack(self._lines, self._width(), hang=self.hang,
                                                     continuation=self.continuation))

    def _width(self) -> int:
        # The view's content width (without its border, the focus mark's column, or a scroll bar).
        width = self.scrollable_content_region.width
        return width if width > 0 else self._estimated_width()

    def _estimated_width(self) -> int:
        """Before the first layout (a page composed for its first paint, or mounted hidden ahead of
        time): the screen's width less every enclosing padding and border, so the lines are laid out
        once, as they will stay, rather than again at the first resize."""
        width = self.app.size.width
        for node in self.ancestors_with_self:
            if isinstance(node, Screen) or not isinstance(node, Widget):
                break
            styles = node.styles
            width -= styles.gutter.width
            if styles.scrollbar_gutter == "stable":
                width -= styles.scrollbar_size_vertical
        return max(width, 1)

    def on_mount(self) -> None:
        self._layout(self._width())

    def on_resize(self, event: Resize) -> None:
        self._layout(self._width())

    def _layout(self, width: int) -> None:
        lines = pack(self._lines, width, hang=self.hang, continuation=self.continuation)
        wide = any(line.cell_len > width for line in lines)
        if width == self._laid_out_at and wide == self.has_class("-wide"):
            return
        self._laid_out_at = width
        text = self.query_one(".whole-lines", Static)
        text.update(Text("\n").join(lines))
        # Its width set, not measured: an auto width inside a scrolling container kept an earlier,
        # wider measure (and so a scroll bar) after the lines were laid out again narrower.
        text.styles.width = max((line.cell_len for line in lines), default=0)
        # Wider than the view: a scroll view, a Tab stop (its arrow keys scroll it), marked when focused.
        self.set_class(wide, "-wide")
        self.set_class(wide or self.always_focusable, "scroll-view")
        self.can_focus = wide or self.always_focusable
