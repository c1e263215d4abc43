"""Choosing the secret store: a secure OS keyring when one is usable, else the encrypted file.

The choice is explicit and never delegated to keyring's global default, because that default is
exactly what goes wrong on servers: with no D-Bus session it is the ``fail`` backend, and merely
installing keyrings.alt silently makes a plaintext/base64 file the default.

Accepted: an allow-list of OS keyrings (Secret Service, libsecret, KWallet, Windows Credential
Locker, macOS Keychain), each only if it is viable here with priority >= 1. Refused with a reason:
``fail`` and ``null``, anything from keyrings.alt (plaintext, base64, or getpass prompts that would
hang a TUI), keyrings.cryptfile (getpass), anything with priority < 1 (keyring's own "not
recommended"), a chainer with any such member, and any backend not on the allow-list.

If ``PYTHON_KEYRING_BACKEND`` or keyring's config file names a backend, that choice is honoured only
when it passes the same test; otherwise the keyring is not used at all (people set the ``null``
backend precisely to keep secrets out of the keyring), and "auto" falls back to the file store.

A Secret Service is probed before use (bounded by a timeout): its default collection must exist and,
unless the caller allows an unlock prompt (the Secret Service's own desktop dialog, never a terminal
prompt), be unlocked. A locked collection is reported as such instead of letting keyring try, and
fail, to prompt.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.secret_store.base import PASSWORD_ENV, SecretStore, StoreKind
from mabs_wizard.secret_store.keyring_store import (
    DEFAULT_TIMEOUT,
    INTERACTIVE_TIMEOUT,
    LOCKED_HINT,
    KeyringStore,
    call_with_timeout,
)

SECRETS_BUS_NAME = "org.freedesktop.secrets"

SECURE_BACKENDS: dict[str, str] = {
    "keyring.backends.SecretService.Keyring": "SecretService Keyring",
    "keyring.backends.libsecret.Keyring": "libsecret Keyring (Secret Service)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
}
_INSECURE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("keyring.backends.fail", "keyring found no OS keyring (the 'fail' backend)"),
    ("keyring.backends.null", "the 'null' backend stores nothing"),
    ("keyrings.alt", "keyrings.alt backends keep secrets in plaintext or base64, or prompt on the terminal"),
    ("keyrings.cryptfile", "keyrings.cryptfile prompts for its password on the terminal (getpass)"),
)
_SECRET_SERVICE = {"keyring.backends.SecretService.Keyring", "keyring.backends.libsecret.Keyring"}


class _Unusable(Exception):
    """A backend that exists but cannot be used now; the message says why."""


def qualname(backend: Any) -> str:
    cls = backend if isinstance(backend, type) else type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def assess_backend(backend: Any, *, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Why ``backend`` (a keyring backend instance) must not hold secrets, or None if it may."""
    from keyring.backends.chainer import ChainerBackend

    name = qualname(backend)
    if isinstance(backend, ChainerBackend):
        members = list(backend.backends)
        if not members:
            return "the chainer backend holds no keyrings"
        bad = [f"{qualname(m)} ({reason})" for m in members if (reason := assess_backend(m, timeout=timeout))]
        return f"the chainer includes refused backends: {'; '.join(bad)}" if bad else None
    for prefix, reason in _INSECURE_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            return reason
    try:
        priority = call_with_timeout(lambda: type(backend).priority, timeout, f"checking {name}")
    except SecretStoreError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - keyring signals "not viable here" with RuntimeError
        return f"not usable here: {exc}"
    if priority < 1:
        return f"priority {priority:g} is below 1, i.e. keyring itself does not recommend it"
    if name not in SECURE_BACKENDS:
        return "not a known secure OS keyring backend"
    return None


@dataclass(frozen=True)
class SecretServiceState:
    daemon: str | None
    collection: str
    locked: bool


def _daemon_name(conn: Any, timeout: float) -> str | None:
    from jeepney import DBus

    try:
        reply = conn.send_and_get_reply(DBus().GetConnectionUnixProcessID(SECRETS_BUS_NAME), timeout=timeout)
        pid = int(reply.body[0])
    except Exception:  # noqa: BLE001 - only decorates the description
        return None
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip() or None
        except OSError:
            return None


def probe_secret_service(timeout: float = DEFAULT_TIMEOUT) -> SecretServiceState:
    """Default collection's label and lock state, and which daemon serves it (bounded)."""

    def probe() -> SecretServiceState:
        from contextlib import closing

        import secretstorage
        from secretstorage.exceptions import ItemNotFoundException, SecretStorageException

        try:
            conn = secretstorage.dbus_init()
        except SecretStorageException as exc:
            raise _Unusable(f"no Secret Service on the D-Bus session ({exc})") from None
        with closing(conn):
            try:
                collection = secretstorage.Collection(conn)
                label = collection.get_label()
                locked = collection.is_locked()
            except ItemNotFoundException:
                raise _Unusable(
                    "the Secret Service has no default collection (the keyring was never set up; "
                    "log in to a desktop session once, or start gnome-keyring-daemon --unlock)"
                ) from None
            except SecretStorageException as exc:
                raise _Unusable(f"the Secret Service does not answer properly ({exc})") from None
            return SecretServiceState(daemon=_daemon_name(conn, timeout), collection=label, locked=locked)

    return call_with_timeout(probe, timeout, "probing the Secret Service")


def _platform_candidates() -> list[str]:
    if sys.platform == "win32":
        return ["keyring.backends.Windows.WinVaultKeyring"]
    if sys.platform == "darwin":
        return ["keyring.backends.macOS.Keyring"]
    return [
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
    ]


def _load_class(name: str) -> Any:
    import importlib

    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(module), cls)


def _configured(timeout: float) -> tuple[Any, str] | None:
    """The backend the operator configured for keyring (env var or keyringrc.cfg), if any."""
    import keyring.core

    env = os.environ.get("PYTHON_KEYRING_BACKEND")
    if env:
        source = f"PYTHON_KEYRING_BACKEND={env}"
        try:
            cls = _load_class(env)
        except Exception as exc:  # noqa: BLE001
            raise _Unusable(f"{source} cannot be loaded ({type(exc).__name__}: {exc})") from None
        return cls, source
    try:
        configured = call_with_timeout(keyring.core.load_config, timeout, "reading keyringrc.cfg")
    except SecretStoreError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _Unusable(f"keyring's config file names a backend that cannot be loaded ({exc})") from None
    if configured is None:
        return None
    return type(configured), f"keyring config file ({qualname(configured)})"


def _usable_store(cls: Any, *, unlock_prompt: bool, timeout: float, source: str = "") -> KeyringStore:
    name = qualname(cls)
    try:
        backend = cls()
    except Exception as exc:  # noqa: BLE001
        raise _Unusable(f"{name} cannot start ({type(exc).__name__}: {exc})") from None
    reason = assess_backend(backend, timeout=timeout)
    if reason:
        where = f"{source}: " if source else f"{name}: "
        raise _Unusable(f"{where}refused: {reason}")
    label = SECURE_BACKENDS[name]
    if name in _SECRET_SERVICE:
        state = probe_secret_service(timeout)
        if state.locked and not unlock_prompt:
            raise _Unusable(f"the Secret Service collection {state.collection!r} is locked; {LOCKED_HINT}")
        label = f"{label} ({state.daemon or 'Secret Service'}, collection {state.collection!r})"
    if name == "keyring.backends.SecretService.Keyring":
        from mabs_wizard.secret_store.secret_service import KeptSessionKeyring

        backend = KeptSessionKeyring()  # the same backend, one D-Bus connection for the run
    return KeyringStore(backend, label=label, timeout=INTERACTIVE_TIMEOUT if unlock_prompt else timeout)


def select_keyring_store(*, unlock_prompt: bool = False, timeout: float = DEFAULT_TIMEOUT) -> KeyringStore:
    """The secure OS keyring store for this host; SecretStoreError saying why there is none.

    ``unlock_prompt``: a locked Secret Service may show its own (desktop, not terminal) unlock
    dialog; without it a locked collection is refused at once."""
    try:
        configured = _configured(timeout)
        if configured is not None:
            cls, source = configured
            return _usable_store(cls, unlock_prompt=unlock_prompt, timeout=timeout, source=source)
        reasons: list[str] = []
        for name in _platform_candidates():
            try:
                cls = _load_class(name)
            except Exception:  # noqa: BLE001 - backend module not importable on this platform
                continue
            try:
                cls_priority_ok = call_with_timeout(lambda c=cls: c.viable, timeout, f"checking {name}")
            except SecretStoreError as exc:
                reasons.append(str(exc))
                continue
            if not cls_priority_ok:
                reasons.append(f"{SECURE_BACKENDS[name]}: {_not_viable_reason(cls)}")
                continue
            try:
                return _usable_store(cls, unlock_prompt=unlock_prompt, timeout=timeout)
            except _Unusable as exc:
                reasons.append(str(exc))
        raise _Unusable("; ".join(reasons) or "no OS keyring backend is available on this platform")
    except _Unusable as exc:
        raise SecretStoreError(f"no usable OS keyring: {exc}") from None


def _not_viable_reason(cls: Any) -> str:
    try:
        cls.priority  # noqa: B018 - raises the backend's own explanation
    except Exception as exc:  # noqa: BLE001
        return str(exc) or type(exc).__name__
    return "not viable"


def _store_password(password: str | None, *, interactive: bool, path: Path) -> str | None:
    if password:
        return password
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if interactive and sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass(f"Password for the encrypted secret store {path}: ")
        if not path.exists():
            if getpass.getpass("Type it again: ") != first:
                raise SecretStoreError("the two store passwords differ; nothing stored")
        return first
    return None


def open_file_store(
    file_path: Path | None, password: str | None, *, interactive: bool, note: str | None = None, log2_n: int | None = None
) -> SecretStore:
    from mabs_wizard.secret_store.file_store import DEFAULT_LOG2_N, EncryptedFileStore, default_path

    path = Path(file_path) if file_path else default_path()
    secret = _store_password(password, interactive=interactive, path=path)
    if not secret:
        # Interactive callers ask on a terminal; here there was none (stdin not a terminal).
        how = f"set {PASSWORD_ENV}" + (", or run this in a terminal to be asked for it" if interactive else "")
        raise SecretStoreError(f"the encrypted secret store {path} needs a password: {how}")
    return EncryptedFileStore(path, secret, log2_n=log2_n or DEFAULT_LOG2_N, note=note)


def open_store(
    kind: StoreKind = "auto",
    *,
    file_path: Path | None = None,
    password: str | None = None,
    interactive: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    unlock_prompt: bool | None = None,
) -> SecretStore:
    """See :func:`mabs_wizard.secret_store.open_store`."""
    unlock = interactive if unlock_prompt is None else unlock_prompt
    if kind == "file":
        return open_file_store(file_path, password, interactive=interactive)
    if kind == "keyring":
        return select_keyring_store(unlock_prompt=unlock, timeout=timeout)
    if kind != "auto":
        raise SecretStoreError(f"unknown secret store kind {kind!r} (auto, keyring or file)")
    try:
        return select_keyring_store(unlock_prompt=unlock, timeout=timeout)
    except SecretStoreError as keyring_problem:
        why = str(keyring_problem)
    try:
        return open_file_store(file_path, password, interactive=interactive, note=f"OS keyring not used: {why}")
    except SecretStoreError as file_problem:
        raise SecretStoreError(f"no secret store can be used. {why}. Encrypted file store: {file_problem}") from None
