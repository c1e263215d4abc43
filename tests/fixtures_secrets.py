"""Pytest fixtures for a real Secret Service (see tests/keyring_service.py).

``secret_service`` (session scope): one gnome-keyring-daemon on a private D-Bus session bus for the
whole run; os.environ gets DBUS_SESSION_BUS_ADDRESS, HOME and XDG_* for the session and is restored
afterwards, so keyring's SecretService backend (and any subprocess) talks to it. Yields the env dict.

``locked_secret_service`` (function scope): its own daemon whose default collection is locked, with
the environment applied only for that test.

Until conftest registers this module (``pytest_plugins = ["tests.fixtures_secrets"]``), a test
module imports the fixtures it uses by name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.keyring_service import applied_env, lock_default_collection, running_secret_service


@pytest.fixture(scope="session")
def secret_service() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="mw-keyring-") as tmp:
        with running_secret_service(Path(tmp)) as env, applied_env(env):
            yield env


@pytest.fixture
def locked_secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_secret_service(tmp_path) as env:
        lock_default_collection(env["DBUS_SESSION_BUS_ADDRESS"])
        with applied_env(env):
            yield env
