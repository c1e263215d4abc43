"""`mabs-wizard passphrase generate | verify MANIFEST`.

``generate`` prints one passphrase (see mabs_wizard.passphrase for the alphabet).
``verify`` reads the passphrase verifier (``encryption.result.verifier``, as ``replay`` writes it, or
``encryption.passphrase.verifier``) from an install manifest and a passphrase from
the terminal (no echo) or, when stdin is not a terminal, its first line; exit 0 match, 1 no match,
2 invalid manifest. The passphrase is never put on the command line (argv is visible to every
user of the machine via ps).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mabs_wizard.passphrase import PassphraseVerifier

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
# Where an install manifest keeps the verifier: the apply step's result (what `replay` writes), or
# next to the passphrase's secret reference.
VERIFIER_PATHS = ("encryption.result.verifier", "encryption.passphrase.verifier", "encryption.settings.passphrase.verifier")


def _find_verifier(document: object) -> tuple[str, object] | None:
    for dotted in VERIFIER_PATHS:
        node = document
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            return dotted, node
    return None


@click.group()
def passphrase() -> None:
    """Generate or verify encryption passphrases."""


@passphrase.command("generate")
def generate() -> None:
    """Print a new passphrase (32 letters, about 131 bits)."""
    from mabs_wizard.passphrase import generate_passphrase

    click.echo(generate_passphrase())


def _load_verifier(path: Path) -> PassphraseVerifier:
    import json

    from pydantic import ValidationError

    from mabs_wizard.errors import InputError
    from mabs_wizard.passphrase import PassphraseVerifier

    def bad(reason: str, where: str = "") -> InputError:
        line = f"{path}{where}: {reason}"
        return InputError(line, [line])

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise bad("file not found") from None
    except IsADirectoryError:
        raise bad("is a directory") from None
    except OSError as exc:
        raise bad(f"cannot read ({exc.strerror})") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise bad("too large for an install manifest")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg})", f":{exc.lineno}:{exc.colno}") from None
    found = _find_verifier(document)
    if found is None:
        raise bad(f"{VERIFIER_PATHS[0]}: missing (was the manifest written by `replay`?)")
    where, node = found
    try:
        return PassphraseVerifier.model_validate(node)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        field = where + (f".{loc}" if loc else "")
        raise bad(f"{field}: {first['msg']}") from None


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
