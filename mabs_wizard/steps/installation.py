"""Installation Settings rules: Windows paths on the target, space per volume, scratch rules.

Space (S13): 3 GB for the installation location, 900 MB for database files, 1 GB on the system
drive when SQL is local; scratch at least 5% of the data planned for the cloud (S1, S4). The
scratch (MARS cache) must be local and online, not on a network share or removable media, and not
Encrypted / De-duplicated / Compressed / Sparse / Reparse-Point (S20, S21).
"""

from __future__ import annotations

from collections import defaultdict

from mabs_wizard.answers.models import InstallationAnswers, SqlAnswers
from mabs_wizard.answers.winpath import drive_of, is_unc
from mabs_wizard.facts import TargetFacts
from mabs_wizard.findings import Finding, error, passed

GB = 1024**3
MB = 1024**2
PROGRAM_FILES_BYTES = 3 * GB
DATABASE_BYTES = 900 * MB
SCRATCH_FRACTION = 0.05


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
    out: list[Finding] = []
    for field, path in (("installation.program_files", inst.program_files), ("installation.database_files", inst.database_files)):
        if is_unc(path):
            out.append(error("install.unc", field, f"{path} is a network path; MABS installs on a local volume", "choose a local drive"))
    if is_unc(inst.scratch):
        out.append(error("install.scratch-network", "installation.scratch", "the scratch (cache) folder cannot be on a network share (S20)",
                         "choose a folder on a local volume, e.g. C:\\ on Azure Stack (the seed)"))
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
            out += _scratch_volume(volume)
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
        out.append(error("install.scratch-volume", "installation.scratch", f"the scratch folder cannot be on {state} volume {volume.mount} (S20)",
                         "choose a local, online, fixed volume"))
    if volume.attributes:
        out.append(error("install.scratch-attributes", "installation.scratch",
                         f"volume {volume.mount} is {', '.join(volume.attributes)}; MARS refuses a cache there (S21)", "choose a plain NTFS volume"))
    return out
