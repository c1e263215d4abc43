"""Facts about the Windows target that the prerequisite rules judge.

They come from a facts file collected on the target (JSON; `mabs-wizard schema facts` prints its
schema, `assets/facts/collect-facts.ps1` collects it) or from a probe of the machine the wizard runs
on. On Linux the probe reports Linux honestly, and the OS rule then fails: MABS installs on Windows.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mabs_wizard.errors import InputError

FACTS_VERSION = 1

VolumeAttribute = Literal["encrypted", "deduplicated", "compressed", "sparse", "reparse-point"]


class Volume(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mount: str = Field(description="drive letter with colon on Windows (C:), mount point elsewhere")
    label: str = ""
    kind: Literal["fixed", "removable", "network", "cdrom", "ramdisk", "unknown"] = "fixed"
    filesystem: str = ""
    size_bytes: int = Field(ge=0)
    free_bytes: int = Field(ge=0)
    online: bool = True
    attributes: list[VolumeAttribute] = Field(default_factory=list, description="MARS refuses a cache on these (S21)")


class SqlInstance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="instance name; MSSQLSERVER is the default instance")
    version: str = Field(description="product version, e.g. 15.0.2000.5")
    edition: str = Field(description="e.g. Standard Edition (64-bit)")


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain_controller: bool = False
    application_server: bool = False
    exchange_server: bool = False
    cluster_node: bool = False
    scom_management_server: bool = False


class TargetFacts(BaseModel):
    """What the rules need to know about the server MABS is installed on."""

    model_config = ConfigDict(extra="forbid", title="mabs-wizard target facts")

    version: Literal[1] = FACTS_VERSION
    collected_at: datetime | None = None
    computer_name: str = Field(min_length=1)
    domain: str | None = Field(None, description="NetBIOS domain name; null in a workgroup")
    domain_joined: bool
    os_family: Literal["windows", "linux", "macos", "other"]
    os_name: str = Field(description="e.g. Windows Server 2019 Datacenter")
    os_version: str = Field(description="kernel version, e.g. 10.0.17763")
    os_language: str = "en-US"
    architecture: str = "x64"
    server_core: bool = False
    cpu_cores: int = Field(ge=1)
    ram_bytes: int = Field(ge=0)
    volumes: list[Volume] = Field(default_factory=list)
    system_drive: str = "C:"
    roles: Roles = Field(default_factory=Roles)
    dotnet_release: int | None = Field(None, description=r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full Release (528040 = 4.8)")
    powershell_version: str | None = None
    hyperv_powershell: bool | None = None
    tls12_enabled: bool | None = None
    sql_instances: list[SqlInstance] = Field(default_factory=list)
    azure_stack_vm_size: str | None = Field(None, description="e.g. Standard_A2")

    def volume_of(self, path: str) -> Volume | None:
        """The volume holding a Windows path (by drive letter) or a POSIX path (longest mount)."""
        if len(path) >= 2 and path[1] == ":":
            drive = path[:2].upper()
            return next((v for v in self.volumes if v.mount.upper() == drive), None)
        best: Volume | None = None
        for volume in self.volumes:
            prefix = volume.mount.rstrip("/") + "/"
            if (path + "/").startswith(prefix) and (best is None or len(volume.mount) > len(best.mount)):
                best = volume
        return best


def load_facts(path: Path) -> TargetFacts:
    try:
        with path.open("rb") as fh:
            raw = fh.read(2_000_001)
    except OSError as exc:
        raise InputError(f"{path}: cannot read facts file ({exc.strerror})") from None
    if len(raw) > 2_000_000:
        raise InputError(f"{path}: facts file larger than 2 MB; not a facts file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: facts file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    try:
        return TargetFacts.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}: {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InputError(f"{path}: invalid facts file", problems) from None


def probe_local(now: datetime | None = None) -> TargetFacts:
    """Facts of the machine the wizard runs on: real values, whatever the OS."""
    system = platform.system()
    if system == "Windows":  # pragma: no cover - exercised on Windows targets only
        from mabs_wizard.facts_windows import probe_windows

        return probe_windows(now)
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
        cpu_cores=os.cpu_count() or 1,
        ram_bytes=_ram_bytes(),
        volumes=_posix_volumes(),
        system_drive="/",
    )


def _os_pretty_name() -> str | None:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME")
    except OSError:
        return None


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
