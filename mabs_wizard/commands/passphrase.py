"""`mabs-wizard passphrase generate | verify MANIFEST`.

``generate`` prints one passphrase (see mabs_wizard.passphrase for the alphabet).
``verify`` reads the passphrase verifier (``encryption.result.verifier``, where the encryption step
writes it) from an install manifest and a passphrase from the terminal (no echo) or, when stdin is
not a terminal, its first line; exit 0 match, 1 no match (a verdict, as grep's 1), 2 invalid manifest. The passphrase is never put on the command line (argv is visible to every
user of the machine via ps).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mabs_wizard.passphrase import PassphraseVerifier

@click.group()
def passphrase() -> None:
    """Generate or verify encryption passphrases."""


@passphrase.command("generate")
def generate() -> None:
    """Print a new passphrase (32 letters, about 131 bits)."""
    from mabs_wizard.passphrase import generate_passphrase

    click.echo(generate_passphrase())


def _load_verifier(path: Path) -> PassphraseVerifier:
    """The verifier the encryption step wrote (``encryption.result.verifier``) in a manifest read and
    validated the one way the wizard reads its manifests."""
    from pydantic import ValidationError

    from mabs_wizard.errors import InputError
    from mabs_wizard.manifest import read_manifest
    from mabs_wizard.passphrase import PassphraseVerifier

    manifest = read_manifest(path)
    node = manifest.encryption.result.get("verifier")  # type: ignore[attr-defined]
    if node is None:
        raise InputError(f"{path}: encryption.result.verifier: missing (the encryption step did not run in this manifest)")
    try:
        return PassphraseVerifier.model_validate(node)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{path}: encryption.result.verifier{'.' + loc if loc else ''}: {first['msg']}") from None


def _read_candidate() -> str:
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("Passphrase: ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@passphrase.command("verify")
@click.argument("manifest", type=click.Path(path_type=Path))
def verify(manifest: Path) -> None:
    """Check a typed passphrase against the verifier in MANIFEST (exit 0 match, 1 no match)."""
    from mabs_wizard.passphrase import verify_passphrase

    verifier = _load_verifier(manifest)
    candidate = _read_candidate()
    if verify_passphrase(verifier, candidate):
        click.echo("passphrase matches the manifest")
        return
    from mabs_wizard.errors import WizardError

    # An exception, not ctx.exit(1): main() maps WizardError to exit 1 with this one line.
    raise WizardError(f"the passphrase does not match the verifier in {manifest}")
