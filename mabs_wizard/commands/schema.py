from __future__ import annotations

import click


@click.command()
@click.argument("kind", type=click.Choice(["answers", "manifest", "facts", "fleet"]))
@click.option("--write", is_flag=True, help="refresh the committed copy under assets/schema/")
def schema(kind: str, write: bool) -> None:
    """Print the JSON Schema (draft 2020-12) of KIND, generated from the models."""
    from mabs_wizard.errors import InputError
    from mabs_wizard.fsutil import atomic_write_text
    from mabs_wizard.schema import committed_path, render, source_checkout

    text = render(kind)
    if write:
        if source_checkout() is None:
            raise InputError("--write refreshes the schema committed in a source checkout of mabs-wizard; this is an "
                             "installed copy (nothing written). Redirect the output instead: "
                             f"mabs-wizard schema {kind} > {kind}.schema.json")
        atomic_write_text(committed_path(kind), text, mode=0o644)
    click.echo(text, nl=False)
