"""Costs in the vault / passphrase / secret-store area, measured (medians of several runs).

The deliberate ones (KDFs) are chosen here: passphrase verifier ~50-100 ms, secret fingerprints
<= 20 ms, the encrypted file store's scrypt ~0.4 s once per store object. Parsing a vault file
is ~40 ms, nearly all of it OpenSSL validating the RSA private key inside the PFX.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import median_ms  # noqa: E402


def main() -> None:
    from mabs_wizard.passphrase import check_passphrase, generate_passphrase, make_verifier, verify_passphrase
    from mabs_wizard.secret_store import fingerprint, open_store
    from mabs_wizard.secret_store.file_store import EncryptedFileStore
    from datetime import UTC, datetime

    from mabs_wizard.vault import check_vault, parse_vault_credentials
    from mabs_wizard.vault.demo import write_demo_vault_credentials
    from tests.keyring_service import applied_env, running_secret_service

    value = generate_passphrase()
    verifier = make_verifier(value)
    rows: list[tuple[str, float]] = [
        ("generate_passphrase", median_ms(generate_passphrase, 50)),
        ("check_passphrase (rules + strength)", median_ms(lambda: check_passphrase(value, value), 50)),
        ("make_verifier (scrypt n=2**15)", median_ms(lambda: make_verifier(value))),
        ("verify_passphrase", median_ms(lambda: verify_passphrase(verifier, value))),
        ("fingerprint (scrypt n=2**12)", median_ms(lambda: fingerprint(value), 20)),
    ]
    with tempfile.TemporaryDirectory(prefix="mw-bench-secrets-") as tmp:
        base = Path(tmp)
        vault = base / "v.VaultCredentials"
        rows.append(("write_demo_vault_credentials (RSA-2048)", median_ms(lambda: write_demo_vault_credentials(vault))))
        rows.append(("parse_vault_credentials", median_ms(lambda: parse_vault_credentials(vault))))
        parsed, now = parse_vault_credentials(vault), datetime.now(UTC)
        rows.append(("check_vault (rules, on the parsed file)", median_ms(lambda: check_vault(parsed, now=now), 50)))
        store_path = base / "s.enc"
        EncryptedFileStore(store_path, "bench-password").put("svc", "seed", "v")
        rows.append(("file store: open (scrypt n=2**17)", median_ms(lambda: EncryptedFileStore(store_path, "bench-password"), 5)))
        store = EncryptedFileStore(store_path, "bench-password")
        rows.append(("file store: put (key cached)", median_ms(lambda: store.put("svc", "u", "secret"), 20)))
        rows.append(("file store: get (key cached)", median_ms(lambda: store.get("svc", "u"), 20)))
        with running_secret_service(base / "keyring") as env, applied_env(env):
            rows.append(("keyring: open_store (probe Secret Service)", median_ms(lambda: open_store("keyring"))))
            ks = open_store("keyring")
            rows.append(("keyring: put (with read-back)", median_ms(lambda: ks.put("svc", "u", "secret"), 20)))
            rows.append(("keyring: get", median_ms(lambda: ks.get("svc", "u"), 20)))
    width = max(len(name) for name, _ in rows)
    print(f"{'what':{width}}  median ms")
    for name, ms in rows:
        print(f"{name:{width}}  {ms:9.2f}")


if __name__ == "__main__":
    main()
