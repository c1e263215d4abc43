"""Checking a playbook's Windows tasks against the modules' own option specs (``ansible-doc --json``).

ansible-lint validates the options of Python modules but not of PowerShell ones (ansible.windows):
a misspelt option, a missing required one or a value outside its choices passes it. Ansible's own
documentation of each module (``ansible-doc --json MODULE``: options, types, choices, aliases,
required) is the spec; Ansible's own list of playbook keywords (``ansible-doc -t keyword``) tells
the keywords from the module in a task.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.fleet_support import tool

WINDOWS = "ansible.windows."
_TYPES: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "float": (int, float), "list": (list,), "dict": (dict,),
                                       "str": (str,), "path": (str,)}


def keywords() -> set[str]:
    listed = tool("ansible-doc", "-t", "keyword", "--json", "-l")
    assert listed.returncode == 0, listed.stderr
    return set(json.loads(listed.stdout))


def module_specs(modules: set[str]) -> dict[str, dict[str, Any]]:
    listed = tool("ansible-doc", "--json", *sorted(modules))
    assert listed.returncode == 0, listed.stderr
    return {name: entry["doc"]["options"] for name, entry in json.loads(listed.stdout).items()}


def tasks(plays: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every task of every play, inside blocks, rescues and always sections too."""
    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for task in items or []:
            if "block" in task:
                for section in ("block", "rescue", "always"):
                    yield from walk(task.get(section) or [])
            else:
                yield task

    for play in plays:
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            yield from walk(play.get(section) or [])


def module_of(task: dict[str, Any], known: set[str]) -> tuple[str, dict[str, Any]]:
    names = [k for k in task if k not in known and not k.startswith("with_")]
    assert len(names) == 1, f"task {task.get('name')!r}: expected one module, found {names}"
    args = task[names[0]]
    return names[0], args if isinstance(args, dict) else {}


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def check(plays: list[dict[str, Any]]) -> tuple[list[str], int]:
    """(problems, number of Windows tasks checked)."""
    known = keywords()
    used = [(task, *module_of(task, known)) for task in tasks(plays)]
    windows = [(task, name, args) for task, name, args in used if name.startswith(WINDOWS)]
    specs = module_specs({name for _t, name, _a in windows})
    problems = []
    for task, name, args in windows:
        spec = specs[name]
        where = f"{task.get('name')!r} ({name})"
        aliases = {alias: option for option, s in spec.items() for alias in s.get("aliases") or []}
        given = {aliases.get(key, key): value for key, value in args.items()}
        for key in args:
            if key not in spec and key not in aliases:
                problems.append(f"{where}: unknown option {key!r}")
        for option, s in spec.items():
            if s.get("required") and option not in given:
                problems.append(f"{where}: required option {option!r} missing")
        for option, value in given.items():
            s = spec.get(option)
            if s is None or _templated(value):
                continue
            kind = s.get("type", "str")
            if kind in _TYPES and not isinstance(value, _TYPES[kind]):
                problems.append(f"{where}: {option} is {type(value).__name__}, the module takes {kind}")
                continue
            values = value if kind == "list" else [value]
            element = _TYPES.get(s.get("elements", ""))
            for item in values:
                if _templated(item):
                    continue
                if element and not isinstance(item, element):
                    problems.append(f"{where}: {option} holds {item!r}, the module takes {s['elements']} elements")
                if s.get("choices") and item not in s["choices"]:
                    problems.append(f"{where}: {option}={item!r} is not one of {s['choices']}")
    return problems, len(windows)
