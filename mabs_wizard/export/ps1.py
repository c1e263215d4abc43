"""A PowerShell script that installs MABS on the target and sets it up for Azure Backup, unattended.

What it does, and on whose word (MicrosoftDocs/azure-docs ``articles/backup/`` unless named):

1. MABS V4 pre-steps (``backup-mabs-unattended-install.md``): the MARS agent folder and the Hyper-V
   features, only while setup has still to run.
2. With a proxy, the MARS agent first (``MARSAgentInstaller.exe`` switches, ``backup-client-automation.md``)
   and its proxy with ``Set-OBMachineSetting``: before setup that agent is all there is, and setup
   registers the server through it (the ini has no proxy keys).
3. MABS setup with the ini (``backup-mabs-unattended-install.md``); setup installs the agent if needed
   and registers the server from VaultCredentialFilePath and SecurityPassphrase.
4. Only on request (``-RegisterWithCmdlets``) and only when the server is not registered:
   ``Start-OBRegistration -VaultCredentials`` (``backup-dpm-automation.md``, ``backup-client-automation.md``).
5. On the DPM/MABS server the settings are the DPM cmdlets' (``backup-dpm-automation.md``):
   ``Get-DPMCloudSubscriptionSetting``, then ``Set-DPMCloudSubscriptionSetting`` with ``-NoProxy`` or
   ``-ProxyServer/-ProxyPort/-ProxyUsername/-ProxyPassword``, ``-StagingAreaPath``,
   ``-EncryptionPassphrase`` (only after step 4: setup already set the passphrase), and ``-Commit``
   ("The settings won't be applied and used by Azure Backup unless committed").

It runs unattended: every secret comes from a parameter, an environment variable, or a file made with
``Export-Clixml`` (DPAPI, PowerShell-Docs ``Export-Clixml.md``), and a prompt happens only in an
interactive session. Everything it reads to decide what to do is read first; a missing secret or
file stops it with exit code 2 before anything changes. Each step checks before it acts: MABS
installed (``InstallPath`` under the DPM Setup key, ``backup-azure-mabs-troubleshoot.md``), agent
installed (its module folder, ``backup-client-automation.md``), server registered
(``ServiceResourceName`` under ``...\\Windows Azure Backup\\Config``,
``backup-azure-upgrade-backup-to-recovery-services.md`` FAQ, 2019), settings committed (a state file
the script writes after ``-Commit``), so it can run again after a restart or a failure.

The script never holds a secret: the ini inside it carries ``@@SECRET:field@@`` tokens, replaced in
memory just before setup reads a temporary copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from mabs_wizard.export.mabs_ini import INI_SECRETS, ini_body, ini_values
from mabs_wizard.export.mars_cmd import PASSWORD_ENV, installer_switches
from mabs_wizard.export.plan import INI_NAME, MARS_INSTALL_FOLDER, MARS_MODULE, SETUP_LOG_NAME, TargetPlan, ps_quote

STATE_FILE = r"mabs-wizard\Install-MABS.state.json"  # under $env:ProgramData; holds no secret
PIN_ENV = "MABS_WIZARD_SECURITY_PIN"
SECRETS_FILE_ENV = "MABS_WIZARD_SECRETS_FILE"


@dataclass(frozen=True)
class SecretInput:
    """One secret the script may need: where it comes from and what it is for."""

    field: str  # the answers field, also the key in the -SecretsFile
    parameter: str
    env: str
    purpose: str
    twice: bool  # asked twice when prompted (a new password or passphrase)


# The environment variable the script reads each secret from in an unattended run (Ansible, a
# scheduler); the fleet's Ansible project passes the same names (fleet/ansible/project.py).
ENV_NAMES = {
    "sql.admin_password": "MABS_WIZARD_SQL_ADMIN_PASSWORD",
    "security.password": "MABS_WIZARD_DPM_ACCOUNT_PASSWORD",  # named for what it is on the target
    "encryption.passphrase": "MABS_WIZARD_ENCRYPTION_PASSPHRASE",
    "proxy.password": PASSWORD_ENV,  # the one the mars-cmd export reads too
}


def secret_inputs(plan: TargetPlan) -> list[SecretInput]:
    """The secrets this plan's script can ask for, in the order it asks."""
    admin = f"{plan.sql_admin_domain}\\{plan.sql_admin_user}"
    inputs = [
        SecretInput("sql.admin_password", "SqlAdminPassword", ENV_NAMES["sql.admin_password"],
                    f"Password of {admin}, the SQL and reporting admin account (ini SQLMachinePassword, ReportingMachinePassword)", False),
        SecretInput("security.password", "DpmAccountPassword", ENV_NAMES["security.password"],
                    f"Password for the restricted accounts MICROSOFT$DPM$Acct and DPMR${plan.computer_name} (ini SqlAccountPassword)", True),
        SecretInput("encryption.passphrase", "EncryptionPassphrase", ENV_NAMES["encryption.passphrase"],
                    "Backup encryption passphrase (ini SecurityPassphrase; Set-DPMCloudSubscriptionSetting -EncryptionPassphrase)", True),
    ]
    if _proxy(plan) and plan.proxy_user:
        inputs.append(SecretInput("proxy.password", "ProxyPassword", ENV_NAMES["proxy.password"],
                                  f"Password of proxy user {plan.proxy_user} (-ProxyPassword)", False))
    return inputs


def _proxy(plan: TargetPlan) -> bool:
    return bool(plan.use_proxy and plan.proxy_host and plan.proxy_port)


def _help(plan: TargetPlan, inputs: list[SecretInput]) -> list[str]:
    v4 = plan.mabs_version == "v4"
    proxy = _proxy(plan)
    steps = []
    if v4:
        steps.append("MABS V4 pre-steps: the MARS agent folder and the Hyper-V features (may restart the server).")
    if proxy:
        steps.append("The MARS agent, installed first with the proxy, so it reaches Azure when setup registers the server.")
    steps += [
        "MABS setup with the ini; setup installs the agent and registers the server with the vault.",
        "With -RegisterWithCmdlets, when the server is not registered: Start-OBRegistration.",
        "Proxy, staging area and (after Start-OBRegistration) the encryption passphrase with",
    ]
    numbered = [f"      {n}. {text}" for n, text in enumerate(steps, 1)]
    numbered.append("         Set-DPMCloudSubscriptionSetting, then -Commit.")
    width = max(len(i.field) for i in inputs)
    pwidth = max(len(i.parameter) for i in inputs) + 1
    table = [f"      {i.field:<{width}}  -{i.parameter:<{pwidth}} {i.env}" for i in inputs]
    out = [
        "<#",
        ".SYNOPSIS",
        f"    Installs Microsoft Azure Backup Server ({plan.mabs_version.upper()}) on {plan.computer_name} and sets it up for Azure Backup,",
        "    unattended, as decided in mabs-wizard.",
        "",
        ".DESCRIPTION",
        f"    Written by mabs-wizard from the install manifest of {plan.finished_at}.",
        "    Steps; each is skipped when it is already done, so the script can run again after a restart",
        "    or a failure:",
        *numbered,
        "    Everything is checked first: a missing file or secret stops the script before it changes",
        "    anything.",
        "",
        "    Secrets. None is stored in this script. Each is taken from, in this order:",
        "      - its parameter (a SecureString: from PowerShell, e.g. & .\\Install-MABS.ps1 -EncryptionPassphrase $s);",
        "      - its environment variable (read once, then removed from this process, so that setup and the",
        "        agent installer do not inherit it);",
        "      - the -SecretsFile: a hashtable saved with Export-Clixml, keyed by the names below, whose",
        "        SecureString or PSCredential values Windows protects with DPAPI (only the user who made the",
        "        file can read it, on the computer where it was made);",
        "      - a prompt (Read-Host -AsSecureString), only in an interactive session: never when PowerShell",
        "        runs with -NonInteractive, nor with this script's -NonInteractive, nor where",
        "        [Environment]::UserInteractive is false.",
        "    A secret the remaining steps need and that none of these gives stops the script before it",
        "    changes anything, naming the secret (exit code 2). Secrets, parameters, environment variables:",
        *table,
        "    The SQL and account passwords are needed only while setup has to run; the passphrase for setup",
        "    and after -RegisterWithCmdlets" + ("; the proxy password while the proxy is being set." if any(i.field == "proxy.password" for i in inputs) else "."),
        "    Setup reads its ini in plain text, so the ini is written to a new folder under your TEMP right",
        "    before setup and deleted right after it, whatever happens.",
        "",
    ]
    for i in inputs:
        out += [f".PARAMETER {i.parameter}", f"    {i.purpose}.", f"    Or: environment variable {i.env}, or '{i.field}' in the -SecretsFile.", ""]
    out += [
        ".PARAMETER SecurityPin",
        "    Security PIN from the Azure portal (Recovery Services vault > Settings > Properties > Security",
        "    PIN > Generate; valid five minutes), for agents that ask for one when the passphrase is set",
        "    (backup-client-automation.md; backup-azure-security-feature.md). Passed to",
        "    Set-DPMCloudSubscriptionSetting when this MABS's cmdlet takes a SecurityPIN parameter.",
        f"    Or: environment variable {PIN_ENV}. Never prompted for.",
        "",
        ".PARAMETER SecretsFile",
        "    A file made with Export-Clixml by the user who runs this script, on this server: a hashtable",
        "    from the secret names above to SecureString or PSCredential values (see the examples).",
        f"    Or: environment variable {SECRETS_FILE_ENV}.",
        "",
        ".PARAMETER StagingAreaPath",
        "    Folder where the agent stages data recovered from Azure (Set-DPMCloudSubscriptionSetting",
        "    -StagingAreaPath); created when missing, since the commit fails without it. Empty: setup's choice.",
        "",
        ".PARAMETER RegisterWithCmdlets",
        "    When the server is not registered with the vault (setup's own registration did not happen):",
        "    register it with Start-OBRegistration, then set the encryption passphrase.",
        "",
        ".PARAMETER ReapplySettings",
        "    Commit the proxy and staging settings again even when this script recorded them as committed",
        f"    (in $env:ProgramData\\{STATE_FILE}).",
        "",
        ".PARAMETER NonInteractive",
        "    Never prompt, even in an interactive session.",
        "",
        ".EXAMPLE",
        "    powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File .\\Install-MABS.ps1 -SecretsFile C:\\MABSSetup\\mabs-secrets.xml",
        "    Unattended (a scheduled task, Ansible, a remote session): every secret from the protected file.",
        "",
        ".EXAMPLE",
        *[f"    {line}" for line in _secrets_file_example(inputs)],
        "    Makes the protected file; run it as the user who will run this script, on this server.",
        "",
        ".NOTES",
        "    Exit codes: 0 done (or nothing left to do); 2 a secret or file is missing, nothing was changed;",
        "    3010 restart the server, then run this script again; 1 a step failed (the message names it).",
        "    Sources (MicrosoftDocs/azure-docs articles/backup/ unless named): backup-mabs-unattended-install.md,",
        "    backup-dpm-automation.md, backup-client-automation.md, backup-azure-security-feature.md,",
        "    backup-azure-mabs-troubleshoot.md, backup-azure-upgrade-backup-to-recovery-services.md (2019 FAQ);",
        "    MicrosoftDocs/PowerShell-Docs Export-Clixml.md and about_PowerShell_exe.md.",
        "#>",
    ]
    return out


def _secrets_file_example(inputs: list[SecretInput]) -> list[str]:
    lines = ["@{"]
    for i in inputs:
        lines.append(f"    '{i.field}' = (Read-Host -AsSecureString -Prompt '{i.field}')")
    lines.append("} | Export-Clixml -Path C:\\MABSSetup\\mabs-secrets.xml")
    return lines


def _params(plan: TargetPlan, inputs: list[SecretInput]) -> list[str]:
    staging = f" = {ps_quote(plan.staging_area)}" if plan.staging_area else ""
    params = [f"    [securestring] ${i.parameter}," for i in inputs]
    params += [
        "    [string] $SecurityPin,",
        "    [string] $SecretsFile,",
        f"    [string] $StagingAreaPath{staging},",
        "    [switch] $RegisterWithCmdlets,",
        "    [switch] $ReapplySettings,",
        "    [switch] $NonInteractive",
    ]
    return ["[CmdletBinding()]", "param(", *params, ")"]


def _decisions(plan: TargetPlan) -> list[str]:
    vault = plan.require_vault_target()
    passphrase_folder = plan.require_passphrase_target()
    out = ["# --- Decisions made in the wizard ------------------------------------------------------------"]
    if plan.setup_folder:
        out.append(f"$SetupFolder      = {ps_quote(plan.setup_folder)}")
    else:
        out += [
            "# Put this script in the extracted MABS folder (the one holding Setup.exe and MARSAgent).",
            "$SetupFolder      = $PSScriptRoot",
        ]
    out += [
        "$SetupExe         = Join-Path $SetupFolder 'Setup.exe'",
        f"$SetupLog         = Join-Path $SetupFolder {ps_quote(SETUP_LOG_NAME)}",
        f"$VaultCredentials = {ps_quote(vault)}",
        f"$PassphraseFolder = {ps_quote(passphrase_folder)}",
        f"$MarsFolder       = {ps_quote(MARS_INSTALL_FOLDER)}",
        "# The agent's PowerShell module; the installer does not add it to PSModulePath (backup-client-automation.md).",
        f"$MarsModule       = Join-Path $MarsFolder {ps_quote(MARS_MODULE)}",
        "$MarsInstaller    = Join-Path $SetupFolder 'MARSAgent\\MARSAgentInstaller.exe'",
    ]
    if _proxy(plan):
        out += [
            f"$ProxyServer      = {ps_quote('http://' + str(plan.proxy_host))}",
            f"$ProxyPort        = {int(plan.proxy_port or 0)}",
        ]
        if plan.proxy_user:
            out.append(f"$ProxyUser        = {ps_quote(plan.proxy_user)}")
    out += [
        "# What is done already is read from Windows, never assumed:",
        "#   MABS installed: InstallPath under this key (backup-azure-mabs-troubleshoot.md, 'MABS installation folders').",
        "$DpmSetupKey      = 'HKLM:\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\Setup'",
        "#   Registered: the vault's name, ServiceResourceName, under this key (ResourceId on some agents;",
        "#   backup-azure-upgrade-backup-to-recovery-services.md, FAQ of 2019).",
        "$AgentConfigKey   = 'HKLM:\\SOFTWARE\\Microsoft\\Windows Azure Backup\\Config'",
        "#   Settings committed by this script: recorded here after -Commit (no secret in it).",
        f"$StateFile        = Join-Path $env:ProgramData {ps_quote(STATE_FILE)}",
        "",
        "# The MABS ini (backup-mabs-unattended-install.md). Each @@SECRET:...@@ is replaced in memory at run",
        "# time, never saved here.",
        "$IniTemplate = @'",
        *ini_body(ini_values(plan, lambda field: f"@@SECRET:{field}@@")),
        "'@",
    ]
    return out


def _specs(inputs: list[SecretInput]) -> list[str]:
    out = ["# Secrets by name: parameter, environment variable, prompt.", "$SecretSpecs = @{"]
    for i in inputs:
        out.append(
            f"    {ps_quote(i.field)} = @{{ Field = {ps_quote(i.field)}; Parameter = {ps_quote(i.parameter)}; "
            f"Env = {ps_quote(i.env)}; Twice = ${str(i.twice).lower()}; Prompt = {ps_quote(i.purpose)} }}"
        )
    out.append("}")
    return out


_FUNCTIONS = r"""
# --- Helpers: nothing changes until the steps below call them ------------------------------------
function Stop-Input {
    # Missing or unusable input: say so on stderr and stop with exit code 2 (nothing has changed yet).
    param([Parameter(Mandatory)] [string[]] $Message)
    foreach ($line in $Message) { [Console]::Error.WriteLine("Install-MABS: $line") }
    exit 2
}

function Get-RegistryValue {
    param([Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $Name)
    $item = Get-ItemProperty -LiteralPath $Key -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    $property = $item.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return [string] $property.Value
}

function Get-MabsInstallPath { return Get-RegistryValue -Key $DpmSetupKey -Name 'InstallPath' }

function Test-MabsInstalled { return -not [string]::IsNullOrEmpty((Get-MabsInstallPath)) }

function Test-AgentInstalled { return (Test-Path -LiteralPath $MarsModule) }

function Test-Registered {
    foreach ($name in 'ServiceResourceName', 'ResourceId') {
        if (-not [string]::IsNullOrEmpty((Get-RegistryValue -Key $AgentConfigKey -Name $name))) { return $true }
    }
    return $false
}

function Read-State {
    $state = @{ settings = ''; passphrase_pending = $false }
    if (Test-Path -LiteralPath $StateFile -PathType Leaf) {
        try {
            $saved = Get-Content -LiteralPath $StateFile -Raw | ConvertFrom-Json
            foreach ($property in $saved.PSObject.Properties) { $state[$property.Name] = $property.Value }
        }
        catch { Write-Warning "Ignoring $StateFile, which cannot be read ($($_.Exception.Message)): the settings are committed again." }
    }
    return $state
}

function Save-State {
    param([Parameter(Mandatory)] [hashtable] $State)
    $folder = Split-Path -Parent $StateFile
    if (-not (Test-Path -LiteralPath $folder)) { New-Item -ItemType Directory -Path $folder | Out-Null }
    $State | ConvertTo-Json | Set-Content -LiteralPath $StateFile -Encoding UTF8
}

function Test-HostNonInteractive {
    # powershell.exe -NonInteractive (or an abbreviation such as -NonI) before -File or -Command
    # (about_PowerShell_exe.md); there Read-Host fails, so the script must not prompt.
    foreach ($arg in @([Environment]::GetCommandLineArgs() | Select-Object -Skip 1)) {
        if ($arg -match '^[-/](file|f|command|c|encodedcommand|enc|ec|e)$') { break }
        if ($arg -match '^[-/]non') { return $true }
    }
    return $false
}

function ConvertTo-PlainText {
    # Only to fill in the ini setup reads and to compare two entries; the text is never saved.
    param([Parameter(Mandatory)] [securestring] $Secure)
    return [System.Net.NetworkCredential]::new('', $Secure).Password
}

function Read-Secret {
    # The only prompt in this script; Resolve-Secret calls it only when $CanPrompt is true.
    param([Parameter(Mandatory)] [string] $Prompt, [switch] $Twice)
    while ($true) {
        $first = Read-Host -Prompt $Prompt -AsSecureString
        if ($first.Length -eq 0) { Write-Warning 'Nothing entered; try again.'; continue }
        if (-not $Twice) { return $first }
        $second = Read-Host -Prompt "$Prompt (again)" -AsSecureString
        if ((ConvertTo-PlainText $first) -ceq (ConvertTo-PlainText $second)) { return $first }
        Write-Warning 'The two entries differ; try again.'
    }
}

function Resolve-Secret {
    # Its parameter, its environment variable, the -SecretsFile, or (interactive only) a prompt; $null if none.
    param([Parameter(Mandatory)] [hashtable] $Spec)
    if ($Bound.ContainsKey($Spec.Parameter)) { return $Bound[$Spec.Parameter] }
    $text = [Environment]::GetEnvironmentVariable($Spec.Env, 'Process')
    if (-not [string]::IsNullOrEmpty($text)) {
        [Environment]::SetEnvironmentVariable($Spec.Env, $null, 'Process')
        return ConvertTo-SecureString -String $text -AsPlainText -Force
    }
    if ($FileSecrets.ContainsKey($Spec.Field)) { return $FileSecrets[$Spec.Field] }
    if ($CanPrompt) {
        try { return Read-Secret -Prompt $Spec.Prompt -Twice:$Spec.Twice }
        catch { Write-Warning "Could not prompt for $($Spec.Field): $($_.Exception.Message)" }
    }
    return $null
}

function Import-DpmCmdlets {
    # The DPM cmdlets come with DPM's management shell script, DPM\DPM\bin\DpmCliInitScript.ps1
    # (backup-dpm-automation.md), under MABS's InstallPath. Microsoft's script runs without this
    # script's strict mode and stop-on-error (both are scoped to this function).
    if (Get-Command -Name 'Get-DPMCloudSubscriptionSetting' -ErrorAction SilentlyContinue) { return }
    Set-StrictMode -Off
    $ErrorActionPreference = 'Continue'
    $init = Join-Path (Get-MabsInstallPath) 'bin\DpmCliInitScript.ps1'
    if (Test-Path -LiteralPath $init -PathType Leaf) { & $init | Out-Null }
    if (-not (Get-Command -Name 'Get-DPMCloudSubscriptionSetting' -ErrorAction SilentlyContinue)) {
        throw "The DPM cmdlets did not load from $init; is MABS installed completely? See $SetupLog."
    }
}
""".strip("\n").splitlines()


def _look(plan: TargetPlan, inputs: list[SecretInput]) -> list[str]:
    proxy = _proxy(plan)
    proxy_user = proxy and bool(plan.proxy_user)
    if proxy:
        parts = "$ProxyServer, $ProxyPort" + (", $ProxyUser" if proxy_user else "") + ", $StagingAreaPath"
    else:
        parts = "'no proxy', $StagingAreaPath"
    out = [
        "",
        "# === Look: what is done already, and what the remaining steps need (nothing changes here) ===",
        "$Bound = $PSBoundParameters",
        "$CanPrompt = [Environment]::UserInteractive -and -not $NonInteractive -and -not (Test-HostNonInteractive)",
        "$MabsInstalled = Test-MabsInstalled",
        "$Registered = Test-Registered",
        "$State = Read-State",
        "$NeedSetup = -not $MabsInstalled",
        "if ($NeedSetup) { $State = @{ settings = ''; passphrase_pending = $false } }  # a record of an earlier install does not count",
        f"$SettingsWanted = @({parts}) -join '|'",
        "$NeedRegistration = $RegisterWithCmdlets -and -not $Registered",
        "$NeedPassphrase = $NeedRegistration -or [bool] $State.passphrase_pending",
        "$NeedSettings = $NeedSetup -or $NeedPassphrase -or $ReapplySettings -or ($State.settings -ne $SettingsWanted)",
        "",
        "if ($MabsInstalled -and -not $Registered -and -not $RegisterWithCmdlets) {",
        "    Stop-Input \"MABS is installed but this server is not registered with a vault (no ServiceResourceName under $AgentConfigKey): setup's registration did not happen. Run this script again with -RegisterWithCmdlets. Nothing was changed.\"",
        "}",
        "",
        "$Problems = New-Object System.Collections.Generic.List[string]",
        "if ($NeedSetup -and -not (Test-Path -LiteralPath $SetupExe -PathType Leaf)) { $Problems.Add(\"Setup.exe not found in $SetupFolder.\") }",
        "if ($NeedSetup -and -not (Test-Path -LiteralPath $PassphraseFolder -PathType Container)) {",
        "    $Problems.Add(\"The folder $PassphraseFolder must exist: setup writes the passphrase file there (ini PassphraseSaveLocation).\")",
        "}",
        "if (($NeedSetup -or $NeedRegistration) -and -not (Test-Path -LiteralPath $VaultCredentials -PathType Leaf)) {",
        "    $Problems.Add(\"Copy the vault credentials file to $VaultCredentials first (a full path without spaces).\")",
        "}",
    ]
    if proxy:
        out += [
            "if ($NeedSetup -and -not (Test-AgentInstalled) -and -not (Test-Path -LiteralPath $MarsInstaller -PathType Leaf)) {",
            "    $Problems.Add(\"MARSAgentInstaller.exe not found at $MarsInstaller.\")",
            "}",
        ]
    out += [
        "",
        "# The protected file of secrets (Export-Clixml protects SecureString and PSCredential values with",
        "# DPAPI: PowerShell-Docs Export-Clixml.md).",
        "$FileSecrets = @{}",
        f"if (-not $SecretsFile) {{ $SecretsFile = [Environment]::GetEnvironmentVariable({ps_quote(SECRETS_FILE_ENV)}, 'Process') }}",
        "if ($SecretsFile) {",
        "    try { $saved = Import-Clixml -LiteralPath $SecretsFile }",
        "    catch { Stop-Input \"Cannot read the secrets file ${SecretsFile}: $($_.Exception.Message) It opens only for the user who made it with Export-Clixml, on the computer where it was made. Nothing was changed.\" }",
        "    if ($saved -isnot [hashtable]) { Stop-Input \"The secrets file $SecretsFile must hold a hashtable of secret names to SecureString or PSCredential values. Nothing was changed.\" }",
        "    foreach ($key in @($saved.Keys)) {",
        "        $value = $saved[$key]",
        "        if (-not $SecretSpecs.ContainsKey([string] $key)) { Write-Warning \"The secrets file has '$key', which this script does not use.\" }",
        "        elseif ($value -is [pscredential]) { $FileSecrets[[string] $key] = $value.Password }",
        "        elseif ($value -is [securestring]) { $FileSecrets[[string] $key] = $value }",
        "        else { $Problems.Add(\"The secrets file $SecretsFile holds '$key' unprotected: only SecureString or PSCredential values are encrypted by Export-Clixml.\") }",
        "    }",
        "}",
        "",
        "$Wanted = New-Object System.Collections.Generic.List[string]",
        "if ($NeedSetup) { $Wanted.Add('sql.admin_password'); $Wanted.Add('security.password'); $Wanted.Add('encryption.passphrase') }",
        "elseif ($NeedPassphrase) { $Wanted.Add('encryption.passphrase') }",
    ]
    if proxy_user:
        out.append("if ($NeedSetup -or $NeedSettings) { $Wanted.Add('proxy.password') }")
    out += [
        "$Secrets = @{}",
        "foreach ($field in $Wanted) {",
        "    $spec = $SecretSpecs[$field]",
        "    $value = Resolve-Secret -Spec $spec",
        "    if ($null -eq $value) {",
        "        $Problems.Add(\"Missing secret ${field}: give -$($spec.Parameter), set the environment variable $($spec.Env), or put '$field' in the -SecretsFile.\")",
        "    }",
        "    else { $Secrets[$field] = $value }",
        "}",
        f"if (-not $SecurityPin) {{ $SecurityPin = [Environment]::GetEnvironmentVariable({ps_quote(PIN_ENV)}, 'Process') }}",
        "# No program this script starts inherits a secret from its environment.",
        "foreach ($spec in $SecretSpecs.Values) { [Environment]::SetEnvironmentVariable($spec.Env, $null, 'Process') }",
        f"[Environment]::SetEnvironmentVariable({ps_quote(PIN_ENV)}, $null, 'Process')",
        "if ($Problems.Count -gt 0) {",
        "    $Problems.Add('Nothing was changed.')",
        "    Stop-Input $Problems.ToArray()",
        "}",
        "if (-not ($NeedSetup -or $NeedRegistration -or $NeedSettings)) {",
        "    Write-Host 'Nothing to do: MABS is installed, registered, and its settings were committed by this script.'",
        "    exit 0",
        "}",
    ]
    return out


def _pre_steps() -> list[str]:
    return [
        "",
        "# === MABS V4 pre-steps (backup-mabs-unattended-install.md; not for V1, V2, V3) ===============",
        "if ($NeedSetup) {",
        "    # mkdir \"C:\\Program Files\\Microsoft Azure Recovery Services Agent\": the folder must exist.",
        "    if (-not (Test-Path -LiteralPath $MarsFolder)) { New-Item -ItemType Directory -Path $MarsFolder | Out-Null }",
        "    $hyperV = 'Microsoft-Hyper-V', 'Microsoft-Hyper-V-Management-PowerShell'",
        "    $featuresOff = @($hyperV | Where-Object { (Get-WindowsOptionalFeature -Online -FeatureName $_).State -ne 'Enabled' })",
        "    if ($featuresOff.Count -gt 0) {",
        "        Write-Host \"Enabling $($featuresOff -join ', '); this can restart the server: run this script again afterwards.\"",
        "        # start /wait dism.exe /Online /Enable-feature /All /FeatureName:... /quiet",
        "        $dism = Start-Process -FilePath 'dism.exe' -Wait -PassThru -NoNewWindow -ArgumentList @(",
        "            '/Online', '/Enable-feature', '/All',",
        "            '/FeatureName:Microsoft-Hyper-V', '/FeatureName:Microsoft-Hyper-V-Management-PowerShell', '/quiet')",
        "        if ($dism.ExitCode -eq 3010) {",
        "            Write-Warning 'Hyper-V is enabled and needs a restart: restart the server, then run this script again.'",
        "            exit 3010",
        "        }",
        "        if ($dism.ExitCode -ne 0) { throw \"dism.exe failed with exit code $($dism.ExitCode)\" }",
        "    }",
        "}",
    ]


def _agent_with_proxy(plan: TargetPlan) -> list[str]:
    switches = ", ".join(ps_quote(s) for s in installer_switches(plan, for_cmd=False))
    set_proxy = "    Set-OBMachineSetting -ProxyServer $ProxyServer -ProxyPort $ProxyPort"
    if plan.proxy_user:
        set_proxy += " -ProxyUsername $ProxyUser -ProxyPassword $Secrets['proxy.password']"
    return [
        "",
        "# === The MARS agent with the proxy, before setup ==============================================",
        "# Before setup only the agent exists, so its own cmdlet sets the proxy (Set-OBMachineSetting,",
        "# backup-client-automation.md); after setup the DPM cmdlets do (below).",
        "if ($NeedSetup) {",
        "    if (Test-AgentInstalled) { Write-Host 'The MARS agent is installed already.' }",
        "    else {",
        "        # MARSAgentInstaller.exe switches (backup-client-automation.md). No /pw: a password on a command",
        "        # line shows in the process list; the password is set just below, as a SecureString.",
        f"        $mars = Start-Process -FilePath $MarsInstaller -Wait -PassThru -ArgumentList @({switches})",
        "        if ($mars.ExitCode -ne 0) { throw \"MARSAgentInstaller.exe failed with exit code $($mars.ExitCode)\" }",
        "    }",
        "    Import-Module -Name $MarsModule",
        set_proxy,
        "}",
    ]


def _setup() -> list[str]:
    secret_fields = sorted(set(INI_SECRETS.values()))
    return [
        "",
        "# === MABS setup with the ini (backup-mabs-unattended-install.md) ===============================",
        "if ($NeedSetup) {",
        "    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('mabs-setup-' + [guid]::NewGuid().ToString('N'))",
        "    New-Item -ItemType Directory -Path $work | Out-Null",
        f"    $ini = Join-Path $work {ps_quote(INI_NAME)}",
        "    try {",
        "        $text = $IniTemplate",
        f"        foreach ($field in @({', '.join(ps_quote(f) for f in secret_fields)})) {{",
        "            $text = $text.Replace(\"@@SECRET:$field@@\", (ConvertTo-PlainText $Secrets[$field]))",
        "        }",
        "        [System.IO.File]::WriteAllText($ini, $text, (New-Object System.Text.UTF8Encoding($false)))",
        "        $text = $null",
        "        Write-Host \"Running MABS setup; its log: $SetupLog\"",
        "        # start /wait <cdlayout path>\\Setup.exe /i /f <ini> /L <log>",
        "        $setup = Start-Process -FilePath $SetupExe -Wait -PassThru -ArgumentList @('/i', '/f', \"`\"$ini`\"\", '/l', \"`\"$SetupLog`\"\")",
        "        if ($setup.ExitCode -ne 0) { throw \"MABS setup failed with exit code $($setup.ExitCode); see $SetupLog\" }",
        "    }",
        "    finally {",
        "        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue",
        "    }",
        "    if (-not (Test-MabsInstalled)) { throw \"MABS setup ended but $DpmSetupKey has no InstallPath; see $SetupLog\" }",
        "    $Registered = Test-Registered",
        "}",
        "else { Write-Host \"MABS is installed already ($(Get-MabsInstallPath)).\" }",
    ]


def _register() -> list[str]:
    return [
        "",
        "# === Registration with the agent's cmdlet, on request =========================================",
        "if (-not $Registered) {",
        "    if (-not $RegisterWithCmdlets) {",
        "        throw \"MABS is installed but the server is not registered with a vault (setup's registration did not happen; see $SetupLog). Run this script again with -RegisterWithCmdlets.\"",
        "    }",
        "    Import-Module -Name $MarsModule",
        "    # An absolute path: the cmdlet refuses relative ones (backup-client-automation.md).",
        "    Start-OBRegistration -VaultCredentials $VaultCredentials -Confirm:$false",
        "    # The passphrase is set with the settings below; if that fails, the next run sets it again.",
        "    $State.passphrase_pending = $true",
        "    Save-State -State $State",
        "    $NeedPassphrase = $true",
        "    $NeedSettings = $true",
        "}",
    ]


def _settings(plan: TargetPlan) -> list[str]:
    set_cmd = "Set-DPMCloudSubscriptionSetting -DPMServerName $Server -SubscriptionSetting $Setting"
    if _proxy(plan):
        proxy = f"    {set_cmd} -ProxyServer $ProxyServer -ProxyPort $ProxyPort"
        if plan.proxy_user:
            proxy += " -ProxyUsername $ProxyUser -ProxyPassword $Secrets['proxy.password']"
    else:
        proxy = f"    {set_cmd} -NoProxy"
    return [
        "",
        "# === Subscription settings, then -Commit (backup-dpm-automation.md) ===========================",
        "# \"The settings won't be applied and used by Azure Backup unless committed.\"",
        "if ($NeedSettings) {",
        "    Import-DpmCmdlets",
        "    $Server = $env:COMPUTERNAME",
        "    $Setting = Get-DPMCloudSubscriptionSetting -DPMServerName $Server",
        proxy,
        "    if ($StagingAreaPath) {",
        "        # The folder must exist, \"or else the final commit of the subscription settings will fail\".",
        "        if (-not (Test-Path -LiteralPath $StagingAreaPath -PathType Container)) { New-Item -ItemType Directory -Path $StagingAreaPath | Out-Null }",
        f"        {set_cmd} -StagingAreaPath $StagingAreaPath",
        "    }",
        "    if ($NeedPassphrase) {",
        "        # Current agents may ask for a Security PIN with the passphrase (backup-client-automation.md);",
        "        # it is passed where this MABS's cmdlet takes one.",
        "        $pin = @{}",
        "        if ($SecurityPin) {",
        "            if ((Get-Command -Name 'Set-DPMCloudSubscriptionSetting').Parameters.ContainsKey('SecurityPIN')) { $pin['SecurityPIN'] = $SecurityPin }",
        "            else { Write-Warning 'Set-DPMCloudSubscriptionSetting on this server takes no SecurityPIN; the PIN is not used.' }",
        "        }",
        "        try {",
        f"            {set_cmd} -EncryptionPassphrase $Secrets['encryption.passphrase'] @pin",
        "        }",
        "        catch {",
        "            throw \"Setting the encryption passphrase failed: $($_.Exception.Message) If the vault asks for a Security PIN (errors 100130, 120002 in backup-azure-security-feature.md), generate one in the Azure portal (vault > Settings > Properties > Security PIN; valid five minutes) and run this script again with -SecurityPin.\"",
        "        }",
        "    }",
        f"    {set_cmd} -Commit",
        "    $State.settings = $SettingsWanted",
        "    $State.passphrase_pending = $false",
        "    Save-State -State $State",
        "}",
        "",
        "Write-Host " + ps_quote(f"Done: MABS is set up on {plan.computer_name}. Keep the passphrase file off this server."),
        "exit 0",
    ]


def render_ps1(plan: TargetPlan) -> str:
    inputs = secret_inputs(plan)
    out: list[str] = ["#Requires -Version 5.1", "#Requires -RunAsAdministrator", *_help(plan, inputs), *_params(plan, inputs), ""]
    out += ["$ErrorActionPreference = 'Stop'", "Set-StrictMode -Version Latest", "", *_decisions(plan), "", *_specs(inputs), "", *_FUNCTIONS]
    out += _look(plan, inputs)
    if plan.mabs_version == "v4":
        out += _pre_steps()
    if _proxy(plan):
        out += _agent_with_proxy(plan)
    out += _setup() + _register() + _settings(plan)
    return "\n".join(out) + "\n"
