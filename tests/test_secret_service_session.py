"""The Secret Service store keeps one D-Bus connection and one transfer session for its life, writes
items keyring itself reads, and still notices a collection locked between calls (real gnome-keyring)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import secretstorage
import secretstorage.collection
import secretstorage.item
import secretstorage.util
from keyring.backends.SecretService import Keyring as PlainSecretService

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.secret_store import open_store
from mabs_wizard.secret_store.secret_service import KeptSessionKeyring
from tests.keyring_service import applied_env, lock_default_collection, running_secret_service

SERVICE = "mabs-wizard-session-test"


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, counts: dict[str, int]) -> None:
    real: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] = counts.get(name, 0) + 1
        return real(*args, **kwargs)  # the real call: this only counts

    monkeypatch.setattr(owner, name, counted)


def test_many_calls_share_one_connection_and_one_session(secret_service: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store("keyring")
    assert isinstance(store.backend, KeptSessionKeyring)  # type: ignore[attr-defined]
    counts: dict[str, int] = {}
    _counting(monkeypatch, secretstorage, "dbus_init", counts)
    for module in (secretstorage.util, secretstorage.collection, secretstorage.item):
        _counting(monkeypatch, module, "open_session", counts)
    users = [f"MABS01/s{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for i, user in enumerate(users):
        store.put(SERVICE, user, f"secret-{i}-{user}")  # a write and its read-back
    assert [store.get(SERVICE, u) for u in users] == [f"secret-{i}-{u}" for i, u in enumerate(users)]
    store.delete(SERVICE, users[0])
    assert counts == {"dbus_init": 1, "open_session": 1}


def test_items_are_the_ones_keyring_and_secret_tool_read(secret_service: dict[str, str]) -> None:
    store = open_store("keyring")
    user = f"MABS01/interop-{uuid.uuid4().hex[:6]}"
    store.put(SERVICE, user, "kept-session-ünïcode")
    assert PlainSecretService().get_password(SERVICE, user) == "kept-session-ünïcode"
    found = subprocess.run(["secret-tool", "search", "service", SERVICE, "username", user],
                           capture_output=True, text=True, timeout=30)
    # keyring's own attributes and label, so other keyring clients find and recognise the item
    listing = found.stdout + found.stderr  # secret-tool prints the attributes on stderr
    assert "attribute.application = Python keyring library" in listing
    assert f"label = Password for '{user}' on '{SERVICE}'" in listing
    PlainSecretService().set_password(SERVICE, user, "changed-elsewhere")
    assert store.get(SERVICE, user) == "changed-elsewhere"  # no stale cache: every read asks the daemon


def test_a_collection_locked_between_calls_is_refused_clearly(tmp_path: Path) -> None:
    with running_secret_service(tmp_path / "own") as env, applied_env(env):
        store = open_store("keyring")
        store.put(SERVICE, "MABS01/before", "stored-before-the-lock")
        lock_default_collection(env["DBUS_SESSION_BUS_ADDRESS"])
        with pytest.raises(SecretStoreError, match="locked"):
            store.put(SERVICE, "MABS01/after", "refused-after-the-lock")


def test_a_timed_out_call_drops_the_kept_connection(secret_service: dict[str, str]) -> None:
    store = open_store("keyring")
    store.put(SERVICE, "MABS01/drop", "value-before-the-drop")
    backend: KeptSessionKeyring = store.backend  # type: ignore[attr-defined]
    kept = backend._kept
    assert kept is not None
    store.timeout = 0.2  # type: ignore[attr-defined]
    with pytest.raises(SecretStoreError, match="did not answer within 0.2 s"):
        store._call(lambda: time.sleep(1), "a stuck call")  # type: ignore[attr-defined]
    assert backend._kept is None
    assert kept.connection._connection.sock.fileno() == -1  # closed, so a call still on it fails
    store.timeout = 10  # type: ignore[attr-defined]
    assert store.get(SERVICE, "MABS01/drop") == "value-before-the-drop"  # a fresh connection
