"""`mabs-wizard export`: the MABS ini, the MARS command line or the PowerShell script for the target.

Without --with-secrets every secret is a marked placeholder. With it, the secrets are read from the
secret store by the manifest's references (and checked against their fingerprints) and the file is
written 0600, with a warning. The ps1 never holds a secret: it asks for each when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

def _store_path(record: Any, override: Path | None) -> Path | None:
    if record.store != "file":
        return None
    if override is not None:
        return override
    if not record.path:
        from mabs_wizard.errors import InputError

        raise InputError(f"the manifest does not say which encrypted store file holds {record.username}; pass --store-file")
    return Path(record.path)


def fetch_secrets(records: dict[str, Any], store_file: Path | None) -> tuple[dict[str, str], list[str]]:
    """(field -> value) for every recorded secret, and the fields the manifest has no record of."""
    from mabs_wizard.errors import WizardError
    from mabs_wizard.secret_store import fingerprint_matches, open_store

    values: dict[str, str] = {}
    missing: list[str] = []
    opened: dict[tuple[str, str], Any] = {}
    for field, record in records.items():
        if record is None:
            missing.append(field)
            continue
        path = _store_path(record, store_file)
        key = (record.store, str(path))
        if key not in opened:
            opened[key] = open_store(record.store, file_path=path, interactive=sys.stdin.isatty())
        store = opened[key]
        value = store.get(record.service, record.username)
        if not fingerprint_matches(record.fingerprint, value):
            raise WizardError(
                f"{field}: the secret stored as {record.service}/{record.username} in {store.describe()} is not the "
                "one this manifest recorded (its fingerprint differs); replay the answers again, or fix the store"
            )
        values[field] = value
    return values, missing


@click.command("export")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["mabs-ini", "mars-cmd", "ps1"]), required=True, help="What to write.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write (atomically, mode 0600).")
@click.option("--with-secrets", is_flag=True, help="Put the secrets in the file, read from the secret store (not for ps1).")
@click.option(
    "--store-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Encrypted secret store to read (default: the one the manifest names). Password: $MABS_WIZARD_STORE_PASSWORD or a prompt.",
)
def export(manifest_path: Path, fmt: str, output: Path, with_secrets: bool, store_file: Path | None) -> None:
    """Write a file for the Windows target from an install manifest.

    \b
    mabs-ini  MABS unattended setup answers ([OPTIONS], the 17 documented keys) and the setup command line
    mars-cmd  MARSAgentInstaller.exe silent-install command line, as a .cmd file
    ps1       PowerShell script: pre-steps, setup, MARS proxy and registration; asks for secrets when run
    """
    from mabs_wizard.errors import InputError
    from mabs_wizard.export import render, secrets_needed, write_export
    from mabs_wizard.manifest import read_manifest

    manifest = read_manifest(manifest_path)
    if not output.parent.is_dir():
        raise InputError(f"{output}: folder {output.parent} does not exist")
    if output.exists() and output.resolve() == manifest_path.resolve():
        raise InputError(f"{output}: is the manifest itself; choose another output file")

    secrets: dict[str, str] | None = None
    missing: list[str] = []
    if with_secrets and fmt == "ps1":
        click.echo("note: the ps1 export never holds secrets (it asks for them when it runs); --with-secrets ignored", err=True)
    elif with_secrets:
        # Render once without secrets first: a manifest that cannot make a correct file is refused
        # before the secret store is even opened.
        render(manifest, fmt)
        secrets, missing = fetch_secrets(secrets_needed(manifest, fmt), store_file)

    text = render(manifest, fmt, secrets=secrets)
    write_export(output, fmt, text)
    for field in missing:
        click.echo(f"warning: {field} is not recorded in the manifest; the file has a placeholder for it", err=True)
    if secrets:
        click.echo(
            f"warning: {output} holds secrets ({', '.join(sorted(secrets))}); it is mode 0600: copy it to the "
            "target over a trusted channel and delete it as soon as setup has run",
            err=True,
        )
    click.echo(f"wrote {output} ({fmt})")
