"""Facts of the machine the wizard runs on: real values, whatever the OS.

On Windows this runs the operator's own collector (`collect-facts.ps1`, through
``mabs_wizard.facts_windows``) and reads its file like any facts file, so there is one collector and
one reader. Elsewhere it reports the host as it is; the OS rule then fails, honestly.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from mabs_wizard.facts.model import TargetFacts, Volume


def probe_local(now: datetime | None = None, scratch_paths: Sequence[str] = ()) -> TargetFacts:
    """Facts of this host. ``scratch_paths``: the scratch folder(s) to examine (Windows only)."""
    system = platform.system()
    if system == "Windows":  # pragma: no cover - exercised on Windows targets only
        from mabs_wizard.facts.read import parse_facts
        from mabs_wizard.facts_windows import collect_windows_facts

        raw = collect_windows_facts(scratch_paths)
        return parse_facts(raw, "facts collected on this host by collect-facts.ps1", f"{platform.node()}.json")
    family: Literal["linux", "macos", "other"] = {"Linux": "linux", "Darwin": "macos"}.get(system, "other")  # type: ignore[assignment]
    return TargetFacts(
        collected_at=now,
        computer_name=socket.gethostname().split(".")[0] or "localhost",
        domain=None,
        domain_joined=False,
        os_family=family,
        os_name=_os_pretty_name() or f"{system} {platform.release()}",
        os_version=platform.release(),
        architecture=platform.machine(),
        physical_cores=_physical_cores(),
        logical_processors=os.cpu_count() or 1,
        memory_visible_bytes=_ram_bytes(),
        volumes=_posix_volumes(),
        system_drive="/",
    )


def _os_pretty_name() -> str | None:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME")
    except OSError:
        return None


def _physical_cores(sysfs: Path = Path("/sys/devices/system/cpu")) -> int | None:
    """Distinct (package, core) pairs in the kernel's CPU topology; None where it is not exposed."""
    cores: set[tuple[str, str]] = set()
    for cpu in sysfs.glob("cpu[0-9]*"):
        try:
            cores.add(((cpu / "topology/physical_package_id").read_text().strip(), (cpu / "topology/core_id").read_text().strip()))
        except OSError:
            continue
    return len(cores) or None


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


_PSEUDO_FS = {"proc", "sysfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "mqueue",
              "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "autofs", "binfmt_misc", "devtmpfs", "nsfs", "rpc_pipefs"}
_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "sshfs", "fuse.sshfs", "9p", "ceph", "glusterfs"}


def _posix_volumes() -> list[Volume]:
    volumes: list[Volume] = []
    seen: set[str] = set()
    try:
        with open("/proc/self/mounts", encoding="utf-8") as fh:
            entries = [line.split()[:3] for line in fh]
    except OSError:
        entries = [["/", "/", ""]]
    for _dev, mount, fstype in entries:
        mount = mount.replace("\\040", " ")
        if fstype in _PSEUDO_FS or mount in seen:
            continue
        seen.add(mount)
        try:
            usage = shutil.disk_usage(mount)
        except OSError:
            continue
        kind = "network" if fstype in _NETWORK_FS else "ramdisk" if fstype == "tmpfs" else "fixed"
        volumes.append(Volume(mount=mount, kind=kind, filesystem=fstype, size_bytes=usage.total, free_bytes=usage.free))
    return volumes
