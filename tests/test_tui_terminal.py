"""The installed `mabs-wizard run` in a real pseudo-terminal (80×24): it paints the first screen,
quits at once when nothing would be lost (exit 0), and leaves the terminal as it found it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from mabs_wizard.demo import make_demo_kit

BIN = Path(sys.executable).parent / "mabs-wizard"


def spawn_in_shell(script: str, cwd: Path) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    env.pop("NO_COLOR", None)
    return pexpect.spawn("/bin/sh", ["-c", script], cwd=str(cwd), env=env, dimensions=(24, 80), timeout=30,
                         encoding="utf-8", codec_errors="replace")


def test_run_paints_the_first_screen_and_quits_restoring_the_terminal(tmp_path):
    assert BIN.is_file(), "mabs-wizard is not installed in the venv (pip install -e .)"
    answers = make_demo_kit(tmp_path / "kit", media_bytes=2**20)
    # The terminal's settings before and after, from the same pty: they must be identical.
    script = f"stty -g > before.txt; '{BIN}' run --answers '{answers}' --output out; echo \"exit=$?\"; stty -g > after.txt"
    child = spawn_in_shell(script, tmp_path)
    child.expect("Extract installer")
    child.expect("Welcome")
    child.expect("Next")  # the nav bar is painted: the whole first screen is on the terminal
    child.sendcontrol("q")  # nothing typed yet: no question, and a plain quit is no failure (make run stays quiet)
    child.expect(r"exit=(\d+)")
    code = int(child.match.group(1))
    child.expect(pexpect.EOF)
    assert code == 0
    before = (tmp_path / "before.txt").read_text()
    after = (tmp_path / "after.txt").read_text()
    assert before == after, "terminal settings changed"
    assert not (tmp_path / "out" / "install-manifest.json").exists()


def test_run_leaves_the_alternate_screen_and_shows_the_cursor(tmp_path):
    answers = make_demo_kit(tmp_path / "kit", media_bytes=2**20)
    log = tmp_path / "stream.txt"
    child = spawn_in_shell(f"'{BIN}' run --answers '{answers}' --output out", tmp_path)
    child.logfile_read = log.open("w", encoding="utf-8")
    child.expect("Welcome")
    child.sendcontrol("q")
    child.expect(pexpect.EOF)
    child.close()
    child.logfile_read.close()
    assert child.exitstatus == 0
    stream = log.read_text(encoding="utf-8")
    entered, left = stream.find("\x1b[?1049h"), stream.rfind("\x1b[?1049l")
    assert 0 <= entered < left, "the alternate screen was not entered and then left"
    assert stream.rfind("\x1b[?25h") > stream.rfind("\x1b[?25l"), "the cursor was left hidden"
    assert "error" not in stream[left:] and "cancelled" not in stream[left:]  # a plain quit: nothing to report


@pytest.mark.parametrize("text", ["", "\x00\x01binary", "\xff\xfe not utf-8"])
def test_run_refuses_a_file_that_is_no_answers_file_before_taking_the_terminal(tmp_path, text):
    bad = tmp_path / "answers.yaml"
    bad.write_bytes(text.encode("latin-1"))
    child = spawn_in_shell(f"'{BIN}' run --answers '{bad}'", tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    out = child.before or ""
    assert re.search(re.escape(str(bad)) + r":1:1: ", out), out
    assert "Traceback" not in out
    assert "\x1b[?1049h" not in out, "the TUI took over the terminal before refusing the file"


@pytest.mark.parametrize("text", ["version: 1\n  - not: [valid\n", "- a list\n"])
def test_run_reports_invalid_yaml_with_its_position_and_exit_2(tmp_path, text):
    bad = tmp_path / "answers.yaml"
    bad.write_text(text)
    child = spawn_in_shell(f"'{BIN}' run --answers '{bad}'", tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    out = child.before or ""
    assert re.search(re.escape(str(bad)) + r":\d+:\d+: ", out) and "Traceback" not in out, out


def test_run_refuses_a_missing_answers_file(tmp_path):
    child = spawn_in_shell(f"'{BIN}' run --answers '{tmp_path / 'nope.yaml'}'", tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "\x1b[?1049h" not in (child.before or "")
