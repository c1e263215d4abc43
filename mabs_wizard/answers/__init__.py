"""Answers: the models (one per step), secret references, the file reader and the validating loader.

Submodules are imported on first use: reading a file (``answers.document``) must not build the models.
"""

from __future__ import annotations

from typing import Any

_WHERE = {
    "SECTIONS": "mabs_wizard.answers.models",
    "Answers": "mabs_wizard.answers.models",
    "load_answers": "mabs_wizard.answers.loader",
    "load_partial": "mabs_wizard.answers.loader",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mabs_wizard.answers' has no attribute {name!r}")
