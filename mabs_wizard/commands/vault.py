"""`mabs-wizard vault inspect FILE [--json]`: what a .VaultCredentials file is, and whether it is usable.

Prints the vault, subscription, resource group, location, tenant, the certificate's thumbprint and
validity, and the findings. Never prints ManagementCert or anything of the private key.
Exit 0 valid (warnings allowed), 2 unreadable/hostile file or a finding at error level.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def vault() -> None:
    """Inspect .VaultCredentials files."""


@vault.command("inspect")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of text.")
@click.option("--target-path", default=None, help="Where the file will be on the Windows target (judged for spaces, shares).")
@click.option(
    "--max-age-hours", default=240.0, show_default=True, type=click.FloatRange(min=1),
    help="Oldest file accepted (current MARS: 10 days; older agents: 48 hours).",
)
def inspect(file: Path, as_json: bool, target_path: str | None, max_age_hours: float) -> None:
    """Show what FILE holds and whether MABS/MARS will accept it."""
    import json
    from datetime import UTC, datetime

    from mabs_wizard.vault import check_vault, parse_vault_credentials, status_of

    creds = parse_vault_credentials(file)
    now = datetime.now(UTC)
    findings = check_vault(creds, now=now, target_path=target_path, max_age_hours=max_age_hours)
    status = status_of(findings)
    cert = creds.certificate
    if as_json:
        document = {
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
            },
            "certificate": cert.model_dump(mode="json"),
            "findings": [f.model_dump(mode="json") for f in findings],
        }
        click.echo(json.dumps(document, indent=2))
    else:
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
        for label, value in rows:
            click.echo(f"{label + ':':<{width + 1}} {value}")
        for finding in findings:
            click.echo(finding.line())
    if status == "invalid":
        from mabs_wizard.errors import InputError

        # An exception, not ctx.exit(2): main() maps it to exit 2 and prints the reasons on stderr.
        lines = [f"{file}: {f.message}" for f in findings if f.level == "error"]
        raise InputError(lines[0], lines)
