"""Headless replay of an answers file: validate everything, then run every step into a manifest.

Prints one plain line per step and check, so it reads well in a CI log. Imports no Textual.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from mabs_wizard.answers.loader import Document, load_with_document
from mabs_wizard.answers.models import Answers, PrerequisitesAnswers
from mabs_wizard.context import CheckContext, RunContext, load_context_facts
from mabs_wizard.errors import InputError
from mabs_wizard.events import (
    CancelToken,
    Event,
    Message,
    Progress,
    StepDone,
    StepStarted,
)
from mabs_wizard.findings import Finding
from mabs_wizard.flow import STEPS, run, validate
from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.resolver import Secrets
from mabs_wizard.secret_store import terminal_password


def finding_problem(doc: Document, answers: Answers, f: Finding) -> str:
    """FILE:LINE:COL: field: message for a rule's finding (host facts point at the facts file)."""
    f = f.for_file()
    remedy = f" (remedy: {f.remedy})" if f.remedy else ""
    return doc.problem(finding_location(answers.prerequisites, f), f"{f.message}{remedy}")


def finding_location(prerequisites: PrerequisitesAnswers | None, f: Finding) -> tuple[str, ...]:
    """The answers field a finding is about; findings on the host's facts, the facts file's field."""
    loc: tuple[str, ...] = tuple(f.field.split(".")) if f.field else ("prerequisites",)
    if loc == ("prerequisites",) and prerequisites is not None and prerequisites.facts_file is not None:
        loc = ("prerequisites", "facts_file")
    return loc


class LinePrinter:
    """Events -> plain lines. Progress is throttled to one line per second (plus 100%)."""

    def __init__(self, out: TextIO = sys.stdout, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.clock, self._last = out, clock, 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._print(f"[{event.step}] {event.title}")
        elif isinstance(event, Progress):
            now = self.clock()
            if event.done < event.total and now - self._last < 1.0:
                return
            self._last = now
            pct = 100 * event.done / event.total if event.total else 100.0
            rate = f" {event.rate / 2**20:.0f} MiB/s" if event.rate else ""
            eta = f" ETA {event.eta:.0f}s" if event.eta is not None and event.done < event.total else ""
            self._print(f"  progress {pct:5.1f}% {event.done / 2**20:.1f}/{event.total / 2**20:.1f} MiB, "
                        f"{event.files_done}/{event.files_total} files{rate}{eta}")
        elif isinstance(event, Message):
            self._print(f"  {event.level.upper():7} {event.text}")
        elif isinstance(event, StepDone):
            self._print(f"[{event.step}] {event.status}" + (f" ({event.summary})" if event.summary else ""))

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def check_all(path: Path, *, secrets: Secrets | None = None, now: datetime | None = None, out: TextIO = sys.stdout
              ) -> tuple[Document, Answers, CheckContext]:
    """Load and run every rule; print each check; InputError with FILE:LINE:COL for every error."""
    doc, answers = load_with_document(path)
    now = now or datetime.now(timezone.utc)
    try:
        facts, source, facts_path = load_context_facts(answers.prerequisites.facts_file, now=now,
                                                       scratch_paths=(answers.installation.scratch,))
    except InputError as exc:
        problems = [doc.problem(("prerequisites", "facts_file"), line) for line in exc.lines()]
        raise InputError(str(exc), problems) from None
    ctx = CheckContext(facts=facts, facts_source=source, facts_path=facts_path, secrets=secrets or Secrets(), now=now)
    results = validate(answers, ctx)
    problems: list[str] = []
    for key, findings in results.items():
        print(f"[{key}] {STEPS[key].title}", file=out)
        for f in findings:
            print(f"  {f.line()}", file=out)
            if f.level == "error":
                problems.append(finding_problem(doc, answers, f))
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s)", problems)
    return doc, answers, ctx


@contextmanager
def cancel_on_sigterm(token: CancelToken) -> Iterator[None]:
    """SIGTERM (and SIGINT) set the token; the worker stops at its next chunk and cleans up."""
    def handler(signum: int, frame: object) -> None:
        token.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def replay_file(path: Path, output: Path, *, out: TextIO = sys.stdout, secrets: Secrets | None = None,
                store: object | None = None, now: datetime | None = None) -> Path:
    _doc, answers, check_ctx = check_all(path, secrets=secrets, now=now, out=out)
    token = CancelToken()
    ctx = RunContext(**vars(check_ctx), output_dir=output, emit=LinePrinter(out), cancel=token,
                     answers_path=path.resolve(), store=store,
                     ask_store_password=terminal_password if sys.stdin is not None and sys.stdin.isatty() else None)
    # Opened before Ctrl+C is turned into a cancel request: a store password prompt must stay
    # interruptible (a blocked terminal read would otherwise ignore it).
    ctx.secret_store(answers.secret_store)
    with cancel_on_sigterm(token):
        manifest = run(answers, ctx)
    target = output / MANIFEST_NAME
    print(f"manifest: {target} ({manifest.status})", file=out)  # type: ignore[attr-defined]
    print(f"secrets: {ctx.store.describe()}", file=out)
    return target
