"""Mutated vault files: whatever the damage, parsing ends in a result or one InputError line, never
another exception (no traceback can reach the operator)."""

from __future__ import annotations

import atexit
import base64
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mabs_wizard.errors import InputError
from mabs_wizard.vault import check_vault, parse_vault_credentials
from mabs_wizard.vault.demo import write_demo_vault_credentials
from tests.fuzzing import examples

_DIR = Path(tempfile.mkdtemp(prefix="mw-vault-fuzz-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
_SEED = write_demo_vault_credentials(_DIR / "seed.VaultCredentials")
SEED_BYTES = _SEED.read_bytes()
_MATCH = re.search(rb"<ManagementCert>(.*)</ManagementCert>", SEED_BYTES)
assert _MATCH
PFX = base64.b64decode(_MATCH.group(1))


def _parse(data: bytes) -> None:
    target = _DIR / "fuzz.VaultCredentials"
    target.write_bytes(data)
    try:
        creds = parse_vault_credentials(target)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(target))
        return
    check_vault(creds, now=datetime.now(UTC))


edits = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8)


def _apply(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    for pos, value in changes:
        buf[pos % len(buf)] = value
    return bytes(buf)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=edits, cut=st.one_of(st.none(), st.integers(min_value=0, max_value=len(SEED_BYTES))))
def test_mutated_xml_never_escapes_as_a_traceback(changes: list[tuple[int, int]], cut: int | None) -> None:
    data = _apply(SEED_BYTES, changes)
    _parse(data[:cut] if cut is not None else data)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=edits, cut=st.one_of(st.none(), st.integers(min_value=1, max_value=len(PFX))))
def test_mutated_pfx_never_escapes_as_a_traceback(changes: list[tuple[int, int]], cut: int | None) -> None:
    # Valid base64 of a damaged PKCS#12: exercises the DER cost guard and OpenSSL's error paths.
    der = _apply(PFX, changes)
    der = der[:cut] if cut is not None else der
    blob = base64.b64encode(der)
    _parse(SEED_BYTES[: _MATCH.start(1)] + blob + SEED_BYTES[_MATCH.end(1) :])


@settings(max_examples=examples(100), deadline=None)
@given(junk=st.binary(max_size=2048))
def test_random_bytes_are_one_line_errors(junk: bytes) -> None:
    _parse(junk)
