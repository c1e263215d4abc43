"""The answers file: one pydantic model per step of the MABS flow, under a versioned root.

These models are declared once and everything else derives from them: the answers-file sections,
the JSON Schema (`mabs-wizard schema answers`), the decisions recorded in the manifest, and the
validation behind every TUI form. Defaults are MABS's own where MABS has one (sources in
/shared/reference/mabs-facts.md, cited as S-numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.answers.secretref import PassphraseRef, SecretRef
from mabs_wizard.answers.winpath import WindowsPath

ANSWERS_VERSION = 1


def _relative_to_answers(value: str | Path, info: ValidationInfo) -> Path:
    # Paths in an answers file are relative to that file, so a kit can be moved as a folder.
    base = (info.context or {}).get("base_dir")
    return parse_local_path(str(value), Path(base) if base is not None else None)


LocalPath = Annotated[Path, AfterValidator(_relative_to_answers)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ExtractionAnswers(Section):
    """Extraction wizard: where the download is and where its files go (seed: Extract install files)."""

    source: LocalPath = Field(description="folder holding MicrosoftAzureBackupServerInstaller.exe and its -N.bin parts, or the .exe")
    destination: LocalPath = Field(description="folder to extract into; created, must not exist or be empty")
    execute_setup: bool = Field(True, description="the seed's 'Execute setup.exe' checkbox (checked by default); on a non-Windows host the wizard hands the command over instead")


class PrerequisitesAnswers(Section):
    """Prerequisite check: which facts to judge and against which MABS release and platform."""

    facts_file: LocalPath | None = Field(None, description="JSON facts collected on the Windows target; omitted: probe this machine")
    mabs_version: Literal["v3", "v4"] = Field("v4", description="MABS release being installed (changes supported OS and SQL)")
    platform: Literal["azure-stack", "azure-vm", "on-premises"] = Field(
        "azure-stack", description="where the server runs (sets the hardware minimum: S1, S4)"
    )


class SqlAnswers(Section):
    """SQL Settings: bundled new instance (recommended) or an existing LOCAL named instance."""

    mode: Literal["new", "existing"] = Field("new", description="new: install the bundled SQL Server; existing: use a local named instance")
    server: str = Field("localhost", min_length=1, description="SQL machine (must be this server: remote SQL is not supported, S1)")
    instance: str = Field("MSDPM2012", min_length=1, max_length=16, description="named instance (no underscore, S5); the bundled one is MSDPM2012")
    reporting_instance: str = Field("SSRS", min_length=1, description="SSRS instance name (ini ReportingInstanceName, S2)")
    admin_user: str = Field("administrator", min_length=1, description="account setup uses for SQL (ini SQLMachineUserName)")
    admin_domain: str | None = Field(None, description="NetBIOS domain of that account; omitted: the target's domain")
    admin_password: SecretRef | None = Field(None, description="that account's password (ini SQLMachinePassword); omitted: a placeholder in exports")


class InstallationAnswers(Section):
    """Installation Settings: locations on the target and the cloud data the scratch must cover."""

    program_files: WindowsPath = Field(r"C:\Program Files\Microsoft Azure Backup Server", description="installation location (needs 3 GB free, S13)")
    database_files: WindowsPath = Field(
        r"C:\Program Files\Microsoft Azure Backup Server\DPM\DPMDB", description="database files location (needs 900 MB free, S13)"
    )
    scratch: WindowsPath = Field(
        r"C:\Program Files\Microsoft Azure Recovery Services Agent\Scratch",
        description="MARS cache (scratch) folder: local, online, ≥5% of planned cloud data (S1, S20); MARS default (S6)",
    )
    planned_cloud_data_gb: Annotated[float, Field(ge=0, le=10_000_000)] = Field(
        0, description="data planned to be backed up to Azure, in GB (scratch must hold 5% of it)"
    )
    user_name: str = Field("administrator", min_length=1, description="ini UserName")
    company_name: str = Field("", description="ini CompanyName")


class SecurityAnswers(Section):
    """Security Settings: password of the restricted local accounts MICROSOFT$DPM$Acct and DPMR$<COMPUTER>."""

    password: SecretRef = Field(description="password for the restricted accounts (ini SqlAccountPassword); never expires")
    confirm_password: SecretRef | None = Field(None, description="must resolve to the same value when given (the screen's Confirm field)")


class UpdatesAnswers(Section):
    """Microsoft Update Opt-In."""

    microsoft_update: bool = Field(True, description="use Microsoft Update when checking for updates (recommended by the seed)")


DEFAULT_ENDPOINTS = (
    # The V4 install doc's allow list (S1, S4, S44) reduced to concrete hosts that answer HTTPS;
    # wildcards (*.microsoft.com) cannot be probed, so one well-known host stands for each.
    "https://www.msftconnecttest.com/connecttest.txt",
    "https://login.microsoftonline.com",
    "https://management.azure.com",
    "https://www.microsoft.com",
    "https://blob.core.windows.net",
)


class ProxyAnswers(Section):
    """MARS agent: Internet connectivity, and proxy details when there is none directly."""

    use_proxy: bool = Field(False, description="reach Azure through an HTTP proxy")
    host: str | None = Field(None, description="proxy host (MARS /ph)")
    port: Annotated[int, Field(ge=1, le=65535)] | None = Field(None, description="proxy port (MARS /po)")
    username: str | None = Field(None, description="proxy user for Basic authentication (MARS /pu)")
    password: SecretRef | None = Field(None, description="proxy password (MARS /pw); only with username")
    check: bool = Field(True, description="probe the endpoints during replay (the MARS installer's connectivity check)")
    endpoints: list[Annotated[str, Field(pattern=r"^https://[^\s/]+")]] = Field(
        default_factory=lambda: list(DEFAULT_ENDPOINTS), min_length=1, description="HTTPS endpoints to probe"
    )
    ca_file: LocalPath | None = Field(None, description="PEM bundle to trust instead of the system CAs (TLS-inspecting proxies)")
    timeout_s: Annotated[float, Field(gt=0, le=10)] = Field(5.0, description="per-endpoint timeout; the whole check ends within 10 s")
    subscription_state: Literal["active", "expired", "deprovisioned"] = Field(
        "active", description="the Azure subscription's state as the operator declares it (the seed's state table)"
    )

    @model_validator(mode="after")
    def _proxy_complete(self) -> ProxyAnswers:
        if self.use_proxy and (not self.host or self.port is None):
            raise ValueError("use_proxy is true: host and port are required")
        if self.password is not None and not self.username:
            raise ValueError("a proxy password needs a username")
        return self


class VaultAnswers(Section):
    """Register Server: Vault Identification."""

    credentials_file: LocalPath = Field(description="the .VaultCredentials file downloaded from the Recovery Services vault")
    target_path: WindowsPath | None = Field(
        None, description="where that file will be on the target (ini VaultCredentialFilePath: full path, no spaces, S2)"
    )
    max_age_hours: Annotated[float, Field(gt=0, le=240)] = Field(
        240, description="refuse files older than this (current MARS: 10 days; older agents: 48 h, §10.1)"
    )


class EncryptionAnswers(Section):
    """Register Server: Encryption Setting."""

    passphrase: PassphraseRef = Field(description="backup encryption passphrase (≥16 ASCII characters), or generate")
    confirm_passphrase: SecretRef | None = Field(None, description="must resolve to the same value when given")
    save_location: LocalPath = Field(description="existing folder (ideally off the server) where the passphrase file is written")
    target_save_location: WindowsPath | None = Field(
        None, description="existing folder on the target for the ini PassphraseSaveLocation (S2)"
    )


class SecretStoreAnswers(Section):
    """Where secrets are kept (not a MABS screen: the wizard's own choice, reported in the manifest)."""

    kind: Literal["auto", "keyring", "file"] = Field("auto", description="auto: a secure OS keyring if usable, else the encrypted file")
    file: LocalPath | None = Field(None, description="encrypted store path (kind file, or auto without a keyring)")
    service: str = Field("mabs-wizard", min_length=1, description="keyring service name for the secrets the wizard stores")


class Answers(BaseModel):
    """A complete answers file, version 1."""

    model_config = ConfigDict(extra="forbid", title="mabs-wizard answers", validate_default=True)

    version: Literal[1] = Field(description="answers file format version")
    extraction: ExtractionAnswers
    prerequisites: PrerequisitesAnswers = Field(default_factory=PrerequisitesAnswers)
    sql: SqlAnswers = Field(default_factory=SqlAnswers)
    installation: InstallationAnswers = Field(default_factory=InstallationAnswers)
    security: SecurityAnswers
    updates: UpdatesAnswers = Field(default_factory=UpdatesAnswers)
    proxy: ProxyAnswers = Field(default_factory=ProxyAnswers)
    vault: VaultAnswers
    encryption: EncryptionAnswers
    secret_store: SecretStoreAnswers = Field(default_factory=SecretStoreAnswers)


# Section name -> model, in the order of the seed's flow (the TUI, replay and schema all use this).
SECTIONS: dict[str, type[Section]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Answers.model_fields.items()
    if name != "version"
}
