"""Files for the Windows target, rendered from an install manifest.

    render(manifest, "mabs-ini")   # MABS unattended setup [OPTIONS], 17 keys (S2), notes as # lines (S5)
    render(manifest, "mars-cmd")   # MARSAgentInstaller.exe command line in a .cmd file (S6)
    render(manifest, "ps1")        # PowerShell: the whole install, unattended; secrets at run time

``secrets`` maps answers fields (``security.password``, ``encryption.passphrase``,
``sql.admin_password``, ``proxy.password``) to values; without it every secret is a marked
placeholder. The ps1 never embeds a secret, whatever is given. :func:`required_secrets` says which
answers fields a complete export needs (the TUI and replay ask for them; ``export --with-secrets``
refuses without them). ``render`` returns text with ``\\n`` line ends; :func:`encode` gives the bytes to
write (CRLF for Windows tools, a BOM for the ps1 so Windows PowerShell 5.1 reads non-ASCII text
right); :func:`write_export` writes them atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from mabs_wizard.errors import InputError
from mabs_wizard.export.plan import TargetPlan, plan_from_manifest, secret_fields

ExportFormat = Literal["mabs-ini", "mars-cmd", "ps1"]
FORMATS: tuple[str, ...] = ("mabs-ini", "mars-cmd", "ps1")

# The name each export usually gets on the target.
DEFAULT_NAMES: dict[str, str] = {"mabs-ini": "MABSSetup.ini", "mars-cmd": "Install-MARS.cmd", "ps1": "Install-MABS.ps1"}

__all__ = [
    "DEFAULT_NAMES",
    "FORMATS",
    "secret_fields",
    "ExportFormat",
    "TargetPlan",
    "encode",
    "plan_from_manifest",
    "missing_secrets",
    "render",
    "required_secrets",
    "secrets_needed",
    "write_export",
]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r} (expected {', '.join(FORMATS)})")


def required_secrets(fmt: str, plan: TargetPlan) -> tuple[str, ...]:
    """Answers fields whose secrets a complete ``fmt`` export holds, for a plan from
    ``plan_from_manifest`` or ``plan_from_answers``.

    The ini needs SQLMachinePassword and ReportingMachinePassword (``sql.admin_password``),
    SqlAccountPassword (``security.password``) and SecurityPassphrase (``encryption.passphrase``):
    every key of Microsoft's example (backup-mabs-unattended-install.md). The .cmd needs the proxy
    password (MARSAgentInstaller /pw, S6) when the proxy has a user. The ps1 needs none: it reads
    each secret when it runs.
    """
    _check_format(fmt)
    if fmt == "mabs-ini":
        from mabs_wizard.export.mabs_ini import INI_SECRETS

        return tuple(dict.fromkeys(INI_SECRETS.values()))
    if fmt == "mars-cmd":
        return ("proxy.password",) if plan.use_proxy and plan.proxy_user else ()
    return ()


def secrets_needed(manifest: BaseModel | Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Answers field -> SecretRecord (or None when the manifest recorded none) that ``fmt`` can embed."""
    plan = plan_from_manifest(manifest)
    return {f: plan.secret_records.get(f) for f in required_secrets(fmt, plan)}


def missing_secrets(manifest: BaseModel | Mapping[str, Any], fmt: str) -> list[str]:
    """The answers fields a complete ``fmt`` export needs that the manifest never recorded."""
    return [field for field, record in secrets_needed(manifest, fmt).items() if record is None]


def render(manifest: BaseModel | Mapping[str, Any], fmt: str, *, secrets: Mapping[str, str] | None = None) -> str:
    """The export's text; InputError (exit 2) when the manifest cannot make a correct file."""
    _check_format(fmt)
    plan = plan_from_manifest(manifest)
    if fmt == "mabs-ini":
        from mabs_wizard.export.mabs_ini import render_ini

        return render_ini(plan, secrets)
    if fmt == "mars-cmd":
        from mabs_wizard.export.mars_cmd import render_mars_cmd

        return render_mars_cmd(plan, secrets)
    from mabs_wizard.export.ps1 import render_ps1

    return render_ps1(plan)


def encode(fmt: str, text: str) -> bytes:
    """The bytes of the file: CRLF line ends (cmd.exe needs them), UTF-8, and a BOM for the ps1:
    "Without the BOM, Windows PowerShell misinterprets your script as being encoded in the legacy
    "ANSI" codepage" (MicrosoftDocs/PowerShell-Docs about_Character_Encoding.md, 5.1)."""
    _check_format(fmt)
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if fmt == "ps1" else data


def write_export(path: Path, fmt: str, text: str) -> Path:
    """Atomically, mode 0600 (the files name accounts and paths of the target, and may hold secrets)."""
    from mabs_wizard.fsutil import atomic_write_bytes

    return atomic_write_bytes(path, encode(fmt, text), mode=0o600)
