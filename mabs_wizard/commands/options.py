"""Command-line options declared by the answers models: a field's default, its choices and its help
come from the model, so an option and the answers-file field it stands for cannot drift apart."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

import click
from pydantic import BaseModel


def option_from(model: type[BaseModel], field: str, *decls: str, **extra: Any) -> Any:
    """A ``click.option`` for ``model.field``: the model's default, a Choice for a ``Literal``, the
    field's description as the help (``extra`` adds to or overrides what the model says)."""
    info = model.model_fields[field]
    kwargs: dict[str, Any] = {"help": info.description, "show_default": True}
    if not info.is_required():
        default = info.get_default(call_default_factory=True)
        if default is not None and not isinstance(default, list | tuple):
            kwargs["default"] = default
    kinds = [info.annotation] if get_origin(info.annotation) is Literal else [
        a for a in (get_args(info.annotation) or (info.annotation,)) if a is not type(None)]
    literal = next((k for k in kinds if get_origin(k) is Literal), None)
    if literal is not None:
        kwargs["type"] = click.Choice([str(v) for v in get_args(literal)])
    elif float in kinds or info.annotation is float:
        kwargs["type"] = float
    kwargs.update(extra)
    return click.option(*decls, **kwargs)
