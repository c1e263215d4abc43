"""The runner: judge every step, run the steps in the seed's order, write the manifest.

Replay and the TUI call the same functions; only the event sink differs (plain lines vs widgets).
The steps themselves - models, rules and work - are in ``mabs_wizard/steps/``, one module each; the
phases in ``mabs_wizard/phases.py``; the contexts in ``mabs_wizard/context.py``.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from mabs_wizard import __version__
from mabs_wizard.answers.models import ANSWERS_VERSION, SECTIONS, Answers, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.errors import InputError
from mabs_wizard.events import StepDone, StepStarted
from mabs_wizard.findings import Finding, has_errors
from mabs_wizard.manifest import MANIFEST_NAME, Manifest, write_manifest
from mabs_wizard.steps import STEPS
from mabs_wizard.steps.base import Sections

__all__ = ["MANIFEST_NAME", "STEPS", "answers_from_sections", "build_manifest", "check_step", "judge_section", "run",
           "run_step", "run_steps", "validate"]


# --------------------------------------------------------------------------- judging


def check_step(key: str, sections: Sections, ctx: CheckContext) -> list[Finding]:
    """The rules of one step over the sections known so far (a TUI form, or a whole answers file)."""
    return STEPS[key].check(sections, ctx)


def validate(answers: Answers, ctx: CheckContext) -> dict[str, list[Finding]]:
    """Every rule of every step; no side effects (nothing written, nothing stored)."""
    sections = _sections(answers)
    ctx.findings = {key: check_step(key, sections, ctx) for key in STEPS}
    return dict(ctx.findings)


def judge_section(section: str, values: Mapping[str, Any], others: Mapping[str, Section], ctx: CheckContext,
                  *, base_dir: Path | None = None) -> tuple[Section | None, list[Finding]]:
    """A form's values judged as a whole: every field's problem and every rule's finding at once.

    The section model first; where it refuses some fields, the rules still judge the fields that are
    valid on their own (``steps.base.known``), so a page never shows its problems one round at a
    time. A rule's finding about a field that already has a field problem is left out (one message
    per cause). Returns the model (None while any field is invalid) and the findings."""
    from mabs_wizard.answers.errors import problems

    model_type = SECTIONS[section]
    context = {"base_dir": base_dir or Path.cwd()}
    try:
        model: Section | None = model_type.model_validate(dict(values), context=context)
        findings: list[Finding] = []
        judged: BaseModel = model  # type: ignore[assignment]
    except ValidationError as exc:
        model = None
        findings = [Finding(level="error", code=f"form.{section}", field=_field_path(section, loc, model_type), message=text)
                    for loc, text, _ in problems(exc, model_type)]
        judged = partial_section(model_type, values, context)
    if section in STEPS:
        bad = {f.field for f in findings}
        findings += [f for f in check_step(section, {**others, section: judged}, ctx) if f.field not in bad]
    return model, findings


def partial_section(model_type: type[Section], values: Mapping[str, Any], context: dict[str, Any]) -> Section:
    """The section with only the fields that are valid on their own (the others absent, not defaulted)."""
    good: dict[str, Any] = {}
    for name, info in model_type.model_fields.items():
        if name not in values:
            if not info.is_required():
                good[name] = info.get_default(call_default_factory=True)
            continue
        try:
            good[name] = _adapter(model_type, name).validate_python(values[name], context=context)
        except ValidationError:
            continue
    partial = model_type.model_construct(**good)
    for name in model_type.model_fields:
        if name not in good:
            partial.__dict__.pop(name, None)
    return partial


_ADAPTERS: dict[tuple[type[BaseModel], str], TypeAdapter[Any]] = {}


def _adapter(model_type: type[BaseModel], name: str) -> TypeAdapter[Any]:
    key = (model_type, name)
    if key not in _ADAPTERS:
        from typing import Annotated

        info = model_type.model_fields[name]
        kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation  # type: ignore[name-defined]
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def _field_path(section: str, loc: tuple[Any, ...], model_type: type[BaseModel]) -> str:
    # A union member's tag (EnvRef, 'prompt', ...) or a list index is not a field of the form.
    names = [str(p) for p in loc if isinstance(p, str) and p in model_type.model_fields]
    return ".".join([section, *names[:1]]) if names else section


# --------------------------------------------------------------------------- running


def answers_from_sections(sections: Mapping[str, Section]) -> Answers:
    """Answers for running steps before every section is known (the TUI runs extraction, the setup
    steps and the proxy test page by page). Each step's ``apply`` reads only its own section plus
    those that come before it (and ``secret_store``, which has defaults); a section not given takes
    its model's defaults when it has them, else stays None rather than being invented. The sections
    given are already validated models, so they are not validated again."""
    data: dict[str, Any] = {}
    for name, model in SECTIONS.items():
        given = sections.get(name)
        if given is None:
            try:
                given = model()
            except ValidationError:
                given = None  # required fields: unknown until answered
        data[name] = given
    return Answers.model_construct(version=ANSWERS_VERSION, **data)


def run_step(key: str, answers: Answers, ctx: RunContext) -> StepOutcome:
    step = STEPS[key]
    ctx.cancel.raise_if_cancelled()
    ctx.emit(StepStarted(key, step.title))
    outcome = step.apply(_sections(answers), ctx)
    counts = {level: sum(f.level == level for f in outcome.findings) for level in ("pass", "warning", "error")}
    summary = ", ".join(f"{n} {level}" for level, n in counts.items() if n)
    ctx.emit(StepDone(key, "failed" if counts["error"] else outcome.status, summary))
    return outcome


def run_steps(keys: Iterable[str], answers: Answers, ctx: RunContext, *,
              done: Mapping[str, StepOutcome] | None = None) -> Iterator[tuple[str, StepOutcome]]:
    """Run ``keys`` in order (those in ``done`` already ran: their outcome is yielded as it is), each
    step's result handed to the later ones; stops after the first step with an error finding."""
    done = done or {}
    for key in keys:
        outcome = done[key] if key in done else run_step(key, answers, ctx)
        ctx.results[key] = outcome.result
        yield key, outcome
        if has_errors(outcome.findings):
            return


def run(answers: Answers, ctx: RunContext, *, done: dict[str, StepOutcome] | None = None) -> BaseModel:
    """Apply every step (those in ``done`` already ran, e.g. the TUI's extraction) and write the manifest."""
    from mabs_wizard.steps.encryption import verifier
    from mabs_wizard.steps.proxy import connectivity

    started = ctx.clock()
    ctx.secret_store(answers.secret_store)  # fail before any work if no secret store can be used
    outcomes: dict[str, StepOutcome] = {}
    sections = _sections(answers)
    if answers.proxy.check and "proxy" not in (done or {}):
        connectivity(sections, ctx)  # network-bound: overlaps the I/O-bound extraction
    if "encryption" not in (done or {}):
        verifier(sections, ctx)  # the deliberate KDF cost, off the critical path
    for key, outcome in run_steps(STEPS, answers, ctx, done=done):
        outcomes[key] = outcome
        if has_errors(outcome.findings):
            raise InputError(f"step {key} failed", [f.line() for f in outcome.findings if f.level == "error"])
    manifest = build_manifest(answers, ctx, outcomes, started)
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(ctx.output_dir / MANIFEST_NAME, manifest)
    return manifest


def build_manifest(answers: Answers, ctx: RunContext, outcomes: dict[str, StepOutcome], started: datetime) -> BaseModel:
    from mabs_wizard.handover import handover

    store = ctx.secret_store(answers.secret_store)
    sections: dict[str, Any] = {}
    for key, step in STEPS.items():
        outcome = outcomes[key]
        secrets = step.secret_fields
        settings = getattr(answers, key).model_dump(mode="json", exclude=set(secrets))
        for name in secrets:
            settings[name] = outcome.secrets.get(name)
        sections[key] = {
            "title": step.title,
            "phase": step.phase,
            "status": outcome.status,
            "settings": settings,
            "findings": [f.for_file().model_dump() for f in outcome.findings],
            "result": outcome.result,
        }
    any_error = any(has_errors(o.findings) for o in outcomes.values())
    return Manifest.model_validate(
        {
            "tool": {"version": __version__, "python": platform.python_version()},
            "started_at": started,
            "finished_at": ctx.clock(),
            "answers_file": str(ctx.answers_path) if ctx.answers_path else None,
            "status": "blocked" if any_error else "ready-for-target",
            "facts": {
                "source": ctx.facts_source,
                "path": str(ctx.facts_path) if ctx.facts_path else None,
                "computer_name": ctx.facts.computer_name,
                "domain": ctx.facts.domain,
                "os_name": ctx.facts.os_name,
                "collected_at": ctx.facts.collected_at,
            },
            "secret_store": {"kind": store.kind, "backend": store.describe()},
            **sections,
            "handover": handover(answers, ctx),
        }
    )


def _sections(answers: Answers) -> dict[str, BaseModel]:
    return {name: getattr(answers, name) for name in type(answers).model_fields if name != "version"}
