"""Leak test: known secrets go through every API and command of the vault/passphrase/secret-store
area; then every byte written under the temp dirs (including the private keyring's home) and every
log line, exception text, repr and command output is searched for them, in several encodings.

The only place a secret may appear in clear is the passphrase file in the chosen save location
(and that is asserted too, which also proves the search would find a leak).
"""

from __future__ import annotations

import base64
import logging
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mabs_wizard.errors import InputError, SecretStoreError
from mabs_wizard.passphrase import (
    check_passphrase,
    check_save_location,
    generate_passphrase,
    make_verifier,
    verify_passphrase,
    write_passphrase_file,
)
from mabs_wizard.secret_store import PASSWORD_ENV, open_store
from mabs_wizard.secret_store.file_store import EncryptedFileStore
from mabs_wizard.vault import check_vault, parse_vault_credentials
from mabs_wizard.vault.demo import write_demo_vault_credentials

SERVICE = "mabs-wizard-leak-test"


def encodings(secret: str) -> list[bytes]:
    raw = secret.encode("utf-8")
    return [raw, secret.encode("utf-16-le"), base64.b64encode(raw), raw.hex().encode(), raw.hex().upper().encode()]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mabs_wizard", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def test_secrets_appear_nowhere_but_the_passphrase_file(
    secret_service: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, keyring/secretstorage/jeepney included
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    passphrase = generate_passphrase()
    store_password = "St0re-" + secrets.token_hex(8)
    proxy_password = "Pr0xy-" + secrets.token_hex(8)
    account_password = "Acc0unt-" + secrets.token_hex(8)
    known = {"passphrase": passphrase, "store": store_password, "proxy": proxy_password, "account": account_password}
    texts: list[str] = []
    now = datetime.now(UTC)
    save = tmp_path / "usb-stick"
    save.mkdir()
    out = tmp_path / "out"
    out.mkdir()

    # -- passphrase APIs, good and bad
    for value, confirm in ((passphrase, passphrase), (passphrase, passphrase + "x"), (passphrase[:10], None),
                           (passphrase + "\x07", None), (proxy_password + "é" * 10, None)):
        texts += [f.model_dump_json() for f in check_passphrase(value, confirm)]
    texts += [f.model_dump_json() for f in check_save_location(save, same_machine_as_target=True, extraction_dir=None,
                                                               install_dirs=[])]
    verifier = make_verifier(passphrase)
    assert verify_passphrase(verifier, passphrase)
    texts += [verifier.model_dump_json(), repr(verifier)]
    passphrase_file = write_passphrase_file(save, passphrase, vault_name="contoso-mabs-vault", machine="MABS01", now=now)
    for bad_dir in (tmp_path / "missing", passphrase_file):
        with pytest.raises(InputError) as info:
            write_passphrase_file(bad_dir, passphrase, vault_name="v", machine="m", now=now)
        texts.append(str(info.value))
    with pytest.raises(InputError) as info:
        write_passphrase_file(save, passphrase[:8], vault_name="v", machine="m", now=now)
    texts.append(str(info.value))

    # -- the manifest the engine writes keeps references, fingerprints and the verifier: a real replay
    # of a kit whose secret files hold these values, into the real Secret Service
    import io

    from mabs_wizard.replay import replay_file
    from tests.kits import offline_demo_kit

    answers = offline_demo_kit(tmp_path / "kit", media_bytes=2**20)
    kit_secrets = tmp_path / "kit" / "secrets"
    for name, value in (("encryption-passphrase.txt", passphrase), ("dpm-accounts-password.txt", account_password)):
        (kit_secrets / name).write_text(value + "\n")
    manifest = replay_file(answers, out, out=io.StringIO())
    replayed_passphrase_files = list((tmp_path / "kit" / "passphrase-safe").iterdir())
    keyring = open_store("keyring")
    keyring.put(SERVICE, "MABS01/proxy.password", proxy_password)
    assert keyring.get(SERVICE, "MABS01/proxy.password") == proxy_password
    texts += [repr(keyring), keyring.describe()]
    with pytest.raises(SecretStoreError) as store_error:
        keyring.get(SERVICE, "absent")
    texts.append(str(store_error.value))

    # -- the encrypted file store, including its failures
    file_store = open_store("file", password=store_password)
    for name, value in (("proxy", proxy_password), ("account", account_password), ("passphrase", passphrase)):
        file_store.put(SERVICE, name, value)
    texts += [repr(file_store), file_store.describe()]
    store_path = tmp_path / "xdg" / "mabs-wizard" / "secrets.enc"
    for wrong in (store_password + "x", proxy_password):
        with pytest.raises(SecretStoreError) as wrong_error:
            EncryptedFileStore(store_path, wrong)
        texts.append(str(wrong_error.value))
    with pytest.raises(SecretStoreError) as short_error:
        EncryptedFileStore(tmp_path / "new.enc", account_password[:5])
    texts.append(str(short_error.value))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    auto = open_store("auto", password=store_password)
    texts += [auto.describe(), repr(auto)]
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service["DBUS_SESSION_BUS_ADDRESS"])

    # -- the commands
    results = [
        run_cli("passphrase", "verify", str(manifest), stdin=passphrase + "\n"),
        run_cli("passphrase", "verify", str(manifest), stdin=proxy_password + "\n"),
        run_cli("passphrase", "generate"),
        run_cli("vault", "inspect", str(write_demo_vault_credentials(out / "v.VaultCredentials"))),
    ]
    assert [r.returncode for r in results] == [0, 1, 0, 0]
    texts += [r.stdout + r.stderr for r in results]
    vault = parse_vault_credentials(out / "v.VaultCredentials")
    texts += [f.model_dump_json() for f in check_vault(vault, now=now)] + [vault.model_dump_json()]

    captured = capfd.readouterr()
    texts += [caplog.text, captured.out, captured.err]

    # -- search
    leaks: list[str] = []
    blob = "\n".join(texts).encode("utf-8")
    for label, value in known.items():
        for needle in encodings(value):
            if needle in blob:
                leaks.append(f"{label} in a message/log/output")
    scanned = 0
    roots = [tmp_path, Path(secret_service["HOME"])]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            scanned += 1
            if path.is_relative_to(kit_secrets):
                continue  # the operator's own secret files, which the answers reference
            for label, value in known.items():
                if (path == passphrase_file or path in replayed_passphrase_files) and label == "passphrase":
                    assert value.encode() in data  # positive control: the search finds what is there
                    continue
                for needle in encodings(value):
                    if needle in data:
                        leaks.append(f"{label} in {path}")
    assert leaks == []
    assert scanned >= 5  # the manifest, the store, the passphrase file, the vault file, the keyring file
    assert store_path.exists() and any(p.suffix == ".keyring" for p in Path(secret_service["HOME"]).rglob("*"))
