#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs Microsoft Azure Backup Server (V3) on MABS01 and sets it up for Azure Backup,
    unattended, as decided in mabs-wizard.

.DESCRIPTION
    Written by mabs-wizard from the install manifest of 2025-11-26 09:50 UTC.
    Steps; each is skipped when it is already done, so the script can run again after a restart
    or a failure:
      1. The MARS agent, installed first with the proxy, so it reaches Azure when setup registers the server.
      2. MABS setup with the ini; setup installs the agent and registers the server with the vault.
      3. With -RegisterWithCmdlets, when the server is not registered: Start-OBRegistration.
      4. Proxy, staging area and (after Start-OBRegistration) the encryption passphrase with
         Set-DPMCloudSubscriptionSetting, then -Commit.
    Everything is checked first: a missing file or secret stops the script before it changes
    anything.

    Secrets. None is stored in this script. Each is taken from, in this order:
      - its parameter (a SecureString: from PowerShell, e.g. & .\Install-MABS.ps1 -EncryptionPassphrase $s);
      - its environment variable (read once, then removed from this process, so that setup and the
        agent installer do not inherit it);
      - the -SecretsFile: a hashtable saved with Export-Clixml, keyed by the names below, whose
        SecureString or PSCredential values Windows protects with DPAPI (only the user who made the
        file can read it, on the computer where it was made);
      - a prompt (Read-Host -AsSecureString), only in an interactive session: never when PowerShell
        runs with -NonInteractive, nor with this script's -NonInteractive, nor where
        [Environment]::UserInteractive is false.
    A secret the remaining steps need and that none of these gives stops the script before it
    changes anything, naming the secret (exit code 2). Secrets, parameters, environment variables:
      sql.admin_password     -SqlAdminPassword      MABS_WIZARD_SQL_ADMIN_PASSWORD
      security.password      -DpmAccountPassword    MABS_WIZARD_DPM_ACCOUNT_PASSWORD
      encryption.passphrase  -EncryptionPassphrase  MABS_WIZARD_ENCRYPTION_PASSPHRASE
      proxy.password         -ProxyPassword         MABS_WIZARD_PROXY_PASSWORD
    The SQL and account passwords are needed only while setup has to run; the passphrase for setup
    and after -RegisterWithCmdlets; the proxy password while the proxy is being set.
    Setup reads its ini in plain text, so the ini is written to a new folder under your TEMP right
    before setup and deleted right after it, whatever happens.

.PARAMETER SqlAdminPassword
    Password of CONTOSO\mabs-admin, the SQL and reporting admin account (ini SQLMachinePassword, ReportingMachinePassword).
    Or: environment variable MABS_WIZARD_SQL_ADMIN_PASSWORD, or 'sql.admin_password' in the -SecretsFile.

.PARAMETER DpmAccountPassword
    Password for the restricted accounts MICROSOFT$DPM$Acct and DPMR$MABS01 (ini SqlAccountPassword).
    Or: environment variable MABS_WIZARD_DPM_ACCOUNT_PASSWORD, or 'security.password' in the -SecretsFile.

.PARAMETER EncryptionPassphrase
    Backup encryption passphrase (ini SecurityPassphrase; Set-DPMCloudSubscriptionSetting -EncryptionPassphrase).
    Or: environment variable MABS_WIZARD_ENCRYPTION_PASSPHRASE, or 'encryption.passphrase' in the -SecretsFile.

.PARAMETER ProxyPassword
    Password of proxy user CONTOSO\svc-mabs (-ProxyPassword).
    Or: environment variable MABS_WIZARD_PROXY_PASSWORD, or 'proxy.password' in the -SecretsFile.

.PARAMETER SecurityPin
    Security PIN from the Azure portal (Recovery Services vault > Settings > Properties > Security
    PIN > Generate; valid five minutes), for agents that ask for one when the passphrase is set
    (backup-client-automation.md; backup-azure-security-feature.md). Passed to
    Set-DPMCloudSubscriptionSetting when this MABS's cmdlet takes a SecurityPIN parameter.
    Or: environment variable MABS_WIZARD_SECURITY_PIN. Never prompted for.

.PARAMETER SecretsFile
    A file made with Export-Clixml by the user who runs this script, on this server: a hashtable
    from the secret names above to SecureString or PSCredential values (see the examples).
    Or: environment variable MABS_WIZARD_SECRETS_FILE.

.PARAMETER StagingAreaPath
    Folder where the agent stages data recovered from Azure (Set-DPMCloudSubscriptionSetting
    -StagingAreaPath); created when missing, since the commit fails without it. Empty: setup's choice.

.PARAMETER RegisterWithCmdlets
    When the server is not registered with the vault (setup's own registration did not happen):
    register it with Start-OBRegistration, then set the encryption passphrase.

.PARAMETER ReapplySettings
    Commit the proxy and staging settings again even when this script recorded them as committed
    (in $env:ProgramData\mabs-wizard\Install-MABS.state.json).

.PARAMETER NonInteractive
    Never prompt, even in an interactive session.

.EXAMPLE
    powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File .\Install-MABS.ps1 -SecretsFile C:\MABSSetup\mabs-secrets.xml
    Unattended (a scheduled task, Ansible, a remote session): every secret from the protected file.

.EXAMPLE
    @{
        'sql.admin_password' = (Read-Host -AsSecureString -Prompt 'sql.admin_password')
        'security.password' = (Read-Host -AsSecureString -Prompt 'security.password')
        'encryption.passphrase' = (Read-Host -AsSecureString -Prompt 'encryption.passphrase')
        'proxy.password' = (Read-Host -AsSecureString -Prompt 'proxy.password')
    } | Export-Clixml -Path C:\MABSSetup\mabs-secrets.xml
    Makes the protected file; run it as the user who will run this script, on this server.

.NOTES
    Exit codes: 0 done (or nothing left to do); 2 a secret or file is missing, nothing was changed;
    3010 restart the server, then run this script again; 1 a step failed (the message names it).
    Sources (MicrosoftDocs/azure-docs articles/backup/ unless named): backup-mabs-unattended-install.md,
    backup-dpm-automation.md, backup-client-automation.md, backup-azure-security-feature.md,
    backup-azure-mabs-troubleshoot.md, backup-azure-upgrade-backup-to-recovery-services.md (2019 FAQ);
    MicrosoftDocs/PowerShell-Docs Export-Clixml.md and about_PowerShell_exe.md.
#>
[CmdletBinding()]
param(
    [securestring] $SqlAdminPassword,
    [securestring] $DpmAccountPassword,
    [securestring] $EncryptionPassphrase,
    [securestring] $ProxyPassword,
    [string] $SecurityPin,
    [string] $SecretsFile,
    [string] $StagingAreaPath,
    [switch] $RegisterWithCmdlets,
    [switch] $ReapplySettings,
    [switch] $NonInteractive
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
# The agent's PowerShell module; the installer does not add it to PSModulePath (backup-client-automation.md).
$MarsModule       = Join-Path $MarsFolder 'bin\Modules\MSOnlineBackup'
$MarsInstaller    = Join-Path $SetupFolder 'MARSAgent\MARSAgentInstaller.exe'
$ProxyServer      = 'http://proxy.contoso.local'
$ProxyPort        = 8080
$ProxyUser        = 'CONTOSO\svc-mabs'
# What is done already is read from Windows, never assumed:
#   MABS installed: InstallPath under this key (backup-azure-mabs-troubleshoot.md, 'MABS installation folders').
$DpmSetupKey      = 'HKLM:\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Setup'
#   Registered: the vault's name, ServiceResourceName, under this key (ResourceId on some agents;
#   backup-azure-upgrade-backup-to-recovery-services.md, FAQ of 2019).
$AgentConfigKey   = 'HKLM:\SOFTWARE\Microsoft\Windows Azure Backup\Config'
#   Settings committed by this script: recorded here after -Commit (no secret in it).
$StateFile        = Join-Path $env:ProgramData 'mabs-wizard\Install-MABS.state.json'

# The MABS ini (backup-mabs-unattended-install.md). Each @@SECRET:...@@ is replaced in memory at run
# time, never saved here.
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

# Secrets by name: parameter, environment variable, prompt.
$SecretSpecs = @{
    'sql.admin_password' = @{ Field = 'sql.admin_password'; Parameter = 'SqlAdminPassword'; Env = 'MABS_WIZARD_SQL_ADMIN_PASSWORD'; Twice = $false; Prompt = 'Password of CONTOSO\mabs-admin, the SQL and reporting admin account (ini SQLMachinePassword, ReportingMachinePassword)' }
    'security.password' = @{ Field = 'security.password'; Parameter = 'DpmAccountPassword'; Env = 'MABS_WIZARD_DPM_ACCOUNT_PASSWORD'; Twice = $true; Prompt = 'Password for the restricted accounts MICROSOFT$DPM$Acct and DPMR$MABS01 (ini SqlAccountPassword)' }
    'encryption.passphrase' = @{ Field = 'encryption.passphrase'; Parameter = 'EncryptionPassphrase'; Env = 'MABS_WIZARD_ENCRYPTION_PASSPHRASE'; Twice = $true; Prompt = 'Backup encryption passphrase (ini SecurityPassphrase; Set-DPMCloudSubscriptionSetting -EncryptionPassphrase)' }
    'proxy.password' = @{ Field = 'proxy.password'; Parameter = 'ProxyPassword'; Env = 'MABS_WIZARD_PROXY_PASSWORD'; Twice = $false; Prompt = 'Password of proxy user CONTOSO\svc-mabs (-ProxyPassword)' }
}

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

# === Look: what is done already, and what the remaining steps need (nothing changes here) ===
$Bound = $PSBoundParameters
$CanPrompt = [Environment]::UserInteractive -and -not $NonInteractive -and -not (Test-HostNonInteractive)
$MabsInstalled = Test-MabsInstalled
$Registered = Test-Registered
$State = Read-State
$NeedSetup = -not $MabsInstalled
if ($NeedSetup) { $State = @{ settings = ''; passphrase_pending = $false } }  # a record of an earlier install does not count
$SettingsWanted = @($ProxyServer, $ProxyPort, $ProxyUser, $StagingAreaPath) -join '|'
$NeedRegistration = $RegisterWithCmdlets -and -not $Registered
$NeedPassphrase = $NeedRegistration -or [bool] $State.passphrase_pending
$NeedSettings = $NeedSetup -or $NeedPassphrase -or $ReapplySettings -or ($State.settings -ne $SettingsWanted)

if ($MabsInstalled -and -not $Registered -and -not $RegisterWithCmdlets) {
    Stop-Input "MABS is installed but this server is not registered with a vault (no ServiceResourceName under $AgentConfigKey): setup's registration did not happen. Run this script again with -RegisterWithCmdlets. Nothing was changed."
}

$Problems = New-Object System.Collections.Generic.List[string]
if ($NeedSetup -and -not (Test-Path -LiteralPath $SetupExe -PathType Leaf)) { $Problems.Add("Setup.exe not found in $SetupFolder.") }
if ($NeedSetup -and -not (Test-Path -LiteralPath $PassphraseFolder -PathType Container)) {
    $Problems.Add("The folder $PassphraseFolder must exist: setup writes the passphrase file there (ini PassphraseSaveLocation).")
}
if (($NeedSetup -or $NeedRegistration) -and -not (Test-Path -LiteralPath $VaultCredentials -PathType Leaf)) {
    $Problems.Add("Copy the vault credentials file to $VaultCredentials first (a full path without spaces).")
}
if ($NeedSetup -and -not (Test-AgentInstalled) -and -not (Test-Path -LiteralPath $MarsInstaller -PathType Leaf)) {
    $Problems.Add("MARSAgentInstaller.exe not found at $MarsInstaller.")
}

# The protected file of secrets (Export-Clixml protects SecureString and PSCredential values with
# DPAPI: PowerShell-Docs Export-Clixml.md).
$FileSecrets = @{}
if (-not $SecretsFile) { $SecretsFile = [Environment]::GetEnvironmentVariable('MABS_WIZARD_SECRETS_FILE', 'Process') }
if ($SecretsFile) {
    try { $saved = Import-Clixml -LiteralPath $SecretsFile }
    catch { Stop-Input "Cannot read the secrets file ${SecretsFile}: $($_.Exception.Message) It opens only for the user who made it with Export-Clixml, on the computer where it was made. Nothing was changed." }
    if ($saved -isnot [hashtable]) { Stop-Input "The secrets file $SecretsFile must hold a hashtable of secret names to SecureString or PSCredential values. Nothing was changed." }
    foreach ($key in @($saved.Keys)) {
        $value = $saved[$key]
        if (-not $SecretSpecs.ContainsKey([string] $key)) { Write-Warning "The secrets file has '$key', which this script does not use." }
        elseif ($value -is [pscredential]) { $FileSecrets[[string] $key] = $value.Password }
        elseif ($value -is [securestring]) { $FileSecrets[[string] $key] = $value }
        else { $Problems.Add("The secrets file $SecretsFile holds '$key' unprotected: only SecureString or PSCredential values are encrypted by Export-Clixml.") }
    }
}

$Wanted = New-Object System.Collections.Generic.List[string]
if ($NeedSetup) { $Wanted.Add('sql.admin_password'); $Wanted.Add('security.password'); $Wanted.Add('encryption.passphrase') }
elseif ($NeedPassphrase) { $Wanted.Add('encryption.passphrase') }
if ($NeedSetup -or $NeedSettings) { $Wanted.Add('proxy.password') }
$Secrets = @{}
foreach ($field in $Wanted) {
    $spec = $SecretSpecs[$field]
    $value = Resolve-Secret -Spec $spec
    if ($null -eq $value) {
        $Problems.Add("Missing secret ${field}: give -$($spec.Parameter), set the environment variable $($spec.Env), or put '$field' in the -SecretsFile.")
    }
    else { $Secrets[$field] = $value }
}
if (-not $SecurityPin) { $SecurityPin = [Environment]::GetEnvironmentVariable('MABS_WIZARD_SECURITY_PIN', 'Process') }
# No program this script starts inherits a secret from its environment.
foreach ($spec in $SecretSpecs.Values) { [Environment]::SetEnvironmentVariable($spec.Env, $null, 'Process') }
[Environment]::SetEnvironmentVariable('MABS_WIZARD_SECURITY_PIN', $null, 'Process')
if ($Problems.Count -gt 0) {
    $Problems.Add('Nothing was changed.')
    Stop-Input $Problems.ToArray()
}
if (-not ($NeedSetup -or $NeedRegistration -or $NeedSettings)) {
    Write-Host 'Nothing to do: MABS is installed, registered, and its settings were committed by this script.'
    exit 0
}

# === The MARS agent with the proxy, before setup ==============================================
# Before setup only the agent exists, so its own cmdlet sets the proxy (Set-OBMachineSetting,
# backup-client-automation.md); after setup the DPM cmdlets do (below).
if ($NeedSetup) {
    if (Test-AgentInstalled) { Write-Host 'The MARS agent is installed already.' }
    else {
        # MARSAgentInstaller.exe switches (backup-client-automation.md). No /pw: a password on a command
        # line shows in the process list; the password is set just below, as a SecureString.
        $mars = Start-Process -FilePath $MarsInstaller -Wait -PassThru -ArgumentList @('/q', '/nu', '/p:"C:\Program Files\Microsoft Azure Recovery Services Agent"', '/s:"C:\MABS\Scratch"', '/ph', 'proxy.contoso.local', '/po', '8080', '/pu', 'CONTOSO\svc-mabs')
        if ($mars.ExitCode -ne 0) { throw "MARSAgentInstaller.exe failed with exit code $($mars.ExitCode)" }
    }
    Import-Module -Name $MarsModule
    Set-OBMachineSetting -ProxyServer $ProxyServer -ProxyPort $ProxyPort -ProxyUsername $ProxyUser -ProxyPassword $Secrets['proxy.password']
}

# === MABS setup with the ini (backup-mabs-unattended-install.md) ===============================
if ($NeedSetup) {
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
        # start /wait <cdlayout path>\Setup.exe /i /f <ini> /L <log>
        $setup = Start-Process -FilePath $SetupExe -Wait -PassThru -ArgumentList @('/i', '/f', "`"$ini`"", '/l', "`"$SetupLog`"")
        if ($setup.ExitCode -ne 0) { throw "MABS setup failed with exit code $($setup.ExitCode); see $SetupLog" }
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    if (-not (Test-MabsInstalled)) { throw "MABS setup ended but $DpmSetupKey has no InstallPath; see $SetupLog" }
    $Registered = Test-Registered
}
else { Write-Host "MABS is installed already ($(Get-MabsInstallPath))." }

# === Registration with the agent's cmdlet, on request =========================================
if (-not $Registered) {
    if (-not $RegisterWithCmdlets) {
        throw "MABS is installed but the server is not registered with a vault (setup's registration did not happen; see $SetupLog). Run this script again with -RegisterWithCmdlets."
    }
    Import-Module -Name $MarsModule
    # An absolute path: the cmdlet refuses relative ones (backup-client-automation.md).
    Start-OBRegistration -VaultCredentials $VaultCredentials -Confirm:$false
    # The passphrase is set with the settings below; if that fails, the next run sets it again.
    $State.passphrase_pending = $true
    Save-State -State $State
    $NeedPassphrase = $true
    $NeedSettings = $true
}

# === Subscription settings, then -Commit (backup-dpm-automation.md) ===========================
# "The settings won't be applied and used by Azure Backup unless committed."
if ($NeedSettings) {
    Import-DpmCmdlets
    $Server = $env:COMPUTERNAME
    $Setting = Get-DPMCloudSubscriptionSetting -DPMServerName $Server
    Set-DPMCloudSubscriptionSetting -DPMServerName $Server -SubscriptionSetting $Setting -ProxyServer $ProxyServer -ProxyPort $ProxyPort -ProxyUsername $ProxyUser -ProxyPassword $Secrets['proxy.password']
    if ($StagingAreaPath) {
        # The folder must exist, "or else the final commit of the subscription settings will fail".
        if (-not (Test-Path -LiteralPath $StagingAreaPath -PathType Container)) { New-Item -ItemType Directory -Path $StagingAreaPath | Out-Null }
        Set-DPMCloudSubscriptionSetting -DPMServerName $Server -SubscriptionSetting $Setting -StagingAreaPath $StagingAreaPath
    }
    if ($NeedPassphrase) {
        # Current agents may ask for a Security PIN with the passphrase (backup-client-automation.md);
        # it is passed where this MABS's cmdlet takes one.
        $pin = @{}
        if ($SecurityPin) {
            if ((Get-Command -Name 'Set-DPMCloudSubscriptionSetting').Parameters.ContainsKey('SecurityPIN')) { $pin['SecurityPIN'] = $SecurityPin }
            else { Write-Warning 'Set-DPMCloudSubscriptionSetting on this server takes no SecurityPIN; the PIN is not used.' }
        }
        try {
            Set-DPMCloudSubscriptionSetting -DPMServerName $Server -SubscriptionSetting $Setting -EncryptionPassphrase $Secrets['encryption.passphrase'] @pin
        }
        catch {
            throw "Setting the encryption passphrase failed: $($_.Exception.Message) If the vault asks for a Security PIN (errors 100130, 120002 in backup-azure-security-feature.md), generate one in the Azure portal (vault > Settings > Properties > Security PIN; valid five minutes) and run this script again with -SecurityPin."
        }
    }
    Set-DPMCloudSubscriptionSetting -DPMServerName $Server -SubscriptionSetting $Setting -Commit
    $State.settings = $SettingsWanted
    $State.passphrase_pending = $false
    Save-State -State $State
}

Write-Host 'Done: MABS is set up on MABS01. Keep the passphrase file off this server.'
exit 0
