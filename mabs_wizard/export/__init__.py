"""Files for the Windows target, rendered from an install manifest.

    render(manifest, "mabs-ini")   # MABS unattended setup [OPTIONS], 17 keys (S2)
    render(manifest, "mars-cmd")   # MARSAgentInstaller.exe command line in a .cmd file (S6)
    render(manifest, "ps1")        # PowerShell: pre-steps, setup, MARS proxy, registration; secrets at run time

``secrets`` maps answers fields (``security.password``, ``encryption.passphrase``,
``sql.admin_password``, ``proxy.password``) to values; without it every secret is a marked
placeholder. The ps1 never embeds a secret, whatever is given. ``render`` returns text with ``\\n``
line ends; :func:`encode` gives the bytes to write (CRLF for Windows tools, a BOM for the ps1 so
Windows PowerShell 5.1 reads non-ASCII text right); :func:`write_export` writes them atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from mabs_wizard.errors import InputError
from mabs_wizard.export.plan import SECRET_FIELDS, TargetPlan, plan_from_manifest

ExportFormat = Literal["mabs-ini", "mars-cmd", "ps1"]
FORMATS: tuple[str, ...] = ("mabs-ini", "mars-cmd", "ps1")

# The name each export usually gets on the target.
DEFAULT_NAMES: dict[str, str] = {"mabs-ini": "MABSSetup.ini", "mars-cmd": "Install-MARS.cmd", "ps1": "Install-MABS.ps1"}

__all__ = [
    "DEFAULT_NAMES",
    "FORMATS",
    "SECRET_FIELDS",
    "ExportFormat",
    "TargetPlan",
    "encode",
    "plan_from_manifest",
    "render",
    "secrets_needed",
    "write_export",
]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r} (expected {', '.join(FORMATS)})")


def secrets_needed(manifest: BaseModel | Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Answers field -> SecretRecord (or None when the manifest recorded none) that ``fmt`` can embed."""
    _check_format(fmt)
    plan = plan_from_manifest(manifest)
    if fmt == "mabs-ini":
        fields = ["sql.admin_password", "security.password", "encryption.passphrase"]
    elif fmt == "mars-cmd":
        fields = ["proxy.password"] if plan.use_proxy and plan.proxy_user else []
    else:
        fields = []  # the ps1 asks for every secret when it runs
    return {f: plan.secret_records.get(f) for f in fields}


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
    """The bytes of the file: CRLF line ends (cmd.exe needs them), UTF-8, and a BOM for the ps1."""
    _check_format(fmt)
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if fmt == "ps1" else data


def write_export(path: Path, fmt: str, text: str) -> Path:
    """Atomically, mode 0600 (the files name accounts and paths of the target, and may hold secrets)."""
    from mabs_wizard.fsutil import atomic_write_bytes

    return atomic_write_bytes(path, encode(fmt, text), mode=0o600)
