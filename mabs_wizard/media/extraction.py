"""The extraction step: discover, verify, check the destination, extract to staging, publish.

This is what ``mabs-wizard extract``, replay and the TUI's extraction screen all call. It never
prints: progress and warnings go out as events; every refusal is an InputError naming the file.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken, Emit, Message, ignore
from mabs_wizard.findings import Finding, has_errors
from mabs_wizard.media.destination import destination_findings
from mabs_wizard.media.discovery import discover
from mabs_wizard.media.integrity import expected_digests, hash_parts
from mabs_wizard.media.models import Backend, ExtractionResult, MediaSet, PartRecord
from mabs_wizard.media.problems import refuse
from mabs_wizard.media.progress import ProgressMeter
from mabs_wizard.media.spanned import SpannedReader
from mabs_wizard.media.staging import Staging
from mabs_wizard.media.zipbackend import extract_zip, plan_zip

NOT_RUN = "Setup.exe is a Windows program: it is not run on this host; run it on the Windows server"


def payload_blocks(media: MediaSet) -> int:
    """Bytes the extracted payload takes on disk (each file rounded up to a 4 KiB block)."""
    if media.kind == "zip":
        with SpannedReader(media.paths) as reader:
            return plan_zip(media, reader).blocks_bytes
    from mabs_wizard.media.innobackend import plan_inno  # only Inno media need it (and its innoextract runner)

    return plan_inno(media).blocks_bytes


def check_destination(source_or_set: Path | MediaSet, destination: Path, *, free_bytes: int | None = None) -> list[Finding]:
    """Pre-flight for a destination: usable, writable, room for the payload (and 4 GB for MABS).

    Raises InputError when the media itself is invalid. ``free_bytes`` overrides the measured free
    space (tests, or a UI showing "what if").
    """
    media = source_or_set if isinstance(source_or_set, MediaSet) else discover(Path(source_or_set))
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
) -> ExtractionResult:
    """Verify and extract the installer set at ``source`` into ``destination`` (which must not exist
    or be empty). Raises InputError for invalid media or destination, Cancelled on cancel; in every
    failure case nothing is left at the destination. ``durable=False`` skips the fsyncs (benchmarks).
    """
    started = time.monotonic()
    media = discover(Path(source))
    destination = Path(os.path.abspath(destination))
    expected, warnings = expected_digests(media)
    for warning in warnings:
        emit(Message(step, "warning", warning))
    if cancel is not None:
        cancel.raise_if_cancelled()
    if media.kind == "zip":
        result = _extract_zip(media, destination, emit=emit, cancel=cancel, step=step, expected=expected,
                              durable=durable)
    else:
        result = _extract_inno(media, destination, emit=emit, cancel=cancel, step=step, expected=expected)
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
        sha256sums_verified=None if expected is None else not warnings,
        duration_s=round(time.monotonic() - started, 3),
        warnings=warnings + result.warnings,
    )


@dataclass(frozen=True)
class _Outcome:
    parts: list[PartRecord]
    backend: Backend
    file_count: int
    bytes_extracted: int
    setup_exe: str | None
    warnings: list[str]


def _records(media: MediaSet, digests: list[str]) -> list[PartRecord]:
    return [PartRecord(name=p.name, size=p.size, sha256=d) for p, d in zip(media.parts, digests)]


def _extract_zip(media: MediaSet, destination: Path, *, emit: Emit, cancel: CancelToken | None, step: str,
                 expected: dict[str, str] | None, durable: bool) -> _Outcome:
    with SpannedReader(media.paths) as reader:
        plan = plan_zip(media, reader)
        _refuse_on_errors(destination_findings(media, plan.blocks_bytes, destination))
        meter = ProgressMeter(emit, step, plan.payload_bytes, plan.file_count)
        with Staging(destination, emit=emit, step=step) as staging:
            outcome = extract_zip(media, reader, plan, staging.tree, destination=destination, meter=meter,
                                  expected=expected, cancel=cancel, durable=durable)
            staging.commit()
    return _Outcome(_records(media, outcome.part_sha256), "zip", outcome.file_count, outcome.bytes_extracted,
                    outcome.setup_exe, [])


def _extract_inno(media: MediaSet, destination: Path, *, emit: Emit, cancel: CancelToken | None, step: str,
                  expected: dict[str, str] | None) -> _Outcome:
    from mabs_wizard.media.innobackend import extract_inno, plan_inno, verify_inno

    plan = plan_inno(media)
    _refuse_on_errors(destination_findings(media, plan.blocks_bytes, destination))
    meter = ProgressMeter(emit, step, plan.payload_bytes, plan.file_count)

    # The parts' SHA-256 (manifest, SHA256SUMS) is computed while innoextract tests the same bytes:
    # both read from the page cache, on different cores.
    hashed: dict[str, object] = {}
    stop = CancelToken()

    def hash_worker() -> None:
        try:
            hashed["digests"] = hash_parts(media.paths, expected, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread below
            hashed["error"] = exc

    worker = threading.Thread(target=hash_worker, name="part-sha256", daemon=True)
    worker.start()
    verify_error: InputError | None = None
    try:
        warnings = verify_inno(media, plan, meter=meter, cancel=cancel, lock_fd=None)
    except InputError as exc:
        verify_error = exc  # let hashing finish: SHA256SUMS names a corrupt part best
    except BaseException:
        stop.cancel()
        worker.join()
        raise
    worker.join()
    hash_error = hashed.get("error")
    if hash_error is not None and not isinstance(hash_error, InputError):
        raise hash_error  # type: ignore[misc]
    if verify_error is not None or hash_error is not None:
        errors = [e for e in (hash_error, verify_error) if isinstance(e, InputError)]
        problems = [line for e in errors for line in e.lines()]
        raise refuse(list(dict.fromkeys(problems)))
    digests: list[str] = hashed["digests"]  # type: ignore[assignment]
    for warning in warnings:
        emit(Message(step, "warning", warning))
    with Staging(destination, emit=emit, step=step) as staging:
        outcome = extract_inno(media, plan, staging.tree, meter=meter, cancel=cancel, lock_fd=staging.lock_fd)
        staging.commit(staging.tree / "app")
    for warning in outcome.warnings:
        emit(Message(step, "warning", warning))
    return _Outcome(_records(media, digests), "innoextract", outcome.file_count, outcome.bytes_extracted,
                    outcome.setup_exe, warnings + outcome.warnings)
