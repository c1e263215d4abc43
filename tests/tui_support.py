"""Helpers for the TUI tests: a fully deterministic kit, and driving the wizard with Pilot.

The snapshot kit lives at a fixed path (/tmp/mw-snap) so the paths shown on screen never vary; its
media are seeded, its facts and clock fixed, its secrets fixed test values, and its vault
credentials generated for the fixed clock from a committed key and fixed identifiers, so the
certificate (and its thumbprint on screen) is the same every run while no committed file expires.
Connectivity probes go to closed loopback ports, so their outcome is the same on every machine.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.worker import WorkerCancelled

from mabs_wizard.demo import DEMO_COMPUTER, demo_facts
from mabs_wizard.fsutil import atomic_write_text

SNAP_ROOT = Path("/tmp/mw-snap")
FIXED_NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
AFTER_EXPIRY = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
VAULT_KEY = Path(__file__).parent / "fixtures" / "tui" / "demo-vault-key.pem"
VAULT_FILE = "contoso-mabs-vault.VaultCredentials"
VAULT_ISSUED = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # valid 08:50 .. +48 h, as the portal issues them
VAULT_IDS = {
    "subscription_id": "11111111-2222-4333-8444-555555555555",
    "resource_id": "5035604273336253",
    "aad_tenant_id": "45388e82-d85c-4922-b3e8-087e1653cc2b",
    "service_principal_client_id": "7f06db1b-69c5-441f-b967-05edd50c53c5",
    "serial_number": 80844896537036750809856163568137846998865208696,
}
STORE_PASSWORD = "snapshot-store-password"
ACCOUNTS_PASSWORD = "Snap-Accounts-7!x"
PASSPHRASE = "SnapshotPassphraseForTheTuiTests"
SQL_ADMIN_PASSWORD = "Snap-Sql-Admin-9?"
MEDIA_BYTES = 2 * 2**20
FREE, TOTAL = 40 * 2**30, 100 * 2**30  # what the destination's file system reports in snapshots

ANSWERS = """\
version: 1
extraction:
  source: media
  destination: extracted
  execute_setup: true
prerequisites:
  facts_file: facts/{computer}.json
  mabs_version: v4
  platform: azure-stack
sql:
  mode: new
  admin_password: {{file: secrets/sql-admin-password.txt}}
installation:
  program_files: C:\\Program Files\\Microsoft Azure Backup Server
  database_files: C:\\Program Files\\Microsoft Azure Backup Server\\DPM\\DPMDB
  scratch: C:\\MABS\\Scratch
  planned_cloud_data_gb: 500
  user_name: administrator
  company_name: Contoso
security:
  password: {{file: secrets/dpm-accounts-password.txt}}
  confirm_password: {{file: secrets/dpm-accounts-password.txt}}
updates:
  microsoft_update: true
proxy:
  use_proxy: false
  check: true
  timeout_s: 2
  endpoints: [{endpoints}]
  subscription_state: active
vault:
  credentials_file: vault/contoso-mabs-vault.VaultCredentials
  target_path: C:\\MABSSetup\\contoso-mabs-vault.VaultCredentials
encryption:
  passphrase: {{file: secrets/encryption-passphrase.txt}}
  confirm_passphrase: {{file: secrets/encryption-passphrase.txt}}
  save_location: passphrase-safe
  target_save_location: C:\\MABSSetup\\Passphrase
secret_store:
  kind: file
  file: store/secrets.enc
"""

CLOSED_ENDPOINTS = ("https://127.0.0.1:9", "https://127.0.0.1:7")  # nothing listens: connection refused


_snap_lock: Any = None


def hold_snapshot_root(root: Path = SNAP_ROOT) -> None:
    """Own /tmp/mw-snap for the rest of this test process (released when it exits, even killed).

    The path is fixed so snapshots show the same paths everywhere; a second test run on the same
    machine waits here instead of deleting the first one's kit under it."""
    global _snap_lock
    if _snap_lock is not None:
        return
    lock = open(f"{root}.lock", "a")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for another test run that uses {root} to finish", file=sys.stderr, flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    _snap_lock = lock


def make_snapshot_kit(root: Path = SNAP_ROOT, *, drop: Iterable[str] = (), facts: dict[str, Any] | None = None) -> Path:
    """A fresh deterministic kit at `root`/kit; returns its answers.yaml. `drop`: sections to leave out."""
    from mabs_wizard.media import make_demo_media
    from mabs_wizard.vault.demo import write_demo_vault_credentials

    hold_snapshot_root(root)
    if root.exists():
        shutil.rmtree(root)
    kit = root / "kit"
    for sub in ("facts", "secrets", "vault", "passphrase-safe", "store"):
        (kit / sub).mkdir(parents=True, mode=0o700)
    make_demo_media(kit / "media", total_bytes=MEDIA_BYTES, seed=7)
    facts_data = facts if facts is not None else demo_facts(FIXED_NOW)
    atomic_write_text(kit / "facts" / f"{DEMO_COMPUTER}.json", json.dumps(facts_data, indent=2) + "\n", mode=0o644)
    atomic_write_text(kit / "secrets" / "dpm-accounts-password.txt", ACCOUNTS_PASSWORD + "\n")
    atomic_write_text(kit / "secrets" / "encryption-passphrase.txt", PASSPHRASE + "\n")
    atomic_write_text(kit / "secrets" / "sql-admin-password.txt", SQL_ADMIN_PASSWORD + "\n")
    write_demo_vault_credentials(kit / "vault" / VAULT_FILE, now=VAULT_ISSUED, key_pem=VAULT_KEY.read_bytes(), **VAULT_IDS)
    text = ANSWERS.format(computer=DEMO_COMPUTER, endpoints=", ".join(CLOSED_ENDPOINTS))
    text = drop_sections(text, drop)
    return atomic_write_text(kit / "answers.yaml", text, mode=0o600)


def drop_sections(text: str, names: Iterable[str]) -> str:
    names = set(names)
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line and not line[0].isspace():
            skipping = line.split(":")[0] in names
        if not skipping:
            out.append(line)
    return "".join(out)


def failing_facts() -> dict[str, Any]:
    """Facts of a server MABS refuses: workgroup, Server Core, old .NET, small VM."""
    facts = demo_facts(FIXED_NOW)
    facts.update(domain=None, domain_dns=None, domain_joined=False, server_core=True, dotnet_release=378389, physical_cores=1,
                 logical_processors=1, memory_visible_bytes=2 * 2**30, memory_installed_bytes=2 * 2**30, azure_stack_vm_size="Standard_A1")
    return facts


def snapshot_app(answers: Path | None, *, now: datetime = FIXED_NOW, output: Path | None = None, **kwargs: Any) -> Any:
    """The wizard as the snapshot tests see it: fixed clock, paths, free space; no blink."""
    from mabs_wizard.screens.app import create_app, fixed_clock
    from mabs_wizard.secret_store import open_store

    if "store" not in kwargs:
        # The encrypted file store at a fixed path: no OS keyring, no password dialog, same text on screen.
        kwargs["store"] = open_store("file", file_path=SNAP_ROOT / "kit" / "store" / "secrets.enc", password=STORE_PASSWORD)
    kwargs.setdefault("resume", "no")  # a session journal left by an earlier test never changes what is shown
    app = create_app(answers, clock=fixed_clock(now), output_dir=output or SNAP_ROOT / "out", cursor_blink=False,
                     host_is_windows=False, **kwargs)
    app.state.disk_space = lambda path: (SNAP_ROOT, FREE, TOTAL)
    # Scrolls (to the first error, to a focused field) land at once: a loaded CI machine draws the
    # same frame as a quiet one, instead of one caught mid-animation.
    app.animation_level = "none"
    return app


async def settle(pilot: Any) -> None:
    """Let workers finish and the screen repaint."""
    app = pilot.app
    for _ in range(3):
        # Longer than the wizard's own short timers (next page built 0.1 s after a change,
        # the vault file inspected 0.05 s after its page shows).
        await pilot.pause(0.12)
        # DirectoryTree keeps a loader worker alive for its whole life: wait for the others.
        busy = [w for w in app.workers if w.group != "_loader"]
        if busy:  # (an empty list means "all" to wait_for_complete)
            try:
                await app.workers.wait_for_complete(busy)
            except WorkerCancelled:
                pass  # replaced by a newer one (exclusive workers): the next round waits for that
    await pilot.pause()


async def goto(pilot: Any, key: str) -> None:
    await settle(pilot)  # the engine is loaded
    pilot.app.show(key)
    await settle(pilot)


async def next_screen(pilot: Any) -> str:
    await pilot.press("ctrl+n")
    await settle(pilot)
    return pilot.app.current  # type: ignore[no-any-return]


async def type_into(pilot: Any, selector: str, text: str) -> None:
    """Set an input of the page shown, or of the dialog on top of it."""
    from mabs_wizard.screens.frame import Frame

    app = pilot.app
    widget = (app.page if isinstance(app.screen, Frame) else app.screen).query_one(selector)
    widget.value = text
    await pilot.pause()
