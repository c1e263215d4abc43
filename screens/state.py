"""What the wizard knows so far: committed sections, prefill, typed secrets, work already done.

Pages read and write this; the engine (``mabs_wizard.flow``) judges and applies it. Nothing here
re-implements a rule: a form is judged by ``flow.judge_section`` (the section model, then the step's
rules). The engine is imported inside methods, so the first page paints before it loads.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mabs_wizard.errors import InputError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from mabs_wizard.answers.models import Answers, Section
    from mabs_wizard.context import CheckContext, RunContext, StepOutcome
    from mabs_wizard.facts import TargetFacts
    from mabs_wizard.findings import Finding
    from mabs_wizard.resolver import Secrets
    from mabs_wizard.secret_store import AskPassword
    from mabs_wizard.session import Session

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def local_disk_space(path: Path) -> tuple[Path, int, int] | None:
    """(existing folder measured, free bytes, total bytes) for `path` or its nearest existing parent."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return None
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return None
    return probe, usage.free, usage.total


@dataclass
class WizardState:
    output_dir: Path
    secrets: Secrets | None = None  # made when the engine loads, unless given
    clock: Clock = utc_now
    answers_path: Path | None = None
    prefill: dict[str, Section | dict[str, Any]] = field(default_factory=dict)
    prefill_problems: list[str] = field(default_factory=list)
    # An unfinished session found in the output folder (its journal), offered for resuming.
    session: Session | None = None
    facts_override: TargetFacts | None = None
    host_is_windows: bool = sys.platform == "win32"
    disk_space: Callable[[Path], tuple[Path, int, int] | None] = local_disk_space  # fixed in snapshot tests
    store: Any = None  # a SecretStore once opened (by the engine, or given by tests)
    sections: dict[str, Section] = field(default_factory=dict)  # committed by Next
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)  # work already done, by step
    manifest: BaseModel | None = None
    manifest_path: Path | None = None
    saved_answers: Path | None = None
    _facts: tuple[Any, TargetFacts, str, Path | None] | None = None
    # A digest of what was typed into a section's secret fields when it was committed (memory
    # only): changing a typed secret must redo the work done with the old one.
    _digests: dict[str, str] = field(default_factory=dict)
    digest_key: bytes = field(default_factory=lambda: os.urandom(32))

    # ------------------------------------------------------------------ reading

    def load(self) -> None:
        """Import the engine, read the answers file and look for an unfinished session (a worker
        calls this after the first paint)."""
        from mabs_wizard import session
        from mabs_wizard.answers.loader import load_partial

        self.typed_secrets()
        if self.answers_path is not None:
            prefill, self.prefill_problems = load_partial(self.answers_path)
            self.prefill = dict(prefill)  # type: ignore[arg-type]
        found = session.load(self.output_dir)
        self.session = found if found is not None and not found.finished and found.sections else None

    def resume(self, found: Session) -> None:
        """Take up the journal's answers (they win over the answers file's: they are newer)."""
        from mabs_wizard import session

        prefill, problems = session.prefill(found)
        self.prefill = {**self.prefill, **prefill}
        # What the answers file said is superseded; a section left half-typed shows its problems on its page.
        self.prefill_problems = [f"{name}: not complete when the session was saved" for name in problems]
        self.forget_facts()

    def typed_secrets(self) -> Secrets:
        """The secrets resolver (typed values in memory, references read on demand)."""
        if self.secrets is None:
            from mabs_wizard.resolver import Secrets

            self.secrets = Secrets(environ=os.environ)
        return self.secrets

    def value(self, section: str) -> Section | dict[str, Any] | None:
        """What a form shows: the committed model, else the answers file's (model or raw dict)."""
        if section in self.sections:
            return self.sections[section]
        return self.prefill.get(section)

    def model(self, section: str) -> Section | None:
        """The committed model, else a valid prefilled one, else None."""
        from mabs_wizard.answers.models import Section

        found = self.value(section)
        return found if isinstance(found, Section) else None

    def known_sections(self) -> dict[str, Section]:
        """Every section with a valid model so far (committed first, then prefill)."""
        from mabs_wizard.answers.models import SECTIONS

        out: dict[str, Section] = {}
        for name in SECTIONS:
            model = self.model(name)
            if model is not None:
                out[name] = model
        return out

    # ------------------------------------------------------------------ facts and context

    def facts(self, prereq: Section | None = None) -> tuple[TargetFacts, str, Path | None]:
        """Facts the rules judge: the override (tests), the facts file chosen, or a probe of this host.

        `prereq` is the prerequisites form being checked (its facts file may not be committed yet).
        """
        from mabs_wizard.context import load_context_facts

        if self.facts_override is not None:
            return self.facts_override, "file", None
        if prereq is None:
            prereq = self.model("prerequisites")
        key = getattr(prereq, "facts_file", None)
        if self._facts is None or self._facts[0] != key:
            installation = self.model("installation")
            scratch = (installation.scratch,) if installation is not None else ()  # type: ignore[attr-defined]
            facts, source, path = load_context_facts(key, now=self.clock(), scratch_paths=scratch)
            self._facts = (key, facts, source, path)
        return self._facts[1], self._facts[2], self._facts[3]

    def forget_facts(self) -> None:
        self._facts = None

    def check_context(self, prereq: Section | None = None) -> CheckContext:
        from mabs_wizard.context import CheckContext

        facts, source, path = self.facts(prereq)
        return CheckContext(facts=facts, facts_source=source, facts_path=path, secrets=self.typed_secrets(),
                            now=self.clock(), host_is_windows=self.host_is_windows)

    def run_context(self, emit: Any, cancel: Any, *, ask: AskPassword | None = None) -> RunContext:
        """A context for engine work; ``ask``: how the encrypted store's password is asked (a dialog)."""
        from mabs_wizard.context import RunContext

        ctx = self.check_context()
        run = RunContext(**vars(ctx), output_dir=self.output_dir, emit=emit, cancel=cancel,
                         answers_path=self.answers_path, store=self.store, clock=self.clock, ask_store_password=ask)
        for key, outcome in self.outcomes.items():
            run.results[key] = outcome.result
        return run

    # ------------------------------------------------------------------ validating and committing

    def validate_form(self, section: str, values: Mapping[str, Any], *, ctx: CheckContext | None = None
                      ) -> tuple[Section | None, list[Finding]]:
        """A form judged as a whole (``flow.judge_section``): every field's problem and every rule's
        finding at once; the model is None while a field is invalid."""
        from mabs_wizard import flow
        from mabs_wizard.findings import Finding

        if ctx is None:
            try:
                prereq = None
                if section == "prerequisites":
                    # The facts file being chosen on this form, before it is committed.
                    prereq = flow.partial_section(flow.SECTIONS[section], values, {"base_dir": Path.cwd()})
                ctx = self.check_context(prereq)
            except InputError as exc:  # the facts file cannot be read: that is the finding
                return None, [Finding(level="error", code="facts.unreadable", field="prerequisites.facts_file", message=line)
                              for line in exc.lines()]
        try:
            return flow.judge_section(section, values, self.known_sections(), ctx, base_dir=Path.cwd())
        except InputError as exc:
            return None, [Finding(level="error", code=f"{section}.input", field=section, message=line) for line in exc.lines()]

    def check(self, key: str, sections: Mapping[str, Section], ctx: CheckContext) -> list[Finding]:
        from mabs_wizard import flow
        from mabs_wizard.findings import Finding

        try:
            return flow.check_step(key, sections, ctx)
        except InputError as exc:
            return [Finding(level="error", code=f"{key}.input", field=key, message=line) for line in exc.lines()]

    def commit(self, section: str, model: Section, *, secrets_digest: str = "", redo: bool = True) -> None:
        """Keep a validated section; work done with an older version of it (and after it) is redone.

        `redo=False` is for a change that the work done does not depend on (the finish page's
        "Execute setup.exe" after the files are extracted).
        """
        old = self.value(section)
        old_digest = self._digests.get(section, "")
        self.sections[section] = model
        self._digests[section] = secrets_digest
        if section == "prerequisites":
            self.forget_facts()
        if redo and (old != model or old_digest != secrets_digest):
            self.invalidate_from(section)

    def steps_done(self) -> set[str]:
        """Steps whose work has run: page by page, or every one once the manifest is written."""
        from mabs_wizard.phases import STEP_ORDER

        if self.manifest is not None:
            return set(STEP_ORDER)
        return set(self.outcomes)

    def invalidate_from(self, section: str) -> None:
        from mabs_wizard.answers.models import SECTIONS

        order = list(SECTIONS)
        if section not in order:
            return
        for later in order[order.index(section):]:
            self.outcomes.pop(later, None)
        self.manifest = None

    def provide_secret(self, path: str, value: str) -> None:
        self.typed_secrets().provide(path, value)

    def forget_secret(self, path: str) -> None:
        self.typed_secrets().forget(path)

    def missing_secrets(self, section: str) -> list[str]:
        """Secret fields whose reference is `prompt` and for which nothing was typed yet."""
        from mabs_wizard.answers.formspec import secret_fields

        model = self.model(section)
        if model is None:
            return []
        out = []
        for name in secret_fields(type(model)):
            if getattr(model, name) == "prompt" and not self.typed_secrets().has(f"{section}.{name}"):
                out.append(f"{section}.{name}")
        return out

    # ------------------------------------------------------------------ answers

    def answers(self) -> Answers:
        """Every section as one validated Answers (for the final run); InputError if one is missing."""
        from pydantic import ValidationError

        from mabs_wizard.answers.models import SECTIONS, Answers

        data: dict[str, Any] = {"version": 1}
        for name in SECTIONS:
            model = self.model(name)
            if model is not None:
                data[name] = model
        try:
            return Answers.model_validate(data)
        except ValidationError as exc:
            missing = sorted({str(e["loc"][0]) for e in exc.errors(include_url=False, include_input=False) if e["loc"]})
            raise InputError("some sections are not answered yet: " + ", ".join(missing)) from None

    def answers_so_far(self) -> Answers:
        """The answers known now, for running one step before the later sections exist."""
        from mabs_wizard.flow import answers_from_sections

        return answers_from_sections(self.known_sections())

    def sections_for_save(self, extra: Mapping[str, Section] | None = None) -> dict[str, Section]:
        out = self.known_sections()
        out.update(extra or {})
        return out


def default_output_dir() -> Path:
    return Path(os.environ.get("MABS_WIZARD_OUTPUT", "mabs-wizard-output")).resolve()
