"""A PowerShell script that carries the whole install out on the target, secrets asked at run time.

The script never holds a secret: each is read with ``Read-Host -AsSecureString`` when it runs. Two
places need plain text and get it from the SecureString in memory (no ConvertFrom-SecureString,
which would produce a storable form): comparing a confirmation entry, and the ini setup reads,
written to a fresh folder in the user's profile just before setup and removed right after.

Order and why (the parts not stated by Microsoft are marked as the wizard's inference):
1. V4 pre-steps (S2), idempotent, so the script can be run again after the restart Hyper-V may need.
2. With a proxy: the MARS agent is installed first, with the proxy (S6), because the ini has no proxy
   keys and setup registers the server through the agent (inference).
3. MABS setup with the ini (S2): it installs the agent (if not there yet) and registers the server
   from VaultCredentialFilePath and SecurityPassphrase.
4. Without a proxy: ``Set-OBMachineSetting -NoProxy`` records the decision on the agent (S9).
5. ``-RegisterWithCmdlets``: ``Start-OBRegistration`` and ``Set-OBMachineSetting
   -EncryptionPassphrase`` (S6), for when setup's own registration did not happen.
"""

from __future__ import annotations

from mabs_wizard.export.mabs_ini import INI_SECRETS, ini_body, ini_values
from mabs_wizard.export.mars_cmd import installer_switches
from mabs_wizard.export.plan import INI_NAME, MARS_INSTALL_FOLDER, MARS_MODULE, SETUP_LOG_NAME, TargetPlan, ps_quote


def _token(field: str) -> str:
    return f"@@SECRET:{field}@@"


def render_ps1(plan: TargetPlan) -> str:
    vault = plan.require_vault_target()
    passphrase_folder = plan.require_passphrase_target()
    values = ini_values(plan, _token)
    body = ini_body(values)
    v4 = plan.mabs_version == "v4"
    proxy = plan.use_proxy and plan.proxy_host and plan.proxy_port
    steps = []
    if v4:
        steps.append("MABS V4 pre-steps (S2): the MARS agent folder and the Hyper-V features (may restart the server).")
    if proxy:
        steps.append("The MARS agent, installed first with the proxy, so it reaches Azure when setup registers the server.")
    steps.append("MABS setup with the ini (S2); setup installs the agent and registers the server with the vault.")
    if not proxy:
        steps.append("The MARS agent set to use no proxy (Set-OBMachineSetting -NoProxy).")
    steps.append("With -RegisterWithCmdlets: Start-OBRegistration and the encryption passphrase (S6).")

    out: list[str] = [
        "#Requires -Version 5.1",
        "#Requires -RunAsAdministrator",
        "<#",
        ".SYNOPSIS",
        f"    Installs Microsoft Azure Backup Server ({plan.mabs_version.upper()}) on {plan.computer_name} unattended, as decided in mabs-wizard.",
        "",
        ".DESCRIPTION",
        f"    Written by mabs-wizard from the install manifest of {plan.finished_at}.",
        "    Steps:",
        *(f"      {i}. {text}" for i, text in enumerate(steps, 1)),
        *(
            [
                "    It can run again, e.g. after the restart Hyper-V may need: the pre-steps and the agent install",
                "    are skipped when already done; pass -SkipSetup once MABS is installed.",
            ]
            if v4
            else ["    It can run again: the agent install is skipped when already done; pass -SkipSetup once MABS is installed."]
        ),
        "",
        "    No secret is stored in this script: each is asked for with Read-Host -AsSecureString when it",
        "    runs. Setup reads its ini in plain text, so the ini is written to a new folder under your",
        "    TEMP right before setup and deleted right after it, whatever happens.",
        "",
        ".PARAMETER SkipSetup",
        "    MABS is already installed: only configure the MARS agent (and register, with -RegisterWithCmdlets).",
        "",
        ".PARAMETER RegisterWithCmdlets",
        "    Register the server with the MARS cmdlets after setup, e.g. when setup's own registration failed.",
        "#>",
        "[CmdletBinding()]",
        "param(",
        "    [switch] $SkipSetup,",
        "    [switch] $RegisterWithCmdlets",
        ")",
        "",
        "$ErrorActionPreference = 'Stop'",
        "Set-StrictMode -Version Latest",
        "",
        "# --- Decisions made in the wizard ------------------------------------------------------------",
    ]
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
        f"$MarsModule       = Join-Path $MarsFolder {ps_quote(MARS_MODULE)}",
    ]
    if proxy:
        out += [
            f"$ProxyServer      = {ps_quote('http://' + str(plan.proxy_host))}",
            f"$ProxyPort        = {int(plan.proxy_port or 0)}",
        ]
        if plan.proxy_user:
            out.append(f"$ProxyUser        = {ps_quote(plan.proxy_user)}")
    out += [
        "",
        "# The MABS ini (S2). Each @@SECRET:...@@ is replaced in memory at run time, never saved here.",
        "$IniTemplate = @'",
        *body,
        "'@",
        "",
        "function ConvertTo-PlainText {",
        "    # Only for comparing two entries and for the ini setup reads; the text is never saved.",
        "    param([Parameter(Mandatory)] [securestring] $Secure)",
        "    return [System.Net.NetworkCredential]::new('', $Secure).Password",
        "}",
        "",
        "function Read-Secret {",
        "    param([Parameter(Mandatory)] [string] $Prompt, [switch] $Confirm)",
        "    while ($true) {",
        "        $first = Read-Host -Prompt $Prompt -AsSecureString",
        "        if ($first.Length -eq 0) { Write-Warning 'Nothing entered; try again.'; continue }",
        "        if (-not $Confirm) { return $first }",
        '        $second = Read-Host -Prompt "$Prompt (again)" -AsSecureString',
        "        if ((ConvertTo-PlainText $first) -ceq (ConvertTo-PlainText $second)) { return $first }",
        "        Write-Warning 'The two entries differ; try again.'",
        "    }",
        "}",
        "",
        "# --- Check the files first, before anything changes -----------------------------------------",
        "if (-not $SkipSetup) {",
        "    if (-not (Test-Path -LiteralPath $SetupExe -PathType Leaf)) { throw \"Setup.exe not found in $SetupFolder\" }",
        "    if (-not (Test-Path -LiteralPath $PassphraseFolder -PathType Container)) {",
        "        throw \"The folder $PassphraseFolder must exist: setup writes the passphrase file there (PassphraseSaveLocation, S2).\"",
        "    }",
        "}",
        "if (-not (Test-Path -LiteralPath $VaultCredentials -PathType Leaf)) {",
        "    throw \"Copy the vault credentials file to $VaultCredentials first (a full path without spaces, S2).\"",
        "}",
        "",
    ]
    if v4:
        out += [
            "# --- MABS V4 pre-steps (S2; not for V1, V2, V3) ----------------------------------------------",
            "if (-not $SkipSetup) {",
            "    New-Item -ItemType Directory -Path $MarsFolder -Force | Out-Null",
            "    $hyperV = 'Microsoft-Hyper-V', 'Microsoft-Hyper-V-Management-PowerShell'",
            "    $missing = @($hyperV | Where-Object { (Get-WindowsOptionalFeature -Online -FeatureName $_).State -ne 'Enabled' })",
            "    if ($missing.Count -gt 0) {",
            "        Write-Host \"Enabling $($missing -join ', '); this can restart the server: run this script again afterwards.\"",
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
            "",
        ]
    admin = f"{plan.sql_admin_domain}\\{plan.sql_admin_user}"
    admin_prompt = ps_quote(f"Password of {admin} (SQL and reporting admin account)")
    accounts_prompt = ps_quote(f"Password for MICROSOFT$DPM$Acct and DPMR${plan.computer_name}")
    out += [
        "# --- Secrets, asked for now and kept as SecureStrings -----------------------------------------",
        "$Secrets = @{}",
        "if (-not $SkipSetup) {",
        f"    $Secrets['sql.admin_password'] = Read-Secret -Prompt {admin_prompt}",
        f"    $Secrets['security.password'] = Read-Secret -Prompt {accounts_prompt} -Confirm",
        "}",
        "if (-not $SkipSetup -or $RegisterWithCmdlets) {",
        "    $Secrets['encryption.passphrase'] = Read-Secret -Prompt 'Backup encryption passphrase' -Confirm",
        "}",
    ]
    if proxy and plan.proxy_user:
        out.append("$ProxyPassword = Read-Secret -Prompt \"Password of proxy user $ProxyUser\"")
    out.append("")
    if proxy:
        switches = ", ".join(ps_quote(s) for s in installer_switches(plan, for_cmd=False))
        set_proxy = "Set-OBMachineSetting -ProxyServer $ProxyServer -ProxyPort $ProxyPort"
        if plan.proxy_user:
            set_proxy += " -ProxyUsername $ProxyUser -ProxyPassword $ProxyPassword"
        out += [
            "# --- MARS agent with the proxy, before setup (S6, S9) ------------------------------------------",
            "if (-not (Test-Path -LiteralPath $MarsModule)) {",
            "    $installer = Join-Path $SetupFolder 'MARSAgent\\MARSAgentInstaller.exe'",
            "    # No /pw: a password on a command line shows in the process list. It is set just below, as a",
            "    # SecureString. (Should this installer insist on /pw, run the mars-cmd export instead.)",
            f"    $mars = Start-Process -FilePath $installer -Wait -PassThru -ArgumentList @({switches})",
            "    if ($mars.ExitCode -ne 0) { throw \"MARSAgentInstaller.exe failed with exit code $($mars.ExitCode)\" }",
            "}",
            "Import-Module -Name $MarsModule",
            set_proxy,
            "",
        ]
    secret_fields = sorted(set(INI_SECRETS.values()))
    out += [
        "# --- MABS setup with the ini (S2) ------------------------------------------------------------",
        "if (-not $SkipSetup) {",
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
        "        $setup = Start-Process -FilePath $SetupExe -Wait -PassThru -ArgumentList @('/i', '/f', \"`\"$ini`\"\", '/l', \"`\"$SetupLog`\"\")",
        "        if ($setup.ExitCode -ne 0) { throw \"MABS setup failed with exit code $($setup.ExitCode); see $SetupLog\" }",
        "    }",
        "    finally {",
        "        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue",
        "    }",
        "}",
        "",
    ]
    if not proxy:
        out += [
            "# --- MARS agent: no proxy (S9) ---------------------------------------------------------------",
            "Import-Module -Name $MarsModule",
            "Set-OBMachineSetting -NoProxy",
            "",
        ]
    out += [
        "# --- Registration with the MARS cmdlets, on request (S6) ---------------------------------------",
        "if ($RegisterWithCmdlets) {",
        "    Import-Module -Name $MarsModule",
        "    # An absolute path: the cmdlet refuses relative ones (S6).",
        "    Start-OBRegistration -VaultCredentials $VaultCredentials -Confirm:$false",
        "    # Newer agents' documentation adds -SecurityPin here (portal: vault > Properties > Security PIN,",
        "    # valid five minutes; S6, S19): add it if the agent asks for one.",
        "    Set-OBMachineSetting -EncryptionPassphrase $Secrets['encryption.passphrase']",
        "}",
        "",
        "Write-Host " + ps_quote(f"Done: MABS is set up on {plan.computer_name}. Keep the passphrase file off this server."),
    ]
    return "\n".join(out) + "\n"
