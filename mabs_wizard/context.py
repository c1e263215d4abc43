"""What a step's rules and work are given: the target's facts, the secrets, the clock, the store.

``CheckContext`` is for rules (pure: nothing written, nothing stored); ``RunContext`` adds what work
needs (output folder, event sink, cancel token, the secret store, earlier steps' results).
``StepOutcome`` is what a step's work returns. The same contexts serve replay, the TUI and tests.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken, Emit, ignore
from mabs_wizard.findings import Finding, error

if TYPE_CHECKING:
    from mabs_wizard.facts import TargetFacts
    from mabs_wizard.resolver import Secrets
    from mabs_wizard.secret_store import AskPassword

StepStatus = Literal["done", "checked", "handed-over", "failed"]


class SecretRecord(BaseModel):
    """Where a secret lives, never what it is (what the manifest keeps instead of a secret)."""

    model_config = ConfigDict(extra="forbid")

    store: Literal["keyring", "file"]
    path: str | None = Field(None, description="the encrypted store file, for store 'file'")
    service: str
    username: str
    backend: str = Field(description="which keyring backend or encrypted file held it at write time")
    fingerprint: str = Field(description="salted, non-reversible; tells whether a later value is the same")
    source: str = Field(description="where the wizard got it: env:NAME, file:PATH, keyring:S/U, prompt or generated")


@dataclass
class CheckContext:
    facts: TargetFacts
    facts_source: str  # "probe" | "file"
    facts_path: Path | None
    secrets: Secrets
    now: datetime
    host_is_windows: bool = field(default_factory=lambda: sys.platform == "win32")
    # Findings of the last validate(): run() reuses them instead of judging everything twice.
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    # Work shared between steps within one check or run (a parsed vault file, a running probe).
    memo: dict[Any, Any] = field(default_factory=dict)

    def resolve(self, name: str, ref: Any, out: list[Finding]) -> str | None:
        """A secret's value for a rule; a reference that cannot be read becomes an error finding."""
        try:
            return self.secrets.resolve(name, ref)
        except InputError as exc:
            out.append(error("secret.unavailable", name, str(exc).split(": ", 1)[-1]))
            return None

    def memoised(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


@dataclass
class RunContext(CheckContext):
    output_dir: Path = Path(".")
    emit: Emit = ignore
    cancel: CancelToken = field(default_factory=CancelToken)
    answers_path: Path | None = None
    store: Any = None  # a SecretStore; None: opened from answers.secret_store on first use
    # How the encrypted file store's password is asked when no OS keyring is usable and
    # MABS_WIZARD_STORE_PASSWORD is unset: replay on a terminal asks there (no echo), the TUI in a
    # masked dialog; None: not asked (refused with how to give it).
    ask_store_password: AskPassword | None = None
    clock: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now(timezone.utc)))
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # earlier steps' results, by step

    def secret_store(self, conf: Any) -> Any:
        """The run's secret store: the one given, else opened as the answers' ``secret_store``
        section (``conf``: kind, file, service) says, once."""
        if self.store is None:
            from mabs_wizard.secret_store import open_configured

            self.store = open_configured(conf.kind, conf.file, ask_password=self.ask_store_password)
        return self.store

    def keep_secret(self, conf: Any, name: str, ref: Any) -> SecretRecord | None:
        """Put a resolved secret in the store; return the record the manifest keeps instead of it.

        Stored once per value: a replay of the same answers finds the same value under the same
        entry (its fingerprint matches) and does not write it again."""
        value = self.secrets.resolve(name, ref)
        if value is None:
            return None
        from mabs_wizard.errors import SecretStoreError
        from mabs_wizard.secret_store import fingerprint

        store = self.secret_store(conf)
        service, username = conf.service, f"{self.facts.computer_name}/{name}"
        try:
            stored = store.get(service, username) == value
        except SecretStoreError:  # no entry yet (or unreadable): written below
            stored = False
        if not stored:
            store.put(service, username, value)
        return SecretRecord(**store.reference(service, username), backend=store.describe(),
                            fingerprint=fingerprint(value), source=self.secrets.source(name))

    def in_background(self, key: str, work: Callable[[], Any]) -> Future[Any]:
        """Start ``work`` once per run on its own thread; the step that needs it waits on the future.

        For work that does not hold the GIL (network waits, the scrypt KDF), so it overlaps the
        I/O-bound extraction instead of adding to the run's length."""
        if key not in self.memo:
            future: Future[Any] = Future()

            def worker() -> None:
                try:
                    future.set_result(work())
                except BaseException as exc:  # handed to the step that waits, which reports it
                    future.set_exception(exc)

            threading.Thread(target=worker, name=f"mabs-wizard-{key}", daemon=True).start()
            self.memo[key] = future
        return self.memo[key]  # type: ignore[no-any-return]


@dataclass
class StepOutcome:
    status: StepStatus
    findings: list[Finding] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, SecretRecord] = field(default_factory=dict)


def load_context_facts(facts_file: Path | None, *, now: datetime | None = None, scratch_paths: tuple[str, ...] = ()
                       ) -> tuple[TargetFacts, str, Path | None]:
    """The facts the rules judge: a facts file collected on the target, else a probe of this host
    (``scratch_paths``: the scratch folders whose attributes the probe reads on Windows)."""
    from mabs_wizard.facts import load_facts, probe_local

    if facts_file is not None:
        return load_facts(facts_file), "file", facts_file
    return probe_local(now, scratch_paths=scratch_paths), "probe", None
