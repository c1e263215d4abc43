"""The MARS agent's silent-install command line (``MARSAgentInstaller.exe`` switches, S6), as a .cmd file.

``/nu`` is always given, and ``/m`` added for a Microsoft Update opt-in: the two are independent
(``/m`` opts in, ``/nu`` skips the update check at the end), and without ``/nu`` "the Windows Update
window will open at the end of the installation" (S6), which an unattended install must not wait on.
"""

from __future__ import annotations

from collections.abc import Mapping

from mabs_wizard.errors import InputError
from mabs_wizard.export.plan import MARS_INSTALL_FOLDER, TargetPlan, cmd_arg

PASSWORD_ENV = "MABS_WIZARD_PROXY_PASSWORD"


def _argv_quote(value: str, field: str) -> str:
    """Quoted for Windows' command-line parsing (PowerShell's Start-Process joins arguments as they are)."""
    if '"' in value:
        raise InputError(f"{field}: contains a double quote, which the installer's command line cannot carry")
    return f'"{value}"' if any(c.isspace() for c in value) or not value else value


def installer_switches(plan: TargetPlan, *, for_cmd: bool = True) -> list[str]:
    """Every switch but /pw, in the order of the documented table (S6); quoted for a .cmd file or for argv."""
    quote = cmd_arg if for_cmd else _argv_quote
    percent = (lambda v: v.replace("%", "%%")) if for_cmd else (lambda v: v)  # batch files expand %
    switches = ["/q", "/nu"] + (["/m"] if plan.microsoft_update else [])
    switches += [f'/p:"{MARS_INSTALL_FOLDER}"']
    if plan.scratch:
        # Windows paths cannot hold a double quote (the answers' path check refuses it).
        switches.append(f'/s:"{percent(plan.scratch)}"')
    if plan.use_proxy and plan.proxy_host and plan.proxy_port:
        switches += ["/ph", quote(plan.proxy_host, "proxy.host"), "/po", str(plan.proxy_port)]
        if plan.proxy_user:
            switches += ["/pu", quote(plan.proxy_user, "proxy.username")]
    return switches


def render_mars_cmd(plan: TargetPlan, secrets: Mapping[str, str] | None) -> str:
    password = (secrets or {}).get("proxy.password") if plan.proxy_user else None
    if password is not None and any(not c.isprintable() for c in password):
        raise InputError("proxy.password: the stored secret contains a control character; a command line cannot carry it")
    lines = [
        "@echo off",
        f"rem MARS agent (Azure Backup agent) silent install for {plan.computer_name},",
        f"rem written by mabs-wizard from the install manifest of {plan.finished_at}.",
        "rem Switches (MARSAgentInstaller.exe /?, S6): /q quiet; /nu no update check after the install;",
        "rem /m opt in to Microsoft Update; /p: install folder; /s: cache (scratch) folder;",
        "rem /ph /po /pu /pw proxy host, port, user, password.",
        "rem MABS setup installs the agent itself: run this on its own to install the agent before setup",
        "rem (so it has the proxy when setup registers the server) or to repair it. Elevated prompt.",
        "setlocal",
    ]
    if plan.setup_folder:
        lines.append(f'set "SETUP_FOLDER={plan.setup_folder.replace("%", "%%")}"')
    else:
        lines += [
            "rem Copy this file into the extracted MABS folder (the one holding Setup.exe and MARSAgent).",
            'set "SETUP_FOLDER=%~dp0."',
        ]
    command = ['"%SETUP_FOLDER%\\MARSAgent\\MARSAgentInstaller.exe"', *installer_switches(plan)]
    if plan.use_proxy and plan.proxy_user:
        if password is not None:
            lines += [
                "rem THIS FILE HOLDS THE PROXY PASSWORD: keep it private and delete it after use.",
            ]
            command += ["/pw", cmd_arg(password, "proxy.password")]
        else:
            lines += [
                f"rem The proxy password is read from {PASSWORD_ENV} when this runs: set it in this prompt",
                "rem first. It shows in the installer's command line while it runs; the ps1 export sets it",
                "rem as a SecureString instead.",
                f"if not defined {PASSWORD_ENV} (",
                f"  echo Set {PASSWORD_ENV} to the proxy password first. 1>&2",
                "  exit /b 2",
                ")",
            ]
            command += ["/pw", f'"%{PASSWORD_ENV}%"']
    lines += [" ".join(command), "exit /b %ERRORLEVEL%"]
    return "\n".join(lines) + "\n"
