"""The wizard served to a browser (`mabs-wizard serve`), side by side with a hello-world Textual app served
the same way (the same server class: token, cookie, page template, session process started clean):

* cold start to the first painted frame in Chromium: from the page's navigation start (a fresh browser
  context each run: no cookie, no cache) to the frame after the first screen's text reached xterm.js
  (two animation frames after the websocket delivered it). This covers the page and its static files,
  the websocket, the session process starting (interpreter, imports, first compose) and the first
  frame. Target: <= 1.3x hello-world.
* memory per session: the session process's RSS and PSS (/proc/PID/smaps_rollup; PSS shares libraries
  between sessions fairly) on its first page, and after the demo kit was walked to Completion; the
  server's own RSS beside them.

Runs are interleaved (wizard, hello, wizard, ...) so machine noise hits both alike; a first, untimed
run of each warms the file cache and the bytecode cache, as an installed copy has them.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' serve helpers

from tests.serve_support import CAPTURE, VIEWPORT, ServeProcess, Terminal, chromium, walk_to_completion  # noqa: E402

RUNS = int(os.environ.get("BENCH_SERVE_RUNS", "15"))  # a shared 2-core VM: fewer runs swing the ratio by 0.2
WIZARD_PAINTED = "Press Next to continue."  # the end of the first page's text (as bench_tui.py)
HELLO_PAINTED = "Hello, world"
HELLO = """\
from textual.app import App
from textual.widgets import Footer, Static


class Hello(App):
    def compose(self):
        yield Static("Hello, world")
        yield Footer()


Hello().run()
"""
# `mabs-wizard serve`'s own server, its sessions running the hello-world app instead of the wizard.
HELLO_SERVER = """\
import sys
from pathlib import Path

import click

from mabs_wizard.screens.serve.server import WizardServer


class HelloServer(WizardServer):
    def session_argv(self, folder):
        return [sys.executable, {hello!r}]


HelloServer(output=Path(sys.argv[1]), port=0, say=click.echo).serve()
"""
# Marks the moment the first screen's text is painted: two animation frames after the websocket
# message that completed it (xterm.js parses a write on a timer and draws on the next frame).
PAINT = """
(() => {
  const marker = MARKER;
  const decoder = new TextDecoder();
  let text = "";
  window.__painted = null;
  const Native = window.WebSocket;
  class Timed extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (e) => {
        if (window.__painted !== null || typeof e.data === "string") return;
        text += decoder.decode(new Uint8Array(e.data), {stream: true});
        if (text.includes(marker)) {
          window.__painted = -1;
          requestAnimationFrame(() => requestAnimationFrame(() => { window.__painted = performance.now(); }));
        }
      });
    }
  }
  window.WebSocket = Timed;
})();
"""


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields["Rss"], fields["Pss"]


def wait_for_sessions(server: ServeProcess, count: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = server.children()
        if len(found) == count:
            return found
        time.sleep(0.02)  # polling /proc for the session process
    raise RuntimeError(f"expected {count} session(s), found {server.children()}:\n{server.output()}")


def cold_start(browser: object, server: ServeProcess, marker: str) -> tuple[float, int, int]:
    """(ms from navigation start to the first painted frame, session RSS KiB, session PSS KiB)."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.add_init_script(PAINT.replace("MARKER", repr(marker)))
        page.goto(server.url)
        # Polled from here (the page's CSP forbids the eval wait_for_function needs); the time
        # itself is taken in the page.
        deadline = time.monotonic() + 60
        while not (painted := page.evaluate("window.__painted")) or painted < 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{marker!r} never painted:\n{server.output()}")
            page.wait_for_timeout(20)
        painted = float(painted)
        [pid] = wait_for_sessions(server, 1)
        rss, pss = memory_kib(pid)
    finally:
        context.close()
    wait_for_sessions(server, 0)
    return painted, rss, pss


def walked_session_memory(browser: object, answers: Path, root: Path) -> tuple[int, int, int]:
    """The wizard session's (RSS, PSS) once the demo kit is walked to Completion, and the server's RSS."""
    server = ServeProcess(["--answers", str(answers), "--output", str(root / "walk-out")],
                          env={k: v for k, v in os.environ.items() if k != "MABS_WIZARD_STORE_PASSWORD"})
    try:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page = context.new_page()
        page.add_init_script(CAPTURE)
        page.goto(server.url)
        term = Terminal(page)
        walk_to_completion(term, store_password="bench-store-password")
        term.wait_for("All parts are ready")
        [pid] = server.children()
        rss, pss = memory_kib(pid)
        server_rss, _ = memory_kib(server.proc.pid)
        context.close()
    finally:
        server.stop()
    return rss, pss, server_rss


def main() -> int:
    from mabs_wizard.demo import make_demo_kit

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = Path(tmp)
        hello = root / "hello.py"
        hello.write_text(HELLO)
        runner = root / "hello_server.py"
        runner.write_text(HELLO_SERVER.format(hello=str(hello)))
        answers = make_demo_kit(root / "kit", media_bytes=2 * 2**20)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        wizard_server = ServeProcess(["--answers", str(answers), "--output", str(root / "out")], env=env)
        hello_server = ServeProcess([], env=env, command=[sys.executable, str(runner), str(root / "hello-out")])
        try:
            idle_server_rss, _ = memory_kib(wizard_server.proc.pid)
            with chromium() as browser:
                cold_start(browser, wizard_server, WIZARD_PAINTED)  # warm caches, untimed
                cold_start(browser, hello_server, HELLO_PAINTED)
                wizard, baseline = [], []
                for _ in range(RUNS):
                    wizard.append(cold_start(browser, wizard_server, WIZARD_PAINTED))
                    baseline.append(cold_start(browser, hello_server, HELLO_PAINTED))
                walk_kit = make_demo_kit(root / "walk-kit", media_bytes=2 * 2**20)
                walked_rss, walked_pss, busy_server_rss = walked_session_memory(browser, walk_kit, root)
        finally:
            wizard_server.stop()
            hello_server.stop()

    w = statistics.median(ms for ms, _, _ in wizard)
    b = statistics.median(ms for ms, _, _ in baseline)
    ratio = w / b
    ok = ratio <= 1.3
    mib = lambda kib: kib / 1024  # noqa: E731
    w_rss, w_pss = statistics.median(r for _, r, _ in wizard), statistics.median(p for _, _, p in wizard)
    h_rss, h_pss = statistics.median(r for _, r, _ in baseline), statistics.median(p for _, _, p in baseline)

    print(f"Served to Chromium (mabs-wizard serve; {RUNS} cold starts each, interleaved, fresh browser context each)")
    print(f"{'':42} {'mabs-wizard':>12} {'hello-world':>12} {'ratio':>7}  target")
    print(f"{'cold start to first painted frame (median)':42} {w:>10.0f}ms {b:>10.0f}ms {ratio:>6.2f}x  "
          f"<= 1.30x  {'ok' if ok else 'MISSED'}")
    print(f"{'  min / max':42} {min(m for m, _, _ in wizard):>4.0f}/{max(m for m, _, _ in wizard):<4.0f}ms "
          f"{min(m for m, _, _ in baseline):>4.0f}/{max(m for m, _, _ in baseline):<4.0f}ms")
    paired = statistics.median(wm / bm for (wm, _, _), (bm, _, _) in zip(wizard, baseline, strict=True))
    print(f"{'  median of back-to-back pairs (for noise)':42} {'':>12} {'':>12} {paired:>6.2f}x")
    print(f"{'session memory on its first page RSS / PSS':42} {mib(w_rss):>5.0f}/{mib(w_pss):<4.0f}MiB "
          f"{mib(h_rss):>5.0f}/{mib(h_pss):<4.0f}MiB")
    print(f"{'session memory at Completion RSS / PSS':42} {mib(walked_rss):>5.0f}/{mib(walked_pss):<4.0f}MiB")
    print(f"{'server RSS idle / with a session at Completion':42} {mib(idle_server_rss):>6.0f}MiB "
          f"{mib(busy_server_rss):>6.0f}MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
