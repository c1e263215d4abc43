"""Pre-flight checks of an extraction destination: usable, writable, and with room for the payload."""

from __future__ import annotations

import os
from pathlib import Path

from mabs_wizard.findings import Finding, error, passed
from mabs_wizard.media.models import MediaSet, format_bytes
from mabs_wizard.media.staging import destination_problem

FIELD = "extraction.destination"
# The seed: "At least 4GB of free space is required to extract the setup files." Read as GiB, the
# stricter of the two readings, so a host that passes here cannot fail the real extractor.
MABS_MINIMUM_FREE = 4 * 2**30
SLACK = 16 * 2**20  # staging folder entries, lock file, directory blocks


def existing_ancestor(path: Path) -> Path:
    current = Path(os.path.abspath(path))
    while not current.exists():
        current = current.parent
    return current


def free_space(path: Path) -> int:
    stats = os.statvfs(existing_ancestor(path))
    return stats.f_bavail * stats.f_frsize


def destination_findings(media: MediaSet, needed_bytes: int, destination: Path, *, free_bytes: int | None = None) -> list[Finding]:
    """Findings for ``destination`` given the payload's on-disk size (pure apart from the filesystem)."""
    destination = Path(os.path.abspath(destination))
    findings: list[Finding] = []
    problem = destination_problem(destination)
    if problem:
        findings.append(error("media.destination-unusable", FIELD, problem,
                              "choose a folder that does not exist yet, or an empty one"))
    anchor = existing_ancestor(destination.parent)
    if not anchor.is_dir():
        findings.append(error("media.destination-parent", FIELD, f"{anchor}: is not a folder", "choose another destination"))
        return findings
    if not os.access(anchor, os.W_OK | os.X_OK):
        findings.append(error("media.destination-not-writable", FIELD, f"{anchor}: is not writable by this user",
                              "choose a destination you can write to"))
    free = free_space(destination) if free_bytes is None else free_bytes
    need = needed_bytes + SLACK
    why = f"the payload takes {format_bytes(needed_bytes)} plus {format_bytes(SLACK)} headroom"
    if media.kind == "inno" and need < MABS_MINIMUM_FREE:
        need = MABS_MINIMUM_FREE
        why = "MABS needs at least 4 GB free to extract its setup files"
    if free < need:
        findings.append(error(
            "media.free-space", FIELD,
            f"{destination}: needs {format_bytes(need)} free ({why}), only {format_bytes(free)} available "
            f"({need} > {free} bytes)",
            "free space there or choose a destination on another disk",
        ))
    else:
        findings.append(passed("media.free-space", FIELD,
                               f"{destination}: {format_bytes(free)} free, {format_bytes(need)} needed ({why})"))
    if not problem:
        findings.append(passed("media.destination-usable", FIELD, f"{destination}: new or empty folder"))
    return findings
