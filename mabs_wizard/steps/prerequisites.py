"""The MABS prerequisite check (reference §5; S-numbers are its sources).

Errors block the install (MABS: "Installation can't proceed until all prerequisites are met"),
warnings do not (DPM distinguishes a missing recommended component from a required one, S16).
A fact the collector could not read (null, with its reason in ``facts.unknown``) is a warning that
says so: "could not tell" is never reported as "not there".

Sources for the facts themselves are in ``mabs_wizard.facts.model``; the rules below cite theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.facts import TargetFacts, collect_command
from mabs_wizard.findings import Finding, error, passed, warning
from mabs_wizard.steps.base import Sections, Step, findings_of

if TYPE_CHECKING:
    from pathlib import Path


class PrerequisitesAnswers(Section):
    """Prerequisite check: which facts to judge and against which MABS release and platform."""

    facts_file: Annotated[LocalPath | None, Form(placeholder="facts JSON collected on the server")] = Field(
        None, title="Facts file", description="JSON facts collected on the Windows target; omitted: probe this machine")
    mabs_version: Annotated[Literal["v3", "v4"], Form(choices={"v4": "MABS V4 (Windows Server 2019/2022)",
                                                                "v3": "MABS V3 (Windows Server 2016/2019)"})] = Field(
        "v4", title="MABS version", description="MABS release being installed (changes supported OS and SQL)")
    platform: Annotated[Literal["azure-stack", "azure-vm", "on-premises"],
                        Form(choices={"azure-stack": "Azure Stack VM", "azure-vm": "Azure VM", "on-premises": "On-premises"})] = Field(
        "azure-stack", title="Platform", description="where the server runs (sets the hardware minimum)")

GB = 1024**3

# Windows Server build numbers by release (the kernel version a facts file reports).
SERVER_BUILDS = {"10.0.14393": "2016", "10.0.17763": "2019", "10.0.20348": "2022"}
SUPPORTED_OS = {"v3": ("2016", "2019"), "v4": ("2019", "2022")}  # S1, S1b, S11
SUPPORTED_EDITIONS = ("Standard", "Datacenter", "Essentials")  # S1
# Win32_OperatingSystem.OperatingSystemSKU (MicrosoftDocs/win32 win32-operatingsystem.md): Standard 7,
# Datacenter 8, Datacenter/Standard Server Core 12/13, Essentials 50; PRODUCT_HYPERV 42 is Hyper-V Server.
EDITION_SKUS = {7, 8, 12, 13, 50}
HYPERV_SERVER_SKU = 42

# (cores, RAM bytes) recommended minimum per platform: S4 (A2: 2 cores, 3.5 GB), S1 (A4_v2; on-premises).
HARDWARE = {"azure-stack": (2, int(3.5 * GB), "A2 Standard"), "azure-vm": (4, 8 * GB, "Standard_A4_v2"), "on-premises": (2, 8 * GB, "on-premises")}
SMALL_AZURE_STACK_SIZES = ("Standard_A0", "Standard_A1", "Basic_A0", "Basic_A1")
# When only the memory Windows sees is known (TotalPhysicalMemory, which firmware reservations lower:
# win32-computersystem.md), it meets a minimum within this share of it. Real 8 GB servers show
# 8,084-8,185 MB (up to 1.3% reserved, windows-target-notes.md); 5% leaves room for a BMC or
# integrated graphics and still tells a 7.5 GB machine from an 8 GB one.
FIRMWARE_RESERVE = 0.05

DOTNET_45 = 378389  # .NET Framework release keys (Microsoft's version table)
DOTNET_462 = 394802

F = "prerequisites"  # findings about host facts point at the section (the facts file line)

ROLES = {
    "domain_controller": "a domain controller",
    "application_server": "a server with the Application Server role",
    "exchange_server": "a server running Exchange Server",
    "cluster_node": "a node of a cluster",
    "scom_management_server": "an Operations Manager management server",
}


def check_prerequisites(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    findings: list[Finding] = []
    findings += _collection(facts)
    findings += _os(prereq, facts)
    findings += _roles_and_domain(facts)
    findings += _hardware(prereq, facts)
    if facts.os_family == "windows":  # .NET, PowerShell, Hyper-V cmdlets mean nothing elsewhere
        findings += _software(prereq, facts)
    return findings


def _again(facts: TargetFacts) -> str:
    """How to get what is missing: elevated if the collector was not, then the one command."""
    elevate = "in an elevated prompt (Run as administrator) " if facts.elevated is False else ""
    return f"collect the facts again {elevate}with: {collect_command(f'{facts.computer_name}.json')}"


def _unknown(code: str, facts: TargetFacts, fact: str, what: str, why_it_matters: str) -> Finding:
    return warning(code, F, f"could not tell {what}: {facts.reason(fact)}; {why_it_matters}", _again(facts))


def _collection(facts: TargetFacts) -> list[Finding]:
    if facts.upgraded_from == 1:
        return [warning("prereq.facts-version", F,
                        "facts file version 1 (an older collect-facts.ps1): it recorded the user's domain and formats "
                        "instead of the computer's, logical processors as cores, and no installed memory, deduplication, "
                        "BitLocker or scratch folder attributes", _again(facts))]
    return []


def _os(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    out: list[Finding] = []
    if facts.os_family != "windows":
        return [
            error(
                "prereq.os-windows", F,
                f"this host runs {facts.os_name}; MABS installs only on Windows Server",
                "run the check against the target: collect its facts there with "
                f"{collect_command()} and choose that file as the {{prerequisites.facts_file}}",
            )
        ]
    release = SERVER_BUILDS.get(".".join(facts.os_version.split(".")[:3]))
    supported = SUPPORTED_OS[prereq.mabs_version]
    if "Hyper-V Server" in facts.os_name or facts.os_sku == HYPERV_SERVER_SKU:
        out.append(error("prereq.os-hyperv-server", F, "Microsoft Hyper-V Server is not supported", "use Windows Server Standard or Datacenter"))
    elif release not in supported:
        shown = f"Windows Server {release}" if release else f"{facts.os_name} ({facts.os_version})"
        out.append(error("prereq.os-version", F, f"MABS {prereq.mabs_version.upper()} does not support {shown}",
                         f"use Windows Server {' or '.join(supported)}"))
    else:
        out.append(passed("prereq.os-version", F, f"Windows Server {release} is supported by MABS {prereq.mabs_version.upper()}"))
    if not any(e in facts.os_name for e in SUPPORTED_EDITIONS) and facts.os_sku not in EDITION_SKUS:
        out.append(warning("prereq.os-edition", F, f"edition of {facts.os_name!r} not recognised as Standard, Datacenter or Essentials",
                           "MABS supports the Standard, Datacenter and Essentials editions"))
    if facts.server_core:
        out.append(error("prereq.server-core", F, "Server Core installations are not supported", "install on Windows Server with Desktop Experience"))
    if facts.architecture.lower() not in ("x64", "amd64", "x86_64"):
        out.append(error("prereq.64-bit", F, f"architecture {facts.architecture} is not 64-bit", "use a 64-bit Windows Server"))
    out += _language(facts)
    return out


def _language(facts: TargetFacts) -> list[Finding]:
    """DPM "isn't supported on the Turkish language version of any of the supported Windows Server
    versions" (S34). The language version is the installed OS language (Win32_OperatingSystem.OSLanguage),
    not the format culture of whoever collected the facts (PowerShell-Docs Get-Culture.md)."""
    if facts.os_language is None:
        return [_unknown("prereq.os-language", facts, "os_language", "the language of the installed Windows",
                         "the Turkish language version of Windows Server is not supported")]
    if facts.os_language.lower().split("-")[0] == "tr":
        lcid = f" (OSLanguage {facts.os_language_lcid})" if facts.os_language_lcid else ""
        return [error("prereq.os-language", F,
                      f"the Turkish language version of Windows Server is not supported: this server is {facts.os_language}{lcid}",
                      "use another language version")]
    return []


def _roles_and_domain(facts: TargetFacts) -> list[Finding]:
    """Domain-joined, and no DC / Application Server / Exchange / cluster / SCOM role (S1, S4)."""
    out: list[Finding] = []
    if facts.domain_joined:
        out.append(passed("prereq.domain-joined", F, f"joined to domain {facts.domain or facts.domain_dns or '(name unknown)'}"))
        if facts.domain is None or "domain" in facts.unknown:
            shown = f" {facts.domain_dns}" if facts.domain_dns else ""
            unverified = f"{facts.domain} is unverified: " if facts.domain else ""
            out.append(warning("prereq.domain-name", F,
                               f"the NetBIOS name of the computer's domain{shown}: {unverified}{facts.reason('domain')}; "
                               "the setup ini names domains by NetBIOS name",
                               f"set sql.admin_domain in the answers, or {_again(facts)}"))
    else:
        out.append(error("prereq.domain-joined", F, "the server is not joined to a domain",
                         "join it to its final domain before installing; MABS cannot move domains afterwards"))
    for role, text in ROLES.items():
        value = getattr(facts.roles, role)
        if value:
            out.append(error(f"prereq.role-{role.replace('_', '-')}", F, f"MABS cannot be installed on {text}",
                             "use a dedicated, single-purpose server"))
        elif value is None:
            out.append(_unknown(f"prereq.role-{role.replace('_', '-')}", facts, f"roles.{role}", f"whether this server is {text}",
                                "MABS cannot be installed on one"))
    if all(getattr(facts.roles, r) is False for r in ROLES):
        out.append(passed("prereq.dedicated", F, "no conflicting role (DC, Application Server, Exchange, cluster, SCOM)"))
    return out


def memory_meets(facts: TargetFacts, minimum: int) -> bool:
    """Installed memory (sum of Win32_PhysicalMemory.Capacity) against the minimum where Windows
    reports it; else the memory Windows sees, allowing FIRMWARE_RESERVE for what firmware holds back."""
    if facts.memory_installed_bytes is not None:
        return facts.memory_installed_bytes >= minimum
    return facts.memory_visible_bytes >= minimum * (1 - FIRMWARE_RESERVE)


def _hardware(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    """Recommended minimum cores and RAM (S1, S4): physical cores (SMT threads are not cores), and
    memory as installed, not as visible (win32-computersystem.md TotalPhysicalMemory)."""
    min_cores, min_ram, label = HARDWARE[prereq.platform]
    out: list[Finding] = []
    windows = facts.os_family == "windows"
    cores = facts.physical_cores
    if cores is None:
        cores = facts.logical_processors or 0
        if windows:
            out.append(_unknown("prereq.cores", facts, "physical_cores", "the number of physical cores",
                                f"judged on {cores} logical processors, which count each SMT thread"))
    if facts.memory_installed_bytes is not None:
        memory, shown = facts.memory_installed_bytes, "RAM"
    else:
        memory, shown = facts.memory_visible_bytes, "RAM visible to Windows"
        if windows:
            out.append(_unknown("prereq.memory", facts, "memory_installed_bytes", "the installed memory",
                                f"judged on the {memory / GB:.2f} GB Windows sees, allowing {FIRMWARE_RESERVE:.0%} for firmware"))
    if cores < min_cores or not memory_meets(facts, min_ram):
        out.append(warning("prereq.hardware", F,
                           f"{cores} cores and {memory / GB:.1f} GB {shown}; the recommended minimum on {prereq.platform} "
                           f"is {min_cores} cores and {min_ram / GB:g} GB ({label})",
                           "resize the server (the Azure Stack guide: A2 or larger on Azure Stack)"))
    else:
        out.append(passed("prereq.hardware", F, f"{cores} cores, {memory / GB:.1f} GB {shown}"))
    if prereq.platform == "azure-stack" and facts.azure_stack_vm_size in SMALL_AZURE_STACK_SIZES:
        out.append(warning("prereq.vm-size", F, f"VM size {facts.azure_stack_vm_size} is below A2", "use size A2 or larger"))
    system = facts.volume_of(facts.system_drive + "\\")
    if system is None:
        out.append(warning("prereq.system-drive", F, f"system drive {facts.system_drive} not among the reported volumes", "collect the facts again"))
    elif system.free_bytes < 1 * GB:
        out.append(error("prereq.system-drive", F, f"system drive {system.mount} has {system.free_bytes / GB:.2f} GB free; 1 GB needed",
                         "free space on the system drive"))
    return out


def _software(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    out: list[Finding] = []
    if facts.dotnet_release is None:
        out.append(error("prereq.dotnet", F, ".NET Framework 4.x not found", "install .NET Framework 4.6.2 or later"))
    elif facts.dotnet_release < DOTNET_45:
        out.append(error("prereq.dotnet", F, f".NET Framework release {facts.dotnet_release} is older than 4.5", "install .NET Framework 4.6.2 or later"))
    elif facts.dotnet_release < DOTNET_462:
        out.append(warning("prereq.dotnet", F, ".NET Framework is older than 4.6.2 (asked for by Azure support, S15)", "install .NET Framework 4.6.2 or later"))
    else:
        out.append(passed("prereq.dotnet", F, f".NET Framework release {facts.dotnet_release} (4.6.2 or later)"))
    ps = facts.powershell_version
    if ps is None or _major(ps) < 3:
        out.append(error("prereq.powershell", F, f"Windows PowerShell {ps or 'not found'}; 3.0 or later required", "install Windows Management Framework"))
    else:
        out.append(passed("prereq.powershell", F, f"Windows PowerShell {ps}"))
    level = warning if prereq.mabs_version == "v4" else error
    remedy = "enable Microsoft-Hyper-V-Management-PowerShell (the V4 unattended pre-step does, S2)"
    if facts.hyperv_powershell is False:
        out.append(level("prereq.hyperv-powershell", F, "Hyper-V Management PowerShell is not installed", remedy))
    elif facts.hyperv_powershell is None:
        out.append(_unknown("prereq.hyperv-powershell", facts, "hyperv_powershell", "whether Hyper-V Management PowerShell is installed",
                            f"MABS needs it: {remedy}"))
    if facts.tls12_enabled is False:
        out.append(warning("prereq.tls12", F, "TLS 1.2 is not enabled", "enable TLS 1.2"))
    return out


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return 0


# --------------------------------------------------------------------------- the step


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    prereq = sections.get("prerequisites") or PrerequisitesAnswers()
    return check_prerequisites(prereq, ctx.facts)  # type: ignore[arg-type]


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    findings = findings_of(STEP, sections, ctx)
    log = write_setup_log(ctx, findings)
    return StepOutcome("checked", findings, {"setup_log": str(log), "facts_source": ctx.facts_source})


def write_setup_log(ctx: RunContext, findings: list[Finding]) -> Path:
    """A prerequisite log in the spirit of DpmSetup.log (failed prerequisites are listed there)."""
    from mabs_wizard import __version__
    from mabs_wizard.fsutil import atomic_write_text

    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = ctx.now.strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"[{stamp}] mabs-wizard {__version__} prerequisite check for {ctx.facts.computer_name} (facts: {ctx.facts_source}"
             + (f" {ctx.facts_path}" if ctx.facts_path else "") + ")"]
    for f in findings:
        lines.append(f"[{stamp}] {f.level.upper():7} {f.code}: {f.message}" + (f" | remedy: {f.remedy}" if f.remedy and f.level != "pass" else ""))
    errors = sum(f.level == "error" for f in findings)
    lines.append(f"[{stamp}] Prerequisite check {'failed' if errors else 'passed'}: {errors} error(s), "
                 f"{sum(f.level == 'warning' for f in findings)} warning(s)")
    return atomic_write_text(ctx.output_dir / "MabsWizardSetup.log", "\n".join(lines) + "\n", mode=0o644)


STEP = Step("prerequisites", "Prerequisite checks", PrerequisitesAnswers, check, apply)
