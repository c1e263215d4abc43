"""The project's README.md: the exact command, and honestly what was checked here and what needs Windows."""

from __future__ import annotations

from typing import Any

from mabs_wizard.export.plan import INI_NAME
from mabs_wizard.fleet.ansible.playbook import GROUP, PS1_NAME, SETUP_LOG


def readme(report: Any, hosts: list[tuple[str, str]], command: str) -> str:
    rows = "\n".join(f"| {name} | {computer} |" for name, computer in hosts)
    return f"""# MABS fleet: Ansible project written by mabs-wizard

Installs Microsoft Azure Backup Server (MABS) and configures its MARS agent on {len(hosts)} Windows
host(s), as `mabs-wizard fleet replay` prepared them (template `{report.template}`, inventory
`{report.inventory}`, group `{report.group}`).

| inventory host | computer name |
|---|---|
{rows}

## Run it

On the Ansible controller, with the inventory that holds the hosts' connection settings (WinRM or
PSRP: `ansible_connection`, `ansible_user`, ...) and the ansible-vault password file the export used:

```sh
{command}
```

`inventory.yml` only puts the prepared hosts in the group `{GROUP}`; your inventory, given first,
says how to reach them. Add `--limit HOST` for one host, `-e mabs_serial=5` for five at a time,
`-e mabs_retries=5` for more retries of the copy steps. The controller needs the `ansible` package,
12 or later (it bundles `ansible.windows`): `pip install 'mabs-wizard[fleet]'` installs it.

## What runs here, and what needs the Windows hosts

Checked without any Windows host (mabs-wizard's test suite runs each of these on a project exported
exactly like this one; you can run the first two here yourself):

- `ansible-inventory -i inventory.yml --list` reads the project's inventory and host_vars;
- `ansible-playbook --syntax-check site.yml` and `ansible-lint` (production profile) pass;
- every `ansible.windows` task's options are checked against `ansible-doc --json` (ansible-lint does
  not check the options of Windows modules);
- `templates/{INI_NAME}.j2`, rendered by Ansible for each host (`connection: local`), is byte for byte
  the file `mabs-wizard export --format mabs-ini --with-secrets` writes for that host;
- no secret is in any file of this project except as ansible-vault ciphertext, and
  `ansible-vault view` with the password gives each one back.

Needs the Windows hosts, and was not run by the wizard: every task of `site.yml`. They talk to each
host over WinRM/PSRP: the V4 pre-steps (the MARS agent folder, Hyper-V and a restart), copying the
media and files, MABS setup, and the MARS agent's configuration. Try it on one host first
(`--limit`); if setup fails, its log is `mabs_setup_log` on the host (`{SETUP_LOG}`; the task's own
output is hidden, as setup reads the secrets).

## What the play does, host by host (serial: a few at a time)

1. Checks that this project has host_vars for the host (a host of your inventory the wizard did not
   prepare is refused before anything changes).
2. Creates the setup folders; the folders that hold secrets (the work folder, the vault credentials
   folder, the passphrase folder) are reserved to Administrators and SYSTEM.
3. MABS V4 only: creates `C:\\Program Files\\Microsoft Azure Recovery Services Agent` and enables
   `Microsoft-Hyper-V` and `Microsoft-Hyper-V-Management-PowerShell` (the documented pre-steps), then
   restarts the host with `win_reboot` if Windows asks for it.
4. Copies the extracted media (`mabs_media_source` in `group_vars/all.yml`), the vault credentials
   file (decrypted on the way) and `{PS1_NAME}`.
5. With a proxy: installs the MARS agent with the proxy first (skipped once its service `obengine` exists).
6. If MABS is not installed yet: writes `{INI_NAME}` (it holds secrets), runs `Setup.exe /i /f {INI_NAME}
   /l MABSSetup.log`, and removes the ini whatever happened; restarts if setup returns 3010.
7. Runs `{PS1_NAME} -SkipSetup` (and `-RegisterWithCmdlets` with `-e mabs_register_with_cmdlets=true`)
   to set the agent's proxy (or no proxy), with its secrets in its environment; a marker file makes
   the step run once.

Every step checks before it acts, so after a failure fix the cause and run the same command again.

## Secrets

The passwords and the encryption passphrase are in `host_vars/<host>.yml` only as ansible-vault
ciphertext, and the `.VaultCredentials` files (they hold a private key) are encrypted whole under
`files/vault-credentials/`. Every task that handles them has `no_log: true`. Keep the vault password
file off the hosts; the ini and the vault credentials file exist on each host only in folders
reserved to Administrators, the ini only while setup runs.
"""
