"""A host's ``mabs_wizard`` override merged over the template, and which of the two a value came from.

The override is a mapping with the answers file's sections. Sections are merged field by field; a
field's value replaces the template's whole (a secret reference such as ``{file: PATH}`` or a list of
endpoints is one value: merging ``{env: X}`` into ``{file: Y}`` would make a reference that is
neither). ``null`` sets a field to null (e.g. ``confirm_passphrase: null`` next to ``passphrase:
generate``). Relative paths stay relative to the template's folder, as in any answers file.

``extraction`` is the fleet's, not a host's: the hosts share one download, verified and extracted once.
"""

from __future__ import annotations

from typing import Any

from mabs_wizard.fleet.inventory import VAULTED

SHARED_SECTIONS = ("extraction",)

Loc = tuple[Any, ...]


def shape_problem(override: Any) -> str | None:
    """Why the override cannot be merged at all, or None."""
    if override is None or isinstance(override, dict):
        return None
    # The value is not echoed: a misplaced secret is a likely reason for a string here.
    kind = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(override), "a scalar")
    return f"must be a mapping of answers sections (prerequisites:, sql:, security:, ...), not {kind}"


def shared_problems(override: dict[str, Any]) -> list[tuple[Loc, str]]:
    return [
        ((name,), f"{name} is shared by the whole fleet (one download, verified and extracted once): set it in the template, not per host")
        for name in SHARED_SECTIONS
        if name in override
    ]


def vaulted(override: dict[str, Any], loc: Loc = ()) -> list[Loc]:
    """Where the override holds ansible-vault ciphertext (ansible-inventory prints {"__ansible_vault": ...})."""
    found: list[Loc] = []
    for key, value in override.items():
        if isinstance(value, dict):
            found += [(*loc, key)] if set(value) == {VAULTED} else vaulted(value, (*loc, key))
    return found


def without(override: dict[str, Any], locs: list[Loc]) -> dict[str, Any]:
    """The override without the values at ``locs`` (so the rest can still be judged)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in override.items()}
    for loc in locs:
        node: Any = out
        for key in loc[:-1]:
            node[key] = dict(node[key])
            node = node[key]
        node.pop(loc[-1], None)
    return out


def merge(template: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """The host's answers data: the template with the override's sections merged in (shared sections left out)."""
    data = dict(template)
    for section, values in override.items():
        if section in SHARED_SECTIONS:
            continue
        base = template.get(section)
        data[section] = {**base, **values} if isinstance(base, dict) and isinstance(values, dict) else values
    return data


def from_override(loc: Loc, template: dict[str, Any], override: dict[str, Any]) -> bool:
    """Does the value at ``loc`` (section, field, ...) come from the host's override?"""
    if not loc or loc[0] not in override:
        return False
    section = override[loc[0]]
    if len(loc) == 1 or not isinstance(section, dict):
        return True
    # A field the override does not set is the template's, unless the template lacks the whole section
    # (a required field missing from a section only the override gives is the override's to add).
    return loc[1] in section or not isinstance(template.get(loc[0]), dict)
