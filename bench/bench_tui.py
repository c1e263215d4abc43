"""TUI benchmarks, side by side in one run, in a real pseudo-terminal (80×24):

* cold start to first painted screen: `mabs-wizard run --answers <demo kit>` until its first screen
  is on the terminal, against a hello-world Textual app started the same way (target: ≤ 1.2×);
* Next → next screen painted: Ctrl+N until the next screen's title is on the terminal, for every
  page that is not long work (extraction, apply and completion run real work and are left out),
  the first one (pressed as soon as the first screen is painted) included (target: p90 < 50 ms).

A third row measures the floor of a page change on this machine: a bare Textual app of the same shape
(pre-mounted pages of seven labelled inputs in a ContentSwitcher, a button bar, a footer) switching
pages the same way, timed the same way.

"Painted" means the text arrived on the terminal: what an operator sees, not an internal event.
Runs are interleaved (wizard, hello, wizard, ...) so machine noise hits both alike. A first, untimed
run of each warms the file cache and writes the bytecode cache, as an installed copy has it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

BIN = Path(sys.executable).parent / "mabs-wizard"
RUNS = int(os.environ.get("BENCH_TUI_RUNS", "15"))
HELLO = """\
from textual.app import App
from textual.widgets import Footer, Static


class Hello(App):
    def compose(self):
        yield Static("Hello, world")
        yield Footer()


Hello().run()
"""
# The floor: what Textual alone takes to switch to a pre-mounted form page of the wizard's size.
BARE = """\
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Footer, Input, Label, Static

PAGES = 16


class Page(VerticalScroll):
    def __init__(self, i):
        super().__init__(id=f"p{i}")
        self.i = i

    def compose(self):
        yield Static(f"Page title number {self.i}")
        for f in range(7):
            with Horizontal(classes="row"):
                yield Label(f"Field {f} label", classes="label")
                yield Input(value=f"value {f} of page {self.i}", compact=True)
        yield Static("A note under the form that says something about the fields above it. " * 2)


class Bare(App):
    CSS = ".row { height: 1; } .label { width: 22; }"
    BINDINGS = [Binding("ctrl+n", "next", priority=True), Binding("ctrl+q", "quit", priority=True)]

    def compose(self):
        with ContentSwitcher(initial="p0", id="pages"):
            for i in range(PAGES):
                yield Page(i)
        with Horizontal(id="nav"):
            yield Button("< Back", compact=True)
            yield Button("Next >", compact=True, variant="primary")
        yield Footer()

    def on_mount(self):
        self.query_one("#p0 Input").focus()

    def action_next(self):
        pages = self.query_one("#pages", ContentSwitcher)
        i = int(pages.current[1:]) + 1
        if i >= PAGES:
            self.exit()
            return
        pages.current = f"p{i}"
        pages.query_one(f"#p{i} Input").focus()


Bare().run()
"""
# The end of the first page's text: when it is on the terminal, so is the whole first screen.
WIZARD_PAINTED = "Press Next to continue."
# (screen reached by Ctrl+N, text that shows it is painted, is it a timed page change?)
WALK = [
    ("extract_destination", "Select destination", True),
    ("extract_ready", "Ready to extract", True),
    ("extract_progress", "Extraction complete.", False),  # real extraction
    ("extract_finish", "Setup program:", True),
    ("setup_welcome", "Welcome to MABS setup", True),
    ("prerequisites", "Prerequisite checks", True),
    ("sql", "SQL settings", True),
    ("installation", "Installation settings", True),
    ("security", "Security settings", True),
    ("updates", "Microsoft Update opt-in", True),
    ("summary", "Summary of settings", True),
    ("apply", "MABS setup settings applied", False),  # real work
    ("proxy", "Proxy configuration", True),
    ("mars_agent", "Agent installation", True),
    ("vault", "Vault identification", True),
    ("encryption", "Encryption setting", True),
    ("completion", "All parts are ready", False),  # real work
]


def spawn(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> pexpect.spawn:
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    full_env.pop("NO_COLOR", None)
    # Bytecode is cached as on any installed copy (pip compiles at install time); with
    # PYTHONDONTWRITEBYTECODE set, every start would recompile the wizard's modules but not Textual's.
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return pexpect.spawn(argv[0], argv[1:], cwd=str(cwd), env=full_env, dimensions=(24, 80), timeout=60)


def cold_start(argv: list[str], marker: str, cwd: Path) -> float:
    started = time.perf_counter()
    child = spawn(argv, cwd)
    child.expect(marker)
    elapsed = time.perf_counter() - started
    child.sendcontrol("q")  # nothing typed: both quit at once
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def page_changes(answers: Path, cwd: Path) -> list[tuple[str, float]]:
    child = spawn([str(BIN), "run", "--answers", str(answers), "--output", str(cwd / "out")], cwd,
                  env={"MABS_WIZARD_STORE_PASSWORD": "bench-store-password"})
    child.expect(WIZARD_PAINTED)  # then Next at once: the first change is timed as well
    times = []
    for key, marker, timed in WALK:
        started = time.perf_counter()
        child.sendcontrol("n")
        child.expect(marker)
        if timed:
            times.append((key, time.perf_counter() - started))
        time.sleep(0.3)  # let the page settle (late workers, focus) before the next change
    child.sendcontrol("n")  # Finish
    child.expect(pexpect.EOF)
    child.close()
    return times


def bare_changes(script: Path, cwd: Path) -> list[float]:
    child = spawn([sys.executable, str(script)], cwd)
    child.expect("Page title number 0")
    time.sleep(0.3)
    times = []
    for i in range(1, 16):
        started = time.perf_counter()
        child.sendcontrol("n")
        child.expect(f"Page title number {i}\\b")
        times.append(time.perf_counter() - started)
        time.sleep(0.3)
    child.sendcontrol("q")
    child.expect(pexpect.EOF)
    child.close()
    return times


def main() -> int:
    from mabs_wizard.demo import make_demo_kit

    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        root = Path(tmp)
        hello = root / "hello.py"
        hello.write_text(HELLO)
        answers = make_demo_kit(root / "kit", media_bytes=2 * 2**20)

        # Warm the OS file cache for both (not the interpreter: each run is a new process).
        cold_start([str(BIN), "run", "--answers", str(answers), "--no-resume"], WIZARD_PAINTED, root)
        cold_start([sys.executable, str(hello)], "Hello, world", root)
        wizard, baseline = [], []
        for _ in range(RUNS):
            wizard.append(cold_start([str(BIN), "run", "--answers", str(answers), "--no-resume"], WIZARD_PAINTED, root))
            baseline.append(cold_start([sys.executable, str(hello)], "Hello, world", root))

        changes: list[tuple[str, float]] = []
        bare_script = root / "bare.py"
        bare_script.write_text(BARE)
        bare: list[float] = []
        for run in range(3):
            bare += bare_changes(bare_script, root)
            kit = make_demo_kit(root / f"walk{run}", media_bytes=2 * 2**20)
            kit.write_text(kit.read_text().replace("  check: true", "  check: false"))  # no network wait on the way
            changes += page_changes(kit, root / f"walk{run}")

    w, b = statistics.median(wizard), statistics.median(baseline)
    ratio = w / b
    ms = sorted(t * 1000 for _, t in changes)
    median, p90 = statistics.median(ms), ms[int(0.9 * (len(ms) - 1))]
    slowest = max(changes, key=lambda kv: kv[1])
    first = [t * 1000 for key, t in changes if key == WALK[0][0]]
    ok_start, ok_next = ratio <= 1.2, p90 < 50  # over every change, the first ones included

    print(f"TUI benchmarks (pseudo-terminal 80x24, {RUNS} cold starts each, {len(changes)} page changes)")
    print(f"{'':38} {'mabs-wizard':>12} {'hello-world':>12} {'ratio':>7}  target")
    print(f"{'cold start to first painted (median)':38} {w * 1000:>10.0f}ms {b * 1000:>10.0f}ms {ratio:>6.2f}x  "
          f"<= 1.20x  {'ok' if ok_start else 'MISSED'}")
    print(f"{'  min / max':38} {min(wizard) * 1000:>4.0f}/{max(wizard) * 1000:<4.0f}ms "
          f"{min(baseline) * 1000:>4.0f}/{max(baseline) * 1000:<4.0f}ms")
    print(f"{'Next -> next screen painted (p90)':38} {p90:>10.1f}ms {'':>12} {'':>7}  < 50 ms   "
          f"{'ok' if ok_next else 'MISSED'}")
    bare_ms = sorted(t * 1000 for t in bare)
    bare_p90 = bare_ms[int(0.9 * (len(bare_ms) - 1))]
    print(f"{'  bare Textual, same-size page (p90)':38} {bare_p90:>10.1f}ms  (median {statistics.median(bare_ms):.1f} ms): "
          f"the floor here; the wizard's p90 is {p90 / bare_p90:.2f}x it")
    print(f"{'  median / slowest':38} {median:>8.1f}ms  ({slowest[0]} {slowest[1] * 1000:.1f} ms)")
    print(f"{'  the first change, right after start':38} {', '.join(f'{t:.0f}' for t in first)} ms")
    by_page: dict[str, list[float]] = {}
    for key, seconds in changes:
        by_page.setdefault(key, []).append(seconds * 1000)
    print("  per page (median ms): " + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in by_page.items()))
    return 0 if ok_start and ok_next else 1


if __name__ == "__main__":
    sys.exit(main())
