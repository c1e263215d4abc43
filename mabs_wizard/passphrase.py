"""The backup encryption passphrase: rules, strength, generator, verifier and the passphrase file.

Rules (mabs-facts §4): at least 16 characters; ASCII only ("ASCII values less than or equal to 127"),
narrowed here to the printable range 32-126, because control characters (tab, escape, DEL) cannot be
typed reliably into the MARS dialog and vanish or mutate when copied. No maximum is documented, so
none is imposed. Messages never contain the passphrase, its length or any of its characters.

Generator alphabet (mabs-facts §10.2: Microsoft documents none): the 17 lowercase letters
``bcdefghjknprstuvx``, 32 of them drawn with ``secrets`` = 32 x log2(17) = 130.8 bits.

* Only letters that sit on the *same key* in US/UK QWERTY, German/Swiss QWERTZ, French/Belgian AZERTY
  and Turkish Q. A passphrase is often typed into a fresh server's console (Hyper-V, iLO, a cloud
  serial console) whose layout differs from the operator's keyboard; these letters still come out
  right. Hence no a/q/w/z/y/m (AZERTY and QWERTZ move them) and no i (Turkish Q puts the dotless
  i there).
* No digits (they need Shift on AZERTY), no punctuation (moves on every layout, and breaks shell
  quoting), no capitals (Shift and Caps Lock mistakes, and c/C, s/S, v/V, x/X look alike on paper).
* No l and no o (confused with 1/I and 0/O when read back from paper or a screenshot).
* Letters only, so a double-click in any terminal selects the whole value, and nothing needs
  escaping in PowerShell, cmd or an ini file.
(Dvorak/Colemak mismatches cannot be survived by any alphabet and are out of scope.)

Verifier: scrypt (n=2**15, r=8, p=1, 16-byte salt, 32-byte hash). One verification costs ~80 ms on
this 2-core box: negligible once per run, ~12 guesses/s/core for an attacker holding the manifest.

Passphrase file format (written by :func:`write_passphrase_file`; MARS's own file format is not
documented, mabs-facts §10.3). UTF-8/ASCII text, CRLF line ends (read on Windows), mode 0600, named
``MABS-passphrase_<vault>_<machine>_<YYYY-MM-DD>.txt`` (``_2``, ``_3``... if that exists: an older
passphrase file is never overwritten)::

    MABS / MARS backup encryption passphrase
    Vault:    contoso-mabs-vault
    Machine:  MABS01
    Created:  2026-01-31T10:15:00Z
    Tool:     mabs-wizard 0.1.0

    Microsoft does not keep this passphrase. Without it, the backups this machine sends to the
    vault cannot be restored, and registering this or another server needs the same passphrase.
    Keep this file away from the protected server (Microsoft recommends Azure Key Vault).

    The passphrase is everything after "Passphrase: " on the next line, exactly.
    Passphrase: <the passphrase>

:func:`read_passphrase_file` reads it back.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import os
import re
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from mabs_wizard.errors import InputError
from mabs_wizard.findings import Finding, error, passed, warning
from mabs_wizard.fsutil import fsync_dir

MIN_LENGTH = 16
PRINTABLE_MIN, PRINTABLE_MAX = 32, 126
GENERATED_ALPHABET = "bcdefghjknprstuvx"
GENERATED_LENGTH = 32
GENERATED_BITS = GENERATED_LENGTH * math.log2(len(GENERATED_ALPHABET))

SCRYPT_N = 2**15  # ~80 ms per verify here (cryptography's scrypt, 2 cores): see module docstring
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# Bounds for a verifier read from a manifest someone else may have edited: refuse parameters
# that would make `passphrase verify` take minutes or gigabytes.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_MAX_MEMORY = 256 * 1024 * 1024

FILE_MARKER = "Passphrase: "

STRENGTH_WINDOW = 256
StrengthLabel = Literal["weak", "fair", "strong", "very strong"]


# --------------------------------------------------------------------------------------------
# Rules


def _outside_printable(value: str) -> list[int]:
    return [i for i, ch in enumerate(value) if not PRINTABLE_MIN <= ord(ch) <= PRINTABLE_MAX]


def check_passphrase(value: str, confirm: str | None, *, field: str = "encryption.passphrase",
                     confirm_field: str = "encryption.confirm_passphrase") -> list[Finding]:
    """The MABS rules; ``confirm=None`` skips the confirmation (value came from a file or env).

    A confirmation that differs is reported on the confirmation's own field, so it shows beside a
    too-short passphrase on the same Next rather than a round later."""
    findings: list[Finding] = []
    if len(value) < MIN_LENGTH:
        findings.append(
            error("passphrase.too-short", field, f"passphrase is shorter than {MIN_LENGTH} characters",
                  f"use at least {MIN_LENGTH} characters, or let the wizard generate one")
        )
    bad = _outside_printable(value)
    if bad:
        findings.append(
            error("passphrase.charset", field,
                  f"passphrase has {len(bad)} character(s) outside printable ASCII (32-126), "
                  f"the first at position {bad[0] + 1}",
                  "use only letters, digits, space and the punctuation of a US keyboard")
        )
    if confirm is not None and not hmac.compare_digest(value.encode("utf-8"), confirm.encode("utf-8")):
        findings.append(error("passphrase.confirm-mismatch", confirm_field, "passphrase and confirmation differ",
                              "type the same passphrase in both fields"))
    if value and (value[0] == " " or value[-1] == " "):
        findings.append(
            warning("passphrase.edge-space", field, "passphrase starts or ends with a space, which copying easily loses")
        )
    if not any(f.level == "error" for f in findings):
        strength = estimate_strength(value)
        if strength.label == "weak":
            findings.append(
                warning("passphrase.weak", field, "passphrase meets the rules but looks easy to guess (estimated: weak)",
                        "use a longer or generated passphrase")
            )
        else:
            findings.append(passed("passphrase.ok", field, f"passphrase meets the rules (estimated strength: {strength.label})"))
    return findings


# --------------------------------------------------------------------------------------------
# Strength


class Strength(BaseModel):
    model_config = ConfigDict(frozen=True)

    bits: float
    label: StrengthLabel


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "azertyuiop", "qwertzuiop")


def _pool(value: str) -> int:
    pool = 0
    if any(c.islower() for c in value):
        pool += 26
    if any(c.isupper() for c in value):
        pool += 26
    if any(c.isdigit() for c in value):
        pool += 10
    if " " in value:
        pool += 1
    if any(not c.isalnum() and c != " " for c in value):
        pool += 32
    return max(pool, 1)


def _pattern_bits(value: str, per_char: float) -> float:
    bits = 0.0
    for i, ch in enumerate(value):
        if i == 0:
            bits += per_char
            continue
        prev = value[i - 1]
        step = ord(ch) - ord(prev)
        pair = (prev + ch).lower()
        if step == 0 or abs(step) == 1 or any(pair in row or pair in row[::-1] for row in _KEYBOARD_ROWS):
            bits += 1.0  # repeats, "abcd"/"4321", keyboard walks: nearly free for a guesser
        else:
            bits += per_char
    return bits


def _smallest_period(value: str) -> int:
    """Smallest p with value[i] == value[i - p] for all i >= p (KMP prefix function: linear, so a
    megabyte-long hostile value costs milliseconds, not minutes)."""
    border = [0] * len(value)
    k = 0
    for i in range(1, len(value)):
        while k and value[i] != value[k]:
            k = border[k - 1]
        if value[i] == value[k]:
            k += 1
        border[i] = k
    return len(value) - border[-1]


def estimate_strength(value: str) -> Strength:
    """A rough entropy estimate: character pool x length, discounting repeats, runs, keyboard walks
    and periodic values ("abcabcabc...").

    Only the first 256 characters are looked at. It knows no dictionary, so a passphrase made of common words scores higher than it deserves;
    that is why the wizard shows it and never enforces it beyond the MABS rules.
    """
    if not value:
        return Strength(bits=0.0, label="weak")
    value = value[:STRENGTH_WINDOW]  # bounded work for hostile input; 256 characters decide the label anyway
    per_char = math.log2(_pool(value))
    period = _smallest_period(value)
    bits = _pattern_bits(value[:period], per_char) + math.log2(len(value) / period)
    label: StrengthLabel
    if bits < 56:
        label = "weak"
    elif bits < 80:
        label = "fair"
    elif bits < 120:
        label = "strong"
    else:
        label = "very strong"
    return Strength(bits=round(bits, 1), label=label)


# --------------------------------------------------------------------------------------------
# Generator


def generate_passphrase() -> str:
    """32 letters from GENERATED_ALPHABET (130.8 bits); see the module docstring for why these."""
    return "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))


# --------------------------------------------------------------------------------------------
# Verifier


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str, low: int, high: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if not low <= len(raw) <= high:
        raise ValueError(f"{what} must be {low}-{high} bytes")
    return raw


class PassphraseVerifier(BaseModel):
    """Lets the wizard confirm a typed passphrase later without storing it (kept in the manifest)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["scrypt"] = "scrypt"
    n: int
    r: int
    p: int
    salt: str
    hash: str

    @field_validator("n")
    @classmethod
    def _n_power_of_two(cls, n: int) -> int:
        if n < 2**10 or n > _MAX_N or n & (n - 1):
            raise ValueError(f"n must be a power of two between 1024 and {_MAX_N}")
        return n

    @field_validator("r")
    @classmethod
    def _r_range(cls, r: int) -> int:
        if not 1 <= r <= _MAX_R:
            raise ValueError(f"r must be 1-{_MAX_R}")
        return r

    @field_validator("p")
    @classmethod
    def _p_range(cls, p: int) -> int:
        if not 1 <= p <= _MAX_P:
            raise ValueError(f"p must be 1-{_MAX_P}")
        return p

    @field_validator("salt")
    @classmethod
    def _salt_b64(cls, salt: str) -> str:
        _unb64(salt, "salt", 8, 64)
        return salt

    @field_validator("hash")
    @classmethod
    def _hash_b64(cls, value: str) -> str:
        _unb64(value, "hash", 16, 64)
        return value

    @model_validator(mode="after")
    def _memory_bound(self) -> PassphraseVerifier:
        if 128 * self.n * self.r * self.p > _MAX_MEMORY * 4 or 128 * self.n * self.r > _MAX_MEMORY:
            raise ValueError("scrypt parameters need too much memory or time")
        return self


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def make_verifier(passphrase: str) -> PassphraseVerifier:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return PassphraseVerifier(n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, salt=_b64(salt), hash=_b64(digest))


def verify_passphrase(verifier: PassphraseVerifier, candidate: str) -> bool:
    expected = base64.b64decode(verifier.hash)
    salt = base64.b64decode(verifier.salt)
    actual = _scrypt(candidate, salt, verifier.n, verifier.r, verifier.p, len(expected))
    return hmac.compare_digest(actual, expected)


# --------------------------------------------------------------------------------------------
# Passphrase file


def _safe_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("._") or "unknown"
    return cleaned[:64]


def _render_file(passphrase: str, *, vault_name: str, machine: str, now: datetime) -> bytes:
    from mabs_wizard import __version__

    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        "MABS / MARS backup encryption passphrase",
        f"Vault:    {_printable(vault_name)}",
        f"Machine:  {_printable(machine)}",
        f"Created:  {created}",
        f"Tool:     mabs-wizard {__version__}",
        "",
        "Microsoft does not keep this passphrase. Without it, the backups this machine sends to the",
        "vault cannot be restored, and registering this or another server needs the same passphrase.",
        "Keep this file away from the protected server (Microsoft recommends Azure Key Vault).",
        "",
        'The passphrase is everything after "Passphrase: " on the next line, exactly.',
        f"{FILE_MARKER}{passphrase}",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def _printable(text: str) -> str:
    return "".join(ch if PRINTABLE_MIN <= ord(ch) <= PRINTABLE_MAX else "?" for ch in text)


def _write_new(directory: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Atomic like fsutil.atomic_write_bytes (temp, fsync, then publish), but never replaces a file:
    the temp file is published with link(), which fails if the name exists."""
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for attempt in range(1, 1000):
            target = directory / (f"{stem}{suffix}" if attempt == 1 else f"{stem}_{attempt}{suffix}")
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:
                # No hard links (FAT/exFAT USB stick, some SMB mounts): check, then rename.
                if target.exists():
                    continue
                os.replace(tmp, target)
            fsync_dir(directory)
            return target
        raise InputError(f"{directory}: too many passphrase files for this vault and machine today")
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def write_passphrase_file(directory: Path, passphrase: str, *, vault_name: str, machine: str, now: datetime) -> Path:
    """Write the passphrase file into an existing ``directory`` (mode 0600, never overwriting).

    Idempotent: a file this wizard wrote earlier for the same vault and machine that holds the same
    passphrase is that file (a second replay of the same answers writes no second copy)."""
    directory = Path(directory)
    if not directory.exists():
        raise InputError(
            f"{directory}: passphrase save location does not exist; create it first "
            "(MABS unattended setup also requires an existing folder)"
        )
    if not directory.is_dir():
        raise InputError(f"{directory}: passphrase save location is not a folder")
    if any(f.level == "error" for f in check_passphrase(passphrase, None)):
        raise InputError(f"{directory}: passphrase does not meet the rules; nothing written")
    prefix = f"MABS-passphrase_{_safe_name(vault_name)}_{_safe_name(machine)}_"
    for earlier in sorted(directory.glob(prefix + "*.txt")):
        try:
            if earlier.is_file() and not earlier.is_symlink() and hmac.compare_digest(read_passphrase_file(earlier), passphrase):
                return earlier
        except (OSError, InputError):
            continue  # not one of ours, or unreadable: never reused, never overwritten
    stem = f"{prefix}{now.astimezone(UTC):%Y-%m-%d}"
    data = _render_file(passphrase, vault_name=vault_name, machine=machine, now=now)
    try:
        return _write_new(directory, stem, ".txt", data)
    except PermissionError:
        raise InputError(f"{directory}: permission denied writing the passphrase file") from None
    except OSError as exc:
        raise InputError(f"{directory}: cannot write the passphrase file ({exc.strerror})") from None


def read_passphrase_file(path: Path) -> str:
    """The passphrase from a file written by :func:`write_passphrase_file`."""
    path = Path(path)
    with path.open("rb") as fh:
        data = fh.read(64 * 1024 + 1)
    if len(data) > 64 * 1024:
        raise InputError(f"{path}: too large for a passphrase file")
    for raw in data.decode("ascii", "replace").splitlines():
        if raw.startswith(FILE_MARKER):
            return raw[len(FILE_MARKER) :]
    raise InputError(f'{path}: no "{FILE_MARKER.strip()}" line; not a mabs-wizard passphrase file')


# --------------------------------------------------------------------------------------------
# Save location


def _looks_windows(path: str) -> bool:
    return bool(PureWindowsPath(path).drive) or path.startswith("\\\\")


def _inside(child: str, parent: str) -> bool:
    if _looks_windows(parent) or _looks_windows(child):
        if not (_looks_windows(parent) and _looks_windows(child)):
            return False
        c = [part.casefold() for part in PureWindowsPath(child).parts]
        p = [part.casefold() for part in PureWindowsPath(parent).parts]
    else:
        c = list(PurePosixPath(os.path.realpath(child)).parts)
        p = list(PurePosixPath(os.path.realpath(parent)).parts)
    return len(c) >= len(p) and c[: len(p)] == p


def check_save_location(
    directory: Path,
    *,
    same_machine_as_target: bool,
    extraction_dir: Path | None,
    install_dirs: list[str],
    field: str = "encryption.save_location",
) -> list[Finding]:
    """Where the passphrase file goes: must be an existing, writable folder; warns about places
    MABS advises against (the protected server itself, folders that setup or uninstall removes)."""
    directory = Path(directory)
    if not directory.exists():
        return [
            error("passphrase.location-missing", field, f"folder {directory} does not exist",
                  "create it first (MABS unattended setup requires an existing folder)")
        ]
    if not directory.is_dir():
        return [error("passphrase.location-not-dir", field, f"{directory} is not a folder")]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [error("passphrase.location-readonly", field, f"folder {directory} is not writable")]
    findings: list[Finding] = []
    if same_machine_as_target:
        findings.append(
            warning("passphrase.location-same-machine", field,
                    "the passphrase would be saved on the server it protects; if that server is lost, so is the passphrase",
                    "save it on another machine or removable media, preferably in Azure Key Vault")
        )
    here = str(directory.resolve()) if not _looks_windows(str(directory)) else str(directory)
    if extraction_dir is not None and _inside(here, str(extraction_dir)):
        findings.append(
            warning("passphrase.location-in-extraction", field,
                    f"folder is inside the extraction folder {extraction_dir}, which is usually deleted after setup",
                    "choose a folder outside the installer files")
        )
    for install_dir in install_dirs:
        if install_dir and _inside(here, str(install_dir)):
            findings.append(
                warning("passphrase.location-in-install", field,
                        f"folder is inside the install folder {install_dir}, which uninstall or upgrade may remove",
                        "choose a folder outside the product folders")
            )
            break
    if not findings:
        findings.append(passed("passphrase.location-ok", field, f"passphrase will be saved in {directory}"))
    return findings
