"""Replay end to end on a fresh demo kit, against a real Secret Service (gnome-keyring)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.schema import committed_path
from tests.kits import offline_demo_kit

MEDIA = 2 * 2**20  # small media: these tests are about the flow, not extraction speed


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return offline_demo_kit(tmp_path / "kit", media_bytes=MEDIA)


def secret_values(kit: Path) -> list[str]:
    """The accounts password, the passphrase and the SQL admin password of a demo kit, in that order."""
    names = ("dpm-accounts-password.txt", "encryption-passphrase.txt", "sql-admin-password.txt")
    return [(kit.parent / "secrets" / name).read_text().rstrip("\n") for name in names]


def files_holding(root: Path, needles: list[str], skip: tuple[Path, ...] = ()) -> list[str]:
    """Every file under root whose bytes contain any needle (plain, and as UTF-16 as Windows writes)."""
    hits = []
    encoded = [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]
    for path in root.rglob("*"):
        if path.is_file() and not any(path.is_relative_to(s) for s in skip):
            data = path.read_bytes()
            hits += [str(path) for e in encoded if e in data]
    return hits


def test_replay_of_the_demo_kit(secret_service, kit):
    out = kit.parent / "out"
    result = cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / MANIFEST_NAME).read_text())

    # Valid against the committed schema, complete, honest about what was and was not done.
    jsonschema.validate(manifest, json.loads(committed_path("manifest").read_text()))
    assert manifest["status"] == "ready-for-target"
    assert manifest["extraction"]["status"] == "done" and manifest["extraction"]["result"]["setup_exe_found"] is True
    assert manifest["extraction"]["result"]["file_count"] > 5
    assert manifest["prerequisites"]["status"] == "checked" and Path(manifest["prerequisites"]["result"]["setup_log"]).is_file()
    assert manifest["handover"]["status"] == "handed-over" and "Setup.exe" in " ".join(manifest["handover"]["steps"])
    assert manifest["proxy"]["result"]["connectivity"]["state"] == "not-connected"  # closed network: the real reasons
    assert manifest["secret_store"]["kind"] == "keyring"
    assert manifest["facts"] == {**manifest["facts"], "source": "file", "computer_name": "MABS01"}
    assert (out / MANIFEST_NAME).stat().st_mode & 0o777 == 0o600

    # One plain line per step, and per check.
    for step in ("extraction", "prerequisites", "sql", "installation", "security", "updates", "proxy", "vault", "encryption"):
        assert f"[{step}] " in result.stdout
    assert "PASS    prerequisites: Windows Server 2019 is supported" in result.stdout

    # The passphrase is read back from the keyring by the manifest's reference.
    import keyring
    from keyring.backends import SecretService

    password, passphrase, _sql = secret_values(kit)
    record = manifest["encryption"]["settings"]["passphrase"]
    assert record["store"] == "keyring" and record["source"].startswith("file:")
    assert SecretService.Keyring().get_password(record["service"], record["username"]) == passphrase
    sec = manifest["security"]["settings"]["password"]
    assert SecretService.Keyring().get_password(sec["service"], sec["username"]) == password
    del keyring

    # No secret in any byte written under the output folder, nor in what replay printed.
    assert files_holding(out, [password, passphrase]) == []
    assert password not in result.stdout + result.stderr and passphrase not in result.stdout + result.stderr
    # The passphrase file lives only in the chosen save location, 0600.
    saved = Path(manifest["encryption"]["result"]["passphrase_file"])
    assert saved.parent == kit.parent / "passphrase-safe" and saved.stat().st_mode & 0o777 == 0o600
    assert files_holding(kit.parent, [passphrase], skip=(kit.parent / "secrets", saved.parent)) == []


def test_passphrase_verify_against_the_replayed_manifest(secret_service, kit):
    out = kit.parent / "out"
    assert cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out)).returncode == 0
    _, passphrase, _sql = secret_values(kit)
    ok = subprocess.run([sys.executable, "-m", "mabs_wizard", "passphrase", "verify", str(out / MANIFEST_NAME)],
                        input=passphrase + "\n", capture_output=True, text=True, timeout=60)
    bad = subprocess.run([sys.executable, "-m", "mabs_wizard", "passphrase", "verify", str(out / MANIFEST_NAME)],
                         input=passphrase[:-1] + ("x" if passphrase[-1] != "x" else "y") + "\n", capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and bad.returncode == 1


def _edit(kit: Path, old: str, new: str) -> None:
    text = kit.read_text()
    assert old in text, old
    kit.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("  mode: new", "  mode: existing\n  server: sql01.contoso.com\n  instance: MABSDB", "sql.server"),
        ("planned_cloud_data_gb: 500", "planned_cloud_data_gb: 5000000", "installation.scratch"),
        ("passphrase: {file: secrets/encryption-passphrase.txt}", "passphrase: {file: secrets/short.txt}", "encryption.passphrase"),
        ("password: {file: secrets/dpm-accounts-password.txt}\n  confirm", "password: prompt\n  confirm", "security.password"),
        ("facts_file: facts/MABS01.json", "facts_file: facts/missing.json", "prerequisites.facts_file"),
    ],
)
def test_rule_failures_exit_2_with_position_and_write_nothing(secret_service, kit, old, new, field):
    (kit.parent / "secrets" / "short.txt").write_text("too-short-15chr\n")
    (kit.parent / "secrets" / "short.txt").chmod(0o600)
    _edit(kit, old, new)
    out = kit.parent / "out"
    before = sorted(p.name for p in kit.parent.iterdir())
    result = cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(rf"^{re.escape(str(kit))}:\d+:\d+: {re.escape(field)}: ", result.stderr, re.M), result.stderr
    assert not out.exists() and sorted(p.name for p in kit.parent.iterdir()) == before  # no extraction, no output


def test_secret_file_readable_by_others_is_refused(secret_service, kit):
    (kit.parent / "secrets" / "dpm-accounts-password.txt").chmod(0o644)
    result = cli("-m", "mabs_wizard", "validate", str(kit))
    assert result.returncode == 2 and "readable by others (mode 0644); run chmod 600" in result.stderr


def test_validate_has_no_side_effects(secret_service, kit):
    before = sorted(str(p) for p in kit.parent.rglob("*"))
    result = cli("-m", "mabs_wizard", "validate", str(kit))
    assert result.returncode == 0, result.stderr
    assert sorted(str(p) for p in kit.parent.rglob("*")) == before


def test_encrypted_file_store_where_no_keyring_runs(kit, tmp_path):
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "MABS_WIZARD_STORE_PASSWORD": "correct horse battery staple"}
    out = kit.parent / "out"
    result = cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out), env=env)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["secret_store"]["kind"] == "file"
    store = kit.parent / "store" / "secrets.enc"
    assert store.stat().st_mode & 0o777 == 0o600
    assert files_holding(kit.parent, secret_values(kit), skip=(kit.parent / "secrets", kit.parent / "passphrase-safe")) == []
    from mabs_wizard.secret_store import open_store

    rec = manifest["encryption"]["settings"]["passphrase"]
    assert open_store("file", file_path=store, password=env["MABS_WIZARD_STORE_PASSWORD"]).get(rec["service"], rec["username"]) == secret_values(kit)[1]
    # Without the store password, replay says what is missing instead of hanging or prompting.
    out2 = kit.parent / "out2"
    _edit(kit, "destination: extracted", "destination: extracted2")
    env2 = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "MABS_WIZARD_STORE_PASSWORD": ""}
    result = cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out2), env={**env2})
    assert result.returncode != 0 and "Traceback" not in result.stderr and "MABS_WIZARD_STORE_PASSWORD" in result.stderr


def test_replay_imports_no_textual(secret_service, kit):
    result = cli("-X", "importtime", "-m", "mabs_wizard", "replay", str(kit), "--output", str(kit.parent / "out"))
    assert result.returncode == 0, result.stderr
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "mabs_wizard.flow" in imported  # the probe sees the engine's imports
    assert not [m for m in imported if m.split(".")[0] == "textual" or m.startswith("mabs_wizard.screens")]


def test_in_process_replay_prints_progress(secret_service, kit):
    from mabs_wizard.replay import replay_file

    out = io.StringIO()
    replay_file(kit, kit.parent / "out", out=out)
    assert re.search(r"progress 100\.0% 2\.0/2\.0 MiB", out.getvalue()), out.getvalue()


def test_steps_run_on_the_sections_known_so_far(kit, tmp_path):
    """What the TUI does page by page: a step runs before the later sections exist."""
    from datetime import datetime, timezone

    from mabs_wizard.answers.loader import load_answers
    from mabs_wizard.context import RunContext, load_context_facts
    from mabs_wizard.flow import answers_from_sections, run_step
    from mabs_wizard.resolver import Secrets

    full = load_answers(kit)
    partial = answers_from_sections({"prerequisites": full.prerequisites, "sql": full.sql})
    assert partial.sql is full.sql and partial.extraction is None and partial.vault is None  # required: not invented
    assert partial.updates == type(full.updates)() and partial.secret_store == type(full.secret_store)()  # defaults
    now = datetime.now(timezone.utc)
    facts, source, path = load_context_facts(full.prerequisites.facts_file, now=now)
    from mabs_wizard.secret_store import open_store

    store = open_store("file", file_path=tmp_path / "secrets.enc", password="a-test-store-password")
    ctx = RunContext(facts=facts, facts_source=source, facts_path=path, secrets=Secrets(), now=now, output_dir=tmp_path / "out",
                     store=store)
    outcome = run_step("sql", partial, ctx)
    # The kit's SQL admin password is kept in the store: the step's work is done, every rule passed.
    assert outcome.status == "done" and outcome.findings and all(f.level == "pass" for f in outcome.findings)
    assert store.get(outcome.secrets["admin_password"].service, outcome.secrets["admin_password"].username)
    assert run_step("prerequisites", partial, ctx).result["facts_source"] == "file"


def _replay_in_a_terminal(kit: Path, out: Path):  # noqa: ANN202 - a pexpect child
    import pexpect

    env = {k: v for k, v in os.environ.items() if k not in ("MABS_WIZARD_STORE_PASSWORD", "DBUS_SESSION_BUS_ADDRESS")}
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"  # no keyring: the encrypted file store
    return pexpect.spawn(sys.executable, ["-m", "mabs_wizard", "replay", str(kit), "--output", str(out)], env=env,
                         timeout=60, encoding="utf-8", dimensions=(24, 80))


def test_replay_in_a_terminal_asks_the_store_password_without_echo(kit):
    import pexpect

    password = "Terminal-Store-Pw-5521"
    child = _replay_in_a_terminal(kit, kit.parent / "out")
    child.expect("Password for the encrypted secret store .*secrets.enc: ")
    child.sendline(password)
    child.expect("Type it again: ")
    child.sendline(password)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert password not in (child.before or "")  # not echoed, not printed
    from mabs_wizard.secret_store import open_store

    manifest = json.loads((kit.parent / "out" / MANIFEST_NAME).read_text())
    rec = manifest["encryption"]["settings"]["passphrase"]
    store = open_store("file", file_path=kit.parent / "store" / "secrets.enc", password=password)
    assert store.get(rec["service"], rec["username"]) == secret_values(kit)[1]


def test_ctrl_c_at_the_store_password_prompt_ends_replay_with_130(kit):
    import pexpect

    child = _replay_in_a_terminal(kit, kit.parent / "out")
    child.expect("Password for the encrypted secret store")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in (child.before or "")
    assert not (kit.parent / "out" / MANIFEST_NAME).exists() and not (kit.parent / "extracted").exists()


def test_replaying_the_same_answers_twice_changes_nothing(secret_service, kit):
    """Idempotent: the same manifest (times, salted values and the extraction's run counters aside),
    no second extraction, no second passphrase file (and no refusal of the first), each secret stored
    once in the real Secret Service."""
    import secretstorage

    from tests.test_tui_flow import VOLATILE, kit_secrets, normalise, times_aside

    out = kit.parent / "out"
    assert cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out)).returncode == 0
    one = json.loads((out / MANIFEST_NAME).read_text())
    again = cli("-m", "mabs_wizard", "replay", str(kit), "--output", str(out))
    assert again.returncode == 0, again.stderr
    two = json.loads((out / MANIFEST_NAME).read_text())
    assert two["extraction"]["result"]["reused"] is True and two["extraction"]["result"]["files_written"] == 0
    assert len(list((kit.parent / "passphrase-safe").iterdir())) == 1
    assert one["encryption"]["result"]["passphrase_file"] == two["encryption"]["result"]["passphrase_file"]

    secrets = kit_secrets(kit.parent)
    run = {"reused", "verified", "files_written", *VOLATILE}
    for manifest in (one, two):
        manifest["extraction"]["result"] = {k: v for k, v in manifest["extraction"]["result"].items() if k not in run}
        for endpoint in manifest["proxy"]["result"]["connectivity"]["endpoints"]:
            endpoint.pop("elapsed_ms", None)
    found = list(differences(*(times_aside(normalise(m, secrets)) for m in (one, two))))
    assert found == [], found

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        for section, name in (("security", "password"), ("encryption", "passphrase"), ("sql", "admin_password")):
            record = two[section]["settings"][name]
            items = list(collection.search_items({"service": record["service"], "username": record["username"]}))
            assert len(items) == 1, (section, name, len(items))
    finally:
        connection.close()


def differences(one, two, where=""):
    """The paths where two JSON values differ, with both values: a readable failure for a deep compare."""
    if isinstance(one, dict) and isinstance(two, dict):
        for key in sorted(one.keys() | two.keys()):
            yield from differences(one.get(key), two.get(key), f"{where}.{key}")
    elif isinstance(one, list) and isinstance(two, list) and len(one) == len(two):
        for index, (a, b) in enumerate(zip(one, two, strict=True)):
            yield from differences(a, b, f"{where}[{index}]")
    elif one != two:
        yield where, one, two
