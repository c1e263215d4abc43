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
    from mabs_wizard.screens.app import create_app

    if skip_answered and answers is None:
        raise click.UsageError("--skip-answered needs --answers FILE")
    if answers is not None:
        # A file that cannot be an answers file at all (missing, a folder, binary, empty) is refused
        # before the terminal is taken over. Its YAML is parsed after the first paint (invalid YAML
        # ends the app with exit 2 and FILE:LINE:COL), invalid sections are shown on their pages.
        from mabs_wizard.answers.document import read_text

        read_text(answers)
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
