from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--media-mb", type=click.IntRange(1, 65536), default=30, show_default=True, help="size of the demo installer media")
@click.option("--force", is_flag=True, help="write into a folder that is not empty")
def demo(folder: Path, media_mb: int, force: bool) -> None:
    """Write a complete demo kit (answers, facts, secrets, media, vault credentials) into FOLDER."""
    from mabs_wizard.demo import make_demo_kit

    answers = make_demo_kit(folder, media_bytes=media_mb * 2**20, force=force)
    click.echo(f"demo kit: {answers}")
    click.echo(f"replay it: mabs-wizard replay {answers} --output {folder / 'out'}")
    click.echo(f"or walk it: mabs-wizard run --answers {answers}")
