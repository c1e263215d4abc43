<#
.SYNOPSIS
  Collects the facts mabs-wizard's prerequisite check needs from this Windows server into a JSON file.

.DESCRIPTION
  Run it on the MABS target, in an elevated prompt (Run as administrator: deduplication, BitLocker
  and roles need it). One command, the same in cmd.exe, Windows PowerShell 5.1 and PowerShell 7:

    powershell -NoProfile -ExecutionPolicy Bypass -File collect-facts.ps1 -Path MABS01.json

  Add -ScratchPath "D:\MABS\Scratch" when the MARS cache (scratch) folder will not be the MARS default
  (several folders: separate them with ';'). Copy the file next to the answers file and point
  prerequisites.facts_file at it. It validates against `mabs-wizard schema facts` (version 2).

  The script writes the file itself, as UTF-8 without a byte-order mark: do not redirect its output
  (Windows PowerShell's '>' writes UTF-16, cmd.exe's '>' the OEM code page; about_Character_Encoding).
  It is read-only: it changes nothing on the server. A fact it cannot read is written as null and
  listed under "unknown" with Windows' reason; the wizard warns about each one.

  This file is plain ASCII on purpose: Windows PowerShell reads a script without a BOM in the ANSI
  code page (about_Character_Encoding), so any other character would change meaning.

  Sources (each fact below names its own):
    MicrosoftDocs/win32 desktop-src/CIMWin32Prov/win32-computersystem.md, win32-operatingsystem.md,
      win32-processor.md, win32-physicalmemory.md, win32-logicaldisk.md;
      desktop-src/FileIO/file-attribute-constants.md; desktop-src/SecProv/win32-encryptablevolume.md
    MicrosoftDocs/sdk-api sdk-api-src/content/lmjoin/nf-lmjoin-netgetjoininformation.md
    MicrosoftDocs/windows-powershell-docs Get-DedupVolume.md, Get-BitLockerVolume.md
    MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/about_Character_Encoding.md
    MicrosoftDocs/azure-docs articles/backup/backup-azure-file-folder-backup-faq.yml (cache folder rules)

.PARAMETER Path
  The facts file to write (default: <COMPUTERNAME>.json in the current folder).

.PARAMETER ScratchPath
  The MARS cache folder(s) to examine (default: the MARS default, backup-client-automation.md /s:).
#>
[CmdletBinding()]
param(
    [string]$Path = '',
    [string[]]$ScratchPath = @()
)

$ErrorActionPreference = 'Stop'

if (-not $Path) { $Path = $env:COMPUTERNAME + '.json' }
if (-not $ScratchPath) {
    # $env:ProgramW6432 is the 64-bit Program Files even in a 32-bit host.
    $programFiles = $env:ProgramW6432
    if (-not $programFiles) { $programFiles = $env:ProgramFiles }
    $ScratchPath = @(Join-Path $programFiles 'Microsoft Azure Recovery Services Agent\Scratch')
}
$Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)

# A 32-bit PowerShell on 64-bit Windows sees the 32-bit registry view (WOW6432Node): SQL and .NET
# keys would be missed. Run again in the 64-bit Windows PowerShell.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:windir 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
    & $native -NoProfile -ExecutionPolicy Bypass -File $PSCommandPath -Path $Path -ScratchPath ($ScratchPath -join ';')
    exit $LASTEXITCODE
}

# Windows PowerShell 5.1's ConvertTo-Json writes an array held in a PSObject as {"value": [...],
# "Count": n} because of an ETS alias on System.Array (PowerShell/PowerShell issue 3222).
if ($PSVersionTable.PSEdition -ne 'Core') { Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue }

$unknown = [ordered]@{}
$partial = $null

function Format-Reason($ErrorRecord) {
    return (([string]$ErrorRecord.Exception.Message) -replace '\s+', ' ').Trim()
}

# Runs one query; if Windows refuses it, records why under "unknown" and yields nothing (null).
function Get-Fact([string]$Name, [scriptblock]$Query) {
    try { & $Query } catch { $unknown[$Name] = Format-Reason $_ }
}

# Installed state of a Server Manager feature: $false when this release has no such feature.
function Test-WindowsFeature([string]$Name) {
    if (-not (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue)) {
        throw 'Get-WindowsFeature is not available here (the ServerManager module exists on Windows Server only)'
    }
    $feature = Get-WindowsFeature -Name $Name
    if ($null -eq $feature) { return $false }
    return [bool]$feature.Installed
}

# NetBIOS name of the domain this computer is joined to: NetGetJoinInformation (sdk-api lmjoin.h)
# returns it with the join status, whoever runs the script; Win32_NTDomain is the fallback where
# Add-Type is not allowed. Never $env:USERDOMAIN: that is the user's domain (the computer's own name
# for the local Administrator).
function Get-NetbiosDomain([string]$DnsDomain) {
    $native = @'
using System;
using System.Runtime.InteropServices;
public static class MabsWizardJoinInfo {
    [DllImport("netapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int NetGetJoinInformation(string server, out IntPtr name, out int status);
    [DllImport("netapi32.dll")]
    private static extern int NetApiBufferFree(IntPtr buffer);
    public static string DomainName() {
        IntPtr name;
        int status;
        int rc = NetGetJoinInformation(null, out name, out status);
        if (rc != 0) { throw new InvalidOperationException("NetGetJoinInformation returned error " + rc); }
        try {
            if (status != 3) { return null; }
            return Marshal.PtrToStringUni(name);
        } finally { NetApiBufferFree(name); }
    }
}
'@
    $firstReason = $null
    try {
        if (-not ('MabsWizardJoinInfo' -as [type])) { Add-Type -TypeDefinition $native }
        $name = [MabsWizardJoinInfo]::DomainName()
        if ($name) { return $name }
        $firstReason = 'NetGetJoinInformation: the computer is not joined to a domain'
    } catch { $firstReason = 'NetGetJoinInformation: ' + (Format-Reason $_) }
    $found = @(Get-CimInstance -ClassName Win32_NTDomain | Where-Object {
        $_.DomainName -and $_.DnsForestName -and ($DnsDomain -eq $_.DnsForestName -or $DnsDomain.EndsWith('.' + $_.DnsForestName))
    })
    if ($found.Length -eq 1) { return [string]$found[0].DomainName }
    throw ($firstReason + '; Win32_NTDomain: ' + $found.Length + ' domains match ' + $DnsDomain)
}

try {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $osKey = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    # Who ran it, and elevated or not: information for the operator and the wizard's advice only.
    $collectedBy = $null
    $elevated = $null
    try {
        $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
        $collectedBy = [string]$identity.Name
        $elevated = ([Security.Principal.WindowsPrincipal]$identity).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    } catch { $collectedBy = $null }

    # Domain membership of the computer (win32-computersystem.md: PartOfDomain, Domain = DNS name).
    $partOfDomain = [bool]$cs.PartOfDomain
    $domainDns = $null
    $domainNetbios = $null
    if ($partOfDomain) {
        $domainDns = [string]$cs.Domain
        $domainNetbios = Get-Fact 'domain' { Get-NetbiosDomain $domainDns }
    }

    # The installed OS language (win32-operatingsystem.md: OSLanguage, "Language version of the
    # operating system installed", 1055 = Turkish); Get-Culture is the user's formats only.
    $lcid = [int]$os.OSLanguage
    $osLanguage = Get-Fact 'os_language' {
        if (-not $lcid) { throw 'Win32_OperatingSystem.OSLanguage is empty' }
        [System.Globalization.CultureInfo]::GetCultureInfo($lcid).Name
    }

    # Cores: NumberOfCores summed over sockets (win32-processor.md); logical processors count SMT threads.
    $physicalCores = Get-Fact 'physical_cores' {
        $sum = (@(Get-CimInstance -ClassName Win32_Processor) | Measure-Object -Property NumberOfCores -Sum).Sum
        if (-not $sum) { throw 'Win32_Processor reported no cores' }
        [int]$sum
    }

    # Memory: TotalPhysicalMemory is what Windows sees and "may not return an accurate value"
    # (win32-computersystem.md); the installed amount is the sum of Win32_PhysicalMemory.Capacity.
    $installed = Get-Fact 'memory_installed_bytes' {
        $sum = (@(Get-CimInstance -ClassName Win32_PhysicalMemory) | Measure-Object -Property Capacity -Sum).Sum
        if (-not $sum) { throw 'Win32_PhysicalMemory lists no memory devices' }
        [int64]$sum
    }

    # Deduplication: Get-DedupVolume lists the volumes that have deduplication metadata, enabled or
    # not (Get-DedupVolume.md); without the cmdlet the feature is absent and nothing is deduplicated.
    $dedup = Get-Fact 'volumes.dedup' {
        $map = @{}
        if (Get-Command -Name Get-DedupVolume -ErrorAction SilentlyContinue) {
            foreach ($d in @(Get-DedupVolume)) { $map[([string]$d.Volume).TrimEnd('\')] = [bool]$d.Enabled }
        }
        $map
    }

    # BitLocker: Get-BitLockerVolume (Get-BitLockerVolume.md), else Win32_EncryptableVolume, whose
    # namespace exists only with the BitLocker feature (win32-encryptablevolume.md).
    $bitlocker = Get-Fact 'volumes.bitlocker' {
        $map = @{}
        if (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue) {
            foreach ($b in @(Get-BitLockerVolume)) {
                $auto = $null
                if ($null -ne $b.AutoUnlockEnabled) { $auto = [bool]$b.AutoUnlockEnabled }
                $map[[string]$b.MountPoint] = [ordered]@{
                    protection_status = [string]$b.ProtectionStatus; lock_status = [string]$b.LockStatus
                    volume_type = [string]$b.VolumeType; auto_unlock = $auto; source = 'Get-BitLockerVolume'
                }
            }
            return $map
        }
        try {
            $encryptable = @(Get-CimInstance -Namespace 'root/cimv2/Security/MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume)
        } catch {
            if ([string]$_.Exception.NativeErrorCode -eq 'InvalidNamespace') {
                $map['*'] = [ordered]@{ protection_status = 'Off'; lock_status = $null; volume_type = $null; auto_unlock = $null; source = 'not-installed' }
                return $map
            }
            throw
        }
        foreach ($v in $encryptable) {
            if (-not $v.DriveLetter) { continue }
            $lock = (Invoke-CimMethod -InputObject $v -MethodName GetLockStatus).LockStatus
            $auto = $null
            try { $auto = [bool](Invoke-CimMethod -InputObject $v -MethodName IsAutoUnlockEnabled).IsAutoUnlockEnabled } catch { $auto = $null }
            $map[[string]$v.DriveLetter] = [ordered]@{
                protection_status = @('Off', 'On', 'Unknown')[[int]$v.ProtectionStatus]
                lock_status = @('Unlocked', 'Locked')[[int]$lock]
                volume_type = $(if ([int]$v.VolumeType -eq 0) { 'OperatingSystem' } else { 'Data' })
                auto_unlock = $auto; source = 'Win32_EncryptableVolume'
            }
        }
        $map
    }

    # Volumes (win32-logicaldisk.md DriveType: 2 removable, 3 fixed, 4 network, 5 cdrom, 6 ramdisk).
    $kinds = @{ 2 = 'removable'; 3 = 'fixed'; 4 = 'network'; 5 = 'cdrom'; 6 = 'ramdisk' }
    $volumes = @(Get-CimInstance -ClassName Win32_LogicalDisk | ForEach-Object {
        $mount = [string]$_.DeviceID
        $kind = $kinds[[int]$_.DriveType]
        if (-not $kind) { $kind = 'unknown' }
        $size = [int64]0
        if ($_.Size) { $size = [int64]$_.Size }
        $free = [int64]0
        if ($_.FreeSpace) { $free = [int64]$_.FreeSpace }
        $volumeDedup = $null
        if ($null -ne $dedup) { $volumeDedup = [bool]$dedup[$mount] }
        $volumeBitLocker = $null
        if ($null -ne $bitlocker) {
            $volumeBitLocker = $bitlocker[$mount]
            if ($null -eq $volumeBitLocker) { $volumeBitLocker = $bitlocker['*'] }
        }
        [ordered]@{
            mount = $mount; label = [string]$_.VolumeName; kind = $kind; filesystem = [string]$_.FileSystem
            size_bytes = $size; free_bytes = $free; online = [bool]$_.Size
            dedup = $volumeDedup; bitlocker = $volumeBitLocker
        }
    })

    # Scratch folder(s): the folder's own attributes, or its nearest existing parent's
    # (file-attribute-constants.md: a compressed or encrypted folder passes that on to new subfolders).
    $scratch = @(foreach ($raw in @($ScratchPath | ForEach-Object { $_ -split ';' } | Where-Object { $_.Trim() })) {
        $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($raw.Trim())
        $entry = [ordered]@{ path = $full; exists = $false; examined = $null; attributes = $null; reason = $null }
        try {
            $probe = $full
            while (-not (Test-Path -LiteralPath $probe)) {
                $parent = Split-Path -Path $probe -Parent
                if (-not $parent -or $parent -eq $probe) { throw ('neither ' + $full + ' nor any folder above it exists') }
                $probe = $parent
            }
            $item = Get-Item -LiteralPath $probe -Force
            $entry['exists'] = ($probe -eq $full)
            $entry['examined'] = $item.FullName
            $entry['attributes'] = [int]$item.Attributes
        } catch { $entry['reason'] = Format-Reason $_ }
        $entry
    })

    # Roles MABS must not share the server with (backup-azure-microsoft-azure-backup.md).
    $appServer = Get-Fact 'roles.application_server' { Test-WindowsFeature 'Application-Server' }
    $hypervPowerShell = Get-Fact 'hyperv_powershell' { Test-WindowsFeature 'Hyper-V-PowerShell' }
    # ClusSvc exists once Failover Clustering is installed, cluster or not; the cluster database is
    # loaded as HKLM\Cluster on the nodes of a cluster.
    $clusterNode = Get-Fact 'roles.cluster_node' {
        $svc = Get-Service -Name ClusSvc -ErrorAction SilentlyContinue
        if (-not $svc) { $false }
        elseif (Test-Path -LiteralPath 'HKLM:\Cluster') { $true }
        elseif ([string]$svc.StartType -eq 'Disabled') { $false }
        else { throw ('the Cluster service is installed (' + $svc.Status + ') but no cluster database is loaded') }
    }

    $sql = @()
    $instKey = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL'
    if (Test-Path -LiteralPath $instKey) {
        $names = Get-ItemProperty -LiteralPath $instKey
        foreach ($p in @($names.PSObject.Properties | Where-Object { $_.Name -notlike 'PS*' })) {
            $setup = Get-ItemProperty -LiteralPath ('HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\' + $p.Value + '\Setup') -ErrorAction SilentlyContinue
            $sql += [ordered]@{ name = [string]$p.Name; version = [string]$setup.Version; edition = [string]$setup.Edition }
        }
    }

    $ndp = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -ErrorAction SilentlyContinue
    $tls = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client' -ErrorAction SilentlyContinue
    # Windows PowerShell's engine version, also when this runs under PowerShell 7.
    $engine = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine' -ErrorAction SilentlyContinue
    $psVersion = $null
    if ($engine -and $engine.PowerShellVersion) { $psVersion = [string]$engine.PowerShellVersion }
    elseif ($PSVersionTable.PSEdition -ne 'Core') { $psVersion = $PSVersionTable.PSVersion.ToString() }

    $facts = [ordered]@{
        version = 2
        collected_at = (Get-Date).ToUniversalTime().ToString('o')
        collected_by = $collectedBy
        elevated = $elevated
        computer_name = [string]$cs.Name
        domain_joined = $partOfDomain
        domain = $domainNetbios
        domain_dns = $domainDns
        os_family = 'windows'
        os_name = ([string]$os.Caption -replace '^Microsoft ', '').Trim()
        os_version = [string]$os.Version
        os_sku = [int]$os.OperatingSystemSKU
        os_language = $osLanguage
        os_language_lcid = $(if ($lcid) { $lcid } else { $null })
        ui_languages = @($os.MUILanguages | ForEach-Object { [string]$_ })
        format_culture = (Get-Culture).Name
        architecture = $(if ([Environment]::Is64BitOperatingSystem) { 'x64' } else { 'x86' })
        server_core = ($osKey.InstallationType -eq 'Server Core')
        physical_cores = $physicalCores
        logical_processors = [int]$cs.NumberOfLogicalProcessors
        memory_visible_bytes = [int64]$cs.TotalPhysicalMemory
        memory_installed_bytes = $installed
        volumes = $volumes
        system_drive = [string]$env:SystemDrive
        scratch = $scratch
        roles = [ordered]@{
            domain_controller = ([int]$cs.DomainRole -ge 4)
            application_server = $appServer
            exchange_server = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\ExchangeServer')
            cluster_node = $clusterNode
            scom_management_server = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Server Management Groups')
        }
        dotnet_release = $(if ($ndp -and $ndp.Release) { [int]$ndp.Release } else { $null })
        powershell_version = $psVersion
        hyperv_powershell = $hypervPowerShell
        tls12_enabled = $(if ($tls -and $null -ne $tls.Enabled) { [bool]$tls.Enabled } else { $true })
        sql_instances = $sql
        azure_stack_vm_size = $null
        unknown = $unknown
    }

    $json = ConvertTo-Json -InputObject $facts -Depth 8
    # Written next to the target and then moved over it, so a reader never sees half a file. UTF-8
    # without a BOM through .NET: Out-File/Set-Content encodings differ between 5.1 and 7.
    $partial = $Path + '.partial'
    try {
        [System.IO.File]::WriteAllText($partial, $json + "`r`n", (New-Object System.Text.UTF8Encoding($false)))
    } catch {
        # Where the .NET call is not allowed: Set-Content's UTF-8 (with a BOM in 5.1) is read as well.
        Set-Content -LiteralPath $partial -Value $json -Encoding UTF8
    }
    Move-Item -LiteralPath $partial -Destination $Path -Force
    Write-Host ('collect-facts.ps1: wrote ' + $Path + ' (' + $unknown.Count + ' fact(s) unknown)')
    exit 0
} catch {
    [Console]::Error.WriteLine('collect-facts.ps1: ' + (Format-Reason $_))
    if ($partial) { Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue }
    exit 1
}
