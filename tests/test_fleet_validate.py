"""fleet validate on real inventories (YAML, INI with host_vars), read by the real ansible-inventory.

The inventories are tests/fixtures/fleet/ (see tests/fleet_support.py); mabs04 is broken in five
ways: a shared section overridden, a misspelt field, a negative size, a literal secret, and facts of
a Windows Server release MABS V4 does not support. Every one of its problems must be reported, each
where its value was written, and no other host may get any.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest

from mabs_wizard.schema import committed_path
from tests.fleet_support import INI_INVENTORY, YAML_INVENTORY, cli, make_fleet_kit, position, tool

LITERAL = "Plain-Text-Pa55!"  # mabs04's password, written literally in the inventory: never echoed


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fleet_kit(tmp_path_factory.mktemp("fleet") / "kit")


def rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    assert lines[0].split() == ["HOST", "COMPUTER", "STATUS", "ERRORS", "WARNINGS"], stdout
    return {cells[0]: cells[1:] for cells in (line.split() for line in lines[1:]) if len(cells) == 5}


def test_yaml_inventory_every_problem_of_the_broken_host_and_only_its(template: Path) -> None:
    result = cli("fleet", "validate", str(template), "--inventory", str(YAML_INVENTORY))
    assert result.returncode == 2, result.stdout + result.stderr
    assert rows(result.stdout) == {
        "mabs01": ["MABS01", "valid", "0", "0"],
        "mabs02": ["MABS02", "valid", "0", "0"],
        "mabs03": ["MABS03", "valid", "0", "1"],
        "mabs04": ["MABS04", "invalid", "5", "0"],
    }  # sql01 is not in mabs_servers
    inv, after = YAML_INVENTORY, "mabs04:"
    assert sorted(result.stderr.splitlines()) == sorted([
        f"{inv}:{position(inv, 'extraction:', after)}: mabs04: extraction: extraction is shared by the whole fleet "
        "(one download, verified and extracted once): set it in the template, not per host",
        f"{inv}:{position(inv, 'instanse:', after)}: mabs04: sql.instanse: unknown key 'instanse'; did you mean 'instance'?",
        f"{inv}:{position(inv, '-5', after)}: mabs04: installation.planned_cloud_data_gb: must be a number from 0 to 10000000",
        f"{inv}:{position(inv, LITERAL, after)}: mabs04: security.password: a secret may not be written literally in an answers "
        "file; reference it instead: {env: NAME}, {file: PATH}, {keyring: {service: S, username: U}} or prompt",
        f"{inv}:{position(inv, 'facts/MABS04.json', after)}: mabs04: prerequisites.facts_file: MABS V4 does not support "
        "Windows Server 2012 R2 Datacenter (6.3.9600) (remedy: use Windows Server 2019 or 2022)",
    ])
    # The warning of a valid host, placed in the inventory where its facts file is named.
    assert (f"warning: {inv}:{position(inv, 'facts/MABS03.json')}: mabs03: prerequisites.facts_file: 2 cores and 3.0 GB RAM; "
            "the recommended minimum on azure-stack") in result.stdout
    assert LITERAL not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_ini_inventory_places_host_vars_and_inline_overrides(template: Path) -> None:
    result = cli("fleet", "validate", str(template), "-i", str(INI_INVENTORY))
    assert result.returncode == 2, result.stdout + result.stderr
    assert rows(result.stdout)["mabs04"] == ["MABS04", "invalid", "3", "0"]
    assert [r[1] for h, r in rows(result.stdout).items() if h != "mabs04"] == ["valid"] * 3
    # mabs04's override is an INI inline value: no file position exists, so HOST: section.field.
    assert sorted(result.stderr.splitlines()) == sorted([
        "mabs04: sql.instanse: unknown key 'instanse'; did you mean 'instance'?",
        "mabs04: installation.planned_cloud_data_gb: must be a number from 0 to 10000000",
        "mabs04: prerequisites.facts_file: MABS V4 does not support Windows Server 2012 R2 Datacenter (6.3.9600) "
        "(remedy: use Windows Server 2019 or 2022)",
    ])
    # mabs03's override is in host_vars/mabs03.yml beside the INI file: placed there.
    host_vars = INI_INVENTORY.parent / "host_vars" / "mabs03.yml"
    assert f"warning: {host_vars}:{position(host_vars, 'facts/MABS03.json')}: mabs03: prerequisites.facts_file: " in result.stdout


def test_json_report_follows_the_published_schema(template: Path) -> None:
    result = cli("fleet", "validate", str(template), "-i", str(YAML_INVENTORY), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    jsonschema.validate(report, json.loads(committed_path("fleet").read_text()))
    hosts = {h["host"]: h for h in report["hosts"]}
    assert report["status"] == "invalid" and report["group"] == "mabs_servers" and list(hosts) == ["mabs01", "mabs02", "mabs03", "mabs04"]
    assert {p["field"] for p in hosts["mabs04"]["problems"]} == {
        "extraction", "sql.instanse", "installation.planned_cloud_data_gb", "security.password", "prerequisites.facts_file"}
    assert all(p["file"] == str(YAML_INVENTORY) and p["line"] and p["column"] for p in hosts["mabs04"]["problems"])
    assert [p["level"] for p in hosts["mabs03"]["problems"]] == ["warning"] and hosts["mabs01"]["problems"] == []


def test_group_option_and_nothing_written(template: Path) -> None:
    before = sorted((str(p), p.stat().st_mtime_ns) for p in template.parent.rglob("*"))
    result = cli("fleet", "validate", str(template), "-i", str(YAML_INVENTORY), "--group", "mabs_ok")
    assert result.returncode == 0, result.stderr
    assert list(rows(result.stdout)) == ["mabs01", "mabs02", "mabs03"]
    assert "3 host(s) of mabs_ok in" in result.stdout
    assert sorted((str(p), p.stat().st_mtime_ns) for p in template.parent.rglob("*")) == before


def test_template_errors_point_at_the_template(template: Path, tmp_path: Path) -> None:
    broken = tmp_path / "answers.yaml"
    text = template.read_text().replace("  mode: new", "  mode: nwe")
    broken.write_text(text.replace(": media", f": {template.parent / 'media'}").replace("facts/MABS01.json", str(template.parent / "facts/MABS01.json")))
    result = cli("fleet", "validate", str(broken), "-i", str(YAML_INVENTORY), "--group", "mabs_ok")
    assert result.returncode == 2
    where = f"{broken}:{position(broken, 'nwe')}"
    # The template's value is every host's problem, placed in the template, named per host.
    for host in ("mabs01", "mabs02", "mabs03"):
        assert f"{where}: {host}: sql.mode: must be one of: 'new', 'existing'" in result.stderr.splitlines(), result.stderr


# ---------------------------------------------------------------------------------------------- bad input


def inventory(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(result, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_inventory_ansible_cannot_read_shows_its_message(template: Path, tmp_path: Path) -> None:
    bad = inventory(tmp_path, "all:\n  hosts:\n    mabs01: [\n")
    result = cli("fleet", "validate", str(template), "-i", str(bad))
    refused(result, f"{bad}: Ansible cannot read this inventory; ansible-inventory says:")
    # Ansible's own words, whatever its version: its YAML plugin's parse error and the final verdict.
    assert "YAML parsing failed" in result.stderr and f"Completely failed to parse inventory source {bad}" in result.stderr


def test_missing_and_empty_groups(template: Path, tmp_path: Path) -> None:
    refused(cli("fleet", "validate", str(template), "-i", str(YAML_INVENTORY), "--group", "mabs_okk"),
            f"{YAML_INVENTORY}: no group 'mabs_okk' in this inventory; did you mean 'mabs_ok'?")
    inv = inventory(tmp_path, "[mabs_servers]\n\n[sql_servers]\nsql01\n", "hosts.ini")
    refused(cli("fleet", "validate", str(template), "-i", str(inv)), f"{inv}: no hosts in group 'mabs_servers'")


def test_override_not_a_mapping_and_unknown_section(template: Path, tmp_path: Path) -> None:
    inv = inventory(tmp_path, (
        "mabs_servers:\n"
        "  hosts:\n"
        "    mabs01:\n"
        "      mabs_wizard: [prerequisites]\n"
        "    mabs02:\n"
        "      mabs_wizard:\n"
        "        prerequisites: {facts_file: facts/MABS02.json}\n"
        "        sqll: {instance: X}\n"
    ))
    result = cli("fleet", "validate", str(template), "-i", str(inv))
    refused(result,
            f"{inv}:4:7: mabs01: mabs_wizard must be a mapping of answers sections (prerequisites:, sql:, security:, ...), not a list",
            f"{inv}:8:9: mabs02: sqll: unknown key 'sqll'; did you mean 'sql'?")
    assert len(result.stderr.splitlines()) == 2


def test_two_hosts_with_one_computer_name(template: Path, tmp_path: Path) -> None:
    inv = inventory(tmp_path, "[mabs_servers]\nmabs01\nmabs01b\n", "hosts.ini")  # no overrides: both the template's facts
    result = cli("fleet", "validate", str(template), "-i", str(inv))
    facts = f"{template}:{position(template, 'facts/MABS01.json')}"
    refused(result,
            f"{facts}: mabs01: prerequisites.facts_file: computer name MABS01 is also that of host(s) mabs01b",
            f"{facts}: mabs01b: prerequisites.facts_file: computer name MABS01 is also that of host(s) mabs01")


def test_vault_encrypted_override_is_named_not_decrypted(template: Path, tmp_path: Path) -> None:
    password = tmp_path / "vault-pass"
    password.write_text("fleet-test-vault\n")
    encrypted = tool("ansible-vault", "encrypt_string", "--vault-password-file", str(password), "MABSDB09", "--name", "instance")
    assert encrypted.returncode == 0, encrypted.stderr
    block = "\n".join("          " + line for line in encrypted.stdout.strip().splitlines())
    inv = inventory(tmp_path, f"mabs_servers:\n  hosts:\n    mabs01:\n      mabs_wizard:\n        sql:\n{block}\n")
    result = cli("fleet", "validate", str(template), "-i", str(inv))
    refused(result, f"{inv}:6:21: mabs01: sql.instance: is ansible-vault ciphertext, which the wizard cannot read")
    assert len(result.stderr.splitlines()) == 1  # the rest of the host is judged without it: nothing else is wrong


def test_ansible_not_installed_says_how_to_install_it(template: Path, tmp_path: Path) -> None:
    """A Python that has the wizard but no Ansible beside it nor on PATH (the [fleet] extra not installed)."""
    bare = tmp_path / "bare"
    (bare / "bin").mkdir(parents=True)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", bare / "pyvenv.cfg")
    (bare / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    # The test venv's packages (and the wizard's editable install, a .pth file) without its bin folder.
    run = (f"import site, sys, runpy; site.addsitedir({str(site)!r}); "
           f"sys.argv = ['mabs-wizard', 'fleet', 'validate', {str(template)!r}, '-i', {str(YAML_INVENTORY)!r}]; "
           "runpy.run_module('mabs_wizard', run_name='__main__')")
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    import subprocess

    assert not any((Path(d) / "ansible-inventory").exists() for d in ("/usr/bin", "/bin")), "a system-wide Ansible hides the case"
    result = subprocess.run([str(bare / "bin" / "python"), "-c", run], capture_output=True, text=True, env=env, timeout=120,
                            stdin=subprocess.DEVNULL)
    refused(result, "ansible-inventory is not installed: the fleet commands run Ansible's own tools. "
                    "Install them with pip install 'mabs-wizard[fleet]'")
