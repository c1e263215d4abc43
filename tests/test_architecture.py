"""The shape the code must keep: a headless engine, a UI that uses its public parts, no import cycles.

Checked on the real import graph (import-linter and grimp read every module's imports, including
imports made only for type checking), and at run time (importing the whole engine loads no Textual).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The repository keeps the UI in screens/ and the data in assets/; installed, they are
# mabs_wizard.screens and mabs_wizard.assets. The graph is read from the installed layout, which is
# the one that runs.


@pytest.fixture(scope="module")
def graph(installed_tree: Path) -> grimp.ImportGraph:
    sys.path.insert(0, str(installed_tree))
    saved = {name: mod for name, mod in sys.modules.items() if name == "mabs_wizard" or name.startswith("mabs_wizard.")}
    for name in saved:
        del sys.modules[name]
    try:
        return grimp.build_graph("mabs_wizard", include_external_packages=True, cache_dir=None)
    finally:
        sys.path.remove(str(installed_tree))
        for name in [n for n in sys.modules if n == "mabs_wizard" or n.startswith("mabs_wizard.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_the_import_contracts_hold(installed_tree: Path):
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache", str(ROOT / "pyproject.toml")], cwd=installed_tree,
                          env={"PYTHONPATH": str(installed_tree), "PATH": str(BIN)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_the_headless_contract_names_every_engine_module(graph: grimp.ImportGraph):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    engine = set(next(c for c in config if c["id"] == "engine-headless")["source_modules"])
    children = {m for m in graph.find_children("mabs_wizard")} - {"mabs_wizard.screens"}
    assert children == engine, f"the engine-headless contract in pyproject.toml must name exactly: {sorted(children)}"


def cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node) & modules:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_there_is_no_import_cycle_anywhere(graph: grimp.ImportGraph):
    modules = {m for m in graph.modules if m == "mabs_wizard" or m.startswith("mabs_wizard.")}
    assert "mabs_wizard.screens.app" in modules and "mabs_wizard.steps.sql" in modules  # the whole package is read
    found = cycles(graph, modules)
    assert found == [], "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert cycles(graph, {"pkg.a", "pkg.b", "pkg.c"}) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_importing_the_whole_engine_loads_no_textual():
    code = (
        "import importlib, pkgutil, sys, mabs_wizard\n"
        "for m in pkgutil.walk_packages(mabs_wizard.__path__, 'mabs_wizard.'):\n"
        "    if not m.name.startswith('mabs_wizard.screens') and m.name != 'mabs_wizard.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'textual' or n.startswith('mabs_wizard.screens')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
