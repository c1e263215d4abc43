"""The MABS setup flow: its phases and steps, checking them, and running them into a manifest.

Replay and the TUI call the same functions; only the event sink differs (plain lines vs widgets).
Each step is declared once here: its answers model, its rules (``check``) and its work (``apply``).
"""

from __future__ import annotations

import platform
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mabs_wizard import __version__
from mabs_wizard.answers.dump import dump_answers  # noqa: F401 - part of the flow API the UI uses
from mabs_wizard.answers.models import (
    ANSWERS_VERSION,
    SECTIONS,
    Answers,
    EncryptionAnswers,
    ExtractionAnswers,
    InstallationAnswers,
    PrerequisitesAnswers,
    ProxyAnswers,
    SecretStoreAnswers,
    Section,
    SecurityAnswers,
    SqlAnswers,
    UpdatesAnswers,
    VaultAnswers,
)
from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken, Emit, Message, StepDone, StepStarted, ignore
from mabs_wizard.facts import TargetFacts, load_facts, probe_local
from mabs_wizard.findings import Finding, error, has_errors, passed, warning
from mabs_wizard.manifest import MANIFEST_NAME, Manifest, SecretRecord, StepStatus, secret_fields, write_manifest
from mabs_wizard.resolver import Secrets
from mabs_wizard.steps.installation import check_installation
from mabs_wizard.steps.prerequisites import check_prerequisites
from mabs_wizard.steps.security import check_password, restricted_accounts
from mabs_wizard.steps.sql import check_sql

Sections = Mapping[str, BaseModel]


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    steps: tuple[str, ...]


PHASES: list[Phase] = [
    Phase("extract", "Extract installer", ("extraction",)),
    Phase("setup", "MABS setup", ("prerequisites", "sql", "installation", "security", "updates")),
    Phase("mars", "MARS agent", ("proxy",)),
    Phase("register", "Register server", ("vault", "encryption")),
]
PHASE_OF = {step: phase.key for phase in PHASES for step in phase.steps}


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


@dataclass
class RunContext(CheckContext):
    output_dir: Path = Path(".")
    emit: Emit = ignore
    cancel: CancelToken = field(default_factory=CancelToken)
    answers_path: Path | None = None
    store: Any = None  # a SecretStore; None: opened from answers.secret_store on first use
    # May the encrypted file store ask for its password on the terminal (no echo), when stdin is one
    # and MABS_WIZARD_STORE_PASSWORD is unset? The CLI's replay: yes. The TUI owns the terminal and
    # passes its own store (its password asked in a dialog).
    ask_store_password: bool = False
    clock: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now(timezone.utc)))
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # earlier steps' results, by step


@dataclass
class StepOutcome:
    status: StepStatus
    findings: list[Finding] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, SecretRecord] = field(default_factory=dict)


def load_context_facts(prereq: PrerequisitesAnswers | None, *, now: datetime | None = None) -> tuple[TargetFacts, str, Path | None]:
    if prereq is not None and prereq.facts_file is not None:
        return load_facts(prereq.facts_file), "file", prereq.facts_file
    return probe_local(now), "probe", None


# --------------------------------------------------------------------------- checks (pure rules)


def _resolve(ctx: CheckContext, name: str, ref: Any, out: list[Finding]) -> str | None:
    try:
        return ctx.secrets.resolve(name, ref)
    except InputError as exc:
        out.append(error("secret.unavailable", name, str(exc).split(": ", 1)[-1]))
        return None


def check_extraction(s: Sections, ctx: CheckContext) -> list[Finding]:
    ext: ExtractionAnswers = s["extraction"]  # type: ignore[assignment]
    from mabs_wizard import media

    try:
        media_set = media.discover(ext.source)
    except InputError as exc:
        return [error("extraction.media", "extraction.source", str(exc))]
    findings = [passed("extraction.media", "extraction.source", f"{len(media_set.parts)} part(s), {media_set.total_size / 2**20:.1f} MiB, {media_set.kind}")]
    return findings + media.check_destination(media_set, ext.destination)


def check_prereqs(s: Sections, ctx: CheckContext) -> list[Finding]:
    return check_prerequisites(s.get("prerequisites") or PrerequisitesAnswers(), ctx.facts)  # type: ignore[arg-type]


def _version(s: Sections) -> str:
    prereq = s.get("prerequisites")
    return prereq.mabs_version if isinstance(prereq, PrerequisitesAnswers) else "v4"


def check_sql_step(s: Sections, ctx: CheckContext) -> list[Finding]:
    sql: SqlAnswers = s["sql"]  # type: ignore[assignment]
    out = check_sql(sql, ctx.facts, _version(s))
    _resolve(ctx, "sql.admin_password", sql.admin_password, out)
    return out


def check_installation_step(s: Sections, ctx: CheckContext) -> list[Finding]:
    return check_installation(s["installation"], ctx.facts, s.get("sql"))  # type: ignore[arg-type]


def check_security(s: Sections, ctx: CheckContext) -> list[Finding]:
    sec: SecurityAnswers = s["security"]  # type: ignore[assignment]
    out: list[Finding] = []
    password = _resolve(ctx, "security.password", sec.password, out)
    confirm = _resolve(ctx, "security.confirm_password", sec.confirm_password, out)
    if out:
        return out
    return check_password(password, confirm, ctx.facts.computer_name, confirm_given=sec.confirm_password is not None)


def check_updates(s: Sections, ctx: CheckContext) -> list[Finding]:
    upd: UpdatesAnswers = s["updates"]  # type: ignore[assignment]
    text = "Microsoft Update will be used to check for updates" if upd.microsoft_update else "Microsoft Update not used (updates are your responsibility)"
    return [passed("updates.opt-in", "updates.microsoft_update", text)]


def check_proxy(s: Sections, ctx: CheckContext) -> list[Finding]:
    proxy: ProxyAnswers = s["proxy"]  # type: ignore[assignment]
    out: list[Finding] = []
    if proxy.use_proxy:
        _resolve(ctx, "proxy.password", proxy.password, out)
    if proxy.ca_file is not None and not proxy.ca_file.is_file():
        out.append(error("proxy.ca-file", "proxy.ca_file", f"CA file {proxy.ca_file} does not exist"))
    if not out:
        how = f"through proxy {proxy.host}:{proxy.port}" if proxy.use_proxy else "directly (no proxy)"
        out.append(passed("proxy.settings", "proxy.use_proxy", f"the MARS agent will reach Azure {how}"))
    return out


def check_vault_step(s: Sections, ctx: CheckContext) -> list[Finding]:
    va: VaultAnswers = s["vault"]  # type: ignore[assignment]
    from mabs_wizard.vault import check_vault

    try:
        creds = _vault_credentials(ctx, va.credentials_file)
    except InputError as exc:
        return [error("vault.parse", "vault.credentials_file", str(exc))]
    out = check_vault(creds, now=ctx.now, target_path=va.target_path, max_age_hours=va.max_age_hours)
    if va.target_path is None:
        out.append(warning("vault.target-path", "vault.target_path", "no target path: the ini's VaultCredentialFilePath will be a placeholder",
                           "set vault.target_path to where the file will be on the server (no spaces)"))
    return out


def _vault_credentials(ctx: CheckContext, path: Path) -> Any:
    """Parse once per (file, version): loading the PKCS#12 inside costs ~40 ms each time."""
    from mabs_wizard.vault import parse_vault_credentials

    try:
        st = path.stat()
        key = ("vault", str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return parse_vault_credentials(path)  # let the parser report the missing file
    if key not in ctx.memo:
        ctx.memo[key] = parse_vault_credentials(path)
    return ctx.memo[key]


def check_encryption(s: Sections, ctx: CheckContext) -> list[Finding]:
    enc: EncryptionAnswers = s["encryption"]  # type: ignore[assignment]
    from mabs_wizard.passphrase import check_passphrase, check_save_location

    out: list[Finding] = []
    value = _resolve(ctx, "encryption.passphrase", enc.passphrase, out)
    confirm = _resolve(ctx, "encryption.confirm_passphrase", enc.confirm_passphrase, out)
    if value is not None:
        out += check_passphrase(value, confirm if enc.confirm_passphrase is not None else value)
    ext = s.get("extraction")
    inst = s.get("installation") or InstallationAnswers()
    out += check_save_location(
        enc.save_location,
        same_machine_as_target=ctx.facts_source == "probe",
        extraction_dir=ext.destination if isinstance(ext, ExtractionAnswers) else None,
        install_dirs=[inst.program_files, inst.database_files, inst.scratch],  # type: ignore[union-attr]
    )
    return out


# --------------------------------------------------------------------------- work (apply)


def secret_store_for(answers: Answers, ctx: RunContext) -> Any:
    """The run's secret store: the one given, else opened as answers.secret_store says (once)."""
    if ctx.store is None:
        from mabs_wizard.secret_store import open_store

        conf: SecretStoreAnswers = answers.secret_store
        # unlock_prompt stays off: a locked keyring is reported, not unlocked by a desktop dialog
        # that a headless run could wait on for minutes.
        ctx.store = open_store(conf.kind, file_path=conf.file, interactive=ctx.ask_store_password, unlock_prompt=False)
    return ctx.store


def _keep_secret(answers: Answers, ctx: RunContext, name: str, ref: Any) -> SecretRecord | None:
    """Put a resolved secret in the store; return the record the manifest keeps instead of it."""
    value = ctx.secrets.resolve(name, ref)
    if value is None:
        return None
    from mabs_wizard.secret_store import fingerprint

    store = secret_store_for(answers, ctx)
    service, username = answers.secret_store.service, f"{ctx.facts.computer_name}/{name}"
    store.put(service, username, value)
    return SecretRecord(**store.reference(service, username), backend=store.describe(),
                        fingerprint=fingerprint(value), source=ctx.secrets.source(name))


def apply_extraction(answers: Answers, ctx: RunContext) -> StepOutcome:
    from mabs_wizard import media

    ext = answers.extraction
    result = media.extract(ext.source, ext.destination, emit=ctx.emit, cancel=ctx.cancel, step="extraction")
    data = result.model_dump(mode="json")
    if ext.execute_setup and data.get("setup_exe_found"):
        where = "this Windows host" if ctx.host_is_windows else f"this {platform.system()} host"
        ctx.emit(Message("extraction", "info", f"Execute setup.exe: not run on {where}; the handover lists the exact command for the target"))
    return StepOutcome("done", result=data)


def _findings(key: str, answers: Answers, ctx: RunContext) -> list[Finding]:
    if key not in ctx.findings:
        ctx.findings[key] = check_step(key, _sections(answers), ctx)
    return list(ctx.findings[key])


def apply_prerequisites(answers: Answers, ctx: RunContext) -> StepOutcome:
    findings = _findings("prerequisites", answers, ctx)
    log = write_setup_log(ctx, findings)
    return StepOutcome("checked", findings, {"setup_log": str(log), "facts_source": ctx.facts_source})


def apply_checked(key: str) -> Callable[[Answers, RunContext], StepOutcome]:
    def apply(answers: Answers, ctx: RunContext) -> StepOutcome:
        outcome = StepOutcome("checked", _findings(key, answers, ctx))
        for name in secret_fields(STEPS[key].model):
            if name.startswith("confirm"):
                continue  # a confirmation is only checked, never stored
            record = _keep_secret(answers, ctx, f"{key}.{name}", getattr(getattr(answers, key), name))
            if record is not None:
                outcome.secrets[name] = record
                outcome.status = "done"
        return outcome

    return apply


def apply_security(answers: Answers, ctx: RunContext) -> StepOutcome:
    outcome = apply_checked("security")(answers, ctx)
    outcome.result["accounts"] = restricted_accounts(ctx.facts.computer_name)
    return outcome


def apply_installation(answers: Answers, ctx: RunContext) -> StepOutcome:
    from mabs_wizard.steps.installation import space_plan

    outcome = apply_checked("installation")(answers, ctx)
    outcome.result["space_needed_bytes"] = {d: sum(n for _, n in needs) for d, needs in space_plan(answers.installation, answers.sql).items()}
    return outcome


def apply_proxy(answers: Answers, ctx: RunContext) -> StepOutcome:
    proxy = answers.proxy
    if not proxy.check:
        outcome = apply_checked("proxy")(answers, ctx)
        outcome.result["connectivity"] = None
        return outcome
    from mabs_wizard.connectivity import judge_report, with_capabilities

    report = _connectivity(answers, ctx).result()
    verdict = judge_report(report)  # an error if the proxy refused the credentials
    # A password the proxy refused is not put in the secret store: nothing may use it later.
    outcome = StepOutcome("checked", _findings("proxy", answers, ctx)) if has_errors(verdict) else apply_checked("proxy")(answers, ctx)
    outcome.result["connectivity"] = with_capabilities(report, proxy.subscription_state)
    for ep in report.endpoints:
        ctx.emit(Message("proxy", "info" if ep.outcome == "reachable" else "warning", f"{ep.url}: {ep.outcome} {ep.detail}".rstrip()))
    outcome.findings += verdict
    outcome.status = "done"
    return outcome


def _in_background(ctx: RunContext, key: str, work: Callable[[], Any]) -> Future[Any]:
    """Start ``work`` once per run on its own thread; the step that needs it waits on the future.

    For work that does not hold the GIL (network waits, the scrypt KDF), so it overlaps the
    I/O-bound extraction instead of adding to the run's length.
    """
    if key not in ctx.memo:
        future: Future[Any] = Future()

        def worker() -> None:
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the step that waits, which reports it
                future.set_exception(exc)

        threading.Thread(target=worker, name=f"mabs-wizard-{key}", daemon=True).start()
        ctx.memo[key] = future
    return ctx.memo[key]


def _connectivity(answers: Answers, ctx: RunContext) -> Future[Any]:
    def probe() -> Any:
        from mabs_wizard.connectivity import check_answers

        proxy = answers.proxy
        return check_answers(proxy, password=ctx.secrets.resolve("proxy.password", proxy.password), cancel=ctx.cancel)

    return _in_background(ctx, "connectivity", probe)


def _verifier(answers: Answers, ctx: RunContext) -> Future[Any]:
    def derive() -> Any:
        from mabs_wizard.passphrase import make_verifier

        return make_verifier(ctx.secrets.resolve("encryption.passphrase", answers.encryption.passphrase) or "")

    return _in_background(ctx, "verifier", derive)


def apply_vault(answers: Answers, ctx: RunContext) -> StepOutcome:
    outcome = apply_checked("vault")(answers, ctx)
    creds = _vault_credentials(ctx, answers.vault.credentials_file)
    outcome.result = creds.model_dump(mode="json")
    return outcome


def apply_encryption(answers: Answers, ctx: RunContext) -> StepOutcome:
    from mabs_wizard.passphrase import write_passphrase_file

    outcome = apply_checked("encryption")(answers, ctx)
    value = ctx.secrets.resolve("encryption.passphrase", answers.encryption.passphrase)
    assert value is not None  # checked above: the passphrase reference is required
    vault_name = ctx.results.get("vault", {}).get("resource_name", "vault")
    path = write_passphrase_file(answers.encryption.save_location, value, vault_name=vault_name,
                                 machine=ctx.facts.computer_name, now=ctx.now)
    outcome.result["passphrase_file"] = str(path)
    outcome.result["verifier"] = _verifier(answers, ctx).result().model_dump(mode="json")
    ctx.emit(Message("encryption", "info", f"passphrase saved to {path} (mode 0600) and to the secret store"))
    return outcome


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    model: type[Section]
    check: Callable[[Sections, CheckContext], list[Finding]]
    apply: Callable[[Answers, RunContext], StepOutcome]

    @property
    def phase(self) -> str:
        return PHASE_OF[self.key]


STEPS: dict[str, Step] = {
    s.key: s
    for s in (
        Step("extraction", "Extract installer files", ExtractionAnswers, check_extraction, apply_extraction),
        Step("prerequisites", "Prerequisite checks", PrerequisitesAnswers, check_prereqs, apply_prerequisites),
        Step("sql", "SQL settings", SqlAnswers, check_sql_step, apply_checked("sql")),
        Step("installation", "Installation settings", InstallationAnswers, check_installation_step, apply_installation),
        Step("security", "Security settings", SecurityAnswers, check_security, apply_security),
        Step("updates", "Microsoft Update opt-in", UpdatesAnswers, check_updates, apply_checked("updates")),
        Step("proxy", "MARS agent: Internet connectivity and proxy", ProxyAnswers, check_proxy, apply_proxy),
        Step("vault", "Vault identification", VaultAnswers, check_vault_step, apply_vault),
        Step("encryption", "Encryption setting", EncryptionAnswers, check_encryption, apply_encryption),
    )
}


def _sections(answers: Answers) -> dict[str, BaseModel]:
    return {name: getattr(answers, name) for name in type(answers).model_fields if name != "version"}


def check_step(key: str, sections: Sections, ctx: CheckContext) -> list[Finding]:
    """The rules of one step over the sections known so far (a TUI form, or a whole answers file)."""
    return STEPS[key].check(sections, ctx)


def validate(answers: Answers, ctx: CheckContext) -> dict[str, list[Finding]]:
    """Every rule of every step; no side effects (nothing written, nothing stored)."""
    sections = _sections(answers)
    ctx.findings = {key: check_step(key, sections, ctx) for key in STEPS}
    return dict(ctx.findings)


# --------------------------------------------------------------------------- run


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
    outcome = step.apply(answers, ctx)
    counts = {level: sum(f.level == level for f in outcome.findings) for level in ("pass", "warning", "error")}
    summary = ", ".join(f"{n} {level}" for level, n in counts.items() if n)
    ctx.emit(StepDone(key, "failed" if counts["error"] else outcome.status, summary))
    return outcome


def run(answers: Answers, ctx: RunContext, *, done: dict[str, StepOutcome] | None = None) -> BaseModel:
    """Apply every step (those in ``done`` already ran, e.g. the TUI's extraction) and write the manifest."""
    started = ctx.clock()
    secret_store_for(answers, ctx)  # fail before any work if no secret store can be used
    outcomes: dict[str, StepOutcome] = dict(done or {})
    if answers.proxy.check and "proxy" not in outcomes:
        _connectivity(answers, ctx)  # network-bound: overlaps the I/O-bound extraction
    if "encryption" not in outcomes:
        _verifier(answers, ctx)  # the deliberate KDF cost, off the critical path
    for key in STEPS:
        if key not in outcomes:
            outcomes[key] = run_step(key, answers, ctx)
        ctx.results[key] = outcomes[key].result
        if has_errors(outcomes[key].findings):
            raise InputError(f"step {key} failed", [f.line() for f in outcomes[key].findings if f.level == "error"])
    manifest = build_manifest(answers, ctx, outcomes, started)
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(ctx.output_dir / MANIFEST_NAME, manifest)
    return manifest


def build_manifest(answers: Answers, ctx: RunContext, outcomes: dict[str, StepOutcome], started: datetime) -> BaseModel:
    store = secret_store_for(answers, ctx)
    sections: dict[str, Any] = {}
    for key, step in STEPS.items():
        outcome = outcomes[key]
        settings = getattr(answers, key).model_dump(mode="json", exclude=set(secret_fields(step.model)))
        for name in secret_fields(step.model):
            settings[name] = outcome.secrets.get(name)
        sections[key] = {
            "title": step.title,
            "phase": step.phase,
            "status": outcome.status,
            "settings": settings,
            "findings": [f.model_dump() for f in outcome.findings],
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


def handover(answers: Answers, ctx: CheckContext) -> dict[str, Any]:
    """What must run on the Windows target: the wizard never runs Windows setup programs itself."""
    reason = (
        "MABS setup, the MARS agent installer and registration are Windows programs; this host runs "
        f"{platform.system()}, so they are handed over to the target"
        if not ctx.host_is_windows
        else "running MABS setup from the wizard is not implemented; run these commands in an elevated prompt"
    )
    dest = str(answers.extraction.destination)
    steps = [
        f"Copy the extracted folder {dest} and the vault credentials file to {ctx.facts.computer_name}",
        "mabs-wizard export install-manifest.json --format mabs-ini --output MABSSetup.ini --with-secrets (on a trusted machine; delete after use)",
        "start /wait <extracted folder>\\Setup.exe /i /f <folder>\\MABSSetup.ini /l <folder>\\setup.log",
        "mabs-wizard export install-manifest.json --format ps1 --output Install-MABS.ps1  (MARS proxy and registration; asks for secrets at run time)",
    ]
    return {"status": "handed-over", "reason": reason, "target": ctx.facts.computer_name, "steps": steps, "exports": ["mabs-ini", "mars-cmd", "ps1"]}


def write_setup_log(ctx: RunContext, findings: list[Finding]) -> Path:
    """A prerequisite log in the spirit of DpmSetup.log (S4: failed prerequisites are listed there)."""
    from mabs_wizard.fsutil import atomic_write_text

    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = ctx.now.strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"[{stamp}] mabs-wizard {__version__} prerequisite check for {ctx.facts.computer_name} (facts: {ctx.facts_source}"
             + (f" {ctx.facts_path}" if ctx.facts_path else "") + ")"]
    for f in findings:
        lines.append(f"[{stamp}] {f.level.upper():7} {f.code}: {f.message}" + (f" | remedy: {f.remedy}" if f.remedy and f.level != "pass" else ""))
    errors = sum(f.level == "error" for f in findings)
    lines.append(f"[{stamp}] Prerequisite check {'failed' if errors else 'passed'}: {errors} error(s), "
                 f"{sum(f.level == 'warning' for f in findings)} warning(s)")
    return atomic_write_text(ctx.output_dir / "MabsWizardSetup.log", "\n".join(lines) + "\n", mode=0o644)
