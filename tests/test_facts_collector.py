"""collect-facts.ps1 checked with a real PowerShell grammar, and the probe that runs it on Windows.

No PowerShell runs here (not in Debian; /shared/reference/scale-and-browser-notes.md), so the script is
parsed with tree-sitter-pwsh (PyPI `tree-sitter` + `tree-sitter-pwsh`) and its syntax tree is checked
for what the facts need: every field the model has, every unknown-able fact a rule warns about, the
computer's domain and the OS language read where Windows keeps them.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

from mabs_wizard.answers.models import InstallationAnswers, PrerequisitesAnswers
from mabs_wizard.assets import path as asset_path
from mabs_wizard.errors import WizardError
from mabs_wizard.facts import BitLocker, Roles, ScratchFolder, TargetFacts, Volume, collect_command, parse_facts
from mabs_wizard.facts.model import UnknownFact
from mabs_wizard.facts_windows import collect_windows_facts, collector_argv
from mabs_wizard.steps.installation import check_installation
from mabs_wizard.steps.prerequisites import check_prerequisites
from tests.factsdata import facts, fixture

SCRIPT = asset_path("facts", "collect-facts.ps1")
PARSER = Parser(Language(tree_sitter_pwsh.language()))


def nodes(node: Node, kind: str | None = None):
    if kind is None or node.type == kind:
        yield node
    for child in node.children:
        yield from nodes(child, kind)


def text(node: Node) -> str:
    return node.text.decode("ascii")


def syntax_errors(source: bytes) -> list[str]:
    tree = PARSER.parse(source)
    return [f"{'MISSING' if n.is_missing else 'ERROR'} at line {n.start_point[0] + 1}, column {n.start_point[1] + 1}"
            for n in nodes(tree.root_node) if n.is_error or n.is_missing]


@pytest.fixture(scope="module")
def source() -> bytes:
    return SCRIPT.read_bytes()


@pytest.fixture(scope="module")
def tree(source):
    return PARSER.parse(source).root_node


def test_collect_facts_parses_with_a_real_powershell_grammar(source):
    assert syntax_errors(source) == []


def test_the_grammar_check_catches_a_broken_script(source):
    """Not vacuous: a missing brace and an indented here-string terminator are reported."""
    assert syntax_errors(source.replace(b"exit 0\n} catch {", b"exit 0\n catch {", 1))
    assert syntax_errors(source.replace(b"\n'@\n", b"\n  '@\n", 1))


def test_the_script_is_plain_ascii(source):
    # Windows PowerShell reads a script without a BOM in the ANSI code page (about_Character_Encoding.md).
    assert all(b < 0x80 for b in source)


def test_its_usage_line_is_the_one_command(source):
    assert f"    {collect_command('MABS01.json')}\n".encode() in source
    assert collect_command("MABS01.json") == "powershell -NoProfile -ExecutionPolicy Bypass -File collect-facts.ps1 -Path MABS01.json"


def test_its_parameters_are_path_and_scratch_path(tree):
    (block,) = [c for c in tree.children if c.type == "param_block"]  # the script's own, not a function's
    params = {text(v) for p in nodes(block, "script_parameter") for v in p.children if v.type == "variable"}
    assert params == {"$Path", "$ScratchPath"}


def test_it_writes_every_field_of_the_model(tree):
    keys = {text(k) for k in nodes(tree, "key_expression")}
    for model in (TargetFacts, Volume, ScratchFolder, Roles, BitLocker):
        missing = set(model.model_fields) - keys
        assert not missing, f"collect-facts.ps1 does not write {model.__name__}.{sorted(missing)}"


def _fact_names(tree) -> set[str]:
    calls = [c for c in nodes(tree, "command") if text(c.child_by_field_name("command_name") or c.children[0]) == "Get-Fact"]
    return {text(next(nodes(c, "string_literal"))).strip("'") for c in calls}


def test_every_fact_it_may_leave_unknown_is_one_the_schema_names(tree):
    assert _fact_names(tree) == set(UnknownFact.__args__)


@pytest.mark.parametrize("fact", UnknownFact.__args__)
def test_every_unknown_fact_becomes_a_warning_that_says_why(fact):
    reason = f"Windows said no to {fact}"
    changes: dict = {"unknown": {fact: reason}}
    if "." in fact and fact.startswith("roles."):
        changes["roles"] = {fact.split(".")[1]: None}
    elif fact.startswith("volumes."):
        key = fact.split(".")[1]
        changes["volumes"] = [{**v, key: None} for v in facts().model_dump()["volumes"]]
    else:
        changes[fact] = None
    f = facts(**changes)
    findings = check_prerequisites(PrerequisitesAnswers(), f) + check_installation(InstallationAnswers(scratch="C:\\MABS\\Scratch"), f)
    assert [x for x in findings if x.level == "warning" and reason in x.message], findings


def test_domain_and_language_come_from_the_computer_not_the_user(tree):
    variables = {text(v).lower() for v in nodes(tree, "variable")}
    assert "$env:userdomain" not in variables and "$env:userdnsdomain" not in variables
    entries = {text(e.child_by_field_name("key") or e.children[0]): e for e in nodes(tree, "hash_entry")}
    get_culture = [c for c in nodes(tree, "command") if text(c.children[0]) == "Get-Culture"]
    assert len(get_culture) == 1 and text(get_culture[0]) in text(entries["format_culture"])
    assert "$partOfDomain" in text(entries["domain_joined"]) and "$domainNetbios" in text(entries["domain"])
    assert "NetGetJoinInformation" in text(tree) and ".PartOfDomain" in text(tree) and "$os.OSLanguage" in text(tree)


# ------------------------------------------------------------------ the probe on Windows


def test_probe_command_is_the_operators_command_non_interactive(tmp_path):
    argv = collector_argv(SCRIPT, tmp_path / "f.json", ["D:\\MABS\\Scratch", "E:\\Cache"])
    assert argv == ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", str(SCRIPT),
                    "-Path", str(tmp_path / "f.json"), "-ScratchPath", "D:\\MABS\\Scratch;E:\\Cache"]


STAND_IN = """#!{python}
# Stands in for powershell.exe, which cannot run here: writes what collect-facts.ps1 writes to -Path.
import sys
args = sys.argv[1:]
if {fail}:
    sys.stderr.write("collect-facts.ps1: Access denied\\n")
    sys.exit(1)
open(args[args.index("-Path") + 1], "wb").write(open({fixture!r}, "rb").read())
"""


def _stand_in(tmp_path: Path, fail: bool) -> str:
    exe = tmp_path / "powershell"
    exe.write_text(STAND_IN.format(python=sys.executable, fail=fail, fixture=str(fixture("v2-collector-ps51.json"))))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


def test_probe_reads_the_file_the_collector_wrote_and_leaves_nothing_behind(tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where the probe's private folder goes
    raw = collect_windows_facts(["C:\\MABS\\Scratch"], powershell=_stand_in(tmp_path, fail=False))
    assert parse_facts(raw, "probe").domain == "CONTOSO"
    assert os.listdir(tmp_path / "tmp") == []


def test_probe_failures_are_one_clear_error(tmp_path):
    with pytest.raises(WizardError, match=r"collect-facts\.ps1 failed on this host \(exit code 1\): collect-facts\.ps1: Access denied"):
        collect_windows_facts(powershell=_stand_in(tmp_path, fail=True))
    with pytest.raises(WizardError, match="could not collect facts of this Windows host with collect-facts.ps1"):
        collect_windows_facts(powershell=str(tmp_path / "no-such-powershell"))


def test_the_readme_shows_the_one_command():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Collecting facts on the target", 1)[1].split("\n## ", 1)[0]
    assert f"\n{collect_command('MABS01.json')}\n" in section


def test_the_command_quotes_what_cmd_exe_would_split_or_redirect():
    # cmd.exe treats < > | & as operators and both shells split on spaces; double quotes work in both.
    assert collect_command().endswith('-Path "<COMPUTER>.json"')
    assert collect_command("MABS01.json", "C:\\Program Files\\Microsoft Azure Recovery Services Agent\\Scratch").endswith(
        '-Path MABS01.json -ScratchPath "C:\\Program Files\\Microsoft Azure Recovery Services Agent\\Scratch"')
