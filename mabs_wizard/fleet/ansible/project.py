"""``mabs-wizard fleet export DIR --format ansible --output PROJECT``: the Ansible project for a fleet.

    PROJECT/
      README.md                      the exact ansible-playbook command; what runs here, what needs Windows
      site.yml                       the play (playbook.py)
      inventory.yml                  group mabs_wizard_fleet: the hosts prepared (connections: your inventory)
      group_vars/all.yml             fleet-wide settings (media, folders)
      host_vars/<host>.yml           from each host's manifest; secrets as ansible-vault ciphertext
      templates/MABSSetup.ini.j2     the MABS ini, rendered per host (ini_template.py)
      files/<host>/Install-MABS.ps1  the wizard's ps1 export for the host
      files/vault-credentials/*      the .VaultCredentials files, ansible-vault encrypted (a private key)

Only hosts the replay left ready-for-target are exported (the others are named in a warning).
Secrets are read from the secret store by each manifest's references (fingerprints checked, as
``export --with-secrets`` does) and reach ansible-vault on its stdin only. The project is written into
a temporary folder beside PROJECT and renamed into place: never half-written.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

from mabs_wizard.errors import InputError
from mabs_wizard.export.ps1 import ENV_NAMES
from mabs_wizard.fleet.ansible.ini_template import VALUES_VAR, VARIANT_VAR, IniTemplate, secret_var
from mabs_wizard.fleet.ansible.playbook import GROUP, PS1_NAME, group_vars, site_yml
from mabs_wizard.fleet.report import FLEET_REPORT_NAME, read_report

# The ps1 reads these secrets from its environment when Ansible runs it (-NonInteractive: it cannot
# ask), under the names the ps1 export declares (ENV_NAMES).
PS1_ENV_SECRETS = ("encryption.passphrase", "proxy.password")


@dataclass
class ExportResult:
    project: Path
    hosts: list[str]
    command: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Host:
    name: str
    manifest: Any
    plan: Any
    secrets: dict[str, str]


def export_project(directory: Path, output: Path, *, vault_password_file: Path | None, serial: str = "1", retries: int = 3,
                   store_file: Path | None = None) -> ExportResult:
    from mabs_wizard.fleet.ansible.vault import AnsibleVault

    report = read_report(directory / FLEET_REPORT_NAME)
    _check_output(output)
    if not _serial_ok(serial):
        raise InputError(f"--serial {serial!r}: expected a number of hosts (e.g. 5) or a percentage (e.g. 25%)")
    if vault_password_file is None:
        raise InputError("the project holds secrets only as ansible-vault ciphertext: pass --vault-password-file F "
                         "(or set ANSIBLE_VAULT_PASSWORD_FILE)")
    vault = AnsibleVault(vault_password_file)  # the password file and the tool checked before any secret is read
    ready = [h.host for h in report.hosts if h.status == "ready-for-target"]
    warnings = [f"{h.host}: not exported ({h.status} in {directory / FLEET_REPORT_NAME})" for h in report.hosts
                if h.status != "ready-for-target"]
    if not ready:
        raise InputError(f"{directory / FLEET_REPORT_NAME}: no host is ready-for-target; nothing to export")
    hosts = _load_hosts(directory, ready, store_file)
    # Variables the answers named as secrets ({env: NAME}, recorded as the source) stay out of ansible-vault's environment.
    hide = {r.source.removeprefix("env:") for h in hosts for r in h.plan.secret_records.values()
            if r is not None and r.source.startswith("env:")}
    vault.hide(hide)
    media = _media_source(report)
    if not Path(media).is_dir():
        warnings.append(f"{media}: the extracted media is no longer here; set mabs_media_source in group_vars/all.yml")

    command = (f"cd {shlex.quote(str(output.resolve()))} && ansible-playbook -i {shlex.quote(report.inventory)} -i inventory.yml "
               f"site.yml --vault-password-file {shlex.quote(str(vault.password_file))}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        _write_project(tmp, report, hosts, vault, serial=serial, retries=retries, media=media, command=command)
        if output.exists():
            output.rmdir()  # empty (checked): replaced by the finished project
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(output, [h.name for h in hosts], command, warnings)


def _serial_ok(serial: str) -> bool:
    return serial.isdigit() and int(serial) > 0 or (serial.endswith("%") and serial[:-1].isdigit() and 0 < int(serial[:-1]) <= 100)


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise InputError(f"{output}: exists and is not an empty folder; choose a new folder for the project")
    if not output.parent.is_dir():
        raise InputError(f"{output}: folder {output.parent} does not exist")


def _media_source(report: Any) -> str:
    ext = report.extraction
    if ext is None or ext.destination is None:
        raise InputError("the fleet report records no extraction; run fleet replay again")
    return ext.destination.rstrip("/") + "/"  # trailing slash: win_copy copies the folder's contents


def _load_hosts(directory: Path, names: list[str], store_file: Path | None) -> list[_Host]:
    """Each ready host's manifest, plan and recorded secrets; every problem of every host at once."""
    from mabs_wizard.commands.export import fetch_secrets
    from mabs_wizard.export import plan_from_manifest
    from mabs_wizard.manifest import MANIFEST_NAME, read_manifest

    hosts, problems = [], []
    for name in names:
        path = directory / name / MANIFEST_NAME
        try:
            manifest = read_manifest(path)
            plan = plan_from_manifest(manifest)
            plan.require_vault_target()
            plan.require_passphrase_target()
        except InputError as exc:
            problems += [f"{path}: {line}" for line in exc.lines()]
            continue
        hosts.append(_Host(name, manifest, plan, {}))
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the fleet's manifests", problems)
    for host in hosts:
        recorded = {f: r for f, r in host.plan.secret_records.items() if r is not None}
        host.secrets, _missing = fetch_secrets(recorded, store_file)
    return hosts


def _write_project(root: Path, report: Any, hosts: list[_Host], vault: Any, *, serial: str, retries: int, media: str,
                   command: str) -> None:
    from mabs_wizard.export import encode, render, secrets_needed
    from mabs_wizard.fleet.ansible.readme import readme
    from mabs_wizard.fsutil import atomic_write_bytes, atomic_write_text

    for sub in ("host_vars", "group_vars", "templates", "files/vault-credentials"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    ini = IniTemplate()
    credentials = _encrypt_credentials(root, hosts, vault)
    for host in hosts:
        ini_fields = [f for f, r in secrets_needed(host.manifest, "mabs-ini").items() if r is not None]
        ini_secrets = {f: host.secrets[f] for f in ini_fields}
        try:
            real = render(host.manifest, "mabs-ini", secrets=ini_secrets)  # what export --with-secrets writes
        except InputError as exc:
            raise InputError(f"{host.name}: {exc}", [f"{host.name}: {line}" for line in exc.lines()]) from None
        ini.add_host(host.name, host.plan, ini_secrets, real)
        (root / "files" / host.name).mkdir()
        atomic_write_bytes(root / "files" / host.name / PS1_NAME, encode("ps1", render(host.manifest, "ps1")), mode=0o600)

    blocks = vault.encrypt_strings((secret_var(f), v) for host in hosts for f, v in sorted(host.secrets.items()))
    ciphertext = iter(blocks)
    for host in hosts:
        secret_yaml = [next(ciphertext) for _ in host.secrets]
        text = _host_vars(host, ini.hosts[host.name], credentials[str(host.manifest.vault.settings.credentials_file)], secret_yaml)
        atomic_write_text(root / "host_vars" / f"{host.name}.yml", text, mode=0o600)

    atomic_write_text(root / "templates" / "MABSSetup.ini.j2", ini.jinja(), mode=0o644)
    atomic_write_text(root / "site.yml", site_yml(serial=serial, retries=retries), mode=0o644)
    atomic_write_text(root / "group_vars" / "all.yml", group_vars(media), mode=0o644)
    atomic_write_text(root / "inventory.yml", _inventory(report, hosts), mode=0o644)
    atomic_write_text(root / "README.md", readme(report, [(h.name, h.plan.computer_name) for h in hosts], command), mode=0o644)


def _encrypt_credentials(root: Path, hosts: list[_Host], vault: Any) -> dict[str, str]:
    """Each distinct .VaultCredentials file once, encrypted; {its path: its name under files/}."""
    names: dict[str, str] = {}
    for host in hosts:
        source = str(host.manifest.vault.settings.credentials_file)
        if source in names:
            continue
        stem = Path(source).name
        name, n = stem, 1
        while f"vault-credentials/{name}" in names.values():
            n += 1
            name = f"{n}-{stem}"
        if not Path(source).is_file():
            raise InputError(f"{source}: the vault credentials file {host.name}'s manifest names is gone; replay the fleet again")
        vault.encrypt_file(Path(source), root / "files" / "vault-credentials" / name)
        names[source] = f"vault-credentials/{name}"
    return names


def _q(value: str) -> str:
    """A YAML single-quoted scalar tagged !unsafe: Ansible never treats it as a template."""
    if any(not c.isprintable() for c in value):
        raise InputError(f"{value!r}: a value with a line break or control character cannot go into host_vars")
    return "!unsafe '" + value.replace("'", "''") + "'"


def _host_vars(host: _Host, ini: Any, credentials: str, secret_yaml: list[str]) -> str:
    from mabs_wizard.export.mars_cmd import installer_switches

    plan = host.plan

    vault_dest = plan.vault_target
    lines = [
        "---",
        f"# mabs-wizard fleet export for {host.name} ({plan.computer_name}), from its install manifest of {plan.finished_at}.",
        "# Export again rather than editing. Secrets are ansible-vault ciphertext (the export's --vault-password-file).",
        f"mabs_computer_name: {_q(plan.computer_name)}",
        f"mabs_version: {_q(plan.mabs_version)}",
        f"mabs_use_proxy: {'true' if plan.use_proxy else 'false'}",
        f"mabs_mars_arguments: {_q(' '.join(installer_switches(plan, for_cmd=False)))}",
        f"mabs_vault_credentials_file: {_q(credentials)}",
        f"mabs_vault_credentials_dest: {_q(vault_dest)}",
        f"mabs_vault_credentials_folder: {_q(str(PureWindowsPath(vault_dest).parent))}",
        f"mabs_passphrase_folder: {_q(plan.passphrase_target)}",
        f"{VARIANT_VAR}: {ini.variant}",
        f"{VALUES_VAR}:" + ("" if ini.values else " {}"),
        *(f"  {name}: {_q(value)}" for name, value in sorted(ini.values.items())),
        "# The ps1 reads these when Ansible runs it (it cannot ask: PowerShell runs -NonInteractive).",
        "mabs_ps1_environment:" + ("" if any(f in host.secrets for f in PS1_ENV_SECRETS) else " {}"),
        *(f'  {ENV_NAMES[f]}: "{{{{ {secret_var(f)} }}}}"' for f in PS1_ENV_SECRETS if f in host.secrets),
    ]
    return "\n".join(lines) + "\n" + "".join(secret_yaml)


def _inventory(report: Any, hosts: list[_Host]) -> str:
    lines = [
        "---",
        "# The hosts mabs-wizard prepared. Their connection settings come from your own inventory:",
        "#   ansible-playbook -i YOUR_INVENTORY -i inventory.yml site.yml --vault-password-file FILE",
        f"# (fleet replay read {report.inventory}, group {report.group}).",
        f"{GROUP}:",
        "  hosts:",
        *(f"    {h.name}:" for h in hosts),
    ]
    return "\n".join(lines) + "\n"
