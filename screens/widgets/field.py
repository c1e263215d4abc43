"""A labelled form field: label and control on one line, then a note line and an error line.

The error line is where Next's refusals land: pydantic errors and the engine's findings are mapped to
a field by its dotted answers path (``sql.instance``), so every message shows under what it is about.

The note is laid out by ``WholeText``: a path in it is never broken (it goes on a line of its own, and
scrolls sideways if it is wider than the page). A masked field's note says where its value comes from
when nothing is typed ("from file: ...; type to replace"), so it is hidden while something is typed.
A field whose control is disabled is marked as a whole (``-disabled``): the label is dimmed as well;
one whose control has the focus is marked ``-focused``: its label is the focus mark.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import DescendantBlur, DescendantFocus
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from mabs_wizard.screens.widgets.whole_text import Line, WholeText


class Field(Vertical):
    """`Field("sql.instance", "Instance", Input(...))`; `set_error()` / `set_note()` show one line each."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field .field-note-box, Field .field-error { display: none; height: auto; }
    Field .field-note-box.-shown, Field .field-error.-shown { display: block; }
    """

    def __init__(self, path: str, label: str, control: Widget, *extra: Widget, note: str = "", id: str | None = None,
                 stacked: bool = False) -> None:
        super().__init__(id=id or "field-" + path.replace(".", "-"), classes="field -stacked" if stacked else "field")
        self.stacked = stacked  # the label on its own line, the control under it at full width
        self.path = path
        self.label = label
        self.control = control
        self.extra = extra  # e.g. a Browse or Generate button on the same row
        self._note: str | Sequence[Line] = note
        # Masked: its note is where the value comes from when the field is left empty.
        self.masked = isinstance(control, Input) and control.password

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
        yield WholeText(hang=0, classes="field-note-box", text_classes="field-note")
        yield Static("", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.set_note(self._note)
        self.watch(self.control, "disabled", self._control_disabled, init=True)

    def _control_disabled(self, disabled: bool) -> None:
        self.set_class(disabled, "-disabled")

    # The label is marked while the field's own control has the focus (not a button beside it,
    # which shows its own focus): "-focused", styled in wizard.tcss.
    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self.set_class(self.control in event.widget.ancestors_with_self, "-focused")

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self.remove_class("-focused")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if self.masked and event.input is self.control:
            self._show_note()

    def set_error(self, message: str | None) -> None:
        line = self.query_one(".field-error", Static)
        line.update(f"✗ {message}" if message else "")
        line.set_class(bool(message), "-shown")
        line.remove_class("-warning")
        self.set_class(bool(message), "-has-error")

    def set_warning(self, message: str | None) -> None:
        # Warnings share the error line (one line per field keeps 80×24 readable) with their own mark.
        line = self.query_one(".field-error", Static)
        line.update(f"! {message}" if message else "")
        line.set_class(bool(message), "-shown")
        line.set_class(bool(message), "-warning")

    def set_note(self, message: str | Sequence[Line]) -> None:
        """One line of text (broken at spaces), or lines of units never broken inside (see WholeText)."""
        self._note = message
        if not self.is_mounted:
            return
        box = self.query_one(".field-note-box", WholeText)
        if isinstance(message, str):
            box.update(message)
        else:
            box.update(*message)
        self._show_note()

    def _show_note(self) -> None:
        typed = self.masked and bool(getattr(self.control, "value", ""))
        self.query_one(".field-note-box", WholeText).set_class(bool(self._note) and not typed, "-shown")

    @property
    def note(self) -> str:
        """The note as shown (empty when hidden)."""
        box = self.query_one(".field-note-box", WholeText)
        return box.text if box.has_class("-shown") else ""

    @property
    def error(self) -> str:
        line = self.query_one(".field-error", Static)
        return str(line.render()) if line.has_class("-shown") else ""
