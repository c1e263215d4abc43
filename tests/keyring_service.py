"""A real, private Secret Service for tests: a D-Bus session bus plus gnome-keyring-daemon.

Nothing here is mocked. ``running_secret_service(tmpdir)`` starts

* ``dbus-daemon --nofork --print-address=1`` with a minimal *session* config written into the temp
  dir. It is the stock session policy minus the service directories: with them the bus would
  D-Bus-activate the host's gnome-keyring or the GUI prompter (gcr-prompter) behind our back, and a
  prompter with no display can hang a test instead of failing it.
* ``gnome-keyring-daemon --foreground --unlock --components=secrets`` with the unlock password on
  stdin (the same bytes every time, no trailing newline, stdin then closed: no terminal is needed),
  HOME and XDG_* pointing into the temp dir so the host's keyrings are never touched.

It waits until ``org.freedesktop.secrets`` has an owner on the bus (a real round trip, not a sleep)
and returns the environment a client needs. Both processes are terminated on exit.

Debian packages: dbus-daemon (dbus), gnome-keyring.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

UNLOCK_PASSWORD = b"mabs-wizard-test-keyring"
SECRETS_BUS_NAME = "org.freedesktop.secrets"
START_TIMEOUT = 15.0

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class SecretServiceStartError(RuntimeError):
    pass


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise SecretServiceStartError(f"{tool} not found; install the Debian packages dbus and gnome-keyring")
    return found


def _short_dir(tmpdir: Path) -> Path:
    # AF_UNIX paths are limited to 107 bytes; pytest's tmp_path can be longer than that.
    if len(str(tmpdir)) < 60:
        return tmpdir
    return Path(tempfile.mkdtemp(prefix="mw-ss-", dir="/tmp"))


def _name_has_owner(address: str, name: str) -> bool:
    from jeepney import DBus, MessageType
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as conn:
        reply = conn.send_and_get_reply(DBus().NameHasOwner(name), timeout=5)
        if reply.header.message_type == MessageType.error:
            return False
        return bool(reply.body[0])


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def running_secret_service(tmpdir: Path, *, unlock_password: bytes = UNLOCK_PASSWORD) -> Iterator[dict[str, str]]:
    """Start a private Secret Service; yield the env vars that point a client at it."""
    dbus_daemon = _require("dbus-daemon")
    keyring_daemon = _require("gnome-keyring-daemon")
    tmpdir = Path(tmpdir)
    home = tmpdir / "home"
    runtime = _short_dir(tmpdir) / "run"
    env_dirs = {
        "HOME": home,
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_RUNTIME_DIR": runtime,
    }
    for directory in env_dirs.values():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(runtime, 0o700)  # gnome-keyring refuses a runtime dir others can read
    socket = runtime / "bus"
    config = tmpdir / "session-bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=socket), encoding="utf-8")

    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GNOME_KEYRING"))}
    child_env.update({k: str(v) for k, v in env_dirs.items()})
    child_env.pop("DISPLAY", None)  # never let the daemon try a GUI prompt
    child_env.pop("WAYLAND_DISPLAY", None)

    bus: subprocess.Popen[bytes] | None = None
    keyring_proc: subprocess.Popen[bytes] | None = None
    try:
        bus = subprocess.Popen(
            [dbus_daemon, f"--config-file={config}", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # "Failed to set fd limit" is harmless noise
            env=child_env,
            start_new_session=True,
        )
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            raise SecretServiceStartError("dbus-daemon printed no address")
        child_env["DBUS_SESSION_BUS_ADDRESS"] = address

        keyring_proc = subprocess.Popen(
            [keyring_daemon, "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
        assert keyring_proc.stdin is not None
        keyring_proc.stdin.write(unlock_password)
        keyring_proc.stdin.close()

        deadline = time.monotonic() + START_TIMEOUT
        while not _name_has_owner(address, SECRETS_BUS_NAME):
            if keyring_proc.poll() is not None:
                raise SecretServiceStartError(f"gnome-keyring-daemon exited with {keyring_proc.returncode}")
            if time.monotonic() > deadline:
                raise SecretServiceStartError("gnome-keyring-daemon did not claim org.freedesktop.secrets")
            time.sleep(0.02)  # polling interval while the daemon starts, not a stand-in for work

        env = {k: str(v) for k, v in env_dirs.items()}
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        yield env
    finally:
        _stop(keyring_proc)
        _stop(bus)
        if runtime.parent != tmpdir:
            shutil.rmtree(runtime.parent, ignore_errors=True)


@contextlib.contextmanager
def applied_env(env: dict[str, str]) -> Iterator[None]:
    """Set env vars in os.environ for the duration; restore the previous values afterwards."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def lock_default_collection(address: str) -> None:
    """Lock the default collection through the Secret Service API (as a screen lock would)."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus=address)
    try:
        collection = secretstorage.get_default_collection(conn)
        collection.lock()
        if not collection.is_locked():
            raise SecretServiceStartError("could not lock the default collection")
    finally:
        conn.close()
