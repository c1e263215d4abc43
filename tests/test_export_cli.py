"""`mabs-wizard export` as a process: files written atomically and 0600, placeholders by default,
secrets only with --with-secrets (read from a real secret store by the manifest's references, checked
against their fingerprints), refusals with exit 2 and nothing written, and no secret on the terminal."""

from __future__ import annotations

import configparser
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mabs_wizard.export.mabs_ini import INI_KEYS
from mabs_wizard.secret_store import fingerprint, open_store
from tests.test_export import SECRETS, demo, proxy_variant

ROOT = Path(__file__).resolve().parent.parent
STORE_PASSWORD = "export-test-store-password"
SERVICE = "mabs-wizard-export-test"


def run(args: list[str], *, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MABS_WIZARD_STORE_PASSWORD", "MABS_WIZARD_PROXY_PASSWORD")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "mabs_wizard", "export", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=120)


def write_manifest(folder: Path, data: dict[str, Any], name: str = "install-manifest.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def with_records(data: dict[str, Any], store: Any, values: dict[str, str]) -> dict[str, Any]:
    """Point the manifest's secret records at ``store``, as a replay would have, and put the values there."""
    where = {"sql.admin_password": ("sql", "admin_password"), "security.password": ("security", "password"),
             "encryption.passphrase": ("encryption", "passphrase"), "proxy.password": ("proxy", "password")}
    for field, value in values.items():
        section, name = where[field]
        username = f"MABS01/{field}"
        store.put(SERVICE, username, value)
        data[section]["settings"][name] = {**store.reference(SERVICE, username),
                                           "backend": store.describe(), "fingerprint": fingerprint(value), "source": "prompt"}
    return data


def assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.mark.parametrize(("fmt", "name"), [("mabs-ini", "MABSSetup.ini"), ("mars-cmd", "Install-MARS.cmd"), ("ps1", "Install-MABS.ps1")])
def test_export_writes_private_crlf_files(tmp_path: Path, fmt: str, name: str) -> None:
    manifest = write_manifest(tmp_path, demo())
    out = tmp_path / name
    res = run([str(manifest), "--format", fmt, "--output", str(out)])
    assert res.returncode == 0, res.stderr
    assert f"wrote {out} ({fmt})" in res.stdout
    assert_private(out)
    no_leftovers(tmp_path)
    data = out.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert data.startswith(b"\xef\xbb\xbf") == (fmt == "ps1")


def test_vault_path_with_space_exit_2_nothing_written(tmp_path: Path) -> None:
    data = demo()
    data["vault"]["settings"]["target_path"] = "C:\\My Vault\\contoso.VaultCredentials"
    manifest = write_manifest(tmp_path, data)
    out = tmp_path / "MABSSetup.ini"
    res = run([str(manifest), "--format", "mabs-ini", "--output", str(out)])
    assert res.returncode == 2
    assert "contains a space" in res.stderr and "VaultCredentialFilePath" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
    no_leftovers(tmp_path)


@pytest.mark.parametrize("content", ["", "{not json", json.dumps({"schema_version": 1})])
def test_bad_manifest_exit_2(tmp_path: Path, content: str) -> None:
    manifest = tmp_path / "install-manifest.json"
    manifest.write_text(content)
    out = tmp_path / "MABSSetup.ini"
    res = run([str(manifest), "--format", "mabs-ini", "--output", str(out)])
    assert res.returncode == 2, res.stderr
    assert str(manifest) in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, demo())
    for args in (
        [str(tmp_path / "missing.json"), "--format", "ps1", "--output", str(tmp_path / "x.ps1")],
        [str(manifest), "--format", "bat", "--output", str(tmp_path / "x.bat")],
        [str(manifest), "--format", "ps1", "--output", str(tmp_path / "no-such-folder" / "x.ps1")],
        [str(manifest), "--format", "ps1", "--output", str(manifest)],
    ):
        res = run(args)
        assert res.returncode == 2, (args, res.stderr)
        assert "Traceback" not in res.stderr
    assert json.loads(manifest.read_text()) == demo()  # never overwritten


def test_with_secrets_from_the_encrypted_file_store(tmp_path: Path) -> None:
    store_path = tmp_path / "store" / "secrets.enc"
    store_path.parent.mkdir(mode=0o700)
    store = open_store("file", file_path=store_path, password=STORE_PASSWORD)
    data = with_records(proxy_variant(), store, SECRETS)
    manifest = write_manifest(tmp_path, data)
    env = {"MABS_WIZARD_STORE_PASSWORD": STORE_PASSWORD}

    plain_ini, secret_ini = tmp_path / "plain.ini", tmp_path / "secret.ini"
    plain = run([str(manifest), "--format", "mabs-ini", "--output", str(plain_ini)], env_extra=env)
    full = run([str(manifest), "--format", "mabs-ini", "--output", str(secret_ini), "--with-secrets"], env_extra=env)
    assert plain.returncode == 0 and full.returncode == 0, (plain.stderr, full.stderr)

    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(secret_ini.read_text(encoding="utf-8"))
    opts = parser["OPTIONS"]
    assert tuple(opts) == INI_KEYS
    assert opts["SqlAccountPassword"] == SECRETS["security.password"]
    assert opts["SecurityPassphrase"] == SECRETS["encryption.passphrase"]
    assert opts["SQLMachinePassword"] == opts["ReportingMachinePassword"] == SECRETS["sql.admin_password"]
    assert "holds secrets" in full.stderr and "0600" in full.stderr
    assert_private(secret_ini)

    cmd_plain, cmd_secret = tmp_path / "plain.cmd", tmp_path / "secret.cmd"
    assert run([str(manifest), "--format", "mars-cmd", "--output", str(cmd_plain)], env_extra=env).returncode == 0
    assert run([str(manifest), "--format", "mars-cmd", "--output", str(cmd_secret), "--with-secrets"], env_extra=env).returncode == 0
    assert '/pw "Pr0xy%%Pa55^&word"' in cmd_secret.read_text()

    ps1 = tmp_path / "Install-MABS.ps1"
    res_ps1 = run([str(manifest), "--format", "ps1", "--output", str(ps1), "--with-secrets"], env_extra=env)
    assert res_ps1.returncode == 0 and "never holds secrets" in res_ps1.stderr

    # Without --with-secrets (and for the ps1 even with it) no secret reaches a file or the terminal.
    for value in SECRETS.values():
        for path in (plain_ini, cmd_plain, ps1):
            text = path.read_text(encoding="utf-8-sig")
            assert value not in text and value.replace("%", "%%") not in text
        for res in (plain, full, res_ps1):
            assert value not in res.stdout + res.stderr


INI_SECRETS = ("sql.admin_password", "security.password", "encryption.passphrase")


def test_with_secrets_from_the_real_secret_service(tmp_path: Path, secret_service: dict[str, str]) -> None:
    store = open_store("keyring")
    assert store.kind == "keyring"
    data = with_records(demo(), store, {f: SECRETS[f] for f in INI_SECRETS})
    manifest = write_manifest(tmp_path, data)
    out = tmp_path / "MABSSetup.ini"
    res = run([str(manifest), "--format", "mabs-ini", "--output", str(out), "--with-secrets"])
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert f"SqlAccountPassword={SECRETS['security.password']}\n" in text
    assert f"SecurityPassphrase={SECRETS['encryption.passphrase']}\n" in text
    assert f"SQLMachinePassword={SECRETS['sql.admin_password']}\n" in text
    assert f"ReportingMachinePassword={SECRETS['sql.admin_password']}\n" in text
    assert "<secret not exported" not in text
    assert_private(out)


@pytest.mark.parametrize("fmt", ["mabs-ini", "mars-cmd"])
def test_with_secrets_refuses_an_incomplete_file(tmp_path: Path, fmt: str) -> None:
    """A secret the file needs was never recorded (here SQLMachinePassword's, or the proxy password):
    exit 2 naming the answers field and how to record it; nothing written, the store not even opened
    (no store password is given: opening it would fail differently)."""
    data = proxy_variant()
    if fmt == "mabs-ini":
        data["sql"]["settings"]["admin_password"] = None
        field, hint = "sql.admin_password", "admin_password: {env: SQL_ADMIN_PASSWORD}"
    else:
        data["proxy"]["settings"]["password"] = None
        field, hint = "proxy.password", "password: {env: PROXY_PASSWORD}"
    manifest = write_manifest(tmp_path, data)
    out = tmp_path / "export.out"
    res = run([str(manifest), "--format", fmt, "--output", str(out), "--with-secrets"])
    assert res.returncode == 2, res.stderr
    assert f"--with-secrets: {field}," in res.stderr and "never recorded in the manifest" in res.stderr
    assert hint in res.stderr and "replay it, then export again" in res.stderr
    assert "nothing was written" in res.stderr and "Traceback" not in res.stderr
    assert "MABS_WIZARD_STORE_PASSWORD" not in res.stderr  # refused before the store is opened
    assert not out.exists()
    no_leftovers(tmp_path)
    # Without --with-secrets the same manifest exports, with placeholders.
    assert run([str(manifest), "--format", fmt, "--output", str(out)]).returncode == 0 and out.exists()


def test_changed_secret_is_refused(tmp_path: Path) -> None:
    store_path = tmp_path / "secrets.enc"
    store = open_store("file", file_path=store_path, password=STORE_PASSWORD)
    data = with_records(demo(), store, {f: SECRETS[f] for f in INI_SECRETS})
    store.put(SERVICE, "MABS01/encryption.passphrase", "a different passphrase, changed later")
    manifest = write_manifest(tmp_path, data)
    out = tmp_path / "MABSSetup.ini"
    res = run([str(manifest), "--format", "mabs-ini", "--output", str(out), "--with-secrets"],
              env_extra={"MABS_WIZARD_STORE_PASSWORD": STORE_PASSWORD})
    assert res.returncode == 1
    assert "fingerprint differs" in res.stderr and "encryption.passphrase" in res.stderr
    assert "a different passphrase" not in res.stderr + res.stdout
    assert not out.exists()


def test_store_locked_without_password(tmp_path: Path) -> None:
    store = open_store("file", file_path=tmp_path / "secrets.enc", password=STORE_PASSWORD)
    data = with_records(demo(), store, {f: SECRETS[f] for f in INI_SECRETS})
    manifest = write_manifest(tmp_path, data)
    out = tmp_path / "MABSSetup.ini"
    res = run([str(manifest), "--format", "mabs-ini", "--output", str(out), "--with-secrets"])
    assert res.returncode != 0 and "MABS_WIZARD_STORE_PASSWORD" in res.stderr
    assert not out.exists()
