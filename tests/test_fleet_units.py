"""The fleet's pure parts: merging an override, where a value came from, choosing hosts, Jinja escaping."""

from __future__ import annotations

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.fleet.ansible.ini_template import _escape
from mabs_wizard.fleet.inventory import select_hosts, unwrap
from mabs_wizard.fleet.merge import from_override, merge, shape_problem, vaulted, without

TEMPLATE = {
    "version": 1,
    "prerequisites": {"facts_file": "facts/MABS01.json", "mabs_version": "v4"},
    "security": {"password": {"file": "secrets/a.txt"}, "confirm_password": {"file": "secrets/a.txt"}},
    "encryption": {"passphrase": {"file": "secrets/p.txt"}, "confirm_passphrase": {"file": "secrets/p.txt"}},
}


def test_sections_merge_field_by_field_and_a_reference_is_one_value() -> None:
    override = {"prerequisites": {"facts_file": "facts/MABS02.json"},
                "security": {"password": {"env": "MABS02_PASSWORD"}},
                "encryption": {"passphrase": "generate", "confirm_passphrase": None},
                "proxy": {"use_proxy": True}}
    data = merge(TEMPLATE, override)
    assert data["prerequisites"] == {"facts_file": "facts/MABS02.json", "mabs_version": "v4"}
    assert data["security"]["password"] == {"env": "MABS02_PASSWORD"}  # not {file:, env:}: a reference is replaced whole
    assert data["security"]["confirm_password"] == {"file": "secrets/a.txt"}
    assert data["encryption"] == {"passphrase": "generate", "confirm_passphrase": None}
    assert data["proxy"] == {"use_proxy": True}
    assert TEMPLATE["security"]["password"] == {"file": "secrets/a.txt"}  # the template is not changed
    assert "extraction" not in merge(TEMPLATE, {"extraction": {"destination": "x"}})  # the fleet's, never a host's


@pytest.mark.parametrize("loc, expected", [
    (("prerequisites", "facts_file"), True),
    (("prerequisites", "mabs_version"), False),  # the override does not set it: the template's
    (("proxy", "host"), True),  # a section only the override gives: its missing fields are the override's
    (("sqll",), True),
    (("sql", "instance"), False),
    ((), False),
])
def test_where_a_value_came_from(loc: tuple[str, ...], expected: bool) -> None:
    override = {"prerequisites": {"facts_file": "x"}, "proxy": {"use_proxy": True}, "sqll": {}}
    assert from_override(loc, TEMPLATE, override) is expected


def test_shapes_and_vaulted_values() -> None:
    assert shape_problem(None) is None and shape_problem({}) is None
    assert shape_problem(["sql"]).endswith("not a list")  # type: ignore[union-attr]
    assert shape_problem("Secret-Pa55!").endswith("not a string") and "Secret" not in shape_problem("Secret-Pa55!")  # type: ignore[union-attr,operator]
    override = {"sql": {"instance": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n..."}, "server": "localhost"}}
    assert vaulted(override) == [("sql", "instance")]
    assert without(override, [("sql", "instance")]) == {"sql": {"server": "localhost"}}
    assert "instance" in override["sql"]


# ansible-inventory --list's shape (ansible-core 2.19): groups as keys with hosts/children, a group
# without hosts only in its parent's children, host variables under _meta.hostvars, !unsafe strings
# as {"__ansible_unsafe": ...}.
LISTED = {
    "_meta": {"hostvars": {"mabs01": {"mabs_wizard": {"sql": {"instance": {"__ansible_unsafe": "MABS{{x}}"}}}}, "sql01": {}}},
    "all": {"children": ["ungrouped", "mabs_servers", "sql_servers", "spare"]},
    "mabs_servers": {"children": ["mabs_ok", "mabs_broken"]},
    "mabs_ok": {"hosts": ["mabs01", "mabs02"]},
    "mabs_broken": {"hosts": ["mabs04", "mabs01"]},
    "sql_servers": {"hosts": ["sql01"]},
}


def test_hosts_of_the_group_and_its_children_in_order() -> None:
    inv = select_hosts(LISTED, "inv.yml", None)
    assert inv.group == "mabs_servers" and [h.name for h in inv.hosts] == ["mabs01", "mabs02", "mabs04"]
    assert inv.hosts[0].override == {"sql": {"instance": "MABS{{x}}"}} and inv.hosts[1].override is None
    assert [h.name for h in select_hosts(LISTED, "inv.yml", "sql_servers").hosts] == ["sql01"]
    without_default = {k: v for k, v in LISTED.items() if k != "mabs_servers"}
    without_default["all"] = {"children": ["ungrouped", "mabs_ok", "sql_servers"]}
    assert select_hosts(without_default, "inv.yml", None).group == "all"
    with pytest.raises(InputError, match="no hosts in group 'spare'"):
        select_hosts(LISTED, "inv.yml", "spare")
    with pytest.raises(InputError, match="did you mean 'mabs_ok'"):
        select_hosts(LISTED, "inv.yml", "mabs-ok")
    assert unwrap([{"__ansible_unsafe": "a"}, {"k": {"__ansible_unsafe": "b"}}]) == ["a", {"k": "b"}]


@pytest.mark.parametrize("text", ["plain", "{{ x }}", "{% if %}", "{# c #}", "{{{", "{ {", "}}", "a{\n{%b"])
def test_jinja_escape_renders_the_text_back(text: str) -> None:
    from jinja2 import Environment

    # Jinja2 is Ansible's template engine (a BSD-licensed dependency of the ansible package).
    assert Environment(keep_trailing_newline=True).from_string(_escape(text)).render() == text
