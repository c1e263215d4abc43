"""What the three exports need from an install manifest, checked once, plus the quoting they share.

The manifest records decisions made on the machine that ran the wizard; the exports are files for
the Windows target. Values that are Windows paths on the target are used as they are; the extraction
folder is a path on the wizard's host, so it is used only when it already is a Windows path (the
wizard ran on the target), else the exports say where to copy them instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ValidationError

from mabs_wizard.answers.winpath import validate_windows_path
from mabs_wizard.errors import InputError


def secret_fields() -> dict[str, str]:
    """Every secret an answers file can reference (``section.field`` -> what it is), from the section
    models: a new secret field is known to the exports (and to --with-secrets) as soon as it is declared.
    A confirmation is only compared when answering, never exported."""
    from mabs_wizard.answers.formspec import secret_fields as names
    from mabs_wizard.answers.models import SECTIONS

    return {f"{section}.{name}": model.model_fields[name].description or name
            for section, model in SECTIONS.items() for name in names(model) if not name.startswith("confirm_")}

MARS_INSTALL_FOLDER = r"C:\Program Files\Microsoft Azure Recovery Services Agent"  # MARS /p default (S6)
MARS_MODULE = r"bin\Modules\MSOnlineBackup"  # under the install folder (S6)
MABS_DEFAULT_PROGRAM_FILES = r"C:\Program Files\Microsoft Azure Backup Server"
INI_NAME = "MABSSetup.ini"  # the name the unattended-install doc recommends (S2)
SETUP_LOG_NAME = "MABSSetup.log"
EXTRACTED_PLACEHOLDER = "<extracted folder>"


def placeholder(field: str) -> str:
    """What stands in for a secret that was not exported: obvious to a reader and to a search."""
    return f"<secret not exported: {field}>"


@dataclass(frozen=True)
class TargetPlan:
    finished_at: str
    computer_name: str
    domain: str | None
    mabs_version: str
    setup_folder: str | None  # Windows path of the extracted media on the target, if known
    user_name: str
    company_name: str
    sql_mode: str
    sql_server: str
    sql_instance: str
    reporting_instance: str
    sql_admin_user: str
    sql_admin_domain: str
    program_files: str
    database_files: str
    scratch: str
    microsoft_update: bool
    use_proxy: bool
    proxy_host: str | None
    proxy_port: int | None
    proxy_user: str | None
    vault_target: str | None
    passphrase_target: str | None
    secret_records: Mapping[str, Any]  # answers field -> SecretRecord (or None when not recorded)
    # Where the agent stages data recovered from Azure (Set-DPMCloudSubscriptionSetting
    # -StagingAreaPath, backup-dpm-automation.md). No answers field holds it yet: None leaves setup's
    # own choice, and the ps1 takes -StagingAreaPath at run time.
    staging_area: str | None = None

    def require_vault_target(self) -> str:
        """VaultCredentialFilePath: full path and file name with no spaces in either (S2)."""
        if not self.vault_target:
            raise InputError(
                "vault.target_path is not set: the MABS ini needs VaultCredentialFilePath, the full path the "
                ".VaultCredentials file will have on the target (no spaces); set it in the answers and replay"
            )
        if any(c.isspace() for c in self.vault_target):
            raise InputError(
                f"vault.target_path {self.vault_target!r} contains a space: MABS unattended setup requires "
                "VaultCredentialFilePath without spaces in the path and the file name; copy the file "
                r"to a folder like C:\MABSSetup and set vault.target_path to it"
            )
        return self.vault_target

    def require_passphrase_target(self) -> str:
        """PassphraseSaveLocation: an existing directory on the target where setup writes the passphrase file."""
        if not self.passphrase_target:
            raise InputError(
                "encryption.target_save_location is not set: the MABS ini needs PassphraseSaveLocation, an "
                "existing folder on the target where setup writes the passphrase file; set it in the answers and replay"
            )
        return self.passphrase_target


def _as_manifest(manifest: BaseModel | Mapping[str, Any]) -> BaseModel:
    from mabs_wizard.manifest import Manifest

    if isinstance(manifest, Manifest):
        return manifest
    data = manifest.model_dump(mode="json") if isinstance(manifest, BaseModel) else manifest
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = [f"manifest: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False, include_input=False)]
        raise InputError("invalid manifest", problems) from None


def _utc_text(moment: datetime) -> str:
    if moment.utcoffset() is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _windows_path_or_none(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return validate_windows_path(value)
    except ValueError:
        return None


_TEXT_FIELDS = (
    "installation.user_name",
    "installation.company_name",
    "sql.server",
    "sql.instance",
    "sql.reporting_instance",
    "sql.admin_user",
    "sql.admin_domain",
    "proxy.host",
    "proxy.username",
)


def plan_from_manifest(manifest: BaseModel | Mapping[str, Any]) -> TargetPlan:
    """Everything the exports use, or InputError naming each field that cannot go into a setup file."""
    m: Any = _as_manifest(manifest)
    s = {name: getattr(m, name).settings for name in _PLAN_SECTIONS}
    records = {path: getattr(s[path.split(".")[0]], path.split(".")[1]) for path in secret_fields()}
    if not s["proxy"].use_proxy:
        records["proxy.password"] = None  # a password kept from the answers is not used without a proxy
    return _plan(s, finished_at=_utc_text(m.finished_at), computer_name=m.facts.computer_name, domain=m.facts.domain,
                 secret_records=records)


def plan_from_answers(answers: Any, *, computer_name: str, domain: str | None, finished_at: str = "") -> TargetPlan:
    """The same plan from answers, before any manifest exists (the TUI's MARS page shows the
    installer command from it): partial answers from ``flow.answers_from_sections`` do, a section
    still unknown (None there) counting as all fields unset. No secret is recorded yet, so every
    secret is a placeholder."""
    s = {name: getattr(answers, name, None) or _Defaults(name) for name in _PLAN_SECTIONS}
    return _plan(s, finished_at=finished_at, computer_name=computer_name, domain=domain,
                 secret_records=dict.fromkeys(secret_fields()))


_PLAN_SECTIONS = ("extraction", "prerequisites", "sql", "installation", "updates", "proxy", "vault", "encryption", "security")


class _Defaults:
    """A section not answered yet: its model's defaults, and None for a field with none (no second copy
    of a default here: the model's is the one)."""

    def __init__(self, section: str) -> None:
        from mabs_wizard.answers.models import SECTIONS

        self._model = SECTIONS[section]

    def __getattr__(self, name: str) -> Any:
        info = self._model.model_fields.get(name)
        return None if info is None or info.is_required() else info.get_default(call_default_factory=True)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)  # answers hold Paths where the manifest holds strings


def _plan(s: Mapping[str, Any], *, finished_at: str, computer_name: str, domain: str | None,
          secret_records: Mapping[str, Any]) -> TargetPlan:
    problems: list[str] = []
    for dotted in _TEXT_FIELDS:
        section, name = dotted.split(".")
        value = getattr(s[section], name)
        # A line break would start a new ini key or command; other control characters have no business there.
        if isinstance(value, str) and any(not c.isprintable() for c in value):
            problems.append(f"{dotted}: contains a line break or control character, which a setup file cannot carry")
    if problems:
        raise InputError(problems[0] if len(problems) == 1 else "manifest values unfit for setup files", problems if len(problems) > 1 else None)

    proxy = s["proxy"]
    sql = s["sql"]
    inst = s["installation"]
    return TargetPlan(
        finished_at=finished_at,
        computer_name=computer_name,
        domain=domain,
        mabs_version=s["prerequisites"].mabs_version,
        setup_folder=_windows_path_or_none(_text(s["extraction"].destination)),
        user_name=inst.user_name,
        company_name=inst.company_name,
        sql_mode=sql.mode,
        sql_server=sql.server,
        sql_instance=sql.instance,
        reporting_instance=sql.reporting_instance,
        sql_admin_user=sql.admin_user,
        # NetBIOS domain of the account (S5: no FQDNs); a workgroup account's "domain" is the computer.
        sql_admin_domain=sql.admin_domain or domain or computer_name,
        program_files=inst.program_files,
        database_files=inst.database_files,
        scratch=inst.scratch,
        microsoft_update=bool(s["updates"].microsoft_update),
        use_proxy=bool(proxy.use_proxy),
        proxy_host=proxy.host if proxy.use_proxy else None,
        proxy_port=proxy.port if proxy.use_proxy else None,
        proxy_user=proxy.username if proxy.use_proxy else None,
        vault_target=s["vault"].target_path,
        passphrase_target=s["encryption"].target_save_location,
        secret_records=secret_records,
    )


# --- quoting ---------------------------------------------------------------------------------


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted literal: nothing inside is expanded; ' is doubled."""
    return "'" + value.replace("'", "''") + "'"


_CMD_SPECIAL = set(' \t&|<>^(),;=!"%')


def cmd_arg(value: str, field: str) -> str:
    """One argument for a .cmd file: quoted when it must be, % doubled (batch files expand it)."""
    if '"' in value:
        raise InputError(f"{field}: contains a double quote, which a cmd command line cannot carry; use the ps1 export")
    escaped = value.replace("%", "%%")
    return f'"{escaped}"' if any(c in _CMD_SPECIAL for c in value) or not value else escaped
