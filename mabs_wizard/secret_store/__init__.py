"""Where the wizard keeps secrets: a secure OS keyring, or an encrypted file when there is none.

``open_store(kind)`` returns a :class:`SecretStore` (``put``/``get``/``delete`` by service and
username, ``describe()`` saying which backend or file is used, ``reference()`` for the manifest).
``fingerprint(secret)`` gives the salted, non-reversible value the manifest records instead of a
secret. Selection rules are in :mod:`.backends`, the file format in :mod:`.file_store`.

Heavy modules (keyring, SecretStorage, cryptography) are imported only when a store is opened.
"""

from __future__ import annotations

from pathlib import Path

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.secret_store.base import SecretStore, StoreKind
from mabs_wizard.secret_store.fingerprint import fingerprint, fingerprint_matches

__all__ = [
    "PASSWORD_ENV",
    "SecretStore",
    "SecretStoreError",
    "StoreKind",
    "fingerprint",
    "fingerprint_matches",
    "open_store",
]

PASSWORD_ENV = "MABS_WIZARD_STORE_PASSWORD"


def open_store(
    kind: StoreKind = "auto",
    *,
    file_path: Path | None = None,
    password: str | None = None,
    interactive: bool = False,
    timeout: float = 10.0,
    unlock_prompt: bool | None = None,
) -> SecretStore:
    """Open the secret store.

    ``"keyring"``: a secure OS keyring or SecretStoreError. ``"file"``: the encrypted file
    (``file_path``, default ``$XDG_DATA_HOME/mabs-wizard/secrets.enc``). ``"auto"``: the keyring if one
    is usable, else the file. The file's password comes from ``password``, then
    ``$MABS_WIZARD_STORE_PASSWORD``, then (only if ``interactive`` and stdin is a terminal) a no-echo
    prompt. ``timeout`` bounds every OS keyring call (seconds). ``unlock_prompt`` (default: same as
    ``interactive``) lets a locked Secret Service show its own desktop unlock dialog instead of being
    refused at once.

    The TUI owns the terminal, so it must never get a getpass prompt: it collects the store password
    in a widget and calls ``open_store(kind, password=..., interactive=False, unlock_prompt=True)``.
    """
    from mabs_wizard.secret_store.backends import open_store as _open

    return _open(kind, file_path=file_path, password=password, interactive=interactive, timeout=timeout,
                 unlock_prompt=unlock_prompt)
