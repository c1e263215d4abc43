"""The CLI's own contract: exit codes survive, help imports no subcommand, errors are one paragraph."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from mabs_wizard import cli as cli_module


def test_ctx_exit_codes_survive_main(monkeypatch):
    @click.command()
    @click.pass_context
    def probe(ctx: click.Context) -> None:
        ctx.exit(3)

    monkeypatch.setitem(cli_module.COMMANDS, "probe", ("tests.test_cli:_probe", ""))
    monkeypatch.setattr(sys.modules[__name__], "_probe", probe, raising=False)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["probe"])
    assert info.value.code == 3


def test_unexpected_errors_are_one_paragraph_without_traceback(monkeypatch, capsys):
    @click.command()
    def boom() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(cli_module.COMMANDS, "boom", ("tests.test_cli:_boom", ""))
    monkeypatch.setattr(sys.modules[__name__], "_boom", boom, raising=False)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["boom"])
    err = capsys.readouterr().err
    assert info.value.code == 1 and "unexpected RuntimeError: disk on fire" in err and "Traceback" not in err


def test_help_lists_every_command_and_imports_none():
    code = ("import sys; from mabs_wizard.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('mabs_wizard.commands.', 'mabs_wizard.screens', 'textual'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for name in [*cli_module.COMMANDS, "run", "serve"]:  # run, serve: the UI's, found through entry points
        assert name in out
    # The UI's command modules are read for their help lines (they import click only); Textual is not.
    assert out.strip().splitlines()[-1] == \
        "['mabs_wizard.screens', 'mabs_wizard.screens.cli', 'mabs_wizard.screens.serve', 'mabs_wizard.screens.serve.cli']"


def test_usage_errors_exit_2():
    result = subprocess.run([sys.executable, "-m", "mabs_wizard", "schema", "nonsense"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_facts_script_hands_out_the_collector_byte_for_byte(tmp_path):
    from mabs_wizard.assets import path

    out = tmp_path / "collect-facts.ps1"
    done = subprocess.run([sys.executable, "-m", "mabs_wizard", "facts", "script", "--output", str(out)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == path("facts", "collect-facts.ps1").read_bytes()
    assert "powershell -NoProfile -ExecutionPolicy Bypass -File collect-facts.ps1 -Path" in done.stdout
