"""Every PowerShell file the project ships or writes parses with a real PowerShell grammar.

No PowerShell runs on this machine (none is packaged for Debian; the npm ``pwsh`` package downloads
at install time), so the check is a real parser: tree-sitter with the ``tree-sitter-pwsh`` grammar,
both prebuilt wheels from PyPI (``make test`` installs them through the test extra). A file fails on
any ERROR or MISSING node. The positive controls seed errors that bracket counting misses (a missing
comma in ``param()``, an indented here-string terminator, text after a here-string header, ``elseif``
without a condition) and prove the checker reports each, so this test cannot pass vacuously.

Shipped: every ``*.ps1`` in the source tree (today ``assets/facts/collect-facts.ps1``, also read
through the installed package). Written: the ps1 export of every plan variant (no proxy, proxy with
and without authentication, MABS V3 and V4, a staging area, hostile values). The register-with-cmdlets
path is a run-time switch (``-RegisterWithCmdlets``) present in every variant, so each parse covers
it; ``tests/test_export.py`` checks its structure.

The helpers here (``parse``, ``syntax_problems``, ``commands``...) are shared with test_export.py,
which checks the scripts' structure on the same trees instead of by substring.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import tree_sitter_pwsh
    from tree_sitter import Language, Node, Parser, Tree
except ImportError as exc:  # a collection error, never a skip: `make test` installs the test extra
    raise ImportError(f"{exc}: the PowerShell grammar check needs tree-sitter and tree-sitter-pwsh; run `make test`") from exc

ROOT = Path(__file__).resolve().parent.parent
PARSER = Parser(Language(tree_sitter_pwsh.language()))
_SKIP_DIRS = {".venv", ".git", "build", "demo-kit", "node_modules", ".pytest_cache"}


# --- the checker -------------------------------------------------------------------------------


def parse(text: str | bytes) -> Tree:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return PARSER.parse(data.removeprefix(b"\xef\xbb\xbf"))


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def syntax_problems(text: str | bytes) -> list[str]:
    """``LINE:COL: ERROR near '...'`` / ``LINE:COL: MISSING x`` for each bad node (1-based)."""
    tree = parse(text)
    source = tree.root_node.text or b""
    out = []
    for node in _walk(tree.root_node):
        line, col = node.start_point.row + 1, node.start_point.column + 1
        if node.is_missing:
            out.append(f"{line}:{col}: MISSING {node.type}")
        elif node.type == "ERROR":
            near = source[node.start_byte : node.end_byte].decode("utf-8", "replace").splitlines() or [""]
            out.append(f"{line}:{col}: ERROR near {near[0][:60]!r}")
    return out


# --- structure helpers (used by test_export.py) -------------------------------------------------


def text_of(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    parameters: tuple[str, ...]  # without the dash, as written
    node: Node

    @property
    def start(self) -> int:
        return self.node.start_byte

    def ancestors(self) -> Iterator[Node]:
        node = self.node.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def function(self) -> str | None:
        """The function whose body holds this command, if any."""
        for node in self.ancestors():
            if node.type == "function_statement":
                name = next(c for c in node.named_children if c.type == "function_name")
                return text_of(name)
        return None

    def guards(self) -> list[str]:
        """The conditions of the ``if`` blocks (not else blocks) around this command, innermost first."""
        out = []
        child = self.node
        for node in self.ancestors():
            if node.type == "if_statement" and child.type == "statement_block" and child == node.named_children[1]:
                out.append(text_of(node.named_children[0]))
            elif node.type in ("elseif_clause", "else_clause") and child.type == "statement_block":
                out.append(f"<{node.type}>")
            child = node
        return out


def commands(tree: Tree) -> list[Command]:
    out = []
    for node in _walk(tree.root_node):
        if node.type != "command":
            continue
        name = next((c for c in node.named_children if c.type == "command_name"), None)
        if name is None:
            continue
        elements = next((c for c in node.named_children if c.type == "command_elements"), None)
        params = tuple(text_of(c).lstrip("-").rstrip(":") for c in (elements.named_children if elements else []) if c.type == "command_parameter")
        out.append(Command(text_of(name), params, node))
    return out


def assignments(tree: Tree, variable: str) -> list[str]:
    """The right-hand sides assigned to ``variable`` (case-insensitive, as PowerShell is)."""
    out = []
    for node in _walk(tree.root_node):
        if node.type == "assignment_expression":
            left = text_of(node.named_children[0]).strip()
            if left.lower() == variable.lower():
                out.append(text_of(node.named_children[-1]))
    return out


def functions(tree: Tree) -> set[str]:
    return {text_of(c) for n in _walk(tree.root_node) if n.type == "function_statement" for c in n.named_children if c.type == "function_name"}


# --- the files ---------------------------------------------------------------------------------


def shipped_scripts() -> list[Path]:
    """Every *.ps1 in the source tree (virtualenvs, build output and demo kits pruned, not walked)."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        found += [Path(folder) / name for name in files if name.lower().endswith(".ps1")]
    return sorted(found)


def export_variants() -> dict[str, str]:
    """The ps1 export of every plan variant the exporter distinguishes."""
    from mabs_wizard.export import render
    from mabs_wizard.export.plan import plan_from_manifest
    from mabs_wizard.export.ps1 import render_ps1
    from tests.test_export import demo, proxy_variant

    no_auth = demo()
    no_auth["proxy"]["settings"].update({"use_proxy": True, "host": "proxy.contoso.local", "port": 3128})
    v3 = demo()
    v3["prerequisites"]["settings"]["mabs_version"] = "v3"
    hostile = proxy_variant()
    hostile["installation"]["settings"]["company_name"] = "Müller & Söhne $(Remove-Item C:\\) `n '@ \"x\""
    hostile["vault"]["settings"]["target_path"] = "C:\\O'Brien\\$(whoami)\\vault.VaultCredentials"
    hostile["proxy"]["settings"]["username"] = "CONTOSO\\o'brien$x"
    staged = dataclasses.replace(plan_from_manifest(demo()), staging_area="D:\\MABS Staging\\O'Brien")
    return {
        "no-proxy-v4": render(demo(), "ps1"),
        "no-proxy-v3": render(v3, "ps1"),
        "proxy-with-auth-v3": render(proxy_variant(), "ps1"),
        "proxy-without-auth-v4": render(no_auth, "ps1"),
        "staging-area-v4": render_ps1(staged),
        "hostile-values": render(hostile, "ps1"),
    }


@pytest.mark.parametrize("path", shipped_scripts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_script_parses(path: Path) -> None:
    assert syntax_problems(path.read_bytes()) == [], f"{path.relative_to(ROOT)} does not parse"


def test_the_collector_is_among_the_shipped_scripts() -> None:
    """The facts collector ships in the package and is checked here (not an empty glob)."""
    from mabs_wizard.assets import path as asset_path

    shipped = shipped_scripts()
    assert ROOT / "assets" / "facts" / "collect-facts.ps1" in shipped
    assert syntax_problems(asset_path("facts", "collect-facts.ps1").read_bytes()) == []


def test_readme_powershell_examples_parse() -> None:
    """The commands the README gives the operator for the target parse too."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```powershell\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README shows no PowerShell example"
    for block in blocks:
        assert syntax_problems(block) == [], block


@pytest.mark.parametrize("variant", sorted(export_variants()))
def test_ps1_export_parses(variant: str) -> None:
    from mabs_wizard.export import encode

    text = export_variants()[variant]
    assert syntax_problems(text) == [], variant
    # The bytes written to disk (BOM, CRLF) parse the same.
    assert syntax_problems(encode("ps1", text)) == []
    assert commands(parse(text)), "no commands found: the parse is not what the test thinks it is"


# --- positive controls: the checker catches what it claims to -----------------------------------


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in ("{}", "()", "[]"))


SEEDS = {
    # param() without the comma between two parameters: brackets still balance.
    "missing comma in param()": ("    [string] $SecretsFile,\n", "    [string] $SecretsFile\n"),
    # A here-string terminator must start its line.
    "indented here-string terminator": ("\n'@\n", "\n  '@\n"),
    # Nothing may follow a here-string header on its line.
    "text after a here-string header": ("$IniTemplate = @'\n", "$IniTemplate = @' # the ini\n"),
    # elseif needs a condition.
    "elseif without a condition": ("exit 0\n", "if ($true) { exit 0 } elseif { exit 1 }\n"),
}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_checker_catches_a_seeded_error(seed: str) -> None:
    good = export_variants()["no-proxy-v4"]
    old, new = SEEDS[seed]
    assert good.count(old) >= 1, f"seed {seed!r} no longer applies to the script; update it"
    bad = good.replace(old, new, 1) if seed != "elseif without a condition" else good[: good.rindex(old)] + new
    assert syntax_problems(good) == []
    found = syntax_problems(bad)
    assert found, f"the checker missed: {seed}"
    if seed == "missing comma in param()":
        assert _balanced(bad), "this seed is meant to keep brackets balanced (what bracket counting would miss)"
        # ...and the problem is reported at the parameter, not somewhere vague.
        line = bad[: bad.index("[string] $SecretsFile\n")].count("\n") + 1
        assert any(p.startswith(f"{line}:") or p.startswith(f"{line + 1}:") for p in found), found


def test_checker_reports_line_and_column() -> None:
    found = syntax_problems("Write-Host ok\nparam(\n  [switch] $A\n  [switch] $B\n)\n")
    assert found and all(re.match(r"^\d+:\d+: (ERROR|MISSING) ", p) for p in found)
