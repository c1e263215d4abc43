"""Secrets in the OS keyring through a keyring backend object chosen by :mod:`.backends`.

Every call to the backend runs in a daemon thread with a deadline: keyring and SecretStorage talk
D-Bus with no timeout, so a wedged session bus or keyring daemon would otherwise hang the wizard.
Keyring errors become :class:`SecretStoreError` with a message that says what to do; the secret is
scrubbed from any text that reaches the operator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from mabs_wizard.errors import SecretStoreError

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0  # seconds; D-Bus round trips take milliseconds
INTERACTIVE_TIMEOUT = 120.0  # a desktop unlock prompt waits for a human

LOCKED_HINT = (
    "unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock` on a headless box), "
    "or use the encrypted file store (set MABS_WIZARD_STORE_PASSWORD)"
)


def call_with_timeout(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Run ``fn`` in a daemon thread; SecretStoreError if it does not finish within ``timeout``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"keyring: {what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        # The thread is abandoned (daemon: it cannot keep the process alive at exit).
        raise SecretStoreError(
            f"the OS keyring did not answer within {timeout:g} s ({what}); is the D-Bus session or keyring daemon hung?"
        )
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def translate(exc: BaseException, what: str, secret: str | None = None) -> SecretStoreError:
    from keyring import errors as kerrors

    if isinstance(exc, kerrors.KeyringLocked):
        return SecretStoreError(f"the OS keyring is locked ({what}); {LOCKED_HINT}")
    if isinstance(exc, kerrors.NoKeyringError):
        return SecretStoreError(f"no usable OS keyring ({what})")
    detail = _scrub(str(exc), secret) or type(exc).__name__
    return SecretStoreError(f"OS keyring error during {what}: {type(exc).__name__}: {detail}")


class KeyringStore:
    """A :class:`SecretStore` backed by one explicitly chosen keyring backend."""

    kind = "keyring"

    def __init__(self, backend: Any, *, label: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.backend = backend
        self.label = label
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"KeyringStore({self.label!r})"

    def describe(self) -> str:
        return f"keyring: {self.label}"

    def reference(self, service: str, username: str) -> dict[str, str]:
        return {"store": "keyring", "service": service, "username": username}

    def _bounded(self, fn: Callable[[], T], what: str) -> T:
        try:
            return call_with_timeout(fn, self.timeout, what)
        except SecretStoreError:
            drop = getattr(self.backend, "drop_connection", None)
            if drop is not None:
                drop()  # the timed-out call may still hold the kept connection
            raise

    def _call(self, fn: Callable[[], T], what: str, secret: str | None = None) -> T:
        try:
            return self._bounded(fn, what)
        except SecretStoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - every backend failure becomes one clear message
            raise translate(exc, what, secret) from None

    def put(self, service: str, username: str, secret: str) -> None:
        self._call(lambda: self.backend.set_password(service, username, secret), "storing a secret", secret)
        # Read back: some backends accept a write they cannot keep (a locked item, a full vault).
        if self._call(lambda: self.backend.get_password(service, username), "reading back a secret", secret) != secret:
            raise SecretStoreError(f"the OS keyring did not keep the secret for {service!r}/{username!r} ({self.label})")

    def get(self, service: str, username: str) -> str:
        value = self._call(lambda: self.backend.get_password(service, username), "reading a secret")
        if value is None:
            raise SecretStoreError(f"no secret for service {service!r}, user {username!r} in {self.describe()}")
        return str(value)

    def delete(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._bounded(lambda: self.backend.delete_password(service, username), "deleting a secret")
        except PasswordDeleteError:
            raise SecretStoreError(
                f"no secret for service {service!r}, user {username!r} in {self.describe()}"
            ) from None
        except SecretStoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "deleting a secret") from None
