"""Secret references resolve in memory only, and every failure names the field, never the value."""

from __future__ import annotations

import pytest

from mabs_wizard.answers.secretref import EnvRef, FileRef
from mabs_wizard.errors import InputError
from mabs_wizard.resolver import Secrets


def test_env_reference(monkeypatch):
    secrets = Secrets(environ={"DPM_PW": "Kx9!vRt2#pLq"})
    assert secrets.resolve("security.password", EnvRef(env="DPM_PW")) == "Kx9!vRt2#pLq"
    assert secrets.source("security.password") == "env:DPM_PW"
    with pytest.raises(InputError, match=r"^proxy.password: environment variable NOPE is not set$"):
        Secrets(environ={}).resolve("proxy.password", EnvRef(env="NOPE"))


def test_file_reference_reads_the_first_line_only_and_keeps_spaces(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text(" leading and trailing \r\nsecond line\n")
    path.chmod(0o600)
    assert Secrets().resolve("security.password", FileRef(file=path)) == " leading and trailing "


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o666])
def test_file_reference_must_be_private(tmp_path, mode):
    path = tmp_path / "pw.txt"
    path.write_text("Kx9!vRt2#pLq\n")
    path.chmod(mode)
    with pytest.raises(InputError) as info:
        Secrets().resolve("security.password", FileRef(file=path))
    assert f"mode {mode:04o}" in str(info.value) and "Kx9!" not in str(info.value)


def test_missing_and_oversized_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        Secrets().resolve("security.password", FileRef(file=tmp_path / "nope"))
    big = tmp_path / "big"
    big.write_bytes(b"x" * 5000)
    big.chmod(0o600)
    with pytest.raises(InputError, match="larger than 4096 bytes"):
        Secrets().resolve("security.password", FileRef(file=big))


def test_prompt_needs_a_person():
    with pytest.raises(InputError, match="headless replay cannot ask"):
        Secrets().resolve("encryption.passphrase", "prompt")
    asked = Secrets(allow_prompt=True, prompt=lambda field: f"typed for {field}")
    assert asked.resolve("encryption.passphrase", "prompt") == "typed for encryption.passphrase"


def test_generate_is_stable_within_a_run_and_values_never_show_in_repr():
    secrets = Secrets()
    first = secrets.resolve("encryption.passphrase", "generate")
    assert first == secrets.resolve("encryption.passphrase", "generate") and len(first) >= 16
    assert secrets.source("encryption.passphrase") == "generated"
    assert first not in repr(secrets)


def test_provided_values_win_over_references():
    secrets = Secrets(provided={"security.password": "typed-in-the-tui"})
    assert secrets.resolve("security.password", EnvRef(env="UNSET_VARIABLE")) == "typed-in-the-tui"
