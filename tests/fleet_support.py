"""A fleet kit for tests: the demo kit as the template, plus the fleet fixtures' facts and secrets.

tests/fixtures/fleet/ holds real inventories (YAML, and INI with host_vars) naming four hosts of the
group mabs_servers (mabs01..mabs03 in mabs_ok, mabs04 broken on purpose in mabs_broken) and a
sql01 outside it; their overrides give relative paths, which are relative to the template: the facts
files are copied next to the demo kit's. Facts files have the shape collect-facts.ps1 writes
(assets/facts/collect-facts.ps1; `mabs-wizard schema facts`).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from tests.kits import offline_demo_kit

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "fleet"
YAML_INVENTORY = FIXTURES / "yaml" / "inventory.yml"
INI_INVENTORY = FIXTURES / "ini" / "inventory.ini"
MEDIA = 2 * 2**20
BIN = Path(sys.executable).parent


def make_fleet_kit(folder: Path) -> Path:
    """The template (answers.yaml) of a fresh demo kit, with every host's facts and mabs02's own password."""
    answers = offline_demo_kit(folder, media_bytes=MEDIA)
    for facts in (FIXTURES / "facts").glob("*.json"):
        shutil.copy(facts, folder / "facts" / facts.name)
    # Hex digits cannot spell a part of the restricted accounts' names (the password rule refuses those).
    write_secret(folder / "secrets" / "mabs02-password.txt", f"Kx{secrets.token_hex(8)}!Q")
    # Each kit its own keyring service: tests sharing the session's Secret Service never see each other's entries.
    text = answers.read_text()
    answers.write_text(text.replace("  kind: auto", f"  kind: auto\n  service: mw-fleet-{uuid.uuid4().hex[:12]}"))
    return answers


def write_secret(path: Path, value: str) -> None:
    path.write_text(value + "\n")
    path.chmod(0o600)


def read_secret(path: Path) -> str:
    return path.read_text().split("\n", 1)[0]


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mabs_wizard", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, cwd=cwd)


def tool(name: str, *args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """One of Ansible's commands from the test environment (make test installs the [fleet] extra)."""
    path = BIN / name
    assert path.is_file(), f"{path} missing: make test installs the [fleet] extra (ansible, ansible-lint)"
    return subprocess.run([str(path), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1"})


def position(path: Path, needle: str, after: str | None = None) -> str:
    """LINE:COL (1-based) of the first ``needle`` in ``path`` (after the line holding ``after``)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    for i in range(start, len(lines)):
        col = lines[i].find(needle)
        if col >= 0:
            return f"{i + 1}:{col + 1}"
    raise AssertionError(f"{needle!r} not in {path}")


def encodings(secret: str | bytes) -> list[bytes]:
    """How a secret could sit in a file: its bytes, UTF-16LE (as Windows writes), and base64 at each
    of the three alignments (the part of the encoding that does not depend on the bytes around it)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    found = [raw]
    if isinstance(secret, str):
        found.append(secret.encode("utf-16-le"))
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)
        # Drop the first group (it mixes the padding in) and the last (it mixes whatever follows in).
        inner = encoded[4 if pad else 0:-4]
        if len(inner) >= 8:
            found.append(inner)
    return found


def files_holding(root: Path, needles: list[str | bytes]) -> list[str]:
    encoded = [e for n in needles for e in encodings(n)]
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}" for e in encoded if e in data]
    return hits
