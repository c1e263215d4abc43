"""The step rail: the four phases of the MABS flow on one line, and where the operator is.

One line at the top keeps the full width for forms at 80 columns. Where the line is too narrow for
every title (60 columns), the other phases shorten to their first word, then to their marks: the
current phase keeps its whole name and position. Position is shown by a marker
(done, current, to do) as well as by style, so it reads the same under NO_COLOR. A phase behind the
operator whose work has not run (pages skipped with --skip-answered, a connectivity test not run)
is marked as answered, not done: its work runs at the end, and the rail does not claim it already.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

DONE, CURRENT, TODO, ANSWERED = "✓", "▶", "·", "○"


class StepRail(Static):
    """Renders `✓ Extract installer  ▶ MABS setup 3/8  · MARS agent  · Register server`."""

    def __init__(self, phases: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._phases = list(phases)  # (key, title) in flow order
        self._current = self._phases[0][0]
        self._index = 1
        self._count = 1
        self._unfinished: frozenset[str] = frozenset()

    def set_position(self, phase: str, index: int, count: int, unfinished: Collection[str] = ()) -> None:
        """`index` is 1-based within the phase's screens; `unfinished`: phases whose work has not run."""
        self._current, self._index, self._count = phase, index, count
        self._unfinished = frozenset(unfinished)
        if self.is_mounted:
            self.update(self.render_rail())

    def on_mount(self) -> None:
        self.update(self.render_rail())

    def on_resize(self, event: Resize) -> None:
        self.update(self.render_rail())

    def render_rail(self, width: int | None = None) -> Text:
        """The fullest form that fits `width` (the rail's own width by default)."""
        width = width if width is not None else (self.content_region.width or self.app.size.width - 2)
        for form in ("full", "short", "marks"):
            text = self._rail_text(form)
            if text.cell_len <= width:
                return text
        return text

    def _rail_text(self, form: str) -> Text:
        keys = [key for key, _ in self._phases]
        here = keys.index(self._current) if self._current in keys else 0
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, title) in enumerate(self._phases):
            if i:
                text.append("  " if form != "marks" else " ")
            # Only the phase the operator is in always shows its whole name.
            name = title if form == "full" or i == here else (title.split()[0] if form == "short" else "")
            if i < here and key in self._unfinished:
                text.append(f"{ANSWERED} {name}".rstrip(), style="italic")
            elif i < here:
                text.append(f"{DONE} {name}".rstrip(), style="")
            elif i == here:
                text.append(f"{CURRENT} {title} {self._index}/{self._count}", style="bold reverse")
            else:
                text.append(f"{TODO} {name}".rstrip(), style="dim")
        return text
