"""Where the wizard keeps secrets: a secure OS keyring, or an encrypted file when there is none.

``open_store(kind)`` returns a :class:`SecretStore` (``put``/``get``/``delete`` by service and
username, ``describe()`` saying which backend or file is used, ``reference()`` for the manifest).
``fingerprint(secret)`` gives the salted, non-reversible value the manifest records instead of a
secret. Selection rules are in :mod:`.backends`, the file format in :mod:`.file_store`.

Heavy modules (keyring, SecretStorage, cryptography) are imported only when a store is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.secret_store.base import PASSWORD_ENV, SecretStore, StoreKind
from mabs_wizard.secret_store.fingerprint import fingerprint, fingerprint_matches

__all__ = [
    "PASSWORD_ENV",
    "AskPassword",
    "PasswordRequest",
    "SecretStore",
    "SecretStoreError",
    "StoreKind",
    "fingerprint",
    "fingerprint_matches",
    "open_configured",
    "open_store",
]



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


@dataclass(frozen=True)
class PasswordRequest:
    """What an operator is told when asked for the encrypted store's password."""

    path: Path
    new: bool  # the store does not exist yet: the password is being chosen (asked twice)
    reason: str  # why the OS keyring is not used
    error: str = ""  # what was wrong with the last password given
    min_length: int = 8


# Asks for the store password (a terminal prompt, a TUI dialog); None: the operator declined.
AskPassword = Callable[[PasswordRequest], "str | None"]
ATTEMPTS = 3


def open_configured(kind: StoreKind, file: Path | None, *, ask_password: AskPassword | None = None) -> SecretStore:
    """The store an answers file's ``secret_store`` section names (kind, file), for replay and the TUI alike.

    A usable OS keyring is used silently (``auto`` or ``keyring``). Otherwise the encrypted file
    store, its password from ``MABS_WIZARD_STORE_PASSWORD``, else from ``ask_password`` (up to three
    tries); without either the refusal says how to give it. A locked keyring is reported, never
    unlocked through a desktop dialog a headless run could wait on for minutes.
    """
    from mabs_wizard.errors import Cancelled
    from mabs_wizard.secret_store.file_store import MIN_NEW_PASSWORD, default_path

    try:
        return open_store(kind, file_path=file, unlock_prompt=False)
    except SecretStoreError as exc:
        if kind == "keyring" or ask_password is None:
            raise
        reason = str(exc)
    path = file or default_path()
    problem = ""
    for _attempt in range(ATTEMPTS):
        password = ask_password(PasswordRequest(path, new=not path.exists(), reason=reason, error=problem,
                                                min_length=MIN_NEW_PASSWORD))
        if password is None:
            raise Cancelled("no password given for the encrypted secret store")
        try:
            return open_store(kind, file_path=file, password=password, unlock_prompt=False)
        except SecretStoreError as exc:
            problem = str(exc)
    raise SecretStoreError(problem or "the encrypted secret store could not be opened")


def terminal_password(request: PasswordRequest) -> str | None:
    """Ask on the terminal without echo (replay run in a terminal); twice for a new store."""
    import getpass
    import sys

    if request.error:
        print(f"error: {request.error}", file=sys.stderr)
    if request.new:
        print(f"A new encrypted secret store: choose its password (at least {request.min_length} characters).", file=sys.stderr)
    first = getpass.getpass(f"Password for the encrypted secret store {request.path}: ")
    if request.new and getpass.getpass("Type it again: ") != first:
        return terminal_password(PasswordRequest(request.path, request.new, request.reason, "the two passwords differ",
                                                 request.min_length))
    return first
