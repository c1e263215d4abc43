"""Microsoft Update opt-in: whether MABS uses Microsoft Update when checking for updates (MARS /m)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mabs_wizard.answers.section import Form, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.findings import Finding, passed
from mabs_wizard.steps.base import Sections, Step, checked, known


class UpdatesAnswers(Section):
    """Microsoft Update Opt-In."""

    microsoft_update: Annotated[bool, Form(widget="radio", choices={
        "True": "Use Microsoft Update when I check for updates (recommended)",
        "False": "I don't want to use Microsoft Update"})] = Field(
        True, title="Microsoft Update", description="use Microsoft Update when checking for updates (recommended by the seed)")


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    upd = sections["updates"]
    if not known(upd, "microsoft_update"):
        return []
    text = "Microsoft Update will be used to check for updates" if upd.microsoft_update else "Microsoft Update not used (updates are your responsibility)"
    return [passed("updates.opt-in", "updates.microsoft_update", text)]


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    return checked(STEP, sections, ctx)


STEP = Step("updates", "Microsoft Update opt-in", UpdatesAnswers, check, apply)
