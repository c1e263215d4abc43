"""`mabs-wizard export`: the MABS ini, the MARS command line or the PowerShell script for the target.

Without --with-secrets every secret is a marked placeholder. With it, the file is complete or not
written: every secret the format needs (``export.required_secrets``) must have been recorded in the
manifest, else the export stops with exit 2 naming the answers field to set; the secrets are read
from the secret store by the manifest's references (and checked against their fingerprints) and the
file is written 0600, with a warning. The ps1 never holds a secret: it reads each when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


def _how_to_record(field: str) -> str:
    """The answers-file line that records ``field`` on the next replay."""
    section, name = field.split(".", 1)
    env = field.replace(".", "_").upper()
    return (f"set {name} under {section}: in the answers file (e.g. {name}: {{env: {env}}}, or {{file: PATH}} / "
            "{keyring: {service, username}}), replay it, then export again")


def refuse_incomplete(fmt: str, missing: list[str]) -> None:
    """--with-secrets promises a complete file: refuse (exit 2) when the manifest lacks a secret it needs."""
    from mabs_wizard.errors import InputError
    from mabs_wizard.export import secret_fields

    if not missing:
        return
    known = secret_fields()
    problems = [f"--with-secrets: {field}, the {known[field]}, was never recorded in the manifest, so the "
                f"{fmt} file would hold a placeholder; {_how_to_record(field)}" for field in missing]
    problems.append("nothing was written; without --with-secrets the file has placeholders to fill in on the target")
    raise InputError(problems[0], problems)


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
@click.option("--with-secrets", is_flag=True, help="Put the secrets in the file, read from the secret store; refused unless every one was recorded (not for ps1).")
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
    ps1       PowerShell script: the whole install, unattended; reads secrets when it runs
    """
    from mabs_wizard.errors import InputError
    from mabs_wizard.export import missing_secrets, render, secrets_needed, write_export
    from mabs_wizard.manifest import read_manifest

    manifest = read_manifest(manifest_path)
    if not output.parent.is_dir():
        raise InputError(f"{output}: folder {output.parent} does not exist")
    if output.exists() and output.resolve() == manifest_path.resolve():
        raise InputError(f"{output}: is the manifest itself; choose another output file")

    secrets: dict[str, str] | None = None
    if with_secrets and fmt == "ps1":
        click.echo("note: the ps1 export never holds secrets (it reads them when it runs); --with-secrets ignored", err=True)
    elif with_secrets:
        # Render once without secrets first, and check every needed secret was recorded: a manifest
        # that cannot make a correct, complete file is refused before the secret store is opened.
        render(manifest, fmt)
        refuse_incomplete(fmt, missing_secrets(manifest, fmt))
        secrets, missing = fetch_secrets(secrets_needed(manifest, fmt), store_file)
        assert not missing  # refuse_incomplete has seen to it

    text = render(manifest, fmt, secrets=secrets)
    write_export(output, fmt, text)
    if secrets:
        click.echo(
            f"warning: {output} holds secrets ({', '.join(sorted(secrets))}); it is mode 0600: copy it to the "
            "target over a trusted channel and delete it as soon as setup has run",
            err=True,
        )
    click.echo(f"wrote {output} ({fmt})")
