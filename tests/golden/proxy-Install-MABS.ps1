#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs Microsoft Azure Backup Server (V3) on MABS01 unattended, as decided in mabs-wizard.

.DESCRIPTION
    Written by mabs-wizard from the install manifest of 2025-11-26 09:50 UTC.
    Steps:
      1. The MARS agent, installed first with the proxy, so it reaches Azure when setup registers the server.
      2. MABS setup with the ini (S2); setup installs the agent and registers the server with the vault.
      3. With -RegisterWithCmdlets: Start-OBRegistration and the encryption passphrase (S6).
    It can run again: the agent install is skipped when already done; pass -SkipSetup once MABS is installed.

    No secret is stored in this script: each is asked for with Read-Host -AsSecureString when it
    runs. Setup reads its ini in plain text, so the ini is written to a new folder under your
    TEMP right before setup and deleted right after it, whatever happens.

.PARAMETER SkipSetup
    MABS is already installed: only configure the MARS agent (and register, with -RegisterWithCmdlets).

.PARAMETER RegisterWithCmdlets
    Register the server with the MARS cmdlets after setup, e.g. when setup's own registration failed.
#>
[CmdletBinding()]
param(
    [switch] $SkipSetup,
    [switch] $RegisterWithCmdlets
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# --- Decisions made in the wizard ------------------------------------------------------------
$SetupFolder      = 'C:\MABS Setup'
$SetupExe         = Join-Path $SetupFolder 'Setup.exe'
$SetupLog         = Join-Path $SetupFolder 'MABSSetup.log'
$VaultCredentials = 'C:\MABSSetup\contoso-mabs-vault.VaultCredentials'
$PassphraseFolder = '\\FS01\MABS-Passphrase'
$MarsFolder       = 'C:\Program Files\Microsoft Azure Recovery Services Agent'
$MarsModule       = Join-Path $MarsFolder 'bin\Modules\MSOnlineBackup'
$ProxyServer      = 'http://proxy.contoso.local'
$ProxyPort        = 8080
$ProxyUser        = 'CONTOSO\svc-mabs'

# The MABS ini (S2). Each @@SECRET:...@@ is replaced in memory at run time, never saved here.
$IniTemplate = @'
[OPTIONS]
UserName=administrator
CompanyName=Contoso O'Brien & Partners
SQLMachineName=localhost
SQLInstanceName=MABSSQL
SQLMachineUserName=mabs-admin
SQLMachinePassword=@@SECRET:sql.admin_password@@
SQLMachineDomainName=CONTOSO
ReportingMachineName=localhost
ReportingInstanceName=SSRS
SqlAccountPassword=@@SECRET:security.password@@
ReportingMachineUserName=mabs-admin
ReportingMachinePassword=@@SECRET:sql.admin_password@@
ReportingMachineDomainName=CONTOSO
VaultCredentialFilePath=C:\MABSSetup\contoso-mabs-vault.VaultCredentials
SecurityPassphrase=@@SECRET:encryption.passphrase@@
PassphraseSaveLocation=\\FS01\MABS-Passphrase
UseExistingSQL=1
'@

function ConvertTo-PlainText {
    # Only for comparing two entries and for the ini setup reads; the text is never saved.
    param([Parameter(Mandatory)] [securestring] $Secure)
    return [System.Net.NetworkCredential]::new('', $Secure).Password
}

function Read-Secret {
    param([Parameter(Mandatory)] [string] $Prompt, [switch] $Confirm)
    while ($true) {
        $first = Read-Host -Prompt $Prompt -AsSecureString
        if ($first.Length -eq 0) { Write-Warning 'Nothing entered; try again.'; continue }
        if (-not $Confirm) { return $first }
        $second = Read-Host -Prompt "$Prompt (again)" -AsSecureString
        if ((ConvertTo-PlainText $first) -ceq (ConvertTo-PlainText $second)) { return $first }
        Write-Warning 'The two entries differ; try again.'
    }
}

# --- Check the files first, before anything changes -----------------------------------------
if (-not $SkipSetup) {
    if (-not (Test-Path -LiteralPath $SetupExe -PathType Leaf)) { throw "Setup.exe not found in $SetupFolder" }
    if (-not (Test-Path -LiteralPath $PassphraseFolder -PathType Container)) {
        throw "The folder $PassphraseFolder must exist: setup writes the passphrase file there (PassphraseSaveLocation, S2)."
    }
}
if (-not (Test-Path -LiteralPath $VaultCredentials -PathType Leaf)) {
    throw "Copy the vault credentials file to $VaultCredentials first (a full path without spaces, S2)."
}

# --- Secrets, asked for now and kept as SecureStrings -----------------------------------------
$Secrets = @{}
if (-not $SkipSetup) {
    $Secrets['sql.admin_password'] = Read-Secret -Prompt 'Password of CONTOSO\mabs-admin (SQL and reporting admin account)'
    $Secrets['security.password'] = Read-Secret -Prompt 'Password for MICROSOFT$DPM$Acct and DPMR$MABS01' -Confirm
}
if (-not $SkipSetup -or $RegisterWithCmdlets) {
    $Secrets['encryption.passphrase'] = Read-Secret -Prompt 'Backup encryption passphrase' -Confirm
}
$ProxyPassword = Read-Secret -Prompt "Password of proxy user $ProxyUser"

# --- MARS agent with the proxy, before setup (S6, S9) ------------------------------------------
if (-not (Test-Path -LiteralPath $MarsModule)) {
    $installer = Join-Path $SetupFolder 'MARSAgent\MARSAgentInstaller.exe'
    # No /pw: a password on a command line shows in the process list. It is set just below, as a
    # SecureString. (Should this installer insist on /pw, run the mars-cmd export instead.)
    $mars = Start-Process -FilePath $installer -Wait -PassThru -ArgumentList @('/q', '/nu', '/p:"C:\Program Files\Microsoft Azure Recovery Services Agent"', '/s:"C:\MABS\Scratch"', '/ph', 'proxy.contoso.local', '/po', '8080', '/pu', 'CONTOSO\svc-mabs')
    if ($mars.ExitCode -ne 0) { throw "MARSAgentInstaller.exe failed with exit code $($mars.ExitCode)" }
}
Import-Module -Name $MarsModule
Set-OBMachineSetting -ProxyServer $ProxyServer -ProxyPort $ProxyPort -ProxyUsername $ProxyUser -ProxyPassword $ProxyPassword

# --- MABS setup with the ini (S2) ------------------------------------------------------------
if (-not $SkipSetup) {
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('mabs-setup-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $ini = Join-Path $work 'MABSSetup.ini'
    try {
        $text = $IniTemplate
        foreach ($field in @('encryption.passphrase', 'security.password', 'sql.admin_password')) {
            $text = $text.Replace("@@SECRET:$field@@", (ConvertTo-PlainText $Secrets[$field]))
        }
        [System.IO.File]::WriteAllText($ini, $text, (New-Object System.Text.UTF8Encoding($false)))
        $text = $null
        Write-Host "Running MABS setup; its log: $SetupLog"
        $setup = Start-Process -FilePath $SetupExe -Wait -PassThru -ArgumentList @('/i', '/f', "`"$ini`"", '/l', "`"$SetupLog`"")
        if ($setup.ExitCode -ne 0) { throw "MABS setup failed with exit code $($setup.ExitCode); see $SetupLog" }
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# --- Registration with the MARS cmdlets, on request (S6) ---------------------------------------
if ($RegisterWithCmdlets) {
    Import-Module -Name $MarsModule
    # An absolute path: the cmdlet refuses relative ones (S6).
    Start-OBRegistration -VaultCredentials $VaultCredentials -Confirm:$false
    # Newer agents' documentation adds -SecurityPin here (portal: vault > Properties > Security PIN,
    # valid five minutes; S6, S19): add it if the agent asks for one.
    Set-OBMachineSetting -EncryptionPassphrase $Secrets['encryption.passphrase']
}

Write-Host 'Done: MABS is set up on MABS01. Keep the passphrase file off this server.'
