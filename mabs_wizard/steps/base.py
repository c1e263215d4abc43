"""What a step is: its answers model, its rules (``check``) and its work (``apply``), declared once.

Each step lives in its own module, ``mabs_wizard/steps/<key>.py``, and ends with ``STEP = Step(...)``;
``mabs_wizard.steps.STEPS`` lists them in the seed's order. Rules are pure: they read answer sections
and the target's facts and return findings. Work reports through ``ctx.emit`` and returns a
``StepOutcome``. Neither prints, sleeps, or knows about Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mabs_wizard.answers.formspec import secret_fields
from mabs_wizard.answers.section import Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.findings import Finding
from mabs_wizard.phases import PHASE_OF

# The answer sections a step sees, by name: every section known so far (a TUI form, a whole
# answers file). Work reads its own section, those before it, and ``secret_store``.
Sections = Mapping[str, BaseModel]
Check = Callable[[Sections, CheckContext], list[Finding]]
Apply = Callable[[Sections, RunContext], StepOutcome]


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    model: type[Section]
    check: Check
    apply: Apply

    @property
    def phase(self) -> str:
        return PHASE_OF[self.key]

    @property
    def secret_fields(self) -> list[str]:
        return secret_fields(self.model)


def known(model: BaseModel, *names: str) -> bool:
    """Whether each named field has a valid value.

    A page judged as a whole while some of its fields are still invalid hands the rules a section
    without those fields (see ``flow.judge_section``): rules that read them wait until they are valid,
    and every other rule still speaks, so the operator sees every finding at once."""
    return all(name in model.__dict__ for name in names)


def section(sections: Sections, key: str, default: type[BaseModel] | None = None) -> Any:
    """A section known so far; ``default()`` (the model's defaults) when it is not, if given."""
    found = sections.get(key)
    if found is None and default is not None:
        return default()
    return found


def findings_of(step: Step, sections: Sections, ctx: RunContext) -> list[Finding]:
    """The step's findings, judged once per run (validate() judged them already in replay)."""
    if step.key not in ctx.findings:
        ctx.findings[step.key] = step.check(sections, ctx)
    return list(ctx.findings[step.key])


def checked(step: Step, sections: Sections, ctx: RunContext) -> StepOutcome:
    """The work of a step that only checks and keeps its secrets: findings, then each secret stored.

    A confirmation field is only compared, never stored."""
    outcome = StepOutcome("checked", findings_of(step, sections, ctx))
    values = sections[step.key]
    for name in step.secret_fields:
        if name.startswith("confirm"):
            continue
        record = ctx.keep_secret(sections["secret_store"], f"{step.key}.{name}", getattr(values, name))
        if record is not None:
            outcome.secrets[name] = record
            outcome.status = "done"
    return outcome
