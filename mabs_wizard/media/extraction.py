"""The extraction step: discover, verify, check the destination, extract to staging, publish.

This is what ``mabs-wizard extract``, replay and the TUI's extraction screen all call. It never
prints: progress and warnings go out as events; every refusal is an InputError naming the file.

Three ways a run ends well:
- the destination already holds this extraction (its completion record, exactly its files): it is
  verified and reused, nothing is extracted (``reused``);
- an interrupted run left a staging folder for the same media: what its journal lists and a
  re-check of size and digest proves is kept, the rest is extracted (``files_resumed``);
- otherwise everything is extracted into a new staging folder.
In every case the destination appears only complete, with its completion record.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken, Emit, Message, Progress, ignore
from mabs_wizard.findings import Finding, error, has_errors, passed
from mabs_wizard.media.destination import FIELD, destination_findings
from mabs_wizard.media.discovery import discover
from mabs_wizard.media.finisher import Finisher
from mabs_wizard.media.integrity import expected_digests, hash_parts
from mabs_wizard.media.journal import PartEntry, part_stat
from mabs_wizard.media.models import Backend, ExtractionResult, MediaSet, PartRecord, VerifyMode
from mabs_wizard.media.problems import refuse
from mabs_wizard.media.progress import ProgressMeter
from mabs_wizard.media.record import Verification, build_record, describe, has_record, verify_destination, write_record
from mabs_wizard.media.resume import Recheck, ResumePlan, announce, plan_resume, report_failed
from mabs_wizard.media.spanned import SpannedReader
from mabs_wizard.media.staging import Staging, clear_stale
from mabs_wizard.media.zipbackend import extract_zip, plan_zip

NOT_RUN = "Setup.exe is a Windows program: it is not run on this host; run it on the Windows server"


def payload_blocks(media: MediaSet) -> int:
    """Bytes the extracted payload takes on disk (each file rounded up to a 4 KiB block)."""
    if media.kind == "zip":
        with SpannedReader(media.paths) as reader:
            return plan_zip(media, reader).blocks_bytes
    from mabs_wizard.media.innobackend import plan_inno  # only Inno media need it (and its innoextract runner)

    return plan_inno(media).blocks_bytes


def check_destination(source_or_set: Path | MediaSet, destination: Path, *, free_bytes: int | None = None,
                      verify: VerifyMode = "quick") -> list[Finding]:
    """Pre-flight for a destination: usable, writable, room for the payload (and 4 GB for MABS); or,
    when it already holds a completed extraction of this media, that extraction verified (a pass:
    it will be reused) or how it differs (errors naming each difference).

    Raises InputError when the media itself is invalid. ``free_bytes`` overrides the measured free
    space (tests, or a UI showing "what if").
    """
    media = source_or_set if isinstance(source_or_set, MediaSet) else discover(Path(source_or_set))
    destination = Path(os.path.abspath(destination))
    if has_record(destination):
        try:
            expected, _warnings = expected_digests(media)
            verified = verify_destination(destination, media, expected=expected, mode=verify)
        except InputError as exc:
            return [error("media.destination-differs", FIELD, line) for line in exc.lines()]
        if verified is not None:
            return [passed("media.destination-extracted", FIELD,
                           f"{destination}: already extracted from this media, verified ({describe(verified)}); "
                           "it will be reused, not extracted again")]
    return destination_findings(media, payload_blocks(media), destination, free_bytes=free_bytes)


def _refuse_on_errors(findings: list[Finding]) -> None:
    if has_errors(findings):
        raise refuse([f"{f.message}; {f.remedy}" if f.remedy else f.message for f in findings if f.level == "error"])


def extract(
    source: Path,
    destination: Path,
    *,
    emit: Emit = ignore,
    cancel: CancelToken | None = None,
    step: str = "extraction",
    durable: bool = True,
    verify: VerifyMode = "quick",
) -> ExtractionResult:
    """Verify and extract the installer set at ``source`` into ``destination`` (which must not exist,
    be empty, or hold exactly this extraction already: then it is verified and reused). Raises
    InputError for invalid media or destination, Cancelled on cancel; in every failure case nothing
    is left at the destination. ``verify="full"`` re-hashes every file (and the media) of a destination
    to be reused. ``durable=False`` skips the fsyncs (benchmarks).
    """
    started = time.monotonic()
    media = discover(Path(source))
    destination = Path(os.path.abspath(destination))
    expected, warnings = expected_digests(media)
    for warning in warnings:
        emit(Message(step, "warning", warning))
    if cancel is not None:
        cancel.raise_if_cancelled()
    verified = verify_destination(destination, media, expected=expected, mode=verify, cancel=cancel)
    if verified is not None:
        return _reused(media, destination, verified, emit=emit, step=step, started=started)
    sums_verified = _sums_verified(expected, warnings)
    if media.kind == "zip":
        result = _extract_zip(media, destination, emit=emit, cancel=cancel, step=step, expected=expected,
                              sums_verified=sums_verified, durable=durable)
    else:
        result = _extract_inno(media, destination, emit=emit, cancel=cancel, step=step, expected=expected,
                               sums_verified=sums_verified, durable=durable)
    if not result.setup_exe:
        emit(Message(step, "warning", "no Setup.exe in the extracted files: is this the MABS download?"))
    return ExtractionResult(
        source=media.folder,
        installer=media.installer,
        parts=result.parts,
        backend=result.backend,
        file_count=result.file_count,
        bytes_extracted=result.bytes_extracted,
        destination=str(destination),
        setup_exe_found=result.setup_exe is not None,
        setup_exe_path=result.setup_exe,
        sha256sums_verified=sums_verified,
        duration_s=round(time.monotonic() - started, 3),
        warnings=warnings + result.warnings,
        files_written=result.files_written,
        files_resumed=result.files_resumed,
        content_sha256=result.content_sha256,
    )


def _sums_verified(expected: dict[str, str] | None, warnings: list[str]) -> bool | None:
    return None if expected is None else not warnings


def _reused(media: MediaSet, destination: Path, verified: Verification, *, emit: Emit, step: str,
            started: float) -> ExtractionResult:
    record = verified.record
    clear_stale(destination, emit, step)
    count = len(record.files)
    emit(Progress(step=step, done=record.bytes, total=record.bytes, files_done=count, files_total=count))
    emit(Message(step, "pass", f"{destination}: already extracted, verified ({describe(verified)}); nothing extracted"))
    return ExtractionResult(
        source=media.folder,
        installer=media.installer,
        parts=record.media.parts,
        backend=record.tool.backend,
        file_count=count,
        bytes_extracted=record.bytes,
        destination=str(destination),
        setup_exe_found=record.setup_exe is not None,
        setup_exe_path=record.setup_exe,
        sha256sums_verified=record.media.sha256sums_verified,
        duration_s=round(time.monotonic() - started, 3),
        warnings=list(record.warnings),
        reused=True,
        verified=verified.mode,
        files_written=0,
        content_sha256=record.content_sha256,
    )


@dataclass(frozen=True)
class _Outcome:
    parts: list[PartRecord]
    backend: Backend
    file_count: int
    bytes_extracted: int
    files_written: int
    files_resumed: int
    setup_exe: str | None
    warnings: list[str]
    content_sha256: str


def _records(media: MediaSet, digests: list[str]) -> list[PartRecord]:
    return [PartRecord(name=p.name, size=p.size, sha256=d) for p, d in zip(media.parts, digests)]


# -- resuming (see resume.py) ----------------------------------------------------------------------
def _part_recorder(staging: Staging, media: MediaSet) -> Callable[[int, str], None]:
    """Journal each part's SHA-256 with the stat it was taken from, as the hasher finishes it."""

    def on_part(index: int, digest: str) -> None:
        if staging.journal is not None:
            part = media.parts[index]
            staging.journal.add_part(part.name, PartEntry(part.size, digest, part_stat(media.paths[index])))

    return on_part


def _journaled_bytes(destination: Path, identity: str) -> int:
    """Bytes an interrupted run for the same plan already holds (for the free-space check only)."""
    from mabs_wizard.media.journal import JOURNAL_NAME, read_journal
    from mabs_wizard.media.staging import stale_staging

    best = 0
    for stale in stale_staging(destination):
        state = read_journal(stale / JOURNAL_NAME)
        if state is not None and state.identity == identity:
            best = max(best, sum(-(-size // 4096) * 4096 for size, _ in state.files.values()))
    return best


# -- backends ---------------------------------------------------------------------------------------
def _extract_zip(media: MediaSet, destination: Path, *, emit: Emit, cancel: CancelToken | None, step: str,
                 expected: dict[str, str] | None, sums_verified: bool | None, durable: bool) -> _Outcome:
    with SpannedReader(media.paths) as reader:
        plan = plan_zip(media, reader)
        needed = plan.blocks_bytes - _journaled_bytes(destination, plan.identity)
        _refuse_on_errors(destination_findings(media, needed, destination))
        sizes = plan.sizes()
        with Staging(destination, identity=plan.identity, emit=emit, step=step, durable=durable) as staging:
            resume = plan_resume(staging, media, sizes, staging.tree, expected)
            announce(staging, resume, len(sizes), emit, step, "")
            journal = staging.start_journal({}, resume.part_entries)
            recheck = Recheck(staging.tree, resume.candidates, journal, cancel)
            try:
                meter = ProgressMeter(emit, step, plan.payload_bytes, plan.file_count)
                meter.already_done(resume.candidate_bytes, len(resume.candidates))
                finisher = Finisher(staging.tree, journal, durable=durable)
                outcome = extract_zip(media, reader, plan, staging.tree, destination=destination, meter=meter,
                                      expected=expected, cancel=cancel, finisher=finisher,
                                      kept=set(resume.candidates), recheck=lambda: _rechecked(recheck, emit, step),
                                      known_parts=resume.parts, on_part=_part_recorder(staging, media))
            finally:
                recheck.close()
            digests = {**recheck.kept, **finisher.digests}
            parts = _records(media, outcome.part_sha256)
            record = build_record(staging.tree, media, parts, backend="zip", backend_version=None, digests=digests,
                                  setup_exe=outcome.setup_exe, sha256sums_verified=sums_verified,
                                  warnings=[])
            write_record(staging.tree, record)
            staging.commit()
    return _Outcome(parts, "zip", outcome.file_count, outcome.bytes_extracted, outcome.files_written,
                    len(recheck.kept), outcome.setup_exe, [], record.content_sha256)


def _rechecked(recheck: Recheck, emit: Emit, step: str) -> set[str]:
    failed = recheck.failed()
    report_failed(failed, emit, step)
    return failed


def _extract_inno(media: MediaSet, destination: Path, *, emit: Emit, cancel: CancelToken | None, step: str,
                  expected: dict[str, str] | None, sums_verified: bool | None, durable: bool) -> _Outcome:
    from mabs_wizard.media.innobackend import APP_PREFIX, extract_inno, include_arguments, plan_inno

    plan = plan_inno(media)
    needed = plan.blocks_bytes - _journaled_bytes(destination, plan.identity)
    _refuse_on_errors(destination_findings(media, needed, destination))
    sizes = plan.sizes()
    with Staging(destination, identity=plan.identity, emit=emit, step=step, durable=durable) as staging:
        app = staging.tree / APP_PREFIX.rstrip("/")
        resume = plan_resume(staging, media, sizes, app, expected)
        include = include_arguments(plan, set(resume.candidates))
        how = " (innoextract --include for each of them)" if resume.candidates else ""
        if include is None:  # too many files left to name them on a command line
            how = (": innoextract cannot be told which files to skip in so many words (the --include list "
                   "would not fit a command line), so it extracts them all again")
            resume = ResumePlan({}, resume.parts, resume.part_entries)
            staging.discard_except(set(), app)
            include = include_arguments(plan, set())
        announce(staging, resume, len(sizes), emit, step, how)
        journal = staging.start_journal({}, resume.part_entries)
        recheck = Recheck(app, resume.candidates, journal, cancel)
        meter = ProgressMeter(emit, step, plan.payload_bytes, plan.file_count)

        # The parts' SHA-256 (manifest, SHA256SUMS) is computed while innoextract reads the same
        # bytes: both read from the page cache, on different cores.
        hashed: dict[str, object] = {}
        stop = CancelToken()

        def hash_worker() -> None:
            try:
                hashed["digests"] = hash_parts(media.paths, expected, stop, known=resume.parts,
                                               on_part=_part_recorder(staging, media))
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread below
                hashed["error"] = exc

        worker = threading.Thread(target=hash_worker, name="part-sha256", daemon=True)
        worker.start()
        finisher = Finisher(app, journal, durable=durable)
        extract_error: InputError | None = None
        try:
            outcome = extract_inno(media, plan, staging.tree, meter=meter, cancel=cancel, lock_fd=staging.lock_fd,
                                   finisher=finisher, kept=set(resume.candidates), include=include,
                                   recheck=lambda: _rechecked(recheck, emit, step))
            folders = [Path(d) for d, _dirs, _files in os.walk(app)]
            digests = {**recheck.kept, **finisher.finish(sorted(folders, key=lambda p: len(p.parts), reverse=True))}
        except InputError as exc:
            extract_error = exc  # let hashing finish: SHA256SUMS names a corrupt part best
        except BaseException:
            stop.cancel()
            worker.join()
            raise
        finally:
            finisher.close()
            recheck.close()
        worker.join()
        hash_error = hashed.get("error")
        if hash_error is not None and not isinstance(hash_error, InputError):
            raise hash_error  # type: ignore[misc]
        if extract_error is not None or hash_error is not None:
            errors = [e for e in (hash_error, extract_error) if isinstance(e, InputError)]
            problems = [line for e in errors for line in e.lines()]
            raise refuse(list(dict.fromkeys(problems)))
        for warning in outcome.warnings:
            emit(Message(step, "warning", warning))
        parts = _records(media, hashed["digests"])  # type: ignore[arg-type]
        record = build_record(app, media, parts, backend="innoextract", backend_version=plan.tool, digests=digests,
                              setup_exe=outcome.setup_exe, sha256sums_verified=sums_verified,
                              warnings=outcome.warnings)
        write_record(app, record)
        staging.commit(app)
    return _Outcome(parts, "innoextract", outcome.file_count, outcome.bytes_extracted, outcome.files_written,
                    len(recheck.kept), outcome.setup_exe, outcome.warnings, record.content_sha256)
