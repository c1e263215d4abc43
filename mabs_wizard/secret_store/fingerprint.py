"""Non-reversible, salted fingerprints of secrets for the install manifest.

``scrypt$<salt-b64>$<16 hex>``: scrypt (n=2**12, r=8, p=1, ~11 ms here) over a fresh 16-byte salt,
truncated to 64 bits. It lets a later run confirm "this is the secret that was used" without the
manifest revealing it: the random salt stops precomputed tables and cross-manifest matching, the KDF
cost and the truncation make guessing from a leaked manifest expensive and ambiguous. It is not a
verifier for a low-entropy password against a determined attacker; the passphrase has its own,
costlier verifier (mabs_wizard.passphrase).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

FINGERPRINT_N = 2**12
FINGERPRINT_R = 8
FINGERPRINT_P = 1
_SALT_BYTES = 16
_DIGEST_BYTES = 8


def _digest(secret: str, salt: bytes) -> str:
    raw = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=FINGERPRINT_N, r=FINGERPRINT_R, p=FINGERPRINT_P, dklen=_DIGEST_BYTES
    )
    return raw.hex()


def fingerprint(secret: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    return f"scrypt${base64.b64encode(salt).decode('ascii')}${_digest(secret, salt)}"


def fingerprint_matches(value: str, secret: str) -> bool:
    """True when ``value`` (from :func:`fingerprint`) was made from ``secret``."""
    parts = value.split("$")
    if len(parts) != 3 or parts[0] != "scrypt" or len(parts[2]) != 2 * _DIGEST_BYTES:
        return False
    try:
        salt = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(salt) != _SALT_BYTES:
        return False
    return hmac.compare_digest(_digest(secret, salt), parts[2])
