"""The MABS unattended-setup answers file: ``[OPTIONS]`` with the 17 documented keys (S2).

Notes the file cannot carry as keys (the V4 pre-steps, the exact setup command line, the decisions
the ini has no key for) are ``#`` lines inside ``[OPTIONS]``: the DPM unattended-install doc
(MicrosoftDocs/SystemCenterDocs ``SystemCenterDocs/dpm/install-dpm.md``, "Run an unattended
install", S5) documents them: "Lines beginning with the hash (#) are commented out, and DPM setup
uses the default values" (MABS setup is DPM's setup, reference §0). No Microsoft document gives
``;`` any meaning in these files, so the wizard never writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mabs_wizard.errors import InputError
from mabs_wizard.export.ini_keys import INI_SECRETS
from mabs_wizard.export.plan import EXTRACTED_PLACEHOLDER, INI_NAME, MARS_INSTALL_FOLDER, SETUP_LOG_NAME, TargetPlan, placeholder

# Exactly the documented keys, in the documented order (S2; reference §1.1).
INI_KEYS: tuple[str, ...] = (
    "UserName",
    "CompanyName",
    "SQLMachineName",
    "SQLInstanceName",
    "SQLMachineUserName",
    "SQLMachinePassword",
    "SQLMachineDomainName",
    "ReportingMachineName",
    "ReportingInstanceName",
    "SqlAccountPassword",
    "ReportingMachineUserName",
    "ReportingMachinePassword",
    "ReportingMachineDomainName",
    "VaultCredentialFilePath",
    "SecurityPassphrase",
    "PassphraseSaveLocation",
    "UseExistingSQL",
)

# ini key -> the answers field whose secret it takes

DISM_COMMAND = (
    "start /wait dism.exe /Online /Enable-feature /All /FeatureName:Microsoft-Hyper-V "
    "/FeatureName:Microsoft-Hyper-V-Management-PowerShell /quiet"
)


def check_ini_secret(field: str, value: str) -> str:
    """A secret as an ini value: one line, and no edge spaces (ini readers strip them)."""
    if any(not c.isprintable() for c in value):
        raise InputError(f"{field}: the stored secret contains a line break or control character; an ini file cannot carry it")
    if value != value.strip():
        raise InputError(f"{field}: the stored secret starts or ends with a space, which ini readers drop; setup would get another value")
    return value


def ini_values(plan: TargetPlan, secret: Callable[[str], str]) -> dict[str, str]:
    """The 17 keys in order; ``secret(field)`` gives a secret's text (the value, a placeholder or a token)."""
    values = {
        "UserName": plan.user_name,
        "CompanyName": plan.company_name,
        "SQLMachineName": plan.sql_server,
        "SQLInstanceName": plan.sql_instance,
        "SQLMachineUserName": plan.sql_admin_user,
        "SQLMachinePassword": secret("sql.admin_password"),
        "SQLMachineDomainName": plan.sql_admin_domain,
        # MABS needs its SQL (and so its SSRS) on the server itself (S1): same machine, same account.
        "ReportingMachineName": plan.sql_server,
        "ReportingInstanceName": plan.reporting_instance,
        "SqlAccountPassword": secret("security.password"),
        "ReportingMachineUserName": plan.sql_admin_user,
        "ReportingMachinePassword": secret("sql.admin_password"),
        "ReportingMachineDomainName": plan.sql_admin_domain,
        "VaultCredentialFilePath": plan.require_vault_target(),
        "SecurityPassphrase": secret("encryption.passphrase"),
        "PassphraseSaveLocation": plan.require_passphrase_target(),
        "UseExistingSQL": "1" if plan.sql_mode == "existing" else "0",
    }
    assert tuple(values) == INI_KEYS
    return values


def ini_body(values: Mapping[str, str]) -> list[str]:
    return ["[OPTIONS]", *(f"{key}={values[key]}" for key in INI_KEYS)]


def _cmd_path(path: str) -> str:
    return f'"{path}"' if " " in path else path


def setup_command(plan: TargetPlan) -> str:
    """The documented command line (S2), with this setup's paths on the target."""
    folder = plan.setup_folder or EXTRACTED_PLACEHOLDER
    exe, ini, log = (f"{folder}\\{name}" for name in ("Setup.exe", INI_NAME, SETUP_LOG_NAME))
    if plan.setup_folder and " " in plan.setup_folder:
        # `start` takes the first quoted argument as a window title: give it an empty one.
        return f'start "" /wait {_cmd_path(exe)} /i /f {_cmd_path(ini)} /l {_cmd_path(log)}'
    return f"start /wait {exe} /i /f {ini} /l {log}"


COMMENT = "# "  # the DPM unattended-install doc's comment character (S5); ';' is documented nowhere


def comment_lines(plan: TargetPlan, values: Mapping[str, str], *, holds_secrets: bool, missing: list[str]) -> list[str]:
    """The notes, without their ``#``: what the operator does before and after, and what the ini cannot say."""
    v4 = plan.mabs_version == "v4"
    lines = [
        f"MABS unattended setup file ({INI_NAME}) for {plan.computer_name}, MABS {plan.mabs_version.upper()}",
        f"Written by mabs-wizard from the install manifest of {plan.finished_at}.",
        'Keys as in "Run an unattended installation of Azure Backup Server" (backup-mabs-unattended-install.md).',
        'Lines starting with # are comments ("Lines beginning with the hash (#) are commented out": DPM\'s',
        '"Run an unattended install", install-dpm.md).',
        "",
    ]
    if holds_secrets:
        lines += [
            "THIS FILE HOLDS SECRETS (passwords, the encryption passphrase): keep it private and delete it",
            "as soon as setup has run.",
        ]
    if missing and not holds_secrets:
        lines += [
            "Secrets are not in this file: replace every <secret not exported: ...> before running setup,",
            "or export again with --with-secrets (a private file; delete it after setup). The ps1 export",
            "reads them at run time instead (parameters, environment variables or a protected file).",
        ]
    elif missing:
        lines += [f"Not recorded by the wizard, to fill in by hand (see <secret not exported: ...>): {', '.join(missing)}."]
    lines += ["", "Before setup, on the target:"]
    if v4:
        lines += [
            "  (MABS V4 only; these steps do not apply to V1, V2 and V3)",
            f'  mkdir "{MARS_INSTALL_FOLDER}"',
            f"  {DISM_COMMAND}",
            "  (this can restart the server automatically; if it does not, restart it before setup)",
        ]
    lines += [
        f"  copy the .VaultCredentials file to {values['VaultCredentialFilePath']}",
        f"  make sure the folder {values['PassphraseSaveLocation']} exists (setup writes the passphrase file there)",
        "",
        "Then, from an elevated command prompt, with this file in the extracted folder:",
        f"  {setup_command(plan)}",
        "",
        "This file has no keys for the program, database and scratch folders; setup uses its own",
        "defaults for them. The wizard's choices, to apply by hand if they differ:",
        f"  program files  {plan.program_files}",
        f"  database files {plan.database_files}",
        f"  MARS scratch   {plan.scratch}  (MARSAgentInstaller /s:, see the mars-cmd export)",
        "After setup, proxy and staging area are set with Set-DPMCloudSubscriptionSetting ... -Commit",
        "(backup-dpm-automation.md); the ps1 export does that.",
    ]
    if plan.use_proxy:
        lines += [
            f"The MARS agent reaches Azure through proxy {plan.proxy_host}:{plan.proxy_port}; this file has no proxy",
            "keys: the ps1 export installs the agent with the proxy before setup.",
        ]
    if any(not v.isascii() for v in values.values()):
        lines += ["Note: some values are not ASCII; setup's ini encoding is not documented, check them after setup."]
    return lines


def render_ini(plan: TargetPlan, secrets: Mapping[str, str] | None) -> str:
    def secret(field: str) -> str:
        if secrets is not None and secrets.get(field) is not None:
            return check_ini_secret(field, secrets[field])
        return placeholder(field)

    values = ini_values(plan, secret)
    holds_secrets = any(values[key] != placeholder(field) for key, field in INI_SECRETS.items())
    missing = sorted({field for key, field in INI_SECRETS.items() if values[key] == placeholder(field)})
    notes = comment_lines(plan, values, holds_secrets=holds_secrets, missing=missing)
    header, *keys = ini_body(values)
    # Inside [OPTIONS], as the DPM doc places its # lines; a note is one line (the plan refuses line breaks).
    return "\n".join([header, *((COMMENT + line).rstrip() for line in notes), *keys]) + "\n"
