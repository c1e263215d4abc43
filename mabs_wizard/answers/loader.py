"""Load an answers file (YAML 1.2 or JSON) into the models, reporting every problem at once.

Each problem reads ``FILE:LINE:COL: section.field: message``: ruamel.yaml keeps the position of
every key and value, and pydantic's error locations are walked through that tree to find them
(the approach harlequin uses for its config). Nothing here writes anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mabs_wizard.answers.document import MAX_ANSWERS_BYTES, Document, read_document
from mabs_wizard.errors import InputError

__all__ = ["MAX_ANSWERS_BYTES", "Document", "error_entries", "format_errors", "load_answers", "load_partial",
           "load_with_document", "read_document"]


def format_errors(doc: Document, exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[str]:
    return [doc.problem(loc, message, at_key=at_key) for loc, message, at_key in error_entries(exc, model, prefix)]


def error_entries(exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str, bool]]:
    """(location, message, at_key) of every error, before placing them in one file (the fleet places
    each in the template or in the inventory, by where the value came from)."""
    from mabs_wizard.answers.errors import problems

    return [(prefix + loc, text, at_key) for loc, text, at_key in problems(exc, model)]


def load_with_document(path: Path) -> tuple[Document, Answers]:  # noqa: F821 - imported lazily below
    """Read and validate a complete answers file, keeping the positions (to place rule findings)."""
    from mabs_wizard.answers.models import Answers

    doc = read_document(path)
    try:
        return doc, Answers.model_validate(doc.data, context={"base_dir": doc.base_dir})
    except ValidationError as exc:
        problems = format_errors(doc, exc, Answers)
        raise InputError(f"{path}: {len(problems)} problem(s)", problems) from None


def load_answers(path: Path) -> Answers:  # noqa: F821
    """Read and validate a complete answers file; InputError lists every problem."""
    return load_with_document(path)[1]


def load_partial(path: Path) -> tuple[dict[str, BaseModel | dict[str, Any]], list[str]]:
    """For the TUI's prefill: each section validated on its own; invalid ones come back raw.

    Returns ({section: model or raw dict}, problems). Missing sections are simply absent.
    """
    from mabs_wizard.answers.errors import message
    from mabs_wizard.answers.models import SECTIONS, Answers

    doc = read_document(path)
    out: dict[str, BaseModel | dict[str, Any]] = {}
    problems: list[str] = []
    for key in doc.data:
        if key not in Answers.model_fields:
            problems.append(doc.problem((key,), message({"type": "extra_forbidden", "msg": ""}, Answers, (key,)), at_key=True))
    for name, model in SECTIONS.items():
        raw = doc.data.get(name)
        if raw is None:
            continue
        try:
            out[name] = model.model_validate(raw, context={"base_dir": doc.base_dir})
        except ValidationError as exc:
            problems.extend(format_errors(doc, exc, model, prefix=(name,)))
            out[name] = raw if isinstance(raw, dict) else {}
    return out, problems

