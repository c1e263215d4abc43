"""The facts of a Windows target, as `assets/facts/collect-facts.ps1` writes them (schema version 2).

Each field names where Windows keeps it; sources are MicrosoftDocs/win32 (`desktop-src/CIMWin32Prov/
win32-computersystem.md`, `win32-operatingsystem.md`, `win32-processor.md`, `win32-physicalmemory.md`,
`win32-logicaldisk.md`, `desktop-src/FileIO/file-attribute-constants.md`), MicrosoftDocs/sdk-api
(`lmjoin/nf-lmjoin-netgetjoininformation.md`) and MicrosoftDocs/windows-powershell-docs (Get-DedupVolume,
Get-BitLockerVolume). A fact the collector could not read is null, and `unknown` says why: the rules
report it as a warning, never as "absent".

Version 1 (the first collector) recorded the user's domain (`$env:USERDOMAIN`), the user's format
culture (`Get-Culture`) as the OS language and logical processors as cores. Such files still load
(`FactsV1.upgrade`): what v1 recorded reliably is kept, what it got wrong is dropped or marked
unverified, and the rules warn about each gap. Refusing them would throw away the OS, volume, SQL
and .NET facts they do hold correctly; trusting them would hand a wrong domain to the setup ini.
"""

from __future__ import annotations

import ntpath
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

FACTS_VERSION = 2

# FILE_ATTRIBUTE_* values (MicrosoftDocs/win32 desktop-src/FileIO/file-attribute-constants.md).
FILE_ATTRIBUTE_DIRECTORY = 0x10
FILE_ATTRIBUTE_SPARSE_FILE = 0x200
FILE_ATTRIBUTE_REPARSE_POINT = 0x400
FILE_ATTRIBUTE_COMPRESSED = 0x800
FILE_ATTRIBUTE_ENCRYPTED = 0x4000
# Names as .NET's System.IO.FileAttributes prints them (what `(Get-Item X).Attributes` shows).
ATTRIBUTE_NAMES = {
    0x1: "ReadOnly", 0x2: "Hidden", 0x4: "System", FILE_ATTRIBUTE_DIRECTORY: "Directory", 0x20: "Archive",
    0x40: "Device", 0x80: "Normal", 0x100: "Temporary", FILE_ATTRIBUTE_SPARSE_FILE: "SparseFile",
    FILE_ATTRIBUTE_REPARSE_POINT: "ReparsePoint", FILE_ATTRIBUTE_COMPRESSED: "Compressed", 0x1000: "Offline",
    0x2000: "NotContentIndexed", FILE_ATTRIBUTE_ENCRYPTED: "Encrypted", 0x8000: "IntegrityStream",
    0x20000: "NoScrubData",
}

# Facts the collector may fail to read; `unknown` maps each to Windows' reason.
UnknownFact = Literal[
    "domain",                     # NetBIOS name: NetGetJoinInformation / Win32_NTDomain
    "os_language",                # Win32_OperatingSystem.OSLanguage
    "physical_cores",             # sum of Win32_Processor.NumberOfCores
    "memory_installed_bytes",     # sum of Win32_PhysicalMemory.Capacity
    "roles.application_server",   # Get-WindowsFeature Application-Server
    "roles.cluster_node",         # ClusSvc + the cluster hive
    "hyperv_powershell",          # Get-WindowsFeature Hyper-V-PowerShell
    "volumes.dedup",              # Get-DedupVolume
    "volumes.bitlocker",          # Get-BitLockerVolume / Win32_EncryptableVolume
]


def attribute_names(value: int) -> list[str]:
    """FILE_ATTRIBUTE_* bits as Windows names them; an unnamed bit shows as hex."""
    names = [name for bit, name in ATTRIBUTE_NAMES.items() if value & bit]
    rest = value & ~sum(ATTRIBUTE_NAMES)
    return names + ([hex(rest)] if rest else [])


def windows_path_key(path: str) -> str:
    """Compare Windows paths as Windows does: case-insensitive, either slash, no trailing separator."""
    return ntpath.normcase(ntpath.normpath(path)).rstrip("\\")


class BitLocker(BaseModel):
    """A volume's BitLocker state: Get-BitLockerVolume's fields (MicrosoftDocs/windows-powershell-docs
    `docset/windows/bitlocker/get-bitlockervolume.md`), or Win32_EncryptableVolume's (MicrosoftDocs/win32
    `desktop-src/SecProv/win32-encryptablevolume.md`, `getlockstatus-...md`) mapped to the same names."""

    model_config = ConfigDict(extra="forbid")

    protection_status: Literal["On", "Off", "Unknown"]
    lock_status: Literal["Locked", "Unlocked"] | None = Field(None, description="Locked: the contents are not accessible from Windows")
    volume_type: Literal["OperatingSystem", "Data"] | None = None
    auto_unlock: bool | None = Field(None, description="AutoUnlockEnabled; null for the OS volume (never locked while Windows runs)")
    source: Literal["Get-BitLockerVolume", "Win32_EncryptableVolume", "not-installed"] = Field(
        description="how it was read; not-installed: the BitLocker feature (its cmdlets and WMI namespace) is absent, so no volume can be protected"
    )


class Volume(BaseModel):
    """A logical disk (Win32_LogicalDisk) with what MARS asks of a cache volume (S20, S21)."""

    model_config = ConfigDict(extra="forbid")

    mount: str = Field(description="drive letter with colon on Windows (C:), mount point elsewhere")
    label: str = ""
    kind: Literal["fixed", "removable", "network", "cdrom", "ramdisk", "unknown"] = "fixed"
    filesystem: str = ""
    size_bytes: int = Field(ge=0)
    free_bytes: int = Field(ge=0)
    online: bool = True
    dedup: bool | None = Field(None, description="data deduplication enabled (Get-DedupVolume); false where the feature is not installed; null: could not ask")
    bitlocker: BitLocker | None = Field(None, description="null: could not ask (see unknown['volumes.bitlocker'])")


class ScratchFolder(BaseModel):
    """Attributes of a MARS cache (scratch) folder the operator may choose (collect-facts.ps1 -ScratchPath).

    MARS refuses a cache folder that is Encrypted, De-duplicated, Compressed, Sparse or a Reparse-Point
    (S21: MicrosoftDocs/azure-docs articles/backup/backup-azure-file-folder-backup-faq.yml). A folder
    that does not exist yet is judged by its nearest existing parent: a compressed or encrypted folder
    passes that on to new subfolders (file-attribute-constants.md)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, description="the folder, as an absolute Windows path")
    exists: bool
    examined: str | None = Field(None, description="the folder itself, or its nearest existing parent, whose attributes were read")
    attributes: int | None = Field(None, ge=0, description="FILE_ATTRIBUTE_* bits of `examined` ([int](Get-Item -Force X).Attributes); null: could not read")
    reason: str | None = Field(None, description="why attributes is null")

    def names(self) -> list[str]:
        return attribute_names(self.attributes or 0)


class SqlInstance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="instance name; MSSQLSERVER is the default instance")
    version: str = Field(description="product version, e.g. 15.0.2000.5")
    edition: str = Field(description="e.g. Standard Edition (64-bit)")


class Roles(BaseModel):
    """Roles MABS refuses to share a server with (S1, S4). Null: the collector could not tell."""

    model_config = ConfigDict(extra="forbid")

    domain_controller: bool | None = Field(False, description="Win32_ComputerSystem.DomainRole 4 or 5")
    application_server: bool | None = Field(False, description="Get-WindowsFeature Application-Server")
    exchange_server: bool | None = False
    cluster_node: bool | None = Field(False, description="member of a failover cluster (not merely the feature installed)")
    scom_management_server: bool | None = False


class TargetFacts(BaseModel):
    """What the rules need to know about the server MABS is installed on (facts schema version 2)."""

    model_config = ConfigDict(extra="forbid", title="mabs-wizard target facts")

    version: Literal[2] = FACTS_VERSION
    collected_at: datetime | None = None
    collected_by: str | None = Field(None, description="account that ran the collector (information only; never the domain)")
    elevated: bool | None = Field(None, description="the collector ran as an administrator (some facts need it)")
    computer_name: str = Field(min_length=1)
    domain_joined: bool = Field(description="Win32_ComputerSystem.PartOfDomain: the computer's membership, not the user's")
    domain: str | None = Field(None, description="NetBIOS name of the computer's domain (NetGetJoinInformation); null in a workgroup or unknown")
    domain_dns: str | None = Field(None, description="DNS name of the computer's domain (Win32_ComputerSystem.Domain)")
    os_family: Literal["windows", "linux", "macos", "other"]
    os_name: str = Field(description="e.g. Windows Server 2019 Datacenter")
    os_version: str = Field(description="kernel version, e.g. 10.0.17763")
    os_sku: int | None = Field(None, description="Win32_OperatingSystem.OperatingSystemSKU (PRODUCT_* value)")
    os_language: str | None = Field(None, description="language of the installed OS: Win32_OperatingSystem.OSLanguage as a culture name, e.g. en-US")
    os_language_lcid: int | None = Field(None, description="Win32_OperatingSystem.OSLanguage, e.g. 1033 (en-US), 1055 (tr-TR)")
    ui_languages: list[str] = Field(default_factory=list, description="Win32_OperatingSystem.MUILanguages")
    format_culture: str | None = Field(None, description="Get-Culture of the account that ran the collector: its number/date formats; never judged")
    architecture: str = "x64"
    server_core: bool = False
    physical_cores: int | None = Field(None, ge=1, description="sum of Win32_Processor.NumberOfCores (judged)")
    logical_processors: int | None = Field(None, ge=1, description="Win32_ComputerSystem.NumberOfLogicalProcessors (counts SMT threads)")
    memory_visible_bytes: int = Field(ge=0, description="Win32_ComputerSystem.TotalPhysicalMemory: what Windows sees, less what firmware reserves")
    memory_installed_bytes: int | None = Field(None, ge=0, description="sum of Win32_PhysicalMemory.Capacity: the memory installed")
    volumes: list[Volume] = Field(default_factory=list)
    system_drive: str = "C:"
    scratch: list[ScratchFolder] = Field(default_factory=list, description="attributes of the scratch folder(s) given to -ScratchPath")
    roles: Roles = Field(default_factory=Roles)
    dotnet_release: int | None = Field(None, description=r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full Release (528040 = 4.8)")
    powershell_version: str | None = Field(None, description="Windows PowerShell engine version (not PowerShell 7)")
    hyperv_powershell: bool | None = None
    tls12_enabled: bool | None = None
    sql_instances: list[SqlInstance] = Field(default_factory=list)
    azure_stack_vm_size: str | None = Field(None, description="e.g. Standard_A2")
    unknown: dict[UnknownFact, str] = Field(default_factory=dict, description="facts the collector could not read, with Windows' reason")

    # Set when the facts came from an older file format (1): the rules say what it lacks.
    _upgraded_from: int | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _some_processor_count(self) -> TargetFacts:
        if self.physical_cores is None and self.logical_processors is None:
            raise ValueError("physical_cores and logical_processors are both null; at least one is needed")
        return self

    @property
    def upgraded_from(self) -> int | None:
        return self._upgraded_from

    def reason(self, fact: str, default: str = "not collected") -> str:
        return self.unknown.get(fact, default)  # type: ignore[call-overload]

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

    def scratch_folder(self, path: str) -> ScratchFolder | None:
        key = windows_path_key(path)
        return next((s for s in self.scratch if windows_path_key(s.path) == key), None)


# --------------------------------------------------------------------------- version 1


class VolumeV1(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mount: str
    label: str = ""
    kind: Literal["fixed", "removable", "network", "cdrom", "ramdisk", "unknown"] = "fixed"
    filesystem: str = ""
    size_bytes: int = Field(ge=0)
    free_bytes: int = Field(ge=0)
    online: bool = True
    # Win32_LogicalDisk.Compressed: whole-volume (DoubleSpace-style) compression, false on NTFS even
    # where folders are compressed (win32-logicaldisk.md); it says nothing about a scratch folder.
    attributes: list[Literal["encrypted", "deduplicated", "compressed", "sparse", "reparse-point"]] = Field(default_factory=list)


class RolesV1(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain_controller: bool = False
    application_server: bool = False
    exchange_server: bool = False
    cluster_node: bool = False
    scom_management_server: bool = False


class FactsV1(BaseModel):
    """Facts schema version 1, exactly as the first collector wrote it."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    collected_at: datetime | None = None
    computer_name: str = Field(min_length=1)
    domain: str | None = None
    domain_joined: bool
    os_family: Literal["windows", "linux", "macos", "other"]
    os_name: str
    os_version: str
    os_language: str = "en-US"
    architecture: str = "x64"
    server_core: bool = False
    cpu_cores: int = Field(ge=1)
    ram_bytes: int = Field(ge=0)
    volumes: list[VolumeV1] = Field(default_factory=list)
    system_drive: str = "C:"
    roles: RolesV1 = Field(default_factory=RolesV1)
    dotnet_release: int | None = None
    powershell_version: str | None = None
    hyperv_powershell: bool | None = None
    tls12_enabled: bool | None = None
    sql_instances: list[SqlInstance] = Field(default_factory=list)
    azure_stack_vm_size: str | None = None

    def upgrade(self) -> TargetFacts:
        """Version 2 facts from a version 1 file: keep what v1 read right, mark the rest unknown."""
        unknown: dict[str, str] = {}
        v1 = "a version 1 facts file"
        domain = self.domain
        if self.domain_joined:
            if domain is None or domain.upper() == self.computer_name.upper():
                # $env:USERDOMAIN of a local account is the computer name: certainly not the domain.
                domain = None
                unknown["domain"] = f"{v1} recorded the domain of the user who ran the collector ($env:USERDOMAIN), here the computer itself"
            else:
                unknown["domain"] = f"{v1} recorded the domain of the user who ran the collector ($env:USERDOMAIN), not the computer's membership"
        unknown["os_language"] = f"{v1} recorded the user's format culture (Get-Culture: {self.os_language}), not the OS language"
        unknown["physical_cores"] = f"{v1} recorded logical processors ({self.cpu_cores}), which count SMT threads, as cores"
        unknown["memory_installed_bytes"] = f"{v1} recorded only the memory Windows sees"
        roles = self.roles.model_dump()
        if not self.roles.application_server:
            roles["application_server"] = None
            unknown["roles.application_server"] = f"{v1} reported 'not installed' also when Get-WindowsFeature could not be asked"
        if self.roles.cluster_node:
            roles["cluster_node"] = None
            unknown["roles.cluster_node"] = f"{v1} counted the Failover Clustering feature (ClusSvc) as cluster membership"
        hyperv = self.hyperv_powershell
        if hyperv is False:
            hyperv = None
            unknown["hyperv_powershell"] = f"{v1} reported 'not installed' also when Get-WindowsFeature could not be asked"
        unknown["volumes.dedup"] = unknown["volumes.bitlocker"] = f"{v1} did not record deduplication or BitLocker"
        facts = TargetFacts(
            collected_at=self.collected_at, computer_name=self.computer_name, domain_joined=self.domain_joined,
            domain=domain, os_family=self.os_family, os_name=self.os_name, os_version=self.os_version,
            format_culture=self.os_language, architecture=self.architecture, server_core=self.server_core,
            logical_processors=self.cpu_cores, memory_visible_bytes=self.ram_bytes,
            volumes=[Volume(**v.model_dump(exclude={"attributes"})) for v in self.volumes],
            system_drive=self.system_drive, roles=Roles(**roles), dotnet_release=self.dotnet_release,
            powershell_version=self.powershell_version, hyperv_powershell=hyperv, tls12_enabled=self.tls12_enabled,
            sql_instances=self.sql_instances, azure_stack_vm_size=self.azure_stack_vm_size,
            unknown=unknown,  # type: ignore[arg-type]
        )
        facts._upgraded_from = 1
        return facts
