"""Each answers field as a form sees it, derived from the section model (no Textual here).

The TUI builds, fills and reads its forms from these specs; the summary page and the completion
page show values with :func:`display`; error messages on screen name fields by their ``label``.
Adding a plain field to a section model is all it takes to see it on the form, in the summary, in
the JSON Schema and in the manifest.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mabs_wizard.answers.secretref import EnvRef
from mabs_wizard.answers.section import Form, Widget

MISSING: Any = PydanticUndefined


@dataclass(frozen=True)
class FieldSpec:
    section: str
    name: str
    label: str
    widget: Widget
    help: str
    placeholder: str
    choices: tuple[tuple[str, str], ...]  # (value, label) for select and radio
    check_label: str
    default: Any  # MISSING when the field is required
    optional: bool  # None is a valid value (an empty field means "not given")
    hidden: bool  # not on the form: kept from the answers file as it is
    summary: bool

    @property
    def path(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def required(self) -> bool:
        return self.default is MISSING

    @property
    def secret(self) -> bool:
        return self.widget == "secret"


def _members(annotation: Any) -> list[Any]:
    """The types of a union (``X | None``, ``Union[...]``), Annotated unwrapped; ``[annotation]`` otherwise."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in get_args(annotation):
            out += _members(arg)
        return out
    if hasattr(annotation, "__metadata__"):  # Annotated[T, ...]
        return _members(annotation.__origin__)
    return [annotation]


def is_secret(info: FieldInfo) -> bool:
    """A field holding a secret reference (env/file/keyring/prompt/generate), never a value."""
    return EnvRef in _members(info.annotation)


def secret_fields(model: type[BaseModel]) -> list[str]:
    """Names of the fields of ``model`` that hold secret references."""
    return [name for name, info in model.model_fields.items() if is_secret(info)]


def _form(info: FieldInfo) -> Form:
    return next((m for m in info.metadata if isinstance(m, Form)), Form())


def _widget(info: FieldInfo, hint: Form) -> Widget:
    if hint.widget is not None:
        return hint.widget
    if is_secret(info):
        return "secret"
    kinds = [t for t in _members(info.annotation) if t is not type(None)]
    kind = kinds[0] if len(kinds) == 1 else None
    if kind is bool:
        return "check"
    if kind is int:
        return "integer"
    if kind is float:
        return "number"
    if get_origin(kind) is Literal:
        return "select"
    if isinstance(kind, type) and issubclass(kind, Path):
        return "path"
    return "text"


def _choices(info: FieldInfo, hint: Form) -> tuple[tuple[str, str], ...]:
    values: list[str] = []
    for member in _members(info.annotation):
        if get_origin(member) is Literal:
            values += [str(v) for v in get_args(member)]
    if not values:  # e.g. a bool shown as two radio buttons: the hint lists them
        return tuple(hint.choices.items())
    return tuple((v, hint.choices.get(v, v)) for v in values)


def _on_form(info: FieldInfo) -> bool:
    """Lists and nested models have no one-line widget: they stay as the answers file has them."""
    if is_secret(info):
        return True
    return not any(get_origin(m) in (list, dict) or (isinstance(m, type) and issubclass(m, BaseModel))
                   for m in _members(info.annotation))


@cache
def form_fields(section: str, model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """Every field of ``model`` as a spec, in declaration order."""
    out = []
    for name, info in model.model_fields.items():
        hint = _form(info)
        default = info.get_default(call_default_factory=True) if not info.is_required() else MISSING
        out.append(FieldSpec(
            section=section,
            name=name,
            label=info.title or name.replace("_", " ").capitalize(),
            widget=_widget(info, hint),
            help=info.description or "",
            placeholder=hint.placeholder,
            choices=_choices(info, hint),
            check_label=hint.check_label,
            default=default,
            optional=type(None) in _members(info.annotation),
            hidden=hint.hidden or not _on_form(info),
            summary=hint.summary,
        ))
    return tuple(out)


def as_text(spec: FieldSpec, value: Any) -> str:
    """A value as a form input holds it (empty for None)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def display(spec: FieldSpec, value: Any) -> str:
    """A value as the summary shows it (secrets are never passed here: see the UI's secret text)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if spec.choices:
        return dict(spec.choices).get(str(value), str(value))
    if spec.widget == "number" and isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
