"""One mapper from pydantic's validation errors to the wizard's words, for every door.

The loader puts ``FILE:LINE:COL: section.field:`` in front of these messages, the TUI shows them
under the field they name: the text is the same. Messages never echo the value (it may be a secret).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError


def problems(exc: ValidationError, model: type[BaseModel]) -> Iterator[tuple[tuple[Any, ...], str, bool]]:
    """(location, message, about the key rather than the value) for each error of ``exc``."""
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        yield loc, message(err, model, loc), err["type"] == "extra_forbidden"


def message(err: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind: str = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = known_keys(model, loc[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; expected one of: {', '.join(sorted(known))}" if known else "")
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
                "greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        whole, bounds = _number(model, loc)
        return ("must be a whole number" if whole or kind.startswith("int") else "must be a number") + bounds
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '').replace(' or ', ', ')}"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    msg: str = err["msg"]
    return msg.removeprefix("Value error, ")


def _number(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[bool, str]:
    """(an integer field?, ' from 1 to 65535' or ' of at least 0' ...): read from the field's schema."""
    from typing import Annotated

    from pydantic import TypeAdapter

    info = _field_info(model, loc)
    if info is None:
        return False, ""
    try:
        kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation  # type: ignore[name-defined]
        schema = TypeAdapter(kind).json_schema()
    except Exception:  # noqa: BLE001 - a type with no JSON Schema: no bounds to tell
        return False, ""
    members = [schema, *schema.get("anyOf", [])]
    whole = any(m.get("type") == "integer" for m in members)
    low = next((m.get("minimum", m.get("exclusiveMinimum")) for m in members if "minimum" in m or "exclusiveMinimum" in m), None)
    high = next((m.get("maximum", m.get("exclusiveMaximum")) for m in members if "maximum" in m or "exclusiveMaximum" in m), None)
    def num(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"

    if low is not None and high is not None:
        return whole, f" from {num(low)} to {num(high)}"
    if low is not None:
        return whole, f" of at least {num(low)}"
    if high is not None:
        return whole, f" of at most {num(high)}"
    return whole, ""


def _field_info(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    current: Any = model
    info = None
    for key in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or key not in fields:
            return info if not isinstance(key, str) else None
        info = fields[key]
        current = model_in(info.annotation)
    return info


def known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model at ``loc``, for "did you mean" suggestions."""
    current: Any = model
    for key in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or key not in fields:
            return []
        current = model_in(fields[key].annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = model_in(arg)
        if found is not None:
            return found
    return None
