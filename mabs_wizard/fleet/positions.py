"""Where a host's ``mabs_wizard`` override was written, to the line and column, when that is a YAML file.

``ansible-inventory --list`` gives the values (the source of truth: Ansible's precedence decides which
definition wins) but no positions. So, only when a problem must be placed, the YAML files Ansible
read next to the inventory are parsed here with ruamel.yaml, which keeps positions: host_vars
files, YAML inventory files (their ``hosts:`` entries and group ``vars:``) and group_vars files.
A definition is used only when its value equals what Ansible resolved; otherwise (an INI inventory's
inline variable, a dynamic source, a value Ansible templated) the caller falls back to
``HOST: section.field``.

Where Ansible looks (ansible-core docs, "Organizing host and group variables"): ``host_vars/`` and
``group_vars/`` beside the inventory file or inside an inventory folder; files named after the host
or group, with no extension or .yml/.yaml/.json, or folders of such files. YAML inventory files have
the extensions .yml/.yaml/.json (the yaml inventory plugin's ``yaml_extensions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mabs_wizard.answers.document import Document, _plain
from mabs_wizard.fleet.inventory import OVERRIDE_VAR, VAULTED

YAML_SUFFIXES = (".yml", ".yaml", ".json")
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class OverrideSource:
    """A mapping in a YAML file that holds a host's ``mabs_wizard`` key."""

    path: Path
    node: Any  # ruamel CommentedMap

    def where(self, loc: tuple[Any, ...], at_key: bool = False) -> tuple[int, int, str]:
        """(line, col, section.field) of ``loc`` inside the override, 1-based."""
        line, col, dotted = Document(path=self.path, data=None, tree=self.node).where((OVERRIDE_VAR, *loc), at_key)
        return line, col, dotted.removeprefix(OVERRIDE_VAR).lstrip(".")


class PositionFinder:
    """Finds override definitions for hosts; files are parsed on first need, each once."""

    def __init__(self, inventory: str) -> None:
        path = Path(inventory)
        self._inventory = path if path.exists() else None
        self._base = (path if path.is_dir() else path.parent) if self._inventory else None
        self._parsed: dict[Path, Any] = {}
        self._found: dict[str, OverrideSource | None] = {}

    def source_for(self, host: str, value: Any) -> OverrideSource | None:
        if host not in self._found:
            self._found[host] = self._find(host, value)
        return self._found[host]

    def _find(self, host: str, value: Any) -> OverrideSource | None:
        if self._base is None:
            return None
        wanted = _from_json(value)
        for candidates in (self._host_candidates(host), self._group_candidates()):
            for source in candidates:
                if _from_yaml(source.node.get(OVERRIDE_VAR)) == wanted:
                    return source
        return None

    # -- candidates, in Ansible's precedence order: host_vars files, then the inventory's host entries

    def _host_candidates(self, host: str) -> Iterator[OverrideSource]:
        assert self._base is not None
        for path in _vars_files(self._base / "host_vars", host):
            yield from self._top(path)
        for path in self._inventory_files():
            tree = self._parse(path)
            for hosts in _walk_groups(tree, "hosts"):
                entry = hosts.get(host)
                if isinstance(entry, dict) and OVERRIDE_VAR in entry:
                    yield OverrideSource(path, entry)

    def _group_candidates(self) -> Iterator[OverrideSource]:
        assert self._base is not None
        folder = self._base / "group_vars"
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                for path in _vars_files(folder, entry.name.rsplit(".", 1)[0] if entry.is_file() else entry.name):
                    yield from self._top(path)
        for path in self._inventory_files():
            for group_vars in _walk_groups(self._parse(path), "vars"):
                if OVERRIDE_VAR in group_vars:
                    yield OverrideSource(path, group_vars)

    def _inventory_files(self) -> list[Path]:
        inv = self._inventory
        if inv is None:
            return []
        if inv.is_file():
            return [inv] if inv.suffix in YAML_SUFFIXES else []
        return sorted(p for p in inv.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)

    def _top(self, path: Path) -> Iterator[OverrideSource]:
        tree = self._parse(path)
        if isinstance(tree, dict) and OVERRIDE_VAR in tree:
            yield OverrideSource(path, tree)

    def _parse(self, path: Path) -> Any:
        if path not in self._parsed:
            self._parsed[path] = _load(path)
        return self._parsed[path]


_VAULT = ("ansible-vault ciphertext",)


def _from_yaml(node: Any) -> Any:
    """A ruamel node as ansible-inventory prints it: !unsafe strings plain, !vault ones opaque."""
    from ruamel.yaml.comments import TaggedScalar

    if isinstance(node, TaggedScalar):
        return _VAULT if str(getattr(node.tag, "value", node.tag)) == "!vault" else node.value
    if isinstance(node, dict):
        return {str(k): _from_yaml(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_from_yaml(v) for v in node]
    return _plain(node)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return _VAULT if set(value) == {VAULTED} else {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _vars_files(folder: Path, name: str) -> list[Path]:
    """host_vars/NAME, NAME.yml|.yaml|.json, or every such file in the folder host_vars/NAME/."""
    found = []
    plain = folder / name
    if plain.is_dir():
        found += sorted(p for p in plain.rglob("*") if p.is_file() and p.suffix in ("", *YAML_SUFFIXES))
    elif plain.is_file():
        found.append(plain)
    found += [folder / f"{name}{suffix}" for suffix in YAML_SUFFIXES if (folder / f"{name}{suffix}").is_file()]
    return found


def _walk_groups(tree: Any, key: str) -> Iterator[dict[str, Any]]:
    """Every ``key`` mapping (``hosts`` or ``vars``) of every group of a YAML inventory, at any depth."""
    if not isinstance(tree, dict):
        return
    for group in tree.values():
        if not isinstance(group, dict):
            continue
        found = group.get(key)
        if isinstance(found, dict):
            yield found
        yield from _walk_groups(group.get("children"), key)


def _load(path: Path) -> Any:
    """The file as a ruamel round-trip tree (keeps line/column), or None if it cannot be one here."""
    from ruamel.yaml import YAML

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = True  # Ansible accepted the file; only positions are wanted here
        return yaml.load(path.read_text(encoding="utf-8-sig"))
    except Exception:  # noqa: BLE001 - Ansible read it; if ruamel cannot, the problem is placed by host
        return None
