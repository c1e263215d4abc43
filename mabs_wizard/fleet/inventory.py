"""The fleet's hosts, as Ansible reads the inventory: ``ansible-inventory -i INV --list``.

Running Ansible's own reader means every inventory Ansible accepts works here (INI, YAML, a folder,
a dynamic inventory script or plugin), with its host_vars/group_vars and variable precedence, and
that ansible-core (GPL-3.0) is never imported into the wizard: it runs as a separate program.

Hosts are the members of ``--group`` (default ``mabs_servers``; when the inventory has no such group,
every host). A host's ``mabs_wizard`` variable holds its overrides; Ansible's own variables (its
connection settings) are left to Ansible.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mabs_wizard.errors import InputError
from mabs_wizard.secret_store.base import PASSWORD_ENV

DEFAULT_GROUP = "mabs_servers"
OVERRIDE_VAR = "mabs_wizard"
INSTALL_HINT = "pip install 'mabs-wizard[fleet]' (it brings ansible, which bundles ansible.windows, and ansible-lint)"
STORE_PASSWORD_ENV = PASSWORD_ENV  # the encrypted store's password: kept out of ansible-inventory's environment
INVENTORY_TIMEOUT_S = 600  # a dynamic inventory may query a cloud API; a hung one must still end
MAX_MESSAGE_LINES = 60

# Without these, ansible-inventory only warns about a source it cannot parse and lists an empty
# inventory with exit code 0 (ansible-core's INVENTORY_UNPARSED_IS_FAILED and
# INVENTORY_ANY_UNPARSED_IS_FAILED settings, `ansible-config list`).
_STRICT = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
}


@dataclass(frozen=True)
class FleetHost:
    name: str
    override: Any  # the host's mabs_wizard value as Ansible resolved it; None when it has none


@dataclass(frozen=True)
class Inventory:
    source: str  # INV as given on the command line
    group: str  # the group the hosts came from; "all" when the default group does not exist
    hosts: list[FleetHost]


def ansible_tool(name: str) -> str:
    """The path of one of Ansible's commands: beside this Python first (a virtualenv's bin folder
    is not always on PATH when the wizard is started by its full path), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise InputError(f"{name} is not installed: the fleet commands run Ansible's own tools. Install them with {INSTALL_HINT}")
    return found


def child_env(hide: Iterable[str] = ()) -> dict[str, str]:
    """The environment for an Ansible command: the operator's (a dynamic inventory needs its cloud
    credentials), without the variables the answers name as secrets nor the secret store's password."""
    hidden = {STORE_PASSWORD_ENV, *hide}
    return {key: value for key, value in os.environ.items() if key not in hidden} | _STRICT


def start_inventory(source: str, hide: Iterable[str] = ()) -> subprocess.Popen[bytes]:
    """Start ``ansible-inventory -i SOURCE --list`` (it takes a second or more: the caller works meanwhile)."""
    return subprocess.Popen(
        [ansible_tool("ansible-inventory"), "-i", source, "--list"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(hide),
    )


def finish_inventory(proc: subprocess.Popen[bytes], source: str) -> dict[str, Any]:
    """The JSON ``ansible-inventory --list`` printed; InputError with Ansible's own message when it failed."""
    try:
        out, err = proc.communicate(timeout=INVENTORY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise InputError(f"{source}: ansible-inventory did not finish within {INVENTORY_TIMEOUT_S} s") from None
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    if proc.returncode != 0:
        said = [line.rstrip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        if len(said) > MAX_MESSAGE_LINES:
            said = [*said[:MAX_MESSAGE_LINES], f"... ({len(said) - MAX_MESSAGE_LINES} more lines)"]
        raise InputError(f"{source}: Ansible cannot read this inventory",
                         [f"{source}: Ansible cannot read this inventory; ansible-inventory says:", *("  " + line for line in said)])
    try:
        data = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{source}: ansible-inventory --list did not print JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: ansible-inventory --list did not print a JSON object")
    return data


def _members(data: dict[str, Any], group: str, seen: set[str] | None = None) -> list[str]:
    """Hosts of ``group`` and of its child groups, in Ansible's order, each once."""
    seen = seen if seen is not None else set()
    if group in seen:  # a cycle Ansible would have refused; do not loop on it
        return []
    seen.add(group)
    entry = data.get(group) or {}
    hosts = list(entry.get("hosts") or [])
    for child in entry.get("children") or []:
        hosts += _members(data, child, seen)
    return list(dict.fromkeys(hosts))


def select_hosts(data: dict[str, Any], source: str, group: str | None) -> Inventory:
    # A group without hosts is listed only among its parent's children, not as a key of its own.
    known = {name for name in data if name != "_meta"}
    known |= {child for entry in data.values() if isinstance(entry, dict) for child in entry.get("children") or []}
    groups = sorted(known)
    if group is not None and group not in known:
        close = difflib.get_close_matches(group, groups, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; its groups: {', '.join(groups)}" if groups else "")
        raise InputError(f"{source}: no group '{group}' in this inventory{hint}")
    chosen = group if group is not None else (DEFAULT_GROUP if DEFAULT_GROUP in known else "all")
    names = _members(data, chosen)
    if not names:
        where = f"group '{chosen}'" if chosen != "all" else "the inventory"
        raise InputError(f"{source}: no hosts in {where}")
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}
    return Inventory(source=source, group=chosen,
                     hosts=[FleetHost(name, unwrap((hostvars.get(name) or {}).get(OVERRIDE_VAR))) for name in names])


VAULTED = "__ansible_vault"


def unwrap(value: Any) -> Any:
    """The value without ansible-inventory's JSON wrapper for ``!unsafe`` strings ({"__ansible_unsafe": S});
    ``!vault`` values stay wrapped ({"__ansible_vault": CIPHERTEXT}): the wizard cannot decrypt them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value
