"""A complete demo kit: answers, target facts, secret files, installer media, vault credentials.

Everything is generated fresh (the vault credentials certificate is valid for 48 h from now, as the
real ones are), so a newcomer can walk the whole flow, and the tests replay it, on any machine.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.fsutil import atomic_write_text

GB = 1024**3
DEMO_COMPUTER = "MABS01"
DEMO_VAULT = "contoso-mabs-vault"


def demo_facts(now: datetime) -> dict:
    """A compliant Azure Stack A2 VM (2 cores, 3.5 GB), Windows Server 2019 Datacenter, domain-joined.

    Shaped as collect-facts.ps1 (facts version 2) writes it, run elevated by a domain administrator
    with -ScratchPath for the MARS default and the demo answers' C:\\MABS\\Scratch (which exists)."""
    bitlocker_off = {"protection_status": "Off", "lock_status": None, "volume_type": None, "auto_unlock": None, "source": "not-installed"}
    return {
        "version": 2,
        "collected_at": now.isoformat(),
        "collected_by": "CONTOSO\\mabsadmin",
        "elevated": True,
        "computer_name": DEMO_COMPUTER,
        "domain_joined": True,
        "domain": "CONTOSO",
        "domain_dns": "contoso.com",
        "os_family": "windows",
        "os_name": "Windows Server 2019 Datacenter",
        "os_version": "10.0.17763",
        "os_sku": 8,  # PRODUCT_DATACENTER_SERVER
        "os_language": "en-US",
        "os_language_lcid": 1033,
        "ui_languages": ["en-US"],
        "format_culture": "en-US",
        "architecture": "x64",
        "server_core": False,
        "physical_cores": 2,
        "logical_processors": 2,
        # A Hyper-V VM with 3.5 GB of static memory: Windows sees (nearly) all of it.
        "memory_visible_bytes": int(3.5 * GB) - 2 * 2**20,
        "memory_installed_bytes": int(3.5 * GB),
        "system_drive": "C:",
        "volumes": [
            {"mount": "C:", "label": "OS", "kind": "fixed", "filesystem": "NTFS", "size_bytes": 127 * GB, "free_bytes": 96 * GB,
             "online": True, "dedup": False, "bitlocker": bitlocker_off},
            # Azure Stack VMs come with a temporary disk as D: (the seed: staging area there).
            {"mount": "D:", "label": "Temporary Storage", "kind": "fixed", "filesystem": "NTFS", "size_bytes": 14 * GB, "free_bytes": 13 * GB,
             "online": True, "dedup": False, "bitlocker": bitlocker_off},
            {"mount": "F:", "label": "Backup data", "kind": "fixed", "filesystem": "ReFS", "size_bytes": 1023 * GB, "free_bytes": 1020 * GB,
             "online": True, "dedup": False, "bitlocker": bitlocker_off},
        ],
        "scratch": [
            # Not there yet: judged by C:\Program Files (Directory | ReadOnly = 0x11).
            {"path": "C:\\Program Files\\Microsoft Azure Recovery Services Agent\\Scratch", "exists": False,
             "examined": "C:\\Program Files", "attributes": 0x11, "reason": None},
            {"path": "C:\\MABS\\Scratch", "exists": True, "examined": "C:\\MABS\\Scratch", "attributes": 0x10, "reason": None},
        ],
        "roles": {"domain_controller": False, "application_server": False, "exchange_server": False, "cluster_node": False,
                  "scom_management_server": False},
        "dotnet_release": 528049,
        "powershell_version": "5.1.17763.1",
        "hyperv_powershell": True,
        "tls12_enabled": True,
        "sql_instances": [],
        "azure_stack_vm_size": "Standard_A2",
        "unknown": {},
    }


ANSWERS = """\
# mabs-wizard demo answers: replay with  mabs-wizard replay {kit}/answers.yaml --output OUT
# Paths are relative to this file. Secrets are references, never values.
version: 1
extraction:
  source: media                       # MicrosoftAzureBackupServerInstaller.exe + -1.bin ... -7.bin
  destination: extracted              # new or empty; a finished extraction of this media is verified and reused
  execute_setup: true                 # the seed's "Execute setup.exe" checkbox
prerequisites:
  facts_file: facts/MABS01.json       # collected on the target (assets/facts/collect-facts.ps1)
  mabs_version: v4
  platform: azure-stack
sql:
  mode: new                           # bundled SQL Server, the recommended choice
  admin_password: {{file: secrets/sql-admin-password.txt}}   # the ini's SQLMachinePassword
installation:
  program_files: C:\\Program Files\\Microsoft Azure Backup Server
  database_files: C:\\Program Files\\Microsoft Azure Backup Server\\DPM\\DPMDB
  scratch: C:\\MABS\\Scratch             # the seed: cache on C:, staging on D:
  planned_cloud_data_gb: 500          # scratch must hold 5% (25 GB)
  user_name: administrator
  company_name: Contoso
security:
  password: {{file: secrets/dpm-accounts-password.txt}}
  confirm_password: {{file: secrets/dpm-accounts-password.txt}}
updates:
  microsoft_update: true
proxy:
  use_proxy: false                    # the connectivity check tells whether one is needed
  check: true
  timeout_s: 3
  subscription_state: active
vault:
  credentials_file: {vault_file}
  target_path: C:\\MABSSetup\\{vault_name}.VaultCredentials
encryption:
  passphrase: {{file: secrets/encryption-passphrase.txt}}
  confirm_passphrase: {{file: secrets/encryption-passphrase.txt}}
  save_location: passphrase-safe     # in real life: off the server (MABS advice)
  target_save_location: C:\\MABSSetup\\Passphrase
secret_store:
  kind: auto                          # OS keyring if usable, else the encrypted file below
  file: store/secrets.enc
"""


def make_demo_kit(folder: Path, *, media_bytes: int = 30 * 2**20, now: datetime | None = None, force: bool = False) -> Path:
    """Write the kit into ``folder`` and return the answers file path."""
    from mabs_wizard.media import make_demo_media
    from mabs_wizard.passphrase import generate_passphrase
    from mabs_wizard.vault.demo import write_demo_vault_credentials

    now = now or datetime.now(timezone.utc)
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()) and not force:
        raise InputError(f"{folder}: folder exists and is not empty (use --force to write into it)")
    for sub in ("facts", "secrets", "vault", "passphrase-safe", "store"):
        (folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    make_demo_media(folder / "media", total_bytes=media_bytes)
    atomic_write_text(folder / "facts" / f"{DEMO_COMPUTER}.json", json.dumps(demo_facts(now), indent=2) + "\n", mode=0o644)
    atomic_write_text(folder / "secrets" / "dpm-accounts-password.txt", _password() + "\n")
    atomic_write_text(folder / "secrets" / "sql-admin-password.txt", _password() + "\n")
    atomic_write_text(folder / "secrets" / "encryption-passphrase.txt", generate_passphrase() + "\n")
    vault_file = write_demo_vault_credentials(folder / "vault" / f"{DEMO_VAULT}.VaultCredentials", vault_name=DEMO_VAULT, now=now)
    answers = ANSWERS.format(kit=folder, vault_file=vault_file.relative_to(folder), vault_name=DEMO_VAULT)
    return atomic_write_text(folder / "answers.yaml", answers, mode=0o600)


def _password() -> str:
    """A fresh password meeting the Security Settings rule (3 of 4 kinds, no account name)."""
    import secrets
    import string

    core = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(14))
    return f"Mw{core}7!"


