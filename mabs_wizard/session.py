"""The interactive wizard's session journal: what an operator has answered so far, and where they are.

Written atomically (mode 0600) into the output folder on every Next, on Ctrl+S, and when the
terminal goes away (SIGHUP, SIGTERM), so a dropped SSH session or a closed terminal loses nothing:
``mabs-wizard run`` offers to resume it (``--resume`` resumes without asking) and lands on the page
the operator left, with what was typed there.

It holds the answers as an answers file would (secrets only as references; a secret typed into the
wizard is saved as ``prompt`` and asked again on resume, never written), plus the page being shown
and, for the page being edited, what its fields held even if it did not validate yet. It is a
private file of the wizard: JSON, not meant to be edited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mabs_wizard.errors import InputError

JOURNAL_NAME = "mabs-wizard-session.json"
KIND = "mabs-wizard session"
VERSION = 1


@dataclass
class Session:
    page: str
    saved_at: datetime
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # answers data, section by section
    answers_file: str | None = None
    finished: bool = False


def journal_path(output_dir: Path) -> Path:
    return output_dir / JOURNAL_NAME


def save(output_dir: Path, session: Session) -> Path:
    from mabs_wizard.fsutil import atomic_write_text

    output_dir.mkdir(parents=True, exist_ok=True)
    data = {"kind": KIND, "version": VERSION, "saved_at": session.saved_at.isoformat(), "page": session.page,
            "answers_file": session.answers_file, "finished": session.finished, "sections": session.sections}
    # 0600: it names where secrets are kept, like an answers file.
    return atomic_write_text(journal_path(output_dir), json.dumps(data, indent=2, default=str) + "\n", mode=0o600)


def load(output_dir: Path) -> Session | None:
    """The journal in ``output_dir``, or None if there is none. A journal that cannot be read is
    refused with InputError naming the file (it is never silently ignored or overwritten)."""
    path = journal_path(output_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the session journal ({exc}); move it away to start a new session") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != KIND or data.get("version") != VERSION:
            raise ValueError("not a mabs-wizard session journal of this version")
        sections = data.get("sections") or {}
        if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
            raise ValueError("its sections are not mappings")
        return Session(page=str(data["page"]), saved_at=datetime.fromisoformat(data["saved_at"]), sections=sections,
                       answers_file=data.get("answers_file"), finished=bool(data.get("finished")))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a session journal this wizard can resume ({exc}); move it away to start a new session") from None


def sections_data(sections: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Sections (validated models, or raw form values that did not validate yet) as journal data."""
    from pydantic import BaseModel

    from mabs_wizard.answers.dump import answers_to_data

    models = {k: v for k, v in sections.items() if isinstance(v, BaseModel)}
    out = {k: v for k, v in answers_to_data(models).items() if k != "version"}
    for name, value in sections.items():
        if not isinstance(value, BaseModel):
            out[name] = {k: v for k, v in dict(value).items() if v is not None}
    return out


def prefill(session: Session) -> tuple[dict[str, Any], list[str]]:
    """Each section as the wizard's pages take it: a validated model, or the raw values (shown as they
    were typed, their problems reported when Next is pressed). Returns (sections, problems)."""
    from pydantic import ValidationError

    from mabs_wizard.answers.models import SECTIONS

    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, model in SECTIONS.items():
        raw = session.sections.get(name)
        if raw is None:
            continue
        try:
            out[name] = model.model_validate(raw)
        except ValidationError:
            out[name] = raw
            problems.append(name)
    return out, problems
