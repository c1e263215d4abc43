"""A labelled form field: label and control on one line, then a note line and an error line.

The error line is where Next's refusals land: pydantic errors and the engine's findings are mapped to
a field by its dotted answers path (``sql.instance``), so every message shows under what it is about.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """`Field("sql.instance", "Instance", Input(...))`; `set_error()` / `set_note()` show one line each."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field .field-note, Field .field-error { display: none; height: auto; }
    Field .field-note.-shown, Field .field-error.-shown { display: block; }
    """

    def __init__(self, path: str, label: str, control: Widget, *extra: Widget, note: str = "", id: str | None = None,
                 stacked: bool = False) -> None:
        super().__init__(id=id or "field-" + path.replace(".", "-"), classes="field -stacked" if stacked else "field")
        self.stacked = stacked  # the label on its own line, the control under it at full width
        self.path = path
        self.label = label
        self.control = control
        self.extra = extra  # e.g. a Browse or Generate button on the same row
        self._note = note

    def compose(self) -> ComposeResult:
        if self.stacked:
            yield Label(self.label, classes="field-label")
            yield self.control
            yield from self.extra
        else:
            with Horizontal(classes="field-row"):
                yield Label(self.label, classes="field-label")
                yield self.control
                yield from self.extra
        yield Static("", classes="field-note", markup=False)
        yield Static("", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.set_note(self._note)

    def set_error(self, message: str | None) -> None:
        line = self.query_one(".field-error", Static)
        line.update(f"✗ {message}" if message else "")
        line.set_class(bool(message), "-shown")
        self.set_class(bool(message), "-has-error")

    def set_warning(self, message: str | None) -> None:
        # Warnings share the error line (one line per field keeps 80×24 readable) with their own mark.
        line = self.query_one(".field-error", Static)
        line.update(f"! {message}" if message else "")
        line.set_class(bool(message), "-shown")
        line.set_class(bool(message), "-warning")

    def set_note(self, message: str) -> None:
        self._note = message
        if not self.is_mounted:
            return
        line = self.query_one(".field-note", Static)
        line.update(message)
        line.set_class(bool(message), "-shown")

    @property
    def error(self) -> str:
        line = self.query_one(".field-error", Static)
        return str(line.render()) if line.has_class("-shown") else ""
