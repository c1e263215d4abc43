#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs Microsoft Azure Backup Server (V4) on MABS01 unattended, as decided in mabs-wizard.

.DESCRIPTION
    Written by mabs-wizard from the install manifest of 2025-11-26 09:50 UTC.
    Steps:
      1. MABS V4 pre-steps (S2): the MARS agent folder and the Hyper-V features (may restart the server).
      2. MABS setup with the ini (S2); setup installs the agent and registers the server with the vault.
      3. The MARS agent set to use no proxy (Set-OBMachineSetting -NoProxy).
      4. With -RegisterWithCmdlets: Start-OBRegistration and the encryption passphrase (S6).
    It can run again, e.g. after the restart Hyper-V may need: the pre-steps and the agent install
    are skipped when already done; pass -SkipSetup once MABS is installed.

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
# Put this script in the extracted MABS folder (the one holding Setup.exe and MARSAgent).
$SetupFolder      = $PSScriptRoot
$SetupExe         = Join-Path $SetupFolder 'Setup.exe'
$SetupLog         = Join-Path $SetupFolder 'MABSSetup.log'
$VaultCredentials = 'C:\MABSSetup\contoso-mabs-vault.VaultCredentials'
$PassphraseFolder = 'C:\MABSSetup\Passphrase'
$MarsFolder       = 'C:\Program Files\Microsoft Azure Recovery Services Agent'
$MarsModule       = Join-Path $MarsFolder 'bin\Modules\MSOnlineBackup'

# The MABS ini (S2). Each @@SECRET:...@@ is replaced in memory at run time, never saved here.
$IniTemplate = @'
[OPTIONS]
UserName=administrator
CompanyName=Contoso
SQLMachineName=localhost
SQLInstanceName=MSDPM2012
SQLMachineUserName=administrator
SQLMachinePassword=@@SECRET:sql.admin_password@@
SQLMachineDomainName=CONTOSO
ReportingMachineName=localhost
ReportingInstanceName=SSRS
SqlAccountPassword=@@SECRET:security.password@@
ReportingMachineUserName=administrator
ReportingMachinePassword=@@SECRET:sql.admin_password@@
ReportingMachineDomainName=CONTOSO
VaultCredentialFilePath=C:\MABSSetup\contoso-mabs-vault.VaultCredentials
SecurityPassphrase=@@SECRET:encryption.passphrase@@
PassphraseSaveLocation=C:\MABSSetup\Passphrase
UseExistingSQL=0
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

# --- MABS V4 pre-steps (S2; not for V1, V2, V3) ----------------------------------------------
if (-not $SkipSetup) {
    New-Item -ItemType Directory -Path $MarsFolder -Force | Out-Null
    $hyperV = 'Microsoft-Hyper-V', 'Microsoft-Hyper-V-Management-PowerShell'
    $missing = @($hyperV | Where-Object { (Get-WindowsOptionalFeature -Online -FeatureName $_).State -ne 'Enabled' })
    if ($missing.Count -gt 0) {
        Write-Host "Enabling $($missing -join ', '); this can restart the server: run this script again afterwards."
        $dism = Start-Process -FilePath 'dism.exe' -Wait -PassThru -NoNewWindow -ArgumentList @(
            '/Online', '/Enable-feature', '/All',
            '/FeatureName:Microsoft-Hyper-V', '/FeatureName:Microsoft-Hyper-V-Management-PowerShell', '/quiet')
        if ($dism.ExitCode -eq 3010) {
            Write-Warning 'Hyper-V is enabled and needs a restart: restart the server, then run this script again.'
            exit 3010
        }
        if ($dism.ExitCode -ne 0) { throw "dism.exe failed with exit code $($dism.ExitCode)" }
    }
}

# --- Secrets, asked for now and kept as SecureStrings -----------------------------------------
$Secrets = @{}
if (-not $SkipSetup) {
    $Secrets['sql.admin_password'] = Read-Secret -Prompt 'Password of CONTOSO\administrator (SQL and reporting admin account)'
    $Secrets['security.password'] = Read-Secret -Prompt 'Password for MICROSOFT$DPM$Acct and DPMR$MABS01' -Confirm
}
if (-not $SkipSetup -or $RegisterWithCmdlets) {
    $Secrets['encryption.passphrase'] = Read-Secret -Prompt 'Backup encryption passphrase' -Confirm
}

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

# --- MARS agent: no proxy (S9) ---------------------------------------------------------------
Import-Module -Name $MarsModule
Set-OBMachineSetting -NoProxy

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
