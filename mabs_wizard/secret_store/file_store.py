"""An encrypted file for secrets, for hosts without a secure OS keyring (a headless Linux server).

File layout, format version 1 (all integers unsigned, big-endian)::

    offset size
     0      8   magic  b"MABSWSS\\0"
     8      1   format version (1)
     9      1   KDF id (1 = scrypt)
    10      1   log2(scrypt n)     default 17
    11      1   scrypt r           default 8
    12      1   scrypt p           default 1
    13     16   scrypt salt        (chosen when the file is created)
    29     16   write salt         (fresh for every write)
    45     12   AES-GCM nonce      (fresh for every write)
    57     16   key check          HKDF(master, info="key check"), tells a wrong password from tampering
    73      …   AES-256-GCM ciphertext of the JSON payload, then the 16-byte tag

The whole 73-byte header is the AEAD associated data, so changing any header byte (version, KDF
parameters, salts, nonce) makes decryption fail as surely as changing the ciphertext.

Keys: ``master = scrypt(password, scrypt salt)``; for each write ``key = HKDF-SHA256(master,
salt=write salt)``. The expensive scrypt runs once per store object (the master is cached), yet every
write still uses a fresh salt, a fresh nonce and therefore a fresh key, so no (key, nonce) pair can
repeat however many writes happen. scrypt n=2**17, r=8, p=1 costs ~0.4 s here (OWASP's scrypt
recommendation); the parameters live in the header, so they can be raised without breaking old files.

Writes are atomic (temp file, fsync, rename; mode 0600, folder 0700) and serialised between
processes with an flock on ``<file>.lock``; every operation re-reads the file so two runs do not
lose each other's updates.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path

from mabs_wizard.errors import SecretStoreError
from mabs_wizard.fsutil import atomic_write_bytes

MAGIC = b"MABSWSS\x00"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
DEFAULT_LOG2_N = 17
DEFAULT_R = 8
DEFAULT_P = 1
MIN_NEW_PASSWORD = 8
MAX_FILE_BYTES = 16 * 1024 * 1024
_HEADER = struct.Struct(">8sBBBBB16s16s12s16s")
HEADER_SIZE = _HEADER.size  # 73
_TAG = 16
_HKDF_INFO = b"mabs-wizard secret store v1 aes-256-gcm"
_CHECK_INFO = b"mabs-wizard secret store v1 key check"


def default_path() -> Path:
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "mabs-wizard" / "secrets.enc"


def _scrypt(password: str, salt: bytes, log2n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**log2n, r=r, p=p).derive(password.encode("utf-8"))


def _hkdf(master: bytes, salt: bytes | None, info: bytes, length: int = 32) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(master)


class EncryptedFileStore:
    """A :class:`SecretStore` in one scrypt + AES-256-GCM file."""

    kind = "file"

    def __init__(
        self,
        path: Path,
        password: str,
        *,
        log2_n: int = DEFAULT_LOG2_N,
        r: int = DEFAULT_R,
        p: int = DEFAULT_P,
        note: str | None = None,
    ) -> None:
        if not password:
            raise SecretStoreError("the encrypted secret store needs a password (MABS_WIZARD_STORE_PASSWORD)")
        self.path = Path(path)
        self._password = password
        self._new_params = (log2_n, r, p)
        self._masters: dict[tuple[bytes, int, int, int], bytes] = {}
        self._note = note
        if not self.path.exists() and len(password) < MIN_NEW_PASSWORD:
            raise SecretStoreError(
                f"the password for a new encrypted secret store must have at least {MIN_NEW_PASSWORD} characters"
            )
        self._read()  # wrong password, tampering, bad permissions: reported now, not at first use

    def __repr__(self) -> str:
        return f"EncryptedFileStore({str(self.path)!r})"

    def describe(self) -> str:
        text = f"encrypted file {self.path} (scrypt+AES-256-GCM)"
        return f"{text}; {self._note}" if self._note else text

    def reference(self, service: str, username: str) -> dict[str, str]:
        return {"store": "file", "path": str(self.path), "service": service, "username": username}

    # -- public API ---------------------------------------------------------------------------

    def put(self, service: str, username: str, secret: str) -> None:
        with self._locked():
            entries, salt_params = self._read()
            entries[(service, username)] = secret
            self._write(entries, salt_params)

    def get(self, service: str, username: str) -> str:
        entries, _ = self._read()
        try:
            return entries[(service, username)]
        except KeyError:
            raise SecretStoreError(
                f"no secret for service {service!r}, user {username!r} in {self.describe()}"
            ) from None

    def delete(self, service: str, username: str) -> None:
        with self._locked():
            entries, salt_params = self._read()
            if (service, username) not in entries:
                raise SecretStoreError(f"no secret for service {service!r}, user {username!r} in {self.describe()}")
            del entries[(service, username)]
            self._write(entries, salt_params)

    # -- file format --------------------------------------------------------------------------

    def _master(self, salt: bytes, log2n: int, r: int, p: int) -> bytes:
        key = (salt, log2n, r, p)
        if key not in self._masters:
            self._masters[key] = _scrypt(self._password, salt, log2n, r, p)
        return self._masters[key]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            import fcntl
        except ImportError:  # Windows: a secure keyring exists there; no cross-process lock
            yield
            return
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _fail(self, reason: str) -> SecretStoreError:
        return SecretStoreError(f"{self.path}: {reason}")

    def _read(self) -> tuple[dict[tuple[str, str], str], tuple[bytes, int, int, int]]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            log2n, r, p = self._new_params
            return {}, (secrets.token_bytes(16), log2n, r, p)
        except OSError as exc:
            raise self._fail(f"cannot open the secret store ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if os.name != "nt" and mode & 0o077:
                raise self._fail(f"secret store is readable by others (mode {mode & 0o777:o}); run chmod 600 on it")
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise self._fail("too large to be a mabs-wizard secret store")
        if len(data) < HEADER_SIZE + _TAG or not data.startswith(MAGIC):
            raise self._fail("not a mabs-wizard secret store (bad magic or truncated)")
        header = data[:HEADER_SIZE]
        _magic, version, kdf, log2n, r, p, scrypt_salt, write_salt, nonce, check = _HEADER.unpack(header)
        if version != FORMAT_VERSION:
            raise self._fail(f"secret store format version {version} is not supported (this mabs-wizard reads {FORMAT_VERSION})")
        if kdf != KDF_SCRYPT or not (10 <= log2n <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise self._fail("secret store header names an unsupported or out-of-range key derivation")
        master = self._master(scrypt_salt, log2n, r, p)
        import hmac

        if not hmac.compare_digest(_hkdf(master, None, _CHECK_INFO, 16), check):
            raise self._fail("wrong password for the encrypted secret store (or its header was modified)")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = _hkdf(master, write_salt, _HKDF_INFO)
        try:
            plain = AESGCM(key).decrypt(nonce, data[HEADER_SIZE:], header)
        except InvalidTag:
            raise self._fail(
                "secret store was modified or is damaged (authentication failed); restore it from a backup "
                "or delete it and store the secrets again"
            ) from None
        try:
            payload = json.loads(plain)
            entries = {(e["service"], e["username"]): e["secret"] for e in payload["secrets"]}
        except (ValueError, KeyError, TypeError):
            raise self._fail("secret store content is not in the expected format") from None
        return entries, (scrypt_salt, log2n, r, p)

    def _write(self, entries: dict[tuple[str, str], str], params: tuple[bytes, int, int, int]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        scrypt_salt, log2n, r, p = params
        master = self._master(scrypt_salt, log2n, r, p)
        write_salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        check = _hkdf(master, None, _CHECK_INFO, 16)
        header = _HEADER.pack(MAGIC, FORMAT_VERSION, KDF_SCRYPT, log2n, r, p, scrypt_salt, write_salt, nonce, check)
        payload = {
            "format": FORMAT_VERSION,
            "secrets": [
                {"service": s, "username": u, "secret": v} for (s, u), v in sorted(entries.items())
            ],
        }
        plain = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        sealed = AESGCM(_hkdf(master, write_salt, _HKDF_INFO)).encrypt(nonce, plain, header)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            atomic_write_bytes(self.path, header + sealed, 0o600)
        except OSError as exc:
            raise self._fail(f"cannot write the secret store ({exc.strerror})") from None
