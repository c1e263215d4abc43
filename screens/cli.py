"""`mabs-wizard run`: the interactive wizard (Textual). Heavy imports happen inside the command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.command()
@click.option("--answers", "answers", type=click.Path(path_type=Path, dir_okay=False),
              help="Prefill every screen from this (possibly partial) answers file.")
@click.option("--skip-answered", is_flag=True,
              help="Go straight to the first screen that still needs input (the summary is always shown).")
@click.option("--output", "-o", "output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for install-manifest.json, the setup log, exports, saved answers and the session "
                   "journal [default: ./mabs-wizard-output].")
@click.option("--resume/--no-resume", "resume", default=None,
              help="Take up the unfinished session saved in the output folder without asking (--resume), or "
                   "ignore it (--no-resume). Default: ask when there is one.")
@click.pass_context
def run(ctx: click.Context, answers: Path | None, skip_answered: bool, output: Path | None, resume: bool | None) -> None:
    """Start the interactive wizard (TUI)."""
    from mabs_wizard.errors import EXIT_FAILED, InputError

    if skip_answered and answers is None:
        raise click.UsageError("--skip-answered needs --answers FILE")
    # A terminal is needed (a browser session under `mabs-wizard serve` brings its own driver).
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError("mabs-wizard run needs a terminal (its input or output is not one); for automation "
                         "use: mabs-wizard replay ANSWERS --output DIR")
    if answers is not None:
        # A file that cannot be an answers file at all (missing, a folder, binary, empty) is refused
        # before the terminal is taken over. Its YAML is parsed after the first paint (invalid YAML
        # ends the app with exit 2 and FILE:LINE:COL), invalid sections are shown on their pages.
        from mabs_wizard.answers.document import read_text

        read_text(answers)
    from mabs_wizard.screens.app import create_app

    debug = bool((ctx.find_root().obj or {}).get("debug"))
    app = create_app(answers, output_dir=output, skip_answered=skip_answered, debug=debug,
                     resume={None: "ask", True: "yes", False: "no"}[resume])
    code = app.run()
    if app.load_error is not None:
        raise app.load_error  # printed by the CLI as FILE:LINE:COL problems, exit 2
    if app.crash is not None:
        crash = app.crash
        where = f"; the answers so far are saved in {app.state.output_dir}" if app.outcome_note or app.state.sections else ""
        click.echo(f"error: unexpected {type(crash).__name__}: {crash}{where}\nThis is a bug in mabs-wizard; rerun with "
                   "--debug for the traceback.", err=True)
        ctx.exit(EXIT_FAILED)
    if app.state.manifest_path is not None:
        click.echo(f"manifest: {app.state.manifest_path}")
    if app.state.saved_answers is not None:
        click.echo(f"answers: {app.state.saved_answers}")
    if app.outcome_note:
        click.echo(app.outcome_note, err=True)
    ctx.exit(code or 0)
