"""keyring's Secret Service backend, holding one D-Bus connection and one encrypted session.

keyring's ``SecretService.Keyring`` opens a new D-Bus connection for every call and closes it after,
so each ``set_password``/``get_password`` also negotiates a new transfer session (a Diffie-Hellman
exchange with the daemon). Measured against gnome-keyring here: 15 ms per call that way, 2-4 ms on
a kept connection and session. A run stores and reads back several secrets, so the store keeps one.

Everything else is keyring's own code (the item attributes and labels it writes, unlocking, the
errors it raises), so what this backend stores is exactly what ``keyring.get_password`` reads.
"""

from __future__ import annotations

import threading
from typing import Any

from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from keyring.errors import KeyringLocked


class _KeptConnection:
    """A D-Bus connection whose ``close()`` is deferred: keyring closes after each call."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def close(self) -> None:
        pass  # kept for the next call; really_close() ends it

    def really_close(self) -> None:
        self._connection.close()


class KeptSessionKeyring(SecretServiceKeyring):
    """``SecretService.Keyring`` with one connection and session for the life of the object.

    One call at a time: a jeepney blocking connection must not be shared by concurrent calls (the
    TUI's workers), which the per-call connections of keyring never had to care about.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: Any = None
        self._lock = threading.RLock()

    def get_preferred_collection(self) -> Any:
        with self._lock:
            collection = self._kept
            if collection is None:
                from secretstorage.util import open_session

                collection = super().get_preferred_collection()  # connects, unlocks or raises
                collection.connection = _KeptConnection(collection.connection)
                # Items found by a search take the collection's session; without one set here each
                # read would negotiate its own.
                collection.session = open_session(collection.connection)
                self._kept = collection
            elif collection.is_locked():  # locked since the last call: keyring's own unlock path
                collection.unlock()
                if collection.is_locked():
                    raise KeyringLocked("Failed to unlock the collection!")
            return collection

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return super().get_password(service, username)  # type: ignore[no-any-return]

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            super().delete_password(service, username)

    def get_credential(self, service: str, username: str | None) -> Any:
        with self._lock:
            return super().get_credential(service, username)

    def drop_connection(self) -> None:
        """Forget the kept connection after a timeout. No lock: the abandoned call may hold it, and
        closing the connection under it is what makes that call fail and let go."""
        kept, self._kept = self._kept, None
        if kept is not None:
            try:
                kept.connection.really_close()
            except OSError:
                pass
