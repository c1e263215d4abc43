"""What every answers section shares, and the form hints a field may carry.

A section is a pydantic model declared once, in its step's module (``mabs_wizard/steps/<key>.py``).
A field's ``title`` is its label on the form, in the summary and in error messages on screen; its
``description`` is the help text and the JSON Schema's; ``Form(...)`` in the field's ``Annotated``
metadata says what the type alone cannot (a radio group instead of a drop-down, the labels of the
choices, a placeholder, a field kept off the form). Everything else - the widget, its initial value,
the choices - follows from the field's type and default (see :mod:`mabs_wizard.answers.formspec`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

Widget = Literal["text", "integer", "number", "check", "select", "radio", "secret", "path"]


@dataclass(frozen=True)
class Form:
    """Form hints for one field; kept in ``FieldInfo.metadata``, never in the JSON Schema."""

    widget: Widget | None = None  # None: derived from the type
    choices: dict[str, str] = field(default_factory=dict)  # value -> label shown (in the type's order)
    placeholder: str = ""
    check_label: str = ""  # the text beside a check box (the field's title labels the row)
    hidden: bool = False  # not on the form (kept from the answers file); still in summary unless `summary=False`
    summary: bool = True


class Section(BaseModel):
    """An answers section: unknown keys are refused, defaults are validated like given values."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
