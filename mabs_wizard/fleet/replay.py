"""``mabs-wizard fleet replay``: every valid host replayed, the media extracted once for the fleet.

The hosts share the download: it is verified and extracted once (the ``extraction`` step run once,
its outcome handed to each host's run as already done), then each host runs the other steps as
``mabs-wizard replay`` does, into ``DIR/<host>/``: its manifest, its merged answers (secrets as
references) and its setup log. Secrets are stored under ``<computer name>/<field>`` (the flow's own
naming), so hosts never share an entry; each host's passphrase file is named after its computer.

A host whose answers are invalid is reported and not run; one that fails while running is reported
and the others still run. ``DIR/fleet.json`` (schema: ``mabs-wizard schema fleet``) says how each went.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from mabs_wizard import __version__
from mabs_wizard.errors import EXIT_FAILED, EXIT_INVALID, Cancelled, InputError, WizardError
from mabs_wizard.fleet.check import HostCheck, check_fleet
from mabs_wizard.fleet.report import FLEET_REPORT_NAME, ExtractionReport, FleetReport, HostReport, Problem
from mabs_wizard.fleet.validate import host_report


def exit_code(report: FleetReport) -> int:
    """0: every host ready for its target; 1: a host failed for another reason than its input; 2: invalid input."""
    statuses = {h.status for h in report.hosts}
    if statuses <= {"ready-for-target"}:
        return 0
    return EXIT_FAILED if "failed" in statuses else EXIT_INVALID


def replay_fleet(template: Path, inventory: str, group: str | None, output: Path, *, out: TextIO = sys.stdout,
                 now: datetime | None = None) -> FleetReport:
    from mabs_wizard.events import CancelToken
    from mabs_wizard.replay import cancel_on_sigterm

    started = datetime.now(timezone.utc)
    if output.exists() and not output.is_dir():
        raise InputError(f"{output}: is a file; --output must be a folder")
    _doc, inv, checks = check_fleet(template, inventory, group, now=now, keep=True)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{output}: cannot create the output folder ({exc.strerror})") from None

    rows = {c.host.name: host_report(c, "blocked") for c in checks}  # invalid hosts stay blocked, not run
    ready = [c for c in checks if not c.errors and c.answers is not None]
    for c in ready:
        rows[c.host.name].status = "not-run"
    extraction = ExtractionReport(runs=0, status="not-run")
    token = CancelToken()
    stores: dict[tuple[str, str], Any] = {}

    def report() -> FleetReport:
        hosts = list(rows.values())
        return FleetReport(
            command="replay", tool={"version": __version__, "python": platform.python_version()},  # type: ignore[arg-type]
            started_at=started, finished_at=datetime.now(timezone.utc), template=str(template.resolve()), inventory=_source(inventory),
            group=inv.group, status="ready" if all(h.status == "ready-for-target" for h in hosts) else "incomplete",
            extraction=extraction, hosts=hosts,
        )

    try:
        with cancel_on_sigterm(token):
            if ready:
                outcome, extraction = _extract_once(ready[0], output, token, out)
                for c in ready:
                    if outcome is None:
                        rows[c.host.name] = _failed(c, "failed", f"the fleet's media extraction failed: {extraction.detail}")
                    else:
                        rows[c.host.name] = _run_host(c, outcome, output, token, out, stores)
    finally:
        final = report()
        _write_report(output / FLEET_REPORT_NAME, final)
    return final


def _extract_once(first: HostCheck, output: Path, token: Any, out: TextIO) -> tuple[Any, ExtractionReport]:
    """The ``extraction`` step, run once with the fleet's (the template's) extraction section."""
    from mabs_wizard.context import RunContext
    from mabs_wizard.flow import run_step
    from mabs_wizard.replay import LinePrinter

    answers = first.answers
    ext = answers.extraction
    print(f"== fleet: media {ext.source} -> {ext.destination} (extracted once for every host)", file=out, flush=True)
    ctx = RunContext(**{**vars(first.ctx), "memo": {}}, output_dir=output, emit=LinePrinter(out), cancel=token)
    base = {"source": str(ext.source), "destination": str(ext.destination)}
    try:
        outcome = run_step("extraction", answers, ctx)
    except Cancelled:
        raise
    except WizardError as exc:
        return None, ExtractionReport(runs=1, status="failed", detail=str(exc), **base)
    return outcome, ExtractionReport(runs=1, status="done", file_count=outcome.result.get("file_count"), **base)


def _run_host(c: HostCheck, extraction: Any, output: Path, token: Any, out: TextIO, stores: dict[tuple[str, str], Any]) -> HostReport:
    from mabs_wizard.answers.dump import dump_answers
    from mabs_wizard.context import RunContext
    from mabs_wizard.flow import run
    from mabs_wizard.manifest import MANIFEST_NAME
    from mabs_wizard.replay import LinePrinter
    from mabs_wizard.secret_store import terminal_password

    answers = c.answers
    folder = output.resolve() / c.host.name
    print(f"== {c.host.name} ({c.computer_name})", file=out, flush=True)
    try:
        folder.mkdir(exist_ok=True)
        answers_path = dump_answers(answers, folder / "answers.yaml")  # merged; secrets as references only
        conf = answers.secret_store
        key = (conf.kind, str(conf.file))
        # memo: a copy per host (it also holds this run's background work: the passphrase verifier).
        ctx = RunContext(**{**vars(c.ctx), "memo": dict(c.ctx.memo)}, output_dir=folder, emit=LinePrinter(out), cancel=token,
                         answers_path=answers_path, store=stores.get(key),
                         ask_store_password=terminal_password if sys.stdin is not None and sys.stdin.isatty() else None)
        stores[key] = ctx.secret_store(answers.secret_store)  # one store (one keyring connection) for the fleet
        manifest: Any = run(answers, ctx, done={"extraction": extraction})
    except Cancelled:
        raise
    except InputError as exc:
        return _failed(c, "blocked", *exc.lines())
    except WizardError as exc:
        return _failed(c, "failed", str(exc))
    except OSError as exc:
        return _failed(c, "failed", f"{exc.filename or folder}: {exc.strerror}")
    except Exception as exc:  # noqa: BLE001 - a bug for one host must not stop the others; reported, exit 1
        return _failed(c, "failed", f"unexpected {type(exc).__name__}: {exc} (a bug in mabs-wizard; rerun with --debug)")
    print(f"manifest: {folder / MANIFEST_NAME} ({manifest.status})", file=out, flush=True)
    row = host_report(c, manifest.status)
    row.folder, row.manifest, row.answers = str(folder), str(folder / MANIFEST_NAME), str(answers_path)
    row.setup_log = manifest.prerequisites.result.get("setup_log")
    row.passphrase_file = manifest.encryption.result.get("passphrase_file")
    return row


def _source(inventory: str) -> str:
    """The inventory as the export's README will pass it to ansible-playbook: absolute when it is a path."""
    path = Path(inventory)
    return str(path.resolve()) if path.exists() else inventory


def _failed(c: HostCheck, status: str, *lines: str) -> HostReport:
    row = host_report(c, status)
    row.problems = [*row.problems, *(Problem(host=c.host.name, level="error", field="", message=line) for line in lines)]
    row.errors = sum(p.level == "error" for p in row.problems)
    return row


def _write_report(path: Path, report: FleetReport) -> None:
    from mabs_wizard.fsutil import atomic_write_text

    # 0600, as the manifests: it names the hosts, their files and where their secrets are kept.
    atomic_write_text(path, report.model_dump_json(indent=2) + "\n", mode=0o600)
