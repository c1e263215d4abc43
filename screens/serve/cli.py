"""`mabs-wizard serve`: the wizard in a web browser. Imports only click until the command runs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--answers", "answers", type=click.Path(path_type=Path, dir_okay=False),
              help="Prefill every session from this (possibly partial) answers file (read only).")
@click.option("--output", "-o", "output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder under which each browser session gets its own folder (manifest, log, exports, saved "
                   "answers) [default: ./mabs-wizard-output].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs TLS and authentication in front (see README).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free port).")
@click.option("--sessions", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Browser sessions (wizards) running at once; one more is shown a 'busy' page.")
def serve(answers: Path | None, output: Path | None, host: str, port: int, sessions: int) -> None:
    """Serve the wizard to a web browser (a URL with an access token; Ctrl+C stops)."""
    try:
        from mabs_wizard.screens.serve.server import WizardServer
    except ImportError as exc:
        raise click.ClickException(
            f"serving to a browser needs textual-serve ({exc.name} is missing): pip install 'mabs-wizard[serve]'") from None
    from mabs_wizard.screens.state import default_output_dir

    if answers is not None:
        # Read here, once, so a file that cannot be an answers file at all is refused with
        # FILE:LINE:COL and exit 2 before anything listens; invalid sections are shown on their pages.
        from mabs_wizard.answers.loader import load_partial

        answers = answers.resolve()
        _prefill, problems = load_partial(answers)
        for line in problems:
            click.echo(f"note: {line} (shown on its page in each session)", err=True)
    folder = output.resolve() if output is not None else default_output_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        from mabs_wizard.errors import InputError

        raise InputError(f"{folder}: cannot create the output folder: {exc.strerror or exc}") from None
    WizardServer(output=folder, answers=answers, host=host, port=port, sessions=sessions, say=click.echo).serve()
