"""`mabs-wizard facts script`: the facts collector, to copy to the Windows target."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def facts() -> None:
    """The facts of the Windows target that the prerequisite check judges."""


@facts.command()
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="where to write collect-facts.ps1 (copy it to the target)")
def script(output: Path) -> None:
    """Write the facts collector script, and say how to run it on the target."""
    from mabs_wizard.assets import path
    from mabs_wizard.facts import collect_command
    from mabs_wizard.fsutil import atomic_write_bytes

    # Byte for byte as shipped (ASCII, CRLF-safe): the same script the wizard's own Windows probe runs.
    atomic_write_bytes(output, path("facts", "collect-facts.ps1").read_bytes(), mode=0o644)
    click.echo(f"wrote {output}")
    click.echo("On the target, in the folder holding it (cmd.exe, Windows PowerShell 5.1 or PowerShell 7):")
    click.echo(f"  {collect_command()}")
