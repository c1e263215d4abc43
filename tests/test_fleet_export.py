"""fleet export --format ansible, checked with Ansible's own tools (no Windows host is needed for these):
ansible-inventory, ansible-playbook --syntax-check, ansible-lint (production profile), every Windows
task against ansible-doc, each host's ini rendered by Ansible (connection: local) against the
wizard's own export, every byte searched for every secret, and ansible-vault giving each one back.

One fleet (three hosts of the YAML inventory; mabs03 behind a proxy, so its ini differs in shape) is
replayed and exported once for the module.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.ansible_tasks import check, keywords, module_of, tasks
from tests.fleet_support import YAML_INVENTORY, cli, files_holding, make_fleet_kit, tool, write_secret

HOSTS = ("mabs01", "mabs02", "mabs03")


@dataclass
class Fleet:
    template: Path
    out: Path
    project: Path
    vault_password: Path
    stdout: str

    def manifest(self, host: str) -> dict:
        return json.loads((self.out / host / "install-manifest.json").read_text())


def keyring_get(record: dict[str, str]) -> str:
    from keyring.backends import SecretService

    value = SecretService.Keyring().get_password(record["service"], record["username"])
    assert value is not None
    return value


@pytest.fixture(scope="module")
def fleet(secret_service, tmp_path_factory: pytest.TempPathFactory) -> Fleet:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("fleet-export")
    template = make_fleet_kit(root / "kit")
    out = root / "out"
    replayed = cli("fleet", "replay", str(template), "-i", str(YAML_INVENTORY), "--group", "mabs_ok", "--output", str(out))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    vault_password = root / "vault-password"
    write_secret(vault_password, secrets.token_urlsafe(24))
    project = root / "project"
    exported = cli("fleet", "export", str(out), "--format", "ansible", "--output", str(project),
                   "--vault-password-file", str(vault_password), "--serial", "2", "--retries", "4")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return Fleet(template, out, project, vault_password, exported.stdout)


def plays(fleet: Fleet) -> list[dict]:
    return YAML(typ="safe").load((fleet.project / "site.yml").read_text())


def host_secrets(fleet: Fleet, host: str) -> dict[str, str]:
    """The host's secrets, read from the keyring by its manifest's references: {host_vars variable: value}."""
    from mabs_wizard.export import secret_fields

    m = fleet.manifest(host)
    out = {}
    for path in secret_fields():  # every secret the manifest recorded (the ini needs them all)
        section, name = path.split(".")
        record = m[section]["settings"][name]
        if record is not None and (section != "proxy" or m["proxy"]["settings"]["use_proxy"]):
            out[f"mabs_secret_{section}_{name}"] = keyring_get(record)
    return out


def test_the_project_and_its_command(fleet: Fleet) -> None:
    p = fleet.project
    assert sorted(str(f.relative_to(p)) for f in p.rglob("*") if f.is_file()) == sorted([
        "README.md", "site.yml", "inventory.yml", "group_vars/all.yml", "templates/MABSSetup.ini.j2",
        "files/vault-credentials/contoso-mabs-vault.VaultCredentials",
        *(f"host_vars/{h}.yml" for h in HOSTS), *(f"files/{h}/Install-MABS.ps1" for h in HOSTS)])
    command = (f"cd {p} && ansible-playbook -i {YAML_INVENTORY} -i inventory.yml site.yml "
               f"--vault-password-file {fleet.vault_password}")
    assert fleet.stdout.splitlines()[-1].strip() == command
    assert f"```sh\n{command}\n```" in (p / "README.md").read_text()
    assert not [f for f in p.parent.iterdir() if f.name.startswith(".project.")]  # no temporary folder left
    # The ps1 is the wizard's own export for the host, byte for byte.
    for host in HOSTS:
        wizard = fleet.out / f"{host}.ps1"
        assert cli("export", str(fleet.out / host / "install-manifest.json"), "--format", "ps1", "--output", str(wizard)).returncode == 0
        assert (p / "files" / host / "Install-MABS.ps1").read_bytes() == wizard.read_bytes()


def test_ansible_inventory_lists_it_with_and_without_the_operators_inventory(fleet: Fleet) -> None:
    alone = tool("ansible-inventory", "-i", "inventory.yml", "--list", cwd=fleet.project)
    assert alone.returncode == 0, alone.stderr
    data = json.loads(alone.stdout)
    assert data["mabs_wizard_fleet"]["hosts"] == list(HOSTS)
    mabs02 = data["_meta"]["hostvars"]["mabs02"]
    assert mabs02["mabs_computer_name"] == {"__ansible_unsafe": "MABS02"}
    assert mabs02["mabs_ini"]["sql_instance"] == {"__ansible_unsafe": "MABSDB02"}
    assert set(mabs02["mabs_secret_security_password"]) == {"__ansible_vault"}
    # As the README runs it: the operator's inventory (connections) and the project's (the group).
    both = tool("ansible-inventory", "-i", str(YAML_INVENTORY), "-i", "inventory.yml", "--list", cwd=fleet.project)
    assert both.returncode == 0, both.stderr
    hostvars = json.loads(both.stdout)["_meta"]["hostvars"]["mabs03"]
    assert hostvars["ansible_host"] == "10.20.0.13" and hostvars["ansible_connection"] == "winrm"
    assert hostvars["mabs_use_proxy"] is True and hostvars["mabs_ini_variant"] == 1


def test_syntax_check(fleet: Fleet) -> None:
    result = tool("ansible-playbook", "-i", str(YAML_INVENTORY), "-i", "inventory.yml", "site.yml", "--syntax-check",
                  "--vault-password-file", str(fleet.vault_password), cwd=fleet.project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "playbook: site.yml" in result.stdout


def test_ansible_lint_production_profile(fleet: Fleet, tmp_path: Path) -> None:
    copy_ = shutil.copytree(fleet.project, tmp_path / "project")  # ansible-lint may leave caches behind
    result = tool("ansible-lint", "--offline", "--profile", "production", "--nocolor", cwd=copy_)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Profile 'production' was required, and it passed" in output, output


def test_windows_tasks_match_ansible_doc(fleet: Fleet) -> None:
    data = plays(fleet)
    problems, checked = check(data)
    assert problems == [] and checked >= 15
    # The check itself catches what ansible-lint lets through (a misspelt option, a bad choice, a
    # missing required option, a wrong type):
    broken = copy.deepcopy(data)
    known = keywords()
    for task in tasks(broken):
        name, args = module_of(task, known)
        if name == "ansible.windows.win_package" and "creates_service" in args:
            args["creates_servce"] = args.pop("creates_service")
        if name == "ansible.windows.win_optional_feature":
            args["state"] = "enabled"
        if name == "ansible.windows.win_stat":
            del args["path"]
            args["get_checksum"] = "no"
    problems, _ = check(broken)
    assert sorted(problems) == sorted([
        "'Install the MARS agent with the proxy before setup' (ansible.windows.win_package): unknown option 'creates_servce'",
        "'Enable Hyper-V and its PowerShell module (MABS V4 pre-step)' (ansible.windows.win_optional_feature): "
        "state='enabled' is not one of ['absent', 'present']",
        "'Look for an installed MABS' (ansible.windows.win_stat): required option 'path' missing",
        "'Look for an installed MABS' (ansible.windows.win_stat): get_checksum is str, the module takes bool",
    ])


def test_the_play_checks_before_acting_and_hides_what_touches_secrets(fleet: Fleet) -> None:
    data = plays(fleet)
    play = data[0]
    assert play["serial"] == "{{ mabs_serial }}" and play["vars"]["mabs_serial"] == 2 and play["vars"]["mabs_retries"] == 4
    known = keywords()
    secret_words = ("mabs_secret_", "mabs_ps1_environment", "mabs_vault_credentials_file", "MABSSetup.ini")
    modules = []
    for task in tasks(data):
        name, args = module_of(task, known)
        modules.append(name)
        text = json.dumps(task)
        if any(word in text for word in secret_words):
            assert task.get("no_log") is True, task["name"]
        if name == "ansible.windows.win_package":
            assert {"creates_service", "creates_path"} & set(args), task["name"]  # installs only what is missing
            assert args["expected_return_code"] == [0, 3010]
        if name == "ansible.windows.win_reboot":
            assert "reboot_required" in task["when"]
        if "retries" in task:
            assert task["retries"] == "{{ mabs_retries }}" and task["until"].endswith("is succeeded")
    assert [m for m in modules if not m.startswith("ansible.windows.")] == ["ansible.builtin.assert"]
    assert modules.count("ansible.windows.win_powershell") == 1  # only the MARS cmdlets, which no module wraps
    assert "ansible.windows.win_shell" not in modules
    setup = next(t for t in data[0]["tasks"] if t.get("name") == "Run MABS setup unattended")
    assert setup["when"] == "not mabs_installed.stat.exists" and setup["always"][0]["ansible.windows.win_file"]["state"] == "absent"


def test_each_hosts_ini_rendered_by_ansible_is_the_wizards_export(fleet: Fleet, tmp_path: Path) -> None:
    template_task = next(t for t in tasks(plays(fleet)) if "ansible.windows.win_template" in t)["ansible.windows.win_template"]
    options = {k: v for k, v in template_task.items() if k not in ("src", "dest")}
    # The documented choice spelling (the module maps "\\r\\n" to CR LF): CR LF, as the wizard writes ini files.
    assert options == {"newline_sequence": "\\r\\n", "trim_blocks": False, "lstrip_blocks": False}
    playbook = tmp_path / "render.yml"
    playbook.write_text(json.dumps([{
        "name": "Render the MABS ini as the play does, on this machine",
        "hosts": "mabs_wizard_fleet", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Render", "ansible.builtin.template": {
            "src": str(fleet.project / "templates" / "MABSSetup.ini.j2"), "dest": str(tmp_path / "{{ inventory_hostname }}.ini"),
            "mode": "0600", **options}}],
    }]))
    rendered = tool("ansible-playbook", "-i", str(fleet.project / "inventory.yml"), str(playbook), "--vault-password-file",
                    str(fleet.vault_password), "-e", f"ansible_python_interpreter={sys.executable}", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    for host in HOSTS:
        wizard = tmp_path / f"{host}.wizard.ini"
        exported = cli("export", str(fleet.out / host / "install-manifest.json"), "--format", "mabs-ini", "--with-secrets",
                       "--output", str(wizard))
        assert exported.returncode == 0, exported.stderr
        assert (tmp_path / f"{host}.ini").read_bytes() == wizard.read_bytes(), host
        text = wizard.read_bytes().decode()
        assert f"SqlAccountPassword={host_secrets(fleet, host)['mabs_secret_security_password']}\r\n" in text
    assert "CompanyName=Contoso {{ lab }} {% raw %}\r\n" in (tmp_path / "mabs02.ini").read_bytes().decode()
    # One template, two shapes: mabs03's proxy note makes it a second variant.
    j2 = (fleet.project / "templates" / "MABSSetup.ini.j2").read_text()
    assert "{% if mabs_ini_variant == 0 %}" in j2 and "{% elif mabs_ini_variant == 1 %}" in j2 and "{{ mabs_ini.computer_name }}" in j2
    assert "MABS02" not in j2 and "MABSDB02" not in j2  # per-host values are variables, not copies


def test_no_plaintext_secret_anywhere_in_the_project(fleet: Fleet) -> None:
    needles: list[str | bytes] = [fleet.vault_password.read_text().strip()]
    for host in HOSTS:
        needles += list(host_secrets(fleet, host).values())
    # The vault credentials file holds a private key: the base64 PFX in it, and the PFX's bytes.
    creds = Path(fleet.manifest("mabs01")["vault"]["settings"]["credentials_file"]).read_text()
    cert = re.search(r"<ManagementCert>([^<]+)</ManagementCert>", creds)
    assert cert is not None
    needles += [cert[1], base64.b64decode(cert[1])[:4096]]
    assert files_holding(fleet.project, needles) == []
    # The search finds them where they are (it would catch a leak): in the wizard's own outputs.
    assert files_holding(Path(fleet.manifest("mabs01")["vault"]["settings"]["credentials_file"]).parent, [cert[1]])


def test_ansible_vault_gives_each_secret_back(fleet: Fleet, tmp_path: Path) -> None:
    for host in HOSTS:
        text = (fleet.project / "host_vars" / f"{host}.yml").read_text()
        blocks = dict(re.findall(r"^(mabs_secret_\w+): !vault \|\n((?:  .+\n)+)", text, re.M))
        assert set(blocks) == set(host_secrets(fleet, host))
        for name, block in blocks.items():
            cipher = tmp_path / f"{host}-{name}"
            cipher.write_text("".join(line.strip() + "\n" for line in block.splitlines()))
            # decrypt to stdout gives the exact bytes (view adds a line break for the terminal)
            plain = tool("ansible-vault", "decrypt", "--vault-password-file", str(fleet.vault_password), "--output", "-", str(cipher))
            assert plain.returncode == 0, plain.stderr
            assert plain.stdout == host_secrets(fleet, host)[name], (host, name)
    creds = fleet.project / "files" / "vault-credentials" / "contoso-mabs-vault.VaultCredentials"
    assert creds.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    decrypted = tmp_path / "creds"
    result = tool("ansible-vault", "decrypt", "--vault-password-file", str(fleet.vault_password), "--output", str(decrypted), str(creds))
    assert result.returncode == 0, result.stderr
    assert decrypted.read_bytes() == Path(fleet.manifest("mabs01")["vault"]["settings"]["credentials_file"]).read_bytes()


def test_export_refusals_write_nothing(fleet: Fleet, tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("x")
    env = {"ANSIBLE_VAULT_PASSWORD_FILE": ""}
    cases = [
        (["fleet", "export", str(fleet.out), "--format", "ansible", "--output", str(occupied), "--vault-password-file",
          str(fleet.vault_password)], f"{occupied}: exists and is not an empty folder"),
        (["fleet", "export", str(fleet.out), "--format", "ansible", "--output", str(tmp_path / "p1")],
         "the project holds secrets only as ansible-vault ciphertext: pass --vault-password-file F"),
        (["fleet", "export", str(fleet.out), "--format", "ansible", "--output", str(tmp_path / "p2"), "--vault-password-file",
          str(tmp_path / "missing")], f"{tmp_path / 'missing'}: no such vault password file"),
        (["fleet", "export", str(tmp_path), "--format", "ansible", "--output", str(tmp_path / "p3"), "--vault-password-file",
          str(fleet.vault_password)], f"{tmp_path / 'fleet.json'}: no fleet report here"),
        (["fleet", "export", str(fleet.out), "--format", "ansible", "--output", str(tmp_path / "p4"), "--vault-password-file",
          str(fleet.vault_password), "--serial", "0"], "--serial '0': expected a number of hosts"),
    ]
    for args, message in cases:
        result = cli(*args, env=env)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"] and os.listdir(occupied) == ["keep.txt"]
