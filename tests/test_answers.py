"""Answers files: every problem at once as FILE:LINE:COL: field: message, exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mabs_wizard.answers import load_answers, load_partial
from mabs_wizard.answers.dump import dump_answers
from mabs_wizard.errors import InputError

MINIMAL = """\
version: 1
extraction:
  source: media
  destination: out
security:
  password: {env: DPM_PW}
vault:
  credentials_file: v.VaultCredentials
encryption:
  passphrase: generate
  save_location: safe
"""


def problems(tmp_path: Path, text: str | bytes, name: str = "answers.yaml") -> list[str]:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(InputError) as info:
        load_answers(path)
    return info.value.lines()


def test_minimal_file_loads_with_mabs_defaults(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(MINIMAL)
    answers = load_answers(path)
    assert answers.sql.mode == "new" and answers.sql.instance == "MSDPM2012"
    assert answers.updates.microsoft_update is True
    assert answers.installation.scratch.endswith("Microsoft Azure Recovery Services Agent\\Scratch")
    assert answers.extraction.source == tmp_path / "media"  # relative to the answers file


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "answers.yaml:1:1: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "answers.yaml:1:1: not UTF-8 text"),
        ("version: 1\nsql: [1,\n", "answers.yaml:3:1:"),
        ("- just\n- a list\n", "answers.yaml:1:1: expected a mapping"),
        ("version: 1\nsql:\n  mode: new\n  mode: existing\n", "answers.yaml:4:3: duplicate key 'mode'"),
        ("version: 1\nversion: 1\n", "duplicate key 'version'"),
        ("a: \x00\n", "NUL"),
    ],
)
def test_unreadable_files(tmp_path, text, expected):
    lines = problems(tmp_path, text)
    assert len(lines) == 1 and expected in lines[0], lines


def test_every_problem_reported_at_once_with_positions(tmp_path):
    text = MINIMAL.replace("  destination: out\n", "  destinaton: out\n").replace("  passphrase: generate\n", "  passphrase: hunter2hunter2hunter2\n")
    text += "sql:\n  mode: remote\ninstallation:\n  planned_cloud_data_gb: lots\nproxy:\n  port: 99999\n"
    lines = problems(tmp_path, text)
    p = str(tmp_path / "answers.yaml")
    assert f"{p}:2:1: extraction.destination: required field is missing" in lines
    assert f"{p}:4:3: extraction.destinaton: unknown key 'destinaton'; did you mean 'destination'?" in lines
    assert any(line.startswith(f"{p}:10:15: encryption.passphrase: a secret may not be written literally") for line in lines)
    assert f"{p}:13:9: sql.mode: must be one of: 'new', 'existing'" in lines
    assert f"{p}:15:26: installation.planned_cloud_data_gb: must be a number from 0 to 10000000" in lines
    assert f"{p}:17:9: proxy.port: must be a whole number from 1 to 65535" in lines
    assert len(lines) == 6
    assert not any("hunter2" in line for line in lines)  # the literal secret is never echoed


@pytest.mark.parametrize(
    "ref, message",
    [
        ("{envv: X}", "expected {env: NAME}"),
        ("{env: X, file: y}", "expected {env: NAME}"),
        ("{env: '1BAD'}", "String should match pattern"),
        ("{keyring: {service: s}}", "required field is missing"),
        ("prompt", None),
        ("generate", "a secret may not be written literally"),  # generate is for the passphrase only
    ],
)
def test_secret_references(tmp_path, ref, message):
    text = MINIMAL.replace("password: {env: DPM_PW}", f"password: {ref}")
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    if message is None:
        assert load_answers(path).security.password == "prompt"
        return
    lines = problems(tmp_path, text)
    assert any("security.password" in line and message in line for line in lines), lines


def test_json_answers_files_work_too(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"version": 1, "extraction": {"source": "m", "destination": "d"}, "security": {"password": {"env": "X"}},'
                    ' "vault": {"credentials_file": "v"}, "encryption": {"passphrase": "generate", "save_location": "s"}}')
    assert load_answers(path).encryption.passphrase == "generate"
    path.write_text('{"version": 1,\n "sql": {"mode": "x"}}')
    with pytest.raises(InputError) as info:
        load_answers(path)
    assert any(":2:18: sql.mode:" in line for line in info.value.lines())


def test_partial_answers_keep_valid_sections_and_report_the_rest(tmp_path):
    path = tmp_path / "partial.yaml"
    path.write_text("version: 1\nsql:\n  mode: existing\n  instance: MABSDB\ninstallation:\n  scratch: nope\n")
    sections, found = load_partial(path)
    assert sections["sql"].instance == "MABSDB"
    assert sections["installation"] == {"scratch": "nope"}
    assert len(found) == 1 and "installation.scratch" in found[0]


def test_dump_then_load_round_trips_and_is_private(tmp_path):
    src = tmp_path / "answers.yaml"
    src.write_text(MINIMAL.replace("password: {env: DPM_PW}", "password: {file: secrets/pw.txt}"))
    answers = load_answers(src)
    out = dump_answers(answers, tmp_path / "saved.yaml")
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert "file: secrets/pw.txt" in out.read_text()  # still relative to the file
    assert load_answers(out) == answers


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mabs_wizard", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("text", ["", "version: 1\nsql: [1,\n", "version: 2\n"])
def test_cli_exit_2_without_traceback(tmp_path, text):
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    for args in (("validate", str(path)), ("replay", str(path), "--output", str(out))):
        result = run_cli(*args)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr and str(path) + ":" in result.stderr
        assert not out.exists()


def test_cli_missing_file_is_exit_2(tmp_path):
    result = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "no such answers file" in result.stderr
