"""The secret store: a real gnome-keyring Secret Service, refused backends, a locked or hung keyring,
and the encrypted file store (format, tampering, permissions, atomicity, concurrency)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.secret_store import PASSWORD_ENV, fingerprint, fingerprint_matches, open_store
from mabs_wizard.secret_store.backends import assess_backend
from mabs_wizard.secret_store.file_store import HEADER_SIZE, EncryptedFileStore, default_path

SERVICE = "mabs-wizard-test"
STORE_PASSWORD = "store-pw-Kq7vX2mR"


def unique_user(name: str = "secret") -> str:
    return f"MABS01/{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # The host's own keyring configuration must not decide these tests.
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


# ------------------------------------------------------------------------------------------
# Backends that must be refused. Built here; removed from keyring's registry at once so that no
# other code in the process can ever pick them.


class PlaintextTestKeyring(KeyringBackend):
    """What keyrings.alt's PlaintextKeyring does: a readable file (same priority, 0.5)."""

    priority = 0.5  # type: ignore[assignment]
    file: Path | None = None

    def _load(self) -> dict[str, str]:
        return json.loads(self.file.read_text()) if self.file and self.file.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        assert self.file is not None
        self.file.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


class SneakyKeyring(PlaintextTestKeyring):
    """Claims a high priority, but is no OS keyring."""

    priority = 9  # type: ignore[assignment]


class MixedChainer(ChainerBackend):
    backends = [PlaintextTestKeyring()]  # type: ignore[assignment]


AltPlaintext = type("PlaintextKeyring", (PlaintextTestKeyring,), {"__module__": "keyrings.alt.file", "priority": 1.5})

for _cls in (PlaintextTestKeyring, SneakyKeyring, MixedChainer, AltPlaintext):
    KeyringBackend._classes.discard(_cls)  # type: ignore[attr-defined]


def test_insecure_backends_are_refused_with_a_reason() -> None:
    from keyring.backends import fail, null

    assert "fail" in (assess_backend(fail.Keyring()) or "")
    assert "null" in (assess_backend(null.Keyring()) or "")
    assert "priority 0.5 is below 1" in (assess_backend(PlaintextTestKeyring()) or "")
    assert "keyrings.alt" in (assess_backend(AltPlaintext()) or "")
    assert "not a known secure OS keyring" in (assess_backend(SneakyKeyring()) or "")
    assert "PlaintextTestKeyring" in (assess_backend(MixedChainer()) or "")


def test_secret_service_backend_is_accepted(secret_service: dict[str, str]) -> None:
    from keyring.backends.SecretService import Keyring

    assert assess_backend(Keyring()) is None


# ------------------------------------------------------------------------------------------
# The real Secret Service (gnome-keyring on a private D-Bus session)


def test_keyring_round_trip_against_gnome_keyring(secret_service: dict[str, str]) -> None:
    store = open_store("keyring")
    assert store.kind == "keyring"
    described = store.describe()
    assert described.startswith("keyring: SecretService Keyring (gnome-keyring")
    assert "collection 'Login'" in described
    user = unique_user()
    secret = f"pr0xy-S3cret-{uuid.uuid4().hex}-ünïcode"
    store.put(SERVICE, user, secret)
    assert store.get(SERVICE, user) == secret
    # An independent client (libsecret's secret-tool) sees the same item: it really is in the keyring.
    looked_up = subprocess.run(["secret-tool", "lookup", "service", SERVICE, "username", user],
                               capture_output=True, text=True, timeout=30)
    assert looked_up.stdout.rstrip("\n") == secret
    store.put(SERVICE, user, secret + "-v2")  # replaces, does not duplicate
    assert store.get(SERVICE, user) == secret + "-v2"
    assert store.reference(SERVICE, user) == {"store": "keyring", "service": SERVICE, "username": user}
    store.delete(SERVICE, user)
    with pytest.raises(SecretStoreError, match="no secret for service"):
        store.get(SERVICE, user)
    with pytest.raises(SecretStoreError, match="no secret for service"):
        store.delete(SERVICE, user)


def test_auto_prefers_the_secret_service(secret_service: dict[str, str], tmp_path: Path) -> None:
    store = open_store("auto", file_path=tmp_path / "unused.enc", password=STORE_PASSWORD)
    assert store.kind == "keyring"
    assert not (tmp_path / "unused.enc").exists()


def test_configured_plaintext_backend_is_refused_not_used(
    secret_service: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    PlaintextTestKeyring.file = tmp_path / "plaintext-keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.PlaintextTestKeyring")
    with pytest.raises(SecretStoreError) as info:
        open_store("keyring")
    assert f"PYTHON_KEYRING_BACKEND={__name__}.PlaintextTestKeyring: refused" in str(info.value)
    # auto: the operator's choice keeps secrets out of the keyring; the encrypted file is used instead.
    store = open_store("auto", file_path=tmp_path / "s.enc", password=STORE_PASSWORD)
    assert store.kind == "file" and "refused" in store.describe()
    store.put(SERVICE, "u", "must-not-be-plaintext")
    assert not PlaintextTestKeyring.file.exists()
    assert b"must-not-be-plaintext" not in (tmp_path / "s.enc").read_bytes()


def test_configured_null_backend_falls_back_to_the_file(
    secret_service: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv(PASSWORD_ENV, STORE_PASSWORD)
    store = open_store("auto", file_path=tmp_path / "s.enc")
    assert store.kind == "file"
    assert "null" in store.describe()


def test_configured_secure_backend_is_honoured(secret_service: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    assert open_store("auto").kind == "keyring"


def test_locked_secret_service_gives_a_clear_message(
    locked_secret_service: dict[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    with pytest.raises(SecretStoreError) as info:
        open_store("keyring")
    message = str(info.value)
    assert "collection 'Login' is locked" in message and PASSWORD_ENV in message
    with pytest.raises(SecretStoreError) as auto:
        open_store("auto", file_path=tmp_path / "s.enc")
    assert "locked" in str(auto.value) and "needs a password" in str(auto.value)
    # Interactive callers may let the keyring try its unlock prompt; with no prompter it is refused
    # at once, and that is still one clear message, not a hang.
    for store in (open_store("keyring", interactive=True), open_store("keyring", unlock_prompt=True)):
        with pytest.raises(SecretStoreError, match="locked"):
            store.put(SERVICE, unique_user(), "x" * 20)
    assert time.monotonic() - started < 10


_HELPER_SCRIPT = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.keyring_service import applied_env, running_secret_service
from mabs_wizard.secret_store import open_store
with tempfile.TemporaryDirectory() as tmp, running_secret_service(Path(tmp)) as env, applied_env(env):
    store = open_store("keyring")
    store.put("svc", "u", "no-terminal")
    print(store.get("svc", "u"), store.describe())
"""


def test_secret_service_helper_needs_no_terminal_and_no_stdin() -> None:
    # As in CI: no controlling terminal (new session), stdin closed.
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    result = subprocess.run([sys.executable, "-c", _HELPER_SCRIPT, str(root)], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60, start_new_session=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no-terminal keyring: SecretService Keyring (gnome-keyring")


def test_a_hung_session_bus_times_out_instead_of_hanging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A socket that accepts D-Bus connections and never answers: what a wedged bus looks like.
    path = tmp_path / "hung-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    try:
        started = time.monotonic()
        # Half a second: well inside jeepney's own 1 s authentication timeout, so the wizard's
        # deadline is what ends the wait (with 1 s each, which fired first was a race).
        with pytest.raises(SecretStoreError, match=r"did not answer within 0\.5 s"):
            open_store("keyring", timeout=0.5)
        assert time.monotonic() - started < 5
        store = open_store("auto", file_path=tmp_path / "s.enc", password=STORE_PASSWORD, timeout=0.5)
        assert store.kind == "file" and "did not answer" in store.describe()
    finally:
        server.close()


def test_no_session_bus_means_the_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(SecretStoreError, match="no usable OS keyring"):
        open_store("keyring")
    with pytest.raises(SecretStoreError) as info:
        open_store("auto", file_path=tmp_path / "s.enc")
    assert PASSWORD_ENV in str(info.value)
    monkeypatch.setenv(PASSWORD_ENV, STORE_PASSWORD)
    store = open_store("auto", file_path=tmp_path / "s.enc")
    assert store.kind == "file"
    assert store.describe().startswith(f"encrypted file {tmp_path / 's.enc'} (scrypt+AES-256-GCM)")


# ------------------------------------------------------------------------------------------
# The encrypted file store

FAST = {"log2_n": 12}  # format tests; the default cost (2**17) is exercised by open_store tests


def test_file_store_round_trip_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secrets.enc"
    store = EncryptedFileStore(path, STORE_PASSWORD, **FAST)
    assert not path.exists()  # created on first write
    store.put("svc", "a", "secret-a")
    store.put("svc", "b", "sécrét-b ✓")
    store.put("other", "a", "secret-c")
    assert store.get("svc", "a") == "secret-a"
    again = EncryptedFileStore(path, STORE_PASSWORD)
    assert again.get("svc", "b") == "sécrét-b ✓" and again.get("other", "a") == "secret-c"
    again.delete("svc", "a")
    with pytest.raises(SecretStoreError, match="no secret"):
        store.get("svc", "a")
    with pytest.raises(SecretStoreError, match="no secret"):
        store.delete("svc", "a")
    assert store.reference("svc", "b") == {"store": "file", "path": str(path), "service": "svc", "username": "b"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = path.read_bytes()
    assert b"secret" not in raw and "sécrét".encode() not in raw


def test_default_cost_store_through_open_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "mabs-wizard" / "secrets.enc"
    store = open_store("file", password=STORE_PASSWORD)
    store.put("svc", "u", "v")
    header = default_path().read_bytes()[:HEADER_SIZE]
    assert header[:8] == b"MABSWSS\x00" and header[8] == 1 and header[10] == 17  # format 1, scrypt n = 2**17
    assert open_store("file", password=STORE_PASSWORD).get("svc", "u") == "v"


def test_wrong_password_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "u", "v")
    with pytest.raises(SecretStoreError) as info:
        EncryptedFileStore(path, "not-the-password")
    assert "wrong password" in str(info.value) and str(path) in str(info.value)
    assert "not-the-password" not in str(info.value) and STORE_PASSWORD not in str(info.value)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("offset", "fragment"),
    [
        (-1, "modified or is damaged"),  # last byte: the GCM tag
        (HEADER_SIZE + 2, "modified or is damaged"),  # ciphertext
        (30, "modified or is damaged"),  # write salt (header, authenticated as associated data)
        (50, "modified or is damaged"),  # nonce
        (8, "format version"),  # version byte
        (0, "not a mabs-wizard secret store"),  # magic
        (10, "wrong password for the encrypted secret store (or its header was modified)"),  # scrypt n
        (20, "(or its header was modified)"),  # scrypt salt
    ],
)
def test_tampering_is_detected(tmp_path: Path, offset: int, fragment: str) -> None:
    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "u", "v")
    _flip(path, offset if offset >= 0 else path.stat().st_size + offset)
    with pytest.raises(SecretStoreError) as info:
        EncryptedFileStore(path, STORE_PASSWORD)
    assert fragment in str(info.value)


def test_truncated_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "u", "v")
    path.write_bytes(path.read_bytes()[:HEADER_SIZE + 5])
    with pytest.raises(SecretStoreError, match="not a mabs-wizard secret store|modified"):
        EncryptedFileStore(path, STORE_PASSWORD)
    path.write_bytes(b'{"secrets": "plain json"}')
    os.chmod(path, 0o600)
    with pytest.raises(SecretStoreError, match="not a mabs-wizard secret store"):
        EncryptedFileStore(path, STORE_PASSWORD)


def test_fresh_salt_and_nonce_on_every_write_but_one_kdf(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    store = EncryptedFileStore(path, STORE_PASSWORD, **FAST)
    headers, bodies = [], []
    for _ in range(5):
        store.put("svc", "u", "same value")  # the same content every time
        raw = path.read_bytes()
        headers.append(raw[:HEADER_SIZE])
        bodies.append(raw[HEADER_SIZE:])
    assert len({h[13:29] for h in headers}) == 1  # scrypt salt: chosen once per file
    assert len({h[29:45] for h in headers}) == 5  # write salt: fresh
    assert len({h[45:57] for h in headers}) == 5  # nonce: fresh
    assert len(set(bodies)) == 5
    assert len(store._masters) == 1  # the scrypt key was derived once for all the writes and reads


def test_kdf_cost_is_paid_once_per_store_object(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    started = time.perf_counter()
    store = EncryptedFileStore(path, STORE_PASSWORD)  # default n = 2**17
    store.put("svc", "first", "v")
    first = time.perf_counter() - started
    started = time.perf_counter()
    store.put("svc", "second", "v")
    for _ in range(20):
        store.get("svc", "second")
    rest = time.perf_counter() - started
    assert rest < first / 2  # 21 further operations cost less than half of one key derivation


def test_file_format_matches_its_documentation(tmp_path: Path) -> None:
    # Decrypt independently of the store's code, following the layout in file_store's docstring.
    import hashlib
    import struct

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "u", "documented")
    raw = path.read_bytes()
    magic, version, kdf, log2n, r, p, salt, write_salt, nonce, _check = struct.unpack(">8sBBBBB16s16s12s16s", raw[:73])
    assert (magic, version, kdf, log2n, r, p) == (b"MABSWSS\x00", 1, 1, 12, 8, 1)
    master = hashlib.scrypt(STORE_PASSWORD.encode(), salt=salt, n=2**log2n, r=r, p=p, dklen=32)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=write_salt,
               info=b"mabs-wizard secret store v1 aes-256-gcm").derive(master)
    payload = json.loads(AESGCM(key).decrypt(nonce, raw[73:], raw[:73]))
    assert payload == {"format": 1, "secrets": [{"service": "svc", "username": "u", "secret": "documented"}]}
    with pytest.raises(InvalidTag):  # the header is bound as associated data
        AESGCM(key).decrypt(nonce, raw[73:], b"")


def test_group_readable_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "u", "v")
    os.chmod(path, 0o644)
    with pytest.raises(SecretStoreError, match="readable by others"):
        EncryptedFileStore(path, STORE_PASSWORD)


def test_new_store_needs_a_real_password(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="at least 8"):
        EncryptedFileStore(tmp_path / "s.enc", "short")
    with pytest.raises(SecretStoreError, match="needs a password"):
        EncryptedFileStore(tmp_path / "s.enc", "")


def test_writes_are_atomic_for_a_concurrent_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    writer = EncryptedFileStore(path, STORE_PASSWORD, **FAST)
    writer.put("svc", "seed", "v")
    reader = EncryptedFileStore(path, STORE_PASSWORD)
    problems: list[str] = []
    done = threading.Event()

    def read_forever() -> None:
        while not done.is_set():
            try:
                reader.get("svc", "seed")
            except SecretStoreError as exc:  # a half-written file would land here
                problems.append(str(exc))

    thread = threading.Thread(target=read_forever)
    thread.start()
    try:
        for i in range(60):
            writer.put("svc", f"k{i}", "x" * (i * 37))
    finally:
        done.set()
        thread.join()
    assert problems == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.enc"
    EncryptedFileStore(path, STORE_PASSWORD, **FAST).put("svc", "seed", "v")
    stores = [EncryptedFileStore(path, STORE_PASSWORD) for _ in range(3)]

    def write(n: int) -> None:
        for i in range(15):
            stores[n].put("svc", f"w{n}-{i}", str(i))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = EncryptedFileStore(path, STORE_PASSWORD)
    for n in range(3):
        for i in range(15):
            assert final.get("svc", f"w{n}-{i}") == str(i)


def test_store_repr_and_describe_hold_no_password(tmp_path: Path) -> None:
    store = EncryptedFileStore(tmp_path / "s.enc", STORE_PASSWORD, **FAST)
    assert STORE_PASSWORD not in repr(store) + store.describe() + str(vars(store).get("path"))


_PROMPT_SCRIPT = """
import sys
from pathlib import Path
from mabs_wizard.secret_store import open_store
store = open_store("file", file_path=Path(sys.argv[1]), interactive=sys.argv[2] == "1")
store.put("svc", "u", "prompted")
print("STORED", store.get("svc", "u"))
"""


def test_file_store_prompts_only_when_interactive_on_a_terminal(tmp_path: Path) -> None:
    import pexpect

    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    path = tmp_path / "s.enc"
    # Not interactive, even on a terminal: no prompt, a clear error at once.
    child = pexpect.spawn(sys.executable, ["-c", _PROMPT_SCRIPT, str(path), "0"], env=env, timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus != 0 and b"needs a password" in child.before and b"Password" not in child.before
    # Interactive on a terminal: asks twice for a new store, echoes nothing.
    child = pexpect.spawn(sys.executable, ["-c", _PROMPT_SCRIPT, str(path), "1"], env=env, timeout=30)
    child.expect("Password for the encrypted secret store")
    child.sendline(STORE_PASSWORD)
    child.expect("Type it again")
    child.sendline(STORE_PASSWORD)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and b"STORED prompted" in child.before
    assert STORE_PASSWORD.encode() not in child.before
    assert EncryptedFileStore(path, STORE_PASSWORD).get("svc", "u") == "prompted"


def test_interactive_without_a_terminal_never_prompts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    result = subprocess.run([sys.executable, "-c", _PROMPT_SCRIPT, str(tmp_path / "s.enc"), "1"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode != 0 and "needs a password" in result.stderr


# ------------------------------------------------------------------------------------------ fingerprints


def test_fingerprint_is_salted_and_checkable() -> None:
    import re

    secret = "Pr0xy-P4ssw0rd!"
    a, b = fingerprint(secret), fingerprint(secret)
    assert re.fullmatch(r"scrypt\$[A-Za-z0-9+/]{22}==\$[0-9a-f]{16}", a)
    assert a != b
    assert fingerprint_matches(a, secret) and fingerprint_matches(b, secret)
    assert not fingerprint_matches(a, secret + "x")
    assert not fingerprint_matches("scrypt$junk$00", secret) and not fingerprint_matches("md5$x$y", secret)
    assert secret not in a and secret.encode().hex() not in a
