from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("answers", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="folder for install-manifest.json and the setup log")
def replay(answers: Path, output: Path) -> None:
    """Run every step of ANSWERS headless and write OUTPUT/install-manifest.json."""
    from mabs_wizard.replay import replay_file

    replay_file(answers, output)


@click.command()
@click.argument("answers", type=click.Path(path_type=Path, dir_okay=False))
def validate(answers: Path) -> None:
    """Check every field and rule of ANSWERS; write and store nothing."""
    from mabs_wizard.replay import check_all

    check_all(answers)
    click.echo(f"{answers}: valid")
