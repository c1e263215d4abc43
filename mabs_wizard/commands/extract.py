"""``mabs-wizard extract SOURCE DEST``: verify and extract installer media headless.

Exit codes: 0 done (or already done: a destination holding this extraction is verified and reused),
2 invalid media or destination (including a finished destination that differs from its completion
record), 130 cancelled (Ctrl+C or SIGTERM: the staging folder is removed before exiting). A run
killed outright (SIGKILL, power loss) leaves its staging folder; the next run resumes it. Progress
goes to stderr (one updating line on a terminal, a plain line a second otherwise); the summary, or
the result as JSON with ``--json``, to stdout.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from mabs_wizard.events import Event, Message, Progress


class ProgressPrinter:
    """Renders extraction events for a terminal or a log."""

    def __init__(self, stream: TextIO, tty: bool, interval: float = 1.0) -> None:
        self.stream = stream
        self.tty = tty
        self.interval = 0.0 if tty else interval
        self._last = float("-inf")
        self._dirty = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            now = time.monotonic()
            final = event.total and event.done >= event.total
            if now - self._last < self.interval and not final:
                return
            self._last = now
            line = describe_progress(event)
            if self.tty:
                width = shutil.get_terminal_size().columns - 1  # one line, however narrow the terminal
                self.stream.write("\r\x1b[K" + line[:width])
                self._dirty = True
            else:
                self.stream.write(line + "\n")
            self.stream.flush()
        elif isinstance(event, Message):
            self.end_line()
            self.stream.write(f"{event.level}: {event.text}\n")
            self.stream.flush()

    def end_line(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False


def describe_progress(event: Progress) -> str:
    from mabs_wizard.media.models import format_bytes

    percent = 100.0 * event.done / event.total if event.total else 100.0
    parts = [
        f"{event.step}: {percent:5.1f}%",
        f"{format_bytes(event.done)} of {format_bytes(event.total)}",
        f"{event.files_done}/{event.files_total} files",
    ]
    if event.rate:
        parts.append(f"{format_bytes(event.rate)}/s")
    if event.eta is not None and event.done < event.total:
        parts.append(f"ETA {event.eta:.0f}s")
    line = ", ".join(parts)
    return f"{line}  {event.current}" if event.current else line


@click.command("extract")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("destination", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the extraction result (manifest part) as JSON.")
@click.option("--verify", "full", is_flag=True,
              help="When DESTINATION already holds this extraction: re-hash every file and the media "
                   "(default: sizes, and the SHA-256 of files touched since).")
def extract(source: Path, destination: Path, as_json: bool, full: bool) -> None:
    """Verify and extract the MABS download at SOURCE (its folder or .exe) into DESTINATION.

    DESTINATION must not exist, be empty, or hold this very extraction (then it is verified and
    reused); the files appear there only when complete. An extraction killed part-way is resumed by
    the next run. Setup.exe is a Windows program: it is never run on this host.
    """
    from mabs_wizard.events import CancelToken
    from mabs_wizard.media.cancel import cancel_on_signals
    from mabs_wizard.media.extraction import NOT_RUN
    from mabs_wizard.media.extraction import extract as run_extract
    from mabs_wizard.media.models import format_bytes

    printer = ProgressPrinter(sys.stderr, sys.stderr.isatty())
    token = CancelToken()
    try:
        with cancel_on_signals(token):
            result = run_extract(source, destination, emit=printer, cancel=token, verify="full" if full else "quick")
    finally:
        printer.end_line()
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    checked = {True: "SHA256SUMS verified", False: "SHA256SUMS incomplete", None: "no SHA256SUMS"}
    if result.reused:
        how = "every file's digest and the media's SHA-256" if result.verified == "full" else "sizes, and digests where touched"
        click.echo(
            f"Already extracted, verified ({how}): {result.file_count} files ({format_bytes(result.bytes_extracted)}) "
            f"from {result.installer} in {result.destination}; nothing extracted."
        )
    else:
        resumed = (f"; resumed: {result.files_resumed} file(s) kept from the interrupted extraction, "
                   f"{result.files_written} extracted" if result.files_resumed else "")
        click.echo(
            f"Extracted {result.file_count} files ({format_bytes(result.bytes_extracted)}) from {result.installer} "
            f"and {len(result.parts) - 1} .bin part(s) into {result.destination} in {result.duration_s:.1f} s "
            f"({result.backend} backend; {checked[result.sha256sums_verified]}{resumed})."
        )
    if result.setup_exe_found:
        click.echo(f"Setup.exe: {Path(result.destination) / (result.setup_exe_path or '')}. {NOT_RUN}.")
    else:
        click.echo("No Setup.exe in the extracted files: check that this is the MABS download.")
