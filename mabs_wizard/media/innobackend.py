"""Inno Setup backend: Debian's ``innoextract`` as a subprocess, its output turned into facts.

innoextract's exit code alone cannot be trusted (observed with 1.9, see tests/fixtures/inno/README.md):
it exits 0 after a checksum mismatch while *extracting* (and writes the corrupt file), exits 0 when an
unknown slice sits in the folder, and leaves partial files behind on failure. So: read the setup
header's version (refusing one this innoextract cannot read, with what to run on the target
instead), list (sizes, checksums, names checked for safety: cheap, headers only), then extract in ONE
pass into the staging folder, treating every "Checksum mismatch" as fatal, and check the result's
files and sizes against the listing before anything is renamed into place. A separate ``--test`` pass
would decompress every byte a second time and verify nothing the extracting pass does not.

innoextract verifies each file's checksum when it reaches the file's end and warns before it prints
the next file's name (``src/cli/extract.cpp``, 1.9: the warning goes to stderr, unbuffered, into the
same pipe): so once the next name is read, the previous file is complete and verified, and is handed
to the finisher (fsync, journal; its digest is the SHA-1 the installer lists for it, the one innoextract
just checked the bytes against). A resumed run asks innoextract for the files
still missing only (``--include /app/PATH`` per file, matched case-insensitively against the full
path): with non-solid compression innoextract seeks straight to them.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mabs_wizard.errors import InputError, WizardError
from mabs_wizard.events import CancelToken
from mabs_wizard.media.finisher import Finisher
from mabs_wizard.media.innoversion import check_readable, unreadable_message
from mabs_wizard.media.models import MediaSet
from mabs_wizard.media.problems import refuse
from mabs_wizard.media.progress import ProgressMeter
from mabs_wizard.media.record import RECORD_NAME
from mabs_wizard.media.safety import path_problem, windows_key

APP_PREFIX = "app/"  # innoextract puts {app} files under app/: that folder is the extracted installer
POLL = 0.1
LIST_TIMEOUT = 120
MAX_INCLUDE_BYTES = 512 * 2**10  # --include arguments for a resume: far below ARG_MAX (2 MiB)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LIST_LINE = re.compile(r"^(\d+) (?:(MD5|SHA-1|CRC32|Adler32) ([0-9a-f]+) )?(.+)$")
_PROGRESS = re.compile(r"\]\s+(\d+(?:\.\d+)?)%")
_OPENING = re.compile(r'^Opening "(.+)"$')
_FILE = re.compile(r'^ - "(.+)"')
_SLICE_OPEN = re.compile(r'could not open slice \d+: "(.+?)"')
_SLICE_SIZE = re.compile(r'bad slice size in "(.+?)": (\d+) > (\d+)')
_NOT_PART = re.compile(r'^Warning: "(.+?)" is not part of the installer!')
_EXPECTED = re.compile(r"expected:\s+(\S+) ([0-9a-f]+)")
_UNEXPECTED = re.compile(r"Unexpected setup data version:\s+([0-9][0-9.]*)")


@dataclass(frozen=True)
class InnoFile:
    path: str
    size: int
    checksum: str | None  # "SHA-1 68c1…" as listed

    @property
    def digest(self) -> str | None:
        """``sha1:<hex>`` when the installer lists a SHA-1 (Inno Setup 5.3.9 and later do): innoextract
        checks the written bytes against it, so it is the file's digest in the record and journal."""
        if self.checksum and self.checksum.startswith("SHA-1 "):
            return "sha1:" + self.checksum.removeprefix("SHA-1 ")
        return None


@dataclass(frozen=True)
class InnoPlan:
    files: list[InnoFile]
    app_files: list[InnoFile]
    payload_bytes: int  # the {app} files: what lands in the destination
    file_count: int
    blocks_bytes: int  # the {app} files (only they are extracted), rounded up to 4 KiB
    identity: str  # the journal's identity: these parts and this listing (sizes and checksums)
    tool_version: tuple[int, int] | None  # innoextract's, (1, 9)

    @property
    def tool(self) -> str:
        return "innoextract" + (f" {self.tool_version[0]}.{self.tool_version[1]}" if self.tool_version else "")

    def sizes(self) -> dict[str, int]:
        """Each application file's path relative to the application folder, and its size."""
        return {f.path.removeprefix(APP_PREFIX): f.size for f in self.app_files}


@dataclass
class _Transcript:
    """What innoextract said during one run, reduced to what matters."""

    slice: str = ""
    file: str = ""
    file_slices: dict[str, list[str]] = field(default_factory=dict)
    mismatches: list[tuple[str, str]] = field(default_factory=list)  # (expected checksum, slice at the time)
    not_parts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    truncated: list[tuple[str, int, int]] = field(default_factory=list)
    unsupported: bool = False
    header_damage: bool = False
    version: str | None = None  # "6.3.0": innoextract said it does not know this setup data version
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    in_mismatch: bool = False


def innoextract_binary() -> str:
    found = shutil.which("innoextract")
    if not found:
        raise WizardError(
            "innoextract is not installed, and this media is an Inno Setup installer; install it "
            "(Debian/Ubuntu: apt-get install innoextract) and retry"
        )
    return found


def _command(*args: str) -> list[str]:
    # setpriv --pdeathsig: innoextract dies with us, even when we are SIGKILLed, so it never keeps
    # writing into a staging folder the next run is cleaning up.
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
    return [*prefix, innoextract_binary(), "--color=0", *args]


def plan_inno(media: MediaSet) -> InnoPlan:
    """Check the header version, list the files (safety, sizes, checksums): no file data is read."""
    binary = innoextract_binary()
    _found, tool, refusal = check_readable(media.installer_path, binary)
    if refusal:
        raise InputError(refusal)
    exe = str(media.installer_path)
    try:
        run = subprocess.run(
            _command("--list", "--silent", "--list-sizes", "--list-checksums", exe),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=LIST_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise WizardError(f"{media.installer}: innoextract --list did not finish within {LIST_TIMEOUT} s") from None
    out = run.stdout.decode("utf-8", "replace")
    err = run.stderr.decode("utf-8", "replace")
    if run.returncode != 0:
        transcript = _Transcript()
        for line in _lines(out + "\n" + err):
            _note(transcript, line)
        raise refuse(_problems(media, transcript, None, tool) or [
            f"{media.installer}: innoextract --list failed (exit {run.returncode}): {err.strip() or out.strip()}"])
    files: list[InnoFile] = []
    problems: list[str] = []
    for line in out.splitlines():
        match = _LIST_LINE.match(line.strip())
        if not match:
            continue
        size, kind, digest, path = match.groups()
        reason = path_problem(path)
        if reason:
            problems.append(f"{media.installer}: file {path!r}: {reason}")
            continue
        if path.casefold() == (APP_PREFIX + RECORD_NAME).casefold():
            problems.append(f"{media.installer}: file {path!r}: has the name of the wizard's completion record")
            continue
        files.append(InnoFile(path, int(size), f"{kind} {digest}" if kind else None))
    if problems:
        raise refuse(problems)
    app = [f for f in files if f.path.startswith(APP_PREFIX)]
    if not app:
        raise InputError(f"{media.installer}: the installer holds no files for its application folder")
    unique = {windows_key(f.path.split("/")): f for f in app}
    identity = hashlib.sha256(b"innoextract\0")
    for part in media.parts:
        identity.update(f"{part.name}\0{part.size}\n".encode())
    identity.update(out.encode())
    return InnoPlan(
        files=files,
        app_files=list(unique.values()),
        payload_bytes=sum(f.size for f in unique.values()),
        file_count=len(unique),
        blocks_bytes=sum(-(-f.size // 4096) * 4096 for f in unique.values()),
        identity=identity.hexdigest(),
        tool_version=tool,
    )


def _lines(text: str) -> Iterator[str]:
    for raw in re.split(r"[\r\n]", text):
        line = _ANSI.sub("", raw).rstrip()
        if line:
            yield line


def _note(t: _Transcript, line: str) -> None:
    """Fold one line of innoextract output into the transcript."""
    if t.in_mismatch:
        expected = _EXPECTED.search(line)
        if expected:
            t.mismatches.append((f"{expected.group(1)} {expected.group(2)}", t.slice))
            t.in_mismatch = False
        return
    if match := _OPENING.match(line):
        t.slice = Path(match.group(1)).name
        if t.file:
            t.file_slices.setdefault(t.file, []).append(t.slice)
    elif match := _FILE.match(line):
        t.file = match.group(1)
        t.file_slices.setdefault(t.file, []).append(t.slice)
    elif line.startswith(("Warning: Checksum mismatch", "Warning: Output checksum mismatch")):
        t.in_mismatch = True
    elif match := _NOT_PART.match(line):
        t.not_parts.append(Path(match.group(1)).name)
    elif match := _SLICE_OPEN.search(line):
        t.missing.append(Path(match.group(1)).name)
    elif match := _SLICE_SIZE.search(line):
        t.truncated.append((Path(match.group(1)).name, int(match.group(2)), int(match.group(3))))
    elif match := _UNEXPECTED.search(line):
        t.version = match.group(1).rstrip(".")
    elif "Not a supported Inno Setup installer" in line:
        t.unsupported = True
    elif "block CRC32 mismatch" in line or "while parsing setup headers" in line:
        t.header_damage = True
    elif line.startswith("Warning:"):
        t.warnings.append(line.removeprefix("Warning:").strip())
    elif line.startswith("Error:") or "error reason:" in line:
        t.errors.append(line.split("error reason:")[-1].removeprefix("Error:").strip())


def _problems(media: MediaSet, t: _Transcript, plan: InnoPlan | None, tool: tuple[int, int] | None = None) -> list[str]:
    """One line per thing wrong with the set, naming the part whenever innoextract lets us."""
    if t.version is not None and (t.unsupported or t.header_damage or t.errors):
        # innoextract named a setup data version it does not know: not damage, a newer Inno Setup.
        return [unreadable_message(media.installer, t.version, tool)]
    problems: list[str] = []
    by_checksum = {f.checksum: f.path for f in plan.files} if plan else {}
    for name in t.missing:
        problems.append(f"{name}: is missing (the installer needs it); download it again")
    for name, wanted, have in t.truncated:
        problems.append(f"{name}: truncated: {have} bytes, the installer expects {wanted}; download it again")
    for checksum, at_slice in t.mismatches:
        path = by_checksum.get(checksum, "a file")
        slices = list(dict.fromkeys(s for s in (t.file_slices.get(path) or [at_slice]) if s)) or [media.installer]
        if len(slices) == 1:
            problems.append(f"{slices[0]}: checksum mismatch in {path}: the part holding it is corrupt; download it again")
        else:
            problems.append(
                f"{', '.join(slices)}: checksum mismatch in {path}, whose data lies in these parts: one of them is "
                "corrupt; download them again (a SHA256SUMS file beside the parts would name the one)"
            )
    for name in t.not_parts:
        problems.append(
            f"{name}: not part of this installer (the set ends before it); move it out of the folder"
        )
    if t.unsupported:
        problems.append(
            f"{media.installer}: not a supported Inno Setup installer (innoextract reads Inno Setup up to "
            "6.0.5), or not an installer at all"
        )
    if t.header_damage:
        problems.append(f"{media.installer}: its setup headers are damaged (checksum mismatch); download it again")
    if not problems:
        problems += [f"{media.installer}: innoextract: {e}" for e in t.errors if e]
    return problems


class _Runner:
    """innoextract with output read on a thread, so cancel is noticed within POLL seconds."""

    def __init__(self, args: list[str], lock_fd: int | None) -> None:
        self.process = subprocess.Popen(
            _command(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(lock_fd,) if lock_fd is not None else (),  # holds the staging lock while alive
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="innoextract-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        pending = b""
        while chunk := self.process.stdout.read1(65536):
            pending += chunk
            *complete, pending = re.split(rb"[\r\n]", pending)
            for raw in complete:
                self.lines.put(raw.decode("utf-8", "replace"))
        if pending:
            self.lines.put(pending.decode("utf-8", "replace"))
        self.lines.put(None)

    def stream(self, cancel: CancelToken | None) -> Iterator[str]:
        while True:
            if cancel is not None and cancel.cancelled:
                self.stop()
                cancel.raise_if_cancelled()
            try:
                line = self.lines.get(timeout=POLL)
            except queue.Empty:
                continue
            if line is None:
                return
            yield _ANSI.sub("", line).rstrip()

    def wait(self) -> int:
        code = self.process.wait()
        self._reader.join()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=2)


class _Files:
    """Which file innoextract is on; the one before it is finished (and verified) when it moves on."""

    def __init__(self, plan: InnoPlan, finisher: Finisher | None) -> None:
        self.sizes = {f.path: f.size for f in plan.files}
        self.digests = {f.path: f.digest for f in plan.files}
        self.finisher = finisher
        self.handed: set[str] = set()

    def finished(self, path: str, transcript: _Transcript) -> None:
        if self.finisher is None or transcript.mismatches or not path.startswith(APP_PREFIX):
            return  # a mismatch fails the run: nothing after it is vouched for
        if path in self.sizes and path not in self.handed:
            self.handed.add(path)
            self.finisher.submit(path.removeprefix(APP_PREFIX), self.sizes[path], self.digests[path])


def _run_pass(args: list[str], plan: InnoPlan, meter: ProgressMeter, cancel: CancelToken | None,
              lock_fd: int | None, files: _Files, base: int, span: int) -> _Transcript:
    """Run innoextract, folding its output into a transcript, the meter and the finisher. ``base`` bytes
    were done before this run (kept by a resume); its own percentage covers ``span`` bytes."""
    transcript = _Transcript()
    completed = base
    current_size = 0
    runner = _Runner(args, lock_fd)
    try:
        for line in runner.stream(cancel):
            before = transcript.file
            _note(transcript, line)
            if transcript.file != before:
                if before:
                    files.finished(before, transcript)  # to the finisher before anyone hears it is done
                    completed += files.sizes.get(before, 0)
                    meter.file_finished()
                current_size = files.sizes.get(transcript.file, 0)
                meter.file_started(transcript.file.removeprefix(APP_PREFIX))
                meter.set_done(completed)
            elif match := _PROGRESS.search(line):
                # innoextract's own percentage, kept within the file being worked on.
                estimate = base + int(float(match.group(1)) / 100 * span)
                meter.set_done(max(completed, min(estimate, completed + current_size)))
    except BaseException:
        runner.stop()
        raise
    code = runner.wait()
    if transcript.file:
        if code == 0:
            files.finished(transcript.file, transcript)
        meter.file_finished()
    if code != 0 and not (transcript.missing or transcript.truncated or transcript.mismatches or transcript.unsupported
                          or transcript.header_damage or transcript.errors):
        transcript.errors.append(f"exited with status {code}")
    return transcript


@dataclass(frozen=True)
class InnoOutcome:
    file_count: int
    bytes_extracted: int
    files_written: int
    setup_exe: str | None
    warnings: list[str]


def include_arguments(plan: InnoPlan, kept: set[str]) -> list[str] | None:
    """innoextract's filter for the files still to extract: the whole application folder on a fresh
    run, one ``--include`` per missing file on a resume; None when that list would be too long for a
    command line (the resume then extracts everything again)."""
    if not kept:
        return ["--include", "/app"]
    args: list[str] = []
    for f in plan.app_files:
        if f.path.removeprefix(APP_PREFIX) not in kept:
            args += ["--include", "/" + f.path]
    return args if sum(len(a) + 1 for a in args) <= MAX_INCLUDE_BYTES else None


def extract_inno(media: MediaSet, plan: InnoPlan, raw: Path, *, meter: ProgressMeter, cancel: CancelToken | None,
                 lock_fd: int | None, finisher: Finisher, kept: set[str], include: list[str],
                 recheck: Callable[[], set[str]] | None = None) -> InnoOutcome:
    """Extract into ``raw`` (inside the staging folder) every application file but ``kept`` (already
    there and being re-checked: ``recheck()`` names, after the run, those that failed, which a second
    run extracts); the caller publishes ``raw / 'app'``."""
    kept_bytes = sum(f.size for f in plan.app_files if f.path.removeprefix(APP_PREFIX) in kept)
    todo = [f for f in plan.app_files if f.path.removeprefix(APP_PREFIX) not in kept]
    meter.restart(plan.payload_bytes, plan.file_count)
    meter.already_done(kept_bytes, len(kept))
    files = _Files(plan, finisher)
    transcript = _Transcript()
    if todo:
        transcript = _run_pass(["--extract", "--progress=on", "--output-dir", str(raw), *include,
                                str(media.installer_path)], plan, meter, cancel, lock_fd, files, kept_bytes,
                               sum(f.size for f in todo))
    problems = _problems(media, transcript, plan, plan.tool_version)
    if problems:
        raise refuse(problems)
    failed = recheck() if recheck is not None else set()
    if failed:  # kept files whose re-check failed are gone: innoextract extracts them now
        redo = [f for f in plan.app_files if f.path.removeprefix(APP_PREFIX) in failed]
        redo_bytes = sum(f.size for f in redo)
        meter.not_done_after_all(redo_bytes, len(redo))
        transcript = _run_pass(["--extract", "--progress=on", "--output-dir", str(raw),
                                *[a for f in redo for a in ("--include", "/" + f.path)], str(media.installer_path)],
                               plan, meter, cancel, lock_fd, files, meter.done, redo_bytes)
        problems = _problems(media, transcript, plan, plan.tool_version)
        if problems:
            raise refuse(problems)
        todo += redo
    meter.set_done(meter.total)
    meter.finish()
    app = raw / APP_PREFIX.rstrip("/")
    app.mkdir(exist_ok=True)  # every file kept, nothing extracted: the folder is still there
    problems = _check_tree(media, plan, app)
    if problems:
        raise refuse(problems)
    for f in todo:  # written, but not seen finishing (innoextract printed no name for it): finish now
        files.finished(f.path, transcript)
    outside = len(plan.files) - sum(1 for f in plan.files if f.path.startswith(APP_PREFIX))
    warnings = list(transcript.warnings)
    if outside:
        warnings.append(f"{outside} file(s) outside the application folder ({{tmp}} and the like) were not extracted")
    setup = next((f.path.removeprefix(APP_PREFIX) for f in plan.app_files
                  if f.path.removeprefix(APP_PREFIX).casefold() == "setup.exe"), None)
    return InnoOutcome(plan.file_count, plan.payload_bytes, len(todo), setup, warnings)


def _check_tree(media: MediaSet, plan: InnoPlan, app: Path) -> list[str]:
    if not app.is_dir():
        return [f"{media.installer}: innoextract wrote no application folder"]
    wanted = {f.path.removeprefix(APP_PREFIX): f.size for f in plan.app_files}
    found: dict[str, int] = {}
    for folder, _dirs, names in os.walk(app):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(app).as_posix()
            if path.is_symlink() or not path.is_file():
                return [f"{media.installer}: {relative}: not a regular file after extraction"]
            found[relative] = path.stat().st_size
    problems = [f"{media.installer}: {p}: missing after extraction" for p in wanted if p not in found]
    problems += [f"{media.installer}: {p}: {found[p]} bytes after extraction, listed as {size}"
                 for p, size in wanted.items() if p in found and found[p] != size]
    problems += [f"{media.installer}: {p}: extracted but not in the listing" for p in found if p not in wanted]
    return problems
