"""fleet replay of the demo kit as the template, against a real Secret Service (gnome-keyring).

The YAML inventory's default group holds three good hosts and mabs04, broken on purpose: it is
reported and not run while the three others complete. The media is extracted once for the fleet:
counted by a spy around the real extractor (the extraction itself runs) and by the printed steps.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema

from mabs_wizard.answers.loader import load_answers
from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.passphrase import read_passphrase_file
from mabs_wizard.schema import committed_path
from tests.fleet_support import INI_INVENTORY, YAML_INVENTORY, cli, files_holding, make_fleet_kit, read_secret

EXTRACTION_LINE = re.compile(r"^\[extraction\] Extract installer files$", re.M)


def keyring_get(record: dict[str, str]) -> str | None:
    from keyring.backends import SecretService

    return SecretService.Keyring().get_password(record["service"], record["username"])


def test_fleet_replay_extracts_once_and_keeps_each_hosts_secrets(secret_service, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mabs_wizard import media
    from mabs_wizard.fleet.replay import exit_code, replay_fleet

    template = make_fleet_kit(tmp_path / "kit")
    kit = template.parent
    calls = []
    real_extract = media.extract

    def counting_extract(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[:2])
        return real_extract(*args, **kwargs)

    monkeypatch.setattr(media, "extract", counting_extract)
    out, printed = tmp_path / "out", io.StringIO()
    report = replay_fleet(template, str(YAML_INVENTORY), None, out, out=printed)

    # One extraction for the whole fleet, however many hosts.
    assert calls == [(kit / "media", kit / "extracted")]
    assert len(EXTRACTION_LINE.findall(printed.getvalue())) == 1
    data = json.loads((out / "fleet.json").read_text())
    jsonschema.validate(data, json.loads(committed_path("fleet").read_text()))
    assert data["extraction"]["runs"] == 1 and data["extraction"]["status"] == "done" and data["extraction"]["file_count"] > 5

    # The broken host is reported and not run; the others complete; the exit code says not all are ready.
    status = {h["host"]: h["status"] for h in data["hosts"]}
    assert status == {"mabs01": "ready-for-target", "mabs02": "ready-for-target", "mabs03": "ready-for-target", "mabs04": "blocked"}
    assert data["status"] == "incomplete" and exit_code(report) == 2
    assert {p["field"] for h in data["hosts"] if h["host"] == "mabs04" for p in h["problems"]} == {
        "extraction", "sql.instanse", "installation.planned_cloud_data_gb", "security.password", "prerequisites.facts_file"}
    assert not (out / "mabs04").exists()

    manifests = {h: json.loads((out / h / MANIFEST_NAME).read_text()) for h in ("mabs01", "mabs02", "mabs03")}
    for host, m in manifests.items():
        folder = out / host
        assert m["status"] == "ready-for-target" and m["facts"]["computer_name"] == host.upper()
        assert (folder / "MabsWizardSetup.log").read_text().count(f"prerequisite check for {host.upper()}") == 1
        assert m["extraction"]["result"] == manifests["mabs01"]["extraction"]["result"]  # the one shared extraction
        merged = load_answers(folder / "answers.yaml")  # a valid answers file: the merged answers, references only
        assert m["answers_file"] == str(folder / "answers.yaml")
        assert (folder / "answers.yaml").stat().st_mode & 0o777 == 0o600
        assert merged.prerequisites.facts_file == (kit / "facts" / "MABS01.json" if host == "mabs01" else kit / "facts" / f"{host.upper()}.json")
    assert load_answers(out / "mabs02" / "answers.yaml").sql.instance == "MABSDB02"
    assert load_answers(out / "mabs03" / "answers.yaml").encryption.passphrase == "generate"

    # Secrets: stored per host (never mixed), read back from the keyring by each manifest's references.
    template_password = read_secret(kit / "secrets" / "dpm-accounts-password.txt")
    template_passphrase = read_secret(kit / "secrets" / "encryption-passphrase.txt")
    expected_password = {"mabs01": template_password, "mabs02": read_secret(kit / "secrets" / "mabs02-password.txt"),
                         "mabs03": template_password}
    usernames = set()
    passphrase_files = set()
    for host, m in manifests.items():
        password, passphrase = m["security"]["settings"]["password"], m["encryption"]["settings"]["passphrase"]
        assert password["username"] == f"{host.upper()}/security.password"
        assert passphrase["username"] == f"{host.upper()}/encryption.passphrase"
        usernames |= {password["username"], passphrase["username"]}
        assert keyring_get(password) == expected_password[host]
        saved = Path(m["encryption"]["result"]["passphrase_file"])
        passphrase_files.add(saved)
        assert saved.parent == kit / "passphrase-safe" and f"_{host.upper()}_" in saved.name and saved.stat().st_mode & 0o777 == 0o600
        assert keyring_get(passphrase) == read_passphrase_file(saved)
        if host == "mabs03":  # generated for this host alone
            assert passphrase["source"] == "generated" and keyring_get(passphrase) != template_passphrase
        else:
            assert keyring_get(passphrase) == template_passphrase
    assert len(usernames) == 6 and len(passphrase_files) == 3
    assert expected_password["mabs02"] != template_password

    # No secret in any byte written under the output folder, nor in what was printed.
    secrets = [*expected_password.values(), template_passphrase, read_passphrase_file(next(f for f in passphrase_files if "MABS03" in f.name))]
    assert files_holding(out, secrets) == []
    assert not any(s in printed.getvalue() for s in secrets)


def test_fleet_replay_cli_from_an_ini_inventory(secret_service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    template = make_fleet_kit(tmp_path / "kit")
    out = tmp_path / "out"
    result = cli("fleet", "replay", str(template), "--inventory", str(INI_INVENTORY), "--group", "mabs_ok", "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(EXTRACTION_LINE.findall(result.stdout)) == 1
    assert re.search(r"^mabs02\s+MABS02\s+ready-for-target\s+0\s+0$", result.stdout, re.M), result.stdout
    assert f"fleet report: {out / 'fleet.json'} (ready)" in result.stdout
    data = json.loads((out / "fleet.json").read_text())
    assert data["status"] == "ready" and data["group"] == "mabs_ok" and data["inventory"] == str(INI_INVENTORY)
    assert data["template"] == str(template) and (out / "fleet.json").stat().st_mode & 0o777 == 0o600
    assert json.loads((out / "mabs03" / MANIFEST_NAME).read_text())["proxy"]["settings"]["host"] == "proxy.contoso.local"


def test_replay_refuses_a_file_as_output(tmp_path: Path) -> None:
    template = make_fleet_kit(tmp_path / "kit")
    (tmp_path / "out").write_text("not a folder")
    result = cli("fleet", "replay", str(template), "-i", str(YAML_INVENTORY), "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (template.parent / "extracted").exists()


def test_replay_of_invalid_hosts_only_extracts_nothing(tmp_path: Path) -> None:
    template = make_fleet_kit(tmp_path / "kit")
    result = cli("fleet", "replay", str(template), "-i", str(YAML_INVENTORY), "--group", "mabs_broken", "--output", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "mabs04: sql.instanse: unknown key 'instanse'; did you mean 'instance'?" in result.stderr
    assert not (template.parent / "extracted").exists()
    data = json.loads((tmp_path / "out" / "fleet.json").read_text())
    assert data["extraction"] == {**data["extraction"], "runs": 0, "status": "not-run"}
