"""A table of the engine's findings: pass / warning / error, the message, and the remedy.

Rows wrap (auto height) instead of clipping: at 80 columns a remedy rarely fits on one line. The
result column carries a mark as well as a colour so it reads the same under NO_COLOR.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

if TYPE_CHECKING:
    from mabs_wizard.findings import Finding

MARKS = {"pass": ("✓ pass", "green"), "warning": ("! warn", "yellow"), "error": ("✗ error", "bold red")}
RESULT_WIDTH = 8


class FindingsTable(DataTable[Text]):
    DEFAULT_CSS = """
    FindingsTable { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # Not focusable, no cursor: the page scrolls (one scroller is easier than two at 80×24).
        super().__init__(id=id, cursor_type="none", zebra_stripes=False, show_cursor=False)
        self.can_focus = False
        self._findings: list[Finding] = []
        self._width = 0

    def on_mount(self) -> None:
        self._rebuild()

    def show(self, findings: Iterable[Finding]) -> None:
        self._findings = list(findings)
        self._rebuild()

    @property
    def findings(self) -> list[Finding]:
        return list(self._findings)

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._rebuild()

    def _rebuild(self) -> None:
        self._width = self.size.width or (self.app.size.width - 4)
        # Column widths are fixed so long text wraps; 2 cells of padding per column, 1 for a scrollbar.
        details = max(20, self._width - RESULT_WIDTH - 5)
        self.set_class(not self._findings, "-empty")
        self.clear(columns=True)
        self.add_column("Result", width=RESULT_WIDTH, key="result")
        self.add_column("Details", width=details, key="details")
        for index, finding in enumerate(self._findings):
            mark, style = MARKS[finding.level]
            text = Text(finding.message)
            if finding.remedy and finding.level != "pass":
                text.append("\n→ " + finding.remedy, style="italic")
            self.add_row(Text(mark, style=style), text, height=None, key=str(index))
