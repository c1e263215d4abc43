"""ansible-vault, run as a program (ansible-core is GPL-3.0 and is never imported).

Plaintext reaches it only on stdin (``encrypt_string --stdin-name``) or as the path of a file that
already exists (``encrypt --output``): never in argv, never in its environment. The password comes
from the operator's ``--vault-password-file`` (Ansible's own option, passed through as a path).
Each call starts a Python (~0.5 s), so many values are encrypted a few at a time in parallel.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.fleet.inventory import ansible_tool, child_env

TIMEOUT_S = 120
PARALLEL = 4
INDENT = "  "


class AnsibleVault:
    def __init__(self, password_file: Path) -> None:
        self.password_file = _check_password_file(password_file)
        self.tool = ansible_tool("ansible-vault")
        self.env = child_env()

    def hide(self, names: Iterable[str]) -> None:
        """Keep these environment variables (secrets the answers named) out of ansible-vault's environment."""
        self.env = child_env(names)

    def _run(self, args: list[str], stdin: bytes | None, what: str) -> str:
        try:
            done = subprocess.run([self.tool, *args, "--vault-password-file", str(self.password_file)], input=stdin,
                                  capture_output=True, env=self.env, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"ansible-vault did not finish {what} within {TIMEOUT_S} s") from None
        if done.returncode != 0:
            said = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            raise InputError(f"ansible-vault failed {what}", [f"ansible-vault failed {what}; it says:", *("  " + s for s in said[:20])])
        return done.stdout.decode("utf-8")

    def encrypt_string(self, name: str, value: str) -> str:
        """``NAME: !vault |`` and its ciphertext lines (indented two spaces), as YAML for a vars file."""
        text = self._run(["encrypt_string", "--stdin-name", name], value.encode("utf-8"), f"encrypting {name}")
        head, *body = [line for line in text.splitlines() if line.strip()]
        if head.strip() != f"{name}: !vault |" or not body or body[0].strip() != "$ANSIBLE_VAULT;1.1;AES256":
            raise InputError(f"ansible-vault encrypt_string printed an unexpected answer for {name}")
        return "\n".join([head.strip(), *(INDENT + line.strip() for line in body)]) + "\n"

    def encrypt_strings(self, items: Iterable[tuple[str, str]]) -> list[str]:
        items = list(items)
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            return list(pool.map(lambda item: self.encrypt_string(*item), items))

    def encrypt_file(self, source: Path, target: Path) -> Path:
        """The whole file as ansible-vault ciphertext (win_copy decrypts it on the way to the host)."""
        self._run(["encrypt", "--output", str(target), str(source)], None, f"encrypting {source.name}")
        os.chmod(target, 0o600)
        return target


def _check_password_file(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: no such vault password file (--vault-password-file: a file holding the ansible-vault password)")
    if not os.access(path, os.X_OK) and not path.read_bytes().strip():
        raise InputError(f"{path}: the vault password file is empty")
    return path.resolve()
