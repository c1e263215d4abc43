"""Form controls built, filled and read from the answers models' field specs.

One place maps a field's kind to a widget (``mabs_wizard.answers.formspec`` derives the kind from the
model): text, path and number fields are one-line inputs, a secret a masked input, a bool a check
box, a ``Literal`` a drop-down or a radio group, with the model's default as the initial value and
the model's title as the label. Pages add only what is more than a field (a Browse button beside
one, a live note under another).
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import Input, Select

from mabs_wizard.answers.formspec import FieldSpec, as_text
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.toggles import Check, Choice, Radio


def control(spec: FieldSpec) -> Widget:
    """The widget that edits ``spec``, holding the model's default."""
    default = None if spec.required else spec.default
    if spec.widget == "check":
        return Check(spec.check_label or spec.label, value=bool(default), id=spec.name, compact=True)
    if spec.widget == "select":
        options = [(label, value) for value, label in spec.choices]
        return Select(options, value=str(default) if default is not None else options[0][1], allow_blank=False,
                      id=spec.name, compact=True)
    if spec.widget == "radio":
        radios = [Radio(label, id=radio_id(spec, value), value=value == str(default), compact=True) for value, label in spec.choices]
        # Short choices side by side on the label's row; long ones (a sentence each) one per line.
        return Choice(*radios, id=spec.name, compact=True, classes="-horizontal" if _short(spec) else "")
    return Input(as_text(spec, default), id=spec.name, compact=True, password=spec.secret, placeholder=spec.placeholder)


def _short(spec: FieldSpec) -> bool:
    return sum(len(label) + 6 for _, label in spec.choices) <= 56  # fits beside the label at 80 columns


def radio_id(spec: FieldSpec, value: str) -> str:
    return f"{spec.name}-{value.lower()}"


def field(spec: FieldSpec, *extra: Widget) -> Field:
    # Radio buttons with sentence-long labels get the full width, under the field's label.
    stacked = spec.widget == "radio" and not _short(spec)
    return Field(spec.path, spec.label, control(spec), *extra, stacked=stacked)


def write(container: Widget, spec: FieldSpec, value: Any) -> None:
    """Show ``value`` (from the answers file or what was committed) in the field's widget."""
    widget = container.query_one(f"#{spec.name}")
    if spec.widget == "check":
        widget.value = bool(value)  # type: ignore[attr-defined]
    elif spec.widget == "select":
        if str(value) in dict(spec.choices):
            widget.value = str(value)  # type: ignore[attr-defined]
    elif spec.widget == "radio":
        if str(value) in dict(spec.choices):
            container.query_one(f"#{radio_id(spec, str(value))}", Radio).value = True
    elif not spec.secret:
        widget.value = as_text(spec, value)  # type: ignore[attr-defined]


def read(container: Widget, spec: FieldSpec) -> tuple[bool, Any]:
    """(given, value) as the model's input: not given when an optional or required field is left
    empty (None, or "required"), or a number is left empty (its default). Secrets are not read here:
    a typed secret becomes a reference (see ``FormPage.secret_ref``)."""
    widget = container.query_one(f"#{spec.name}")
    if spec.widget == "check":
        return True, widget.value  # type: ignore[attr-defined]
    if spec.widget == "select":
        return True, widget.value  # type: ignore[attr-defined]
    if spec.widget == "radio":
        chosen = next((value for value, _ in spec.choices if container.query_one(f"#{radio_id(spec, value)}", Radio).value), None)
        return chosen is not None, chosen
    text = widget.value.strip()  # type: ignore[attr-defined]
    if not text and (spec.optional or spec.required or spec.widget in ("integer", "number")):
        return False, None
    return True, text


def has_value(container: Widget, spec: FieldSpec) -> bool:
    widget = container.query_one(f"#{spec.name}")
    return bool(getattr(widget, "value", ""))

