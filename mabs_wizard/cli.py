"""The `mabs-wizard` command line.

Subcommands are registered by import path and imported only when invoked, so `replay` never pays
for (or even loads) the Textual UI, the HTTP client or the certificate code it does not use. Each
engine subcommand lives in its own module under ``mabs_wizard/commands/``. Commands from outside the
engine (the terminal UI's ``run``) are found through the ``mabs_wizard.commands`` entry-point group,
so the engine never names the UI package and the import contract (pyproject, import-linter) holds.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from mabs_wizard import __version__
from mabs_wizard.errors import EXIT_CANCELLED, EXIT_FAILED, InputError, WizardError

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module:attribute, one-line help shown in `mabs-wizard --help`)
    "replay": ("mabs_wizard.commands.replay:replay", "Run every step headless from an answers file."),
    "validate": ("mabs_wizard.commands.replay:validate", "Check an answers file; write nothing."),
    "schema": ("mabs_wizard.commands.schema:schema", "Print the JSON Schema of answers, manifest, facts or the fleet report."),
    "demo": ("mabs_wizard.commands.demo:demo", "Write a complete demo kit into a folder."),
    "extract": ("mabs_wizard.commands.extract:extract", "Verify and extract installer media."),
    "facts": ("mabs_wizard.commands.facts:facts", "Write the facts collector for the Windows target."),
    "vault": ("mabs_wizard.commands.vault:vault", "Inspect .VaultCredentials files."),
    "passphrase": ("mabs_wizard.commands.passphrase:passphrase", "Generate or verify encryption passphrases."),
    "check-connectivity": (
        "mabs_wizard.commands.connectivity:check_connectivity",
        "Probe the Azure Backup endpoints, directly or through a proxy.",
    ),
    "export": ("mabs_wizard.commands.export:export", "Write MABS ini, MARS command line or PowerShell for the target."),
    "fleet": ("mabs_wizard.commands.fleet:fleet", "Validate, replay and export (to Ansible) many servers from one template."),
}


ENTRY_POINT_GROUP = "mabs_wizard.commands"


def _plugins() -> dict[str, Any]:
    """Commands registered by other parts of the distribution (the UI's `run`), by name; not loaded."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in COMMANDS}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*COMMANDS, *_plugins()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name][0].split(":")
            return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
        plugin = _plugins().get(cmd_name)
        return plugin.load() if plugin is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Engine help comes from the table, so `--help` imports no engine subcommand module; a
        # plugin's comes from its click command (a module that imports click only).
        rows = {name: help_text for name, (_, help_text) in COMMANDS.items()}
        for name, ep in _plugins().items():
            rows[name] = ep.load().get_short_help_str(limit=80)
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows.items()))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mabs-wizard")
@click.option("--debug", is_flag=True, envvar="MABS_WIZARD_DEBUG", help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Install wizard for Microsoft Azure Backup Server (MABS) and the MARS agent."""
    ctx.obj = {"debug": debug}


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps the engine's exceptions to exit codes and one clear message each."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or bool(os.environ.get("MABS_WIZARD_DEBUG"))
    try:
        # standalone_mode=False makes click *return* ctx.exit(n)'s code instead of exiting.
        code = cli.main(args=argv, prog_name="mabs-wizard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("cancelled", err=True)
        sys.exit(EXIT_CANCELLED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)  # usage errors are invalid input
    except InputError as exc:
        for line in exc.lines():
            click.echo(f"error: {line}" if not exc.problems else line, err=True)
        sys.exit(exc.exit_code)
    except WizardError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("cancelled", err=True)
        sys.exit(EXIT_CANCELLED)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback unless asked
        if debug:
            raise
        click.echo(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "This is a bug in mabs-wizard; rerun with --debug for the traceback.",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)
