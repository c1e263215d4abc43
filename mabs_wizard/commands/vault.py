"""`mabs-wizard vault inspect FILE [--json]`: what a .VaultCredentials file is, and whether it is usable.

Prints the vault, subscription, resource group, location, tenant, the certificate's thumbprint and
validity, and the findings. Never prints ManagementCert or anything of the private key.
Exit 0 valid (warnings allowed), 2 unreadable/hostile file or a finding at error level.

With ``--json`` stdout is always exactly one JSON object, whatever the file: a refused file gives
``{"file": ..., "status": "refused", "problems": [...]}`` (exit 2), a parsed one its details with
``"status"`` valid, usable with warnings or invalid (exit 2 for invalid). The reasons also go to
stderr, one line each, as for every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

MAX_AGE_LIMIT = 240.0  # the answers model's bound: current MARS accepts files up to 10 days old


@click.group()
def vault() -> None:
    """Inspect .VaultCredentials files."""


def _document(file: Path, now: Any, creds: Any, findings: list[Any], status: str) -> dict[str, Any]:
    return {
        "file": str(file),
        "status": status,
        "checked_at": now.isoformat(),
        "vault": {
            "name": creds.resource_name,
            "subscription_id": creds.subscription_id,
            "resource_group": creds.resource_group,
            "location": creds.location,
            "tenant_id": creds.tenant_id,
            "resource_id": creds.resource_id,
            "version": creds.version,
            "aad_audience": creds.aad_audience,
        },
        "certificate": creds.certificate.model_dump(mode="json"),
        "findings": [f.model_dump(mode="json") for f in findings],
    }


def _text(file: Path, creds: Any, findings: list[Any], status: str) -> list[str]:
    cert = creds.certificate
    rows = [
        ("File", str(file)),
        ("Vault", creds.resource_name),
        ("Subscription", creds.subscription_id),
        ("Resource group", creds.resource_group),
        ("Location", creds.location),
        ("Tenant", creds.tenant_id),
        ("Certificate", f"{cert.subject}, {cert.key_type} {cert.key_size or ''}".rstrip()),
        ("Thumbprint", cert.thumbprint),
        ("Valid from", cert.not_before.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Expires", cert.not_after.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Private key", "present" if cert.has_private_key else "MISSING"),
        ("Status", status),
    ]
    width = max(len(label) for label, _ in rows)
    return [f"{label + ':':<{width + 1}} {value}" for label, value in rows] + [f.line() for f in findings]


def _max_age(text: str) -> float:
    import math

    from mabs_wizard.errors import InputError

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 1 <= value <= MAX_AGE_LIMIT:  # also refuses nan
        raise InputError(f"--max-age-hours {text!r}: must be a number of hours from 1 to {MAX_AGE_LIMIT:g}")
    return value


@vault.command("inspect")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text (also for a refused file).")
@click.option("--target-path", default=None, help="Where the file will be on the Windows target (judged for spaces, shares).")
@click.option(
    "--max-age-hours", default=str(MAX_AGE_LIMIT), show_default=True, metavar="HOURS",
    help="Oldest file accepted, 1 to 240 (current MARS: 10 days; older agents: 48 hours).",
)
def inspect(file: Path, as_json: bool, target_path: str | None, max_age_hours: str) -> None:
    """Show what FILE holds and whether MABS/MARS will accept it."""
    import json
    from datetime import UTC, datetime

    from mabs_wizard.commands.output import print_lines
    from mabs_wizard.errors import InputError
    from mabs_wizard.vault import check_vault, parse_vault_credentials, status_of

    now = datetime.now(UTC)
    try:
        # Checked here rather than by click, so that --json answers a bad value with its JSON too.
        max_age = _max_age(max_age_hours)
        creds = parse_vault_credentials(file)
    except InputError as exc:
        if as_json:
            refusal = {"file": str(file), "status": "refused", "checked_at": now.isoformat(), "problems": exc.lines()}
            print_lines([json.dumps(refusal, indent=2)])
        raise
    findings = check_vault(creds, now=now, target_path=target_path, max_age_hours=max_age)
    status = status_of(findings)
    if as_json:
        print_lines([json.dumps(_document(file, now, creds, findings, status), indent=2)])
    else:
        print_lines(_text(file, creds, findings, status))
    if status == "invalid":
        # An exception, not ctx.exit(2): main() maps it to exit 2 and prints the reasons on stderr.
        lines = [f"{file}: {f.message}" for f in findings if f.level == "error"]
        raise InputError(lines[0], lines)
