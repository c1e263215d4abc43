"""`mabs-wizard run`: the interactive wizard (Textual). Heavy imports happen inside the command."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--answers", "answers", type=click.Path(path_type=Path, dir_okay=False),
              help="Prefill every screen from this (possibly partial) answers file.")
@click.option("--skip-answered", is_flag=True,
              help="Go straight to the first screen that still needs input (the summary is always shown).")
@click.option("--output", "-o", "output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for install-manifest.json, the setup log, exports and saved answers "
                   "[default: ./mabs-wizard-output].")
def run(answers: Path | None, skip_answered: bool, output: Path | None) -> None:
    """Start the interactive wizard (TUI)."""
    from mabs_wizard.errors import EXIT_CANCELLED
    from screens.app import create_app

    if skip_answered and answers is None:
        raise click.UsageError("--skip-answered needs --answers FILE")
    if answers is not None:
        # A file that cannot be read at all (missing, not YAML, not a mapping) is refused before
        # the terminal is taken over, as FILE:LINE:COL. Only the YAML is read here; the models are
        # built, and invalid sections shown on their pages, once the first page is painted.
        from mabs_wizard.answers.document import read_document

        read_document(answers)
    app = create_app(answers, output_dir=output, skip_answered=skip_answered)
    code = app.run()
    if app.load_error is not None:
        raise app.load_error  # printed by the CLI as FILE:LINE:COL problems, exit 2
    if app.state.manifest_path is not None:
        click.echo(f"manifest: {app.state.manifest_path}")
    if app.state.saved_answers is not None:
        click.echo(f"answers: {app.state.saved_answers}")
    if code == EXIT_CANCELLED:
        click.echo("cancelled", err=True)
    click.get_current_context().exit(code or 0)
