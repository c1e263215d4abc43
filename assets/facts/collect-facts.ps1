<#
.SYNOPSIS
  Collects the facts mabs-wizard's prerequisite check needs from this Windows server, as JSON.
.DESCRIPTION
  Run on the MABS target (Windows PowerShell 5.1 or later, elevated for role detection):
    powershell -NoProfile -ExecutionPolicy Bypass -File collect-facts.ps1 > MABS01.json
  Copy the file next to the answers file and point prerequisites.facts_file at it.
  The output validates against `mabs-wizard schema facts`. Read-only: it changes nothing.
#>
$ErrorActionPreference = 'Stop'

$os = Get-CimInstance Win32_OperatingSystem
$cs = Get-CimInstance Win32_ComputerSystem
$osKey = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

function Test-Feature([string]$Name) {
    try { return [bool]((Get-WindowsFeature -Name $Name -ErrorAction Stop).Installed) } catch { return $false }
}

# Volumes: drive type 2 removable, 3 fixed, 4 network, 5 cdrom, 6 ramdisk.
$kinds = @{ 2 = 'removable'; 3 = 'fixed'; 4 = 'network'; 5 = 'cdrom'; 6 = 'ramdisk' }
$volumes = @(Get-CimInstance Win32_LogicalDisk | ForEach-Object {
    $attrs = @()
    if ($_.Compressed) { $attrs += 'compressed' }
    $kind = $kinds[[int]$_.DriveType]; if (-not $kind) { $kind = 'unknown' }
    [ordered]@{
        mount = $_.DeviceID; label = [string]$_.VolumeName; kind = $kind; filesystem = [string]$_.FileSystem
        size_bytes = [int64]($_.Size | ForEach-Object { if ($_) { $_ } else { 0 } })
        free_bytes = [int64]($_.FreeSpace | ForEach-Object { if ($_) { $_ } else { 0 } })
        online = [bool]$_.Size; attributes = $attrs
    }
})

$sql = @()
$instKey = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL'
if (Test-Path $instKey) {
    $names = Get-ItemProperty $instKey
    foreach ($p in $names.PSObject.Properties | Where-Object { $_.Name -notlike 'PS*' }) {
        $setup = Get-ItemProperty "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$($p.Value)\Setup"
        $sql += [ordered]@{ name = $p.Name; version = [string]$setup.Version; edition = [string]$setup.Edition }
    }
}

$ndp = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -ErrorAction SilentlyContinue
$tls = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client' -ErrorAction SilentlyContinue
$clusterNode = $null -ne (Get-Service -Name ClusSvc -ErrorAction SilentlyContinue)

$facts = [ordered]@{
    version = 1
    collected_at = (Get-Date).ToUniversalTime().ToString('o')
    computer_name = $env:COMPUTERNAME
    domain = $(if ($cs.PartOfDomain) { $env:USERDOMAIN } else { $null })
    domain_joined = [bool]$cs.PartOfDomain
    os_family = 'windows'
    os_name = [string]$os.Caption -replace '^Microsoft ', ''
    os_version = [string]$os.Version
    os_language = (Get-Culture).Name
    architecture = $(if ([Environment]::Is64BitOperatingSystem) { 'x64' } else { 'x86' })
    server_core = ($osKey.InstallationType -eq 'Server Core')
    cpu_cores = [int]$cs.NumberOfLogicalProcessors
    ram_bytes = [int64]$cs.TotalPhysicalMemory
    volumes = $volumes
    system_drive = $env:SystemDrive
    roles = [ordered]@{
        domain_controller = ($cs.DomainRole -ge 4)
        application_server = (Test-Feature 'Application-Server')
        exchange_server = (Test-Path 'HKLM:\SOFTWARE\Microsoft\ExchangeServer')
        cluster_node = $clusterNode
        scom_management_server = (Test-Path 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Server Management Groups')
    }
    dotnet_release = $(if ($ndp) { [int]$ndp.Release } else { $null })
    powershell_version = $PSVersionTable.PSVersion.ToString()
    hyperv_powershell = (Test-Feature 'Hyper-V-PowerShell')
    tls12_enabled = $(if ($tls -and $null -ne $tls.Enabled) { [bool]$tls.Enabled } else { $true })
    sql_instances = $sql
    azure_stack_vm_size = $null
}
$facts | ConvertTo-Json -Depth 5
