"""Extract installer files: where the download is and where its files go (seed: Extract install files).

Rules: the media set is complete and intact (``media.discover``); the destination is new, empty, or
holds a verified earlier extraction of the same media (``media.check_destination``). Work: the real
extraction, into a staging folder published atomically (``media.extract``). Setup.exe itself is a
Windows program: on another host the handover carries its command.
"""

from __future__ import annotations

import platform
from typing import Annotated

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.errors import InputError
from mabs_wizard.events import Message
from mabs_wizard.findings import Finding, error, passed
from mabs_wizard.steps.base import Sections, Step, known


class ExtractionAnswers(Section):
    """Extraction wizard: where the download is and where its files go (seed: Extract install files)."""

    source: Annotated[LocalPath, Form(placeholder="folder with the .exe and .bin parts")] = Field(
        title="Installer folder",
        description="folder holding MicrosoftAzureBackupServerInstaller.exe and its -N.bin parts, or the .exe")
    destination: Annotated[LocalPath, Form(placeholder="new or empty folder")] = Field(
        title="Extract to",
        description="folder to extract into; created, must not exist, be empty, or hold this extraction already (then it is "
                    "verified and reused)")
    execute_setup: Annotated[bool, Form(hidden=True)] = Field(
        True, title="Execute setup.exe",
        description="the seed's 'Execute setup.exe' checkbox (checked by default); on a non-Windows host the wizard hands the command over instead")


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    from mabs_wizard import media

    ext = sections["extraction"]
    if not known(ext, "source"):
        return []
    try:
        media_set = ctx.memoised(("media", str(ext.source)), lambda: media.discover(ext.source))
    except InputError as exc:
        return [error("extraction.media", "extraction.source", str(exc))]
    findings = [passed("extraction.media", "extraction.source",
                       f"{len(media_set.parts)} part(s), {media_set.total_size / 2**20:.1f} MiB, {media_set.kind}")]
    if known(ext, "destination"):
        findings += media.check_destination(media_set, ext.destination)
    return findings


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    from mabs_wizard import media

    ext = sections["extraction"]
    result = media.extract(ext.source, ext.destination, emit=ctx.emit, cancel=ctx.cancel, step="extraction")
    data = result.model_dump(mode="json")
    if ext.execute_setup and data.get("setup_exe_found"):
        where = "this Windows host" if ctx.host_is_windows else f"this {platform.system()} host"
        ctx.emit(Message("extraction", "info", f"Execute setup.exe: not run on {where}; the handover lists the exact command for the target"))
    return StepOutcome("done", result=data)


STEP = Step("extraction", "Extract installer files", ExtractionAnswers, check, apply)
