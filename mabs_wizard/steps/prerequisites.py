"""The MABS prerequisite check (reference §5; S-numbers are its sources).

Errors block the install (MABS: "Installation can't proceed until all prerequisites are met"),
warnings do not (DPM distinguishes a missing recommended component from a required one, S16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.facts import TargetFacts
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

# (cores, RAM bytes) recommended minimum per platform: S4 (A2: 2 cores, 3.5 GB), S1 (A4_v2; on-premises).
HARDWARE = {"azure-stack": (2, int(3.5 * GB), "A2 Standard"), "azure-vm": (4, 8 * GB, "Standard_A4_v2"), "on-premises": (2, 8 * GB, "on-premises")}
SMALL_AZURE_STACK_SIZES = ("Standard_A0", "Standard_A1", "Basic_A0", "Basic_A1")

DOTNET_45 = 378389  # .NET Framework release keys (Microsoft's version table)
DOTNET_462 = 394802

F = "prerequisites"  # findings about host facts point at the section (the facts file line)


def check_prerequisites(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    findings: list[Finding] = []
    findings += _os(prereq, facts)
    findings += _roles_and_domain(facts)
    findings += _hardware(prereq, facts)
    if facts.os_family == "windows":  # .NET, PowerShell, Hyper-V cmdlets mean nothing elsewhere
        findings += _software(prereq, facts)
    return findings


def _os(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    out: list[Finding] = []
    if facts.os_family != "windows":
        return [
            error(
                "prereq.os-windows", F,
                f"this host runs {facts.os_name}; MABS installs only on Windows Server",
                "run the check against the target: set prerequisites.facts_file to facts collected there "
                "(assets/facts/collect-facts.ps1)",
            )
        ]
    release = SERVER_BUILDS.get(".".join(facts.os_version.split(".")[:3]))
    supported = SUPPORTED_OS[prereq.mabs_version]
    if "Hyper-V Server" in facts.os_name:
        out.append(error("prereq.os-hyperv-server", F, "Microsoft Hyper-V Server is not supported", "use Windows Server Standard or Datacenter"))
    elif release not in supported:
        shown = f"Windows Server {release}" if release else f"{facts.os_name} ({facts.os_version})"
        out.append(error("prereq.os-version", F, f"MABS {prereq.mabs_version.upper()} does not support {shown}",
                         f"use Windows Server {' or '.join(supported)}"))
    else:
        out.append(passed("prereq.os-version", F, f"Windows Server {release} is supported by MABS {prereq.mabs_version.upper()}"))
    if not any(e in facts.os_name for e in SUPPORTED_EDITIONS):
        out.append(warning("prereq.os-edition", F, f"edition of {facts.os_name!r} not recognised as Standard, Datacenter or Essentials",
                           "MABS supports the Standard, Datacenter and Essentials editions"))
    if facts.server_core:
        out.append(error("prereq.server-core", F, "Server Core installations are not supported", "install on Windows Server with Desktop Experience"))
    if facts.architecture.lower() not in ("x64", "amd64", "x86_64"):
        out.append(error("prereq.64-bit", F, f"architecture {facts.architecture} is not 64-bit", "use a 64-bit Windows Server"))
    if facts.os_language.lower().startswith("tr"):
        out.append(error("prereq.os-language", F, "the Turkish language version of Windows Server is not supported (S34)",
                         "use another language version"))
    return out


def _roles_and_domain(facts: TargetFacts) -> list[Finding]:
    out: list[Finding] = []
    if facts.domain_joined:
        out.append(passed("prereq.domain-joined", F, f"joined to domain {facts.domain or '(unnamed)'}"))
    else:
        out.append(error("prereq.domain-joined", F, "the server is not joined to a domain",
                         "join it to its final domain before installing; MABS cannot move domains afterwards"))
    forbidden = {
        "domain_controller": "a domain controller",
        "application_server": "a server with the Application Server role",
        "exchange_server": "a server running Exchange Server",
        "cluster_node": "a node of a cluster",
        "scom_management_server": "an Operations Manager management server",
    }
    for role, text in forbidden.items():
        if getattr(facts.roles, role):
            out.append(error(f"prereq.role-{role.replace('_', '-')}", F, f"MABS cannot be installed on {text}",
                             "use a dedicated, single-purpose server"))
    if not any(getattr(facts.roles, r) for r in forbidden):
        out.append(passed("prereq.dedicated", F, "no conflicting role (DC, Application Server, Exchange, cluster, SCOM)"))
    return out


def _hardware(prereq: PrerequisitesAnswers, facts: TargetFacts) -> list[Finding]:
    cores, ram, label = HARDWARE[prereq.platform]
    out: list[Finding] = []
    if facts.cpu_cores < cores or facts.ram_bytes < ram:
        out.append(warning("prereq.hardware", F,
                           f"{facts.cpu_cores} cores and {facts.ram_bytes / GB:.1f} GB RAM; the recommended minimum on {prereq.platform} "
                           f"is {cores} cores and {ram / GB:g} GB ({label})",
                           "resize the server (the seed: A2 or larger on Azure Stack)"))
    else:
        out.append(passed("prereq.hardware", F, f"{facts.cpu_cores} cores, {facts.ram_bytes / GB:.1f} GB RAM"))
    if prereq.platform == "azure-stack" and facts.azure_stack_vm_size in SMALL_AZURE_STACK_SIZES:
        out.append(warning("prereq.vm-size", F, f"VM size {facts.azure_stack_vm_size} is below A2", "use size A2 or larger (S4)"))
    system = facts.volume_of(facts.system_drive + "\\")
    if system is None:
        out.append(warning("prereq.system-drive", F, f"system drive {facts.system_drive} not among the reported volumes", "collect the facts again"))
    elif system.free_bytes < 1 * GB:
        out.append(error("prereq.system-drive", F, f"system drive {system.mount} has {system.free_bytes / GB:.2f} GB free; 1 GB needed (S13)",
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
        out.append(error("prereq.powershell", F, f"Windows PowerShell {ps or 'not found'}; 3.0 or later required (S5)", "install Windows Management Framework"))
    else:
        out.append(passed("prereq.powershell", F, f"Windows PowerShell {ps}"))
    if facts.hyperv_powershell is False:
        level = warning if prereq.mabs_version == "v4" else error
        out.append(level("prereq.hyperv-powershell", F, "Hyper-V Management PowerShell is not installed",
                         "enable Microsoft-Hyper-V-Management-PowerShell (the V4 unattended pre-step does, S2)"))
    if facts.tls12_enabled is False:
        out.append(warning("prereq.tls12", F, "TLS 1.2 is not enabled", "enable TLS 1.2 (S22, S14)"))
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
