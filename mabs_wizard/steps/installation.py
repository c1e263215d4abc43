"""Installation Settings rules: Windows paths on the target, space per volume, scratch rules.

Space (S13): 3 GB for the installation location, 900 MB for database files, 1 GB on the system
drive when SQL is local; scratch at least 5% of the data planned for the cloud (S1, S4). The
scratch (MARS cache) must be local and online, not on a network share or removable media, and not
Encrypted / De-duplicated / Compressed / Sparse / Reparse-Point (S20, S21): see ``scratch_findings``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from pydantic import Field

from mabs_wizard.answers.section import Section
from mabs_wizard.answers.winpath import WindowsPath, drive_of, is_unc
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.facts import TargetFacts, Volume, collect_command
from mabs_wizard.facts.model import (
    FILE_ATTRIBUTE_COMPRESSED,
    FILE_ATTRIBUTE_ENCRYPTED,
    FILE_ATTRIBUTE_REPARSE_POINT,
    FILE_ATTRIBUTE_SPARSE_FILE,
    attribute_names,
)
from mabs_wizard.findings import Finding, error, passed, warning
from mabs_wizard.steps.base import Sections, Step, checked, known
from mabs_wizard.steps.sql import SqlAnswers


class InstallationAnswers(Section):
    """Installation Settings: locations on the target and the cloud data the scratch must cover."""

    program_files: WindowsPath = Field(r"C:\Program Files\Microsoft Azure Backup Server", title="Program files",
                                       description="installation location (needs 3 GB free)")
    database_files: WindowsPath = Field(r"C:\Program Files\Microsoft Azure Backup Server\DPM\DPMDB", title="Database files",
                                        description="database files location (needs 900 MB free)")
    scratch: WindowsPath = Field(
        r"C:\Program Files\Microsoft Azure Recovery Services Agent\Scratch", title="Scratch (cache)",
        description="MARS cache (scratch) folder: local, online, at least 5% of planned cloud data; the MARS default")
    planned_cloud_data_gb: Annotated[float, Field(ge=0, le=10_000_000)] = Field(
        0, title="Planned cloud data GB", description="data planned to be backed up to Azure, in GB (scratch must hold 5% of it)")
    user_name: str = Field("administrator", min_length=1, title="User name", description="ini UserName")
    company_name: str = Field("", title="Company", description="ini CompanyName")

GB = 1024**3
MB = 1024**2
PROGRAM_FILES_BYTES = 3 * GB
DATABASE_BYTES = 900 * MB
SCRATCH_FRACTION = 0.05
PATHS = ("program_files", "database_files", "scratch")


def scratch_needed_bytes(planned_cloud_data_gb: float) -> int:
    return int(planned_cloud_data_gb * GB * SCRATCH_FRACTION)


def space_plan(inst: InstallationAnswers, sql: SqlAnswers | None = None) -> dict[str, list[tuple[str, int]]]:
    """Bytes each volume must hold, by drive: what the live free-space display and the rule share."""
    plan: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for field, path, need in (
        ("installation.program_files", inst.program_files, PROGRAM_FILES_BYTES),
        ("installation.database_files", inst.database_files, DATABASE_BYTES),
        ("installation.scratch", inst.scratch, scratch_needed_bytes(inst.planned_cloud_data_gb)),
    ):
        drive = drive_of(path)
        if drive:
            plan[drive].append((field, need))
    return dict(plan)


def check_installation(inst: InstallationAnswers, facts: TargetFacts, sql: SqlAnswers | None = None) -> list[Finding]:
    return path_kinds({name: getattr(inst, name) for name in PATHS}) + volumes(inst, facts, sql)


def path_kinds(paths: dict[str, str]) -> list[Finding]:
    """Network paths, judged per folder (each on its own, so a page can show them before the rest)."""
    out: list[Finding] = []
    for name, path in paths.items():
        if not is_unc(path):
            continue
        if name == "scratch":
            out.append(error("install.scratch-network", "installation.scratch", "the scratch (cache) folder cannot be on a network share",
                             "choose a folder on a local volume, e.g. C:\\ on Azure Stack (the Azure Stack guide)"))
        else:
            out.append(error("install.unc", f"installation.{name}", f"{path} is a network path; MABS installs on a local volume",
                             "choose a local drive"))
    return out


def volumes(inst: InstallationAnswers, facts: TargetFacts, sql: SqlAnswers | None = None) -> list[Finding]:
    """Each drive's volume: present, big enough for every folder on it, fit for the scratch."""
    out: list[Finding] = []
    if facts.os_family != "windows":
        return out  # volumes of a Linux host say nothing about the target's drives
    for drive, needs in space_plan(inst, sql).items():
        volume = facts.volume_of(drive + "\\")
        fields = [f for f, _ in needs]
        if volume is None:
            for field in fields:
                out.append(error("install.no-volume", field, f"drive {drive} does not exist on {facts.computer_name}",
                                 f"use one of: {', '.join(v.mount for v in facts.volumes) or 'no volumes reported'}"))
            continue
        if "installation.scratch" in fields:
            out += _scratch_volume(volume) + scratch_findings(inst.scratch, facts, volume)
        total = sum(n for _, n in needs)
        if volume.free_bytes < total:
            detail = ", ".join(f"{f.split('.')[-1]} {n / GB:.2f} GB" for f, n in needs)
            worst = max(needs, key=lambda fn: fn[1])[0]
            out.append(error("install.space", worst, f"{drive} has {volume.free_bytes / GB:.2f} GB free but needs {total / GB:.2f} GB ({detail})",
                             "free space, choose another drive, or lower the planned cloud data"))
        else:
            out.append(passed("install.space", fields[0], f"{drive} has {volume.free_bytes / GB:.1f} GB free for {total / GB:.2f} GB needed"))
    return out


def _scratch_volume(volume) -> list[Finding]:  # type: ignore[no-untyped-def]
    out: list[Finding] = []
    if volume.kind in ("network", "removable", "cdrom") or not volume.online:
        state = "offline" if not volume.online else volume.kind
        out.append(error("install.scratch-volume", "installation.scratch", f"the scratch folder cannot be on {state} volume {volume.mount}",
                         "choose a local, online, fixed volume"))
    return out


# --------------------------------------------------------------------------- scratch attributes
# MARS: "The following attributes or their combinations aren't supported for the cache folder:
# Encrypted, De-duplicated, Compressed, Sparse, Reparse-Point" (S21, MicrosoftDocs/azure-docs
# articles/backup/backup-azure-file-folder-backup-faq.yml). The bits are FILE_ATTRIBUTE_* values
# (MicrosoftDocs/win32 desktop-src/FileIO/file-attribute-constants.md).
REFUSED_ON_FOLDER = FILE_ATTRIBUTE_ENCRYPTED | FILE_ATTRIBUTE_COMPRESSED | FILE_ATTRIBUTE_SPARSE_FILE | FILE_ATTRIBUTE_REPARSE_POINT
# A folder still to be created takes compression and encryption from its parent ("For a directory,
# ... is the default for newly created files and subdirectories", file-attribute-constants.md);
# sparseness is not inherited, and a parent that is a reparse point puts the folder behind a link.
INHERITED = FILE_ATTRIBUTE_ENCRYPTED | FILE_ATTRIBUTE_COMPRESSED
S = "installation.scratch"


def scratch_findings(scratch: str, facts: TargetFacts, volume: Volume | None) -> list[Finding]:
    """The scratch folder's own attributes and its volume's deduplication and BitLocker state."""
    out: list[Finding] = []
    again = f"collect the facts again with: {collect_command(f'{facts.computer_name}.json', scratch)}"
    folder = facts.scratch_folder(scratch)
    refused = "MARS refuses an Encrypted, Compressed, Sparse, Reparse-Point or de-duplicated cache folder"
    if folder is None:
        collected = ", ".join(s.path for s in facts.scratch) or "no folder"
        out.append(warning("install.scratch-unknown", S, f"the facts hold no attributes for {scratch} (collected for: {collected}); {refused}",
                           again))
    elif folder.attributes is None:
        out.append(warning("install.scratch-unknown", S, f"the attributes of {scratch} could not be read: {folder.reason or 'no reason given'}; {refused}",
                           again))
    elif folder.exists and folder.attributes & REFUSED_ON_FOLDER:
        bad = attribute_names(folder.attributes & REFUSED_ON_FOLDER)
        out.append(error("install.scratch-attributes", S, f"{scratch} is {', '.join(bad)}; {refused}",
                         "choose another folder, or clear the attribute (Compressed: compact /u; Encrypted: cipher /d)"))
    elif not folder.exists and folder.attributes & INHERITED:
        bad = attribute_names(folder.attributes & INHERITED)
        out.append(error("install.scratch-attributes", S,
                         f"{scratch} does not exist yet and would be created {', '.join(bad)}, like {folder.examined}; {refused}",
                         f"choose a folder outside {folder.examined}, or clear the attribute there"))
    elif not folder.exists and folder.attributes & FILE_ATTRIBUTE_REPARSE_POINT:
        out.append(warning("install.scratch-parent", S,
                           f"{scratch} does not exist yet and {folder.examined} above it is a reparse point (a junction, link or mount "
                           f"point): the folder would be created behind it, on a volume this check cannot see; {refused}",
                           "choose a folder on a plain path"))
    if volume is None:
        return out
    if volume.dedup:
        out.append(error("install.scratch-attributes", S, f"volume {volume.mount} has data deduplication enabled; {refused}",
                         "choose a folder on a volume without deduplication"))
    elif volume.dedup is None:
        out.append(warning("install.scratch-unknown", S,
                           f"could not tell whether deduplication is enabled on {volume.mount}: {facts.reason('volumes.dedup')}; {refused}",
                           again))
    out += _bitlocker(volume, facts, again)
    return out


def _bitlocker(volume: Volume, facts: TargetFacts, again: str) -> list[Finding]:
    """BitLocker is volume encryption below the file system, not the Encrypted (EFS) attribute S21
    names; it matters when it keeps the volume locked: the cache folder "must be online" (S20), and
    a locked volume's contents "are not accessible from Windows" (win32 getlockstatus-win32-encryptablevolume.md)."""
    state = volume.bitlocker
    if state is None:
        return [warning("install.scratch-unknown", S,
                        f"could not tell whether BitLocker keeps {volume.mount} locked: {facts.reason('volumes.bitlocker')}; "
                        "the cache folder must be online", again)]
    if state.lock_status == "Locked":
        return [error("install.scratch-volume", S, f"volume {volume.mount} is locked by BitLocker; the cache folder must be online",
                      "unlock the volume and turn on auto-unlock (Enable-BitLockerAutoUnlock), or choose another volume")]
    if state.protection_status == "On" and state.volume_type == "Data" and state.auto_unlock is not True:
        return [warning("install.scratch-bitlocker", S,
                        f"volume {volume.mount} is BitLocker-protected without auto-unlock: after a restart it stays locked, and the "
                        "cache folder offline, until someone unlocks it (the cache folder must be online)",
                        f"Enable-BitLockerAutoUnlock -MountPoint {volume.mount}, or choose another volume")]
    return []


# --------------------------------------------------------------------------- the step

def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    inst = sections["installation"]
    out = path_kinds({name: getattr(inst, name) for name in PATHS if known(inst, name)})
    if known(inst, *PATHS, "planned_cloud_data_gb"):  # space is judged over every folder of a drive at once
        out += volumes(inst, ctx.facts, sections.get("sql"))  # type: ignore[arg-type]
    return out


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    outcome = checked(STEP, sections, ctx)
    outcome.result["space_needed_bytes"] = {d: sum(n for _, n in needs) for d, needs in space_plan(sections["installation"], sections["sql"]).items()}
    return outcome


STEP = Step("installation", "Installation settings", InstallationAnswers, check, apply)

