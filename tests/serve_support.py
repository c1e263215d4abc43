"""Helpers for the browser tests: a `mabs-wizard serve` process, Debian's Chromium driven by playwright,
and the served terminal read back the way xterm.js draws it.

* ``ServeProcess`` starts the real command (``python -m mabs_wizard serve --port 0 ...``), reads the
  URL it prints, lists its session processes from /proc, and stops it with SIGINT (Ctrl+C).
* ``chromium`` launches /usr/bin/chromium (the Debian package; playwright downloads nothing) with the
  popup blocker left on, as a browser an operator uses has it: downloads open through ``window.open``.
* ``Terminal`` reads the served screen. xterm.js draws on a canvas, so the page has no text to query:
  an init script records every binary websocket message the page receives (exactly what xterm.js is
  given) and the size it reports, and pyte, a VT100 emulator, replays them into a screen of rows.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyte

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
URL_LINE = re.compile(r"^(http://[^/\s]+)/\?token=([A-Za-z0-9_-]+)$")
VIEWPORT = {"width": 1100, "height": 720}

# Records what the page's websocket receives (binary: the terminal's bytes, base64) and the sizes the
# page reports (the ?width=&height= of the connection, then every "resize" message).
CAPTURE = """
(() => {
  const rec = {chunks: [], sizes: [], texts: []};
  window.__mw = rec;
  rec.take = () => { const out = {chunks: rec.chunks, sizes: rec.sizes}; rec.chunks = []; rec.sizes = []; return out; };
  const Native = window.WebSocket;
  const toB64 = (buf) => { let s = ""; const a = new Uint8Array(buf); for (let i = 0; i < a.length; i += 0x8000) s += String.fromCharCode.apply(null, a.subarray(i, i + 0x8000)); return btoa(s); };
  class Recording extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const q = new URL(url).searchParams;
      if (q.has("width")) rec.sizes.push([+q.get("width"), +q.get("height")]);
      this.addEventListener("message", (e) => {
        if (typeof e.data === "string") rec.texts.push(e.data); else rec.chunks.push(toB64(e.data));
      });
    }
    send(data) {
      try { const m = JSON.parse(data); if (m[0] === "resize") rec.sizes.push([m[1].width, m[1].height]); } catch (err) {}
      return super.send(data);
    }
  }
  window.WebSocket = Recording;
})();
"""


class ServeProcess:
    """`mabs-wizard serve` as an operator runs it, on a free port; its output is kept in `lines`."""

    def __init__(self, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 command: list[str] | None = None) -> None:
        """`command`: another program printing the same lines (the bench's hello-world server)."""
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "mabs_wizard", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=env if env is not None else dict(os.environ), cwd=cwd,
        )
        self.lines: list[str] = []
        self._url = threading.Event()
        self.origin = self.token = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self._url.wait(30):
            self.stop()
            raise AssertionError("serve printed no URL:\n" + self.output())

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            found = URL_LINE.match(line)
            if found and not self._url.is_set():
                self.origin, self.token = found.group(1), found.group(2)
                self._url.set()
        self._url.set()

    @property
    def url(self) -> str:
        return f"{self.origin}/?token={self.token}"

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def output(self) -> str:
        return "\n".join(self.lines)

    def children(self) -> list[int]:
        """Session processes: the server's direct children, from /proc."""
        return children_of(self.proc.pid)

    def wait_for_line(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if regex.search(line):
                    return line
            time.sleep(0.05)  # polling the output thread's list, not a stand-in for work
        raise AssertionError(f"serve never printed /{pattern}/:\n{self.output()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses: split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return sorted(out)


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode("utf-8", "surrogateescape").split("=", 1) for item in raw.split(b"\0") if b"=" in item)


def cmdline_of(pid: int) -> list[str]:
    return [part.decode("utf-8", "surrogateescape") for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through playwright; fails with a clear message when it is not installed."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")
    with sync_playwright() as pw:
        # playwright turns the popup blocker off by default; a real browser has it on, and the
        # wizard's downloads open in a new window (textual.js: window.open) after a key press.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                     ignore_default_args=["--disable-popup-blocking"])
        try:
            yield browser
        finally:
            browser.close()


class Terminal:
    """The served wizard's screen as rows of text, rebuilt from the bytes the page's xterm.js received."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self) -> None:
        import base64

        from playwright.sync_api import Error

        try:
            taken = self.page.evaluate("window.__mw ? window.__mw.take() : {chunks: [], sizes: []}")
        except Error as exc:
            if "context was destroyed" in str(exc) or "navigat" in str(exc):
                return  # the page is loading again (the busy page retries): its recorder starts afresh
            raise
        for width, height in taken["sizes"]:
            if (width, height) != (self.screen.columns, self.screen.lines):
                self.screen.resize(height, width)
        for chunk in taken["chunks"]:
            self.stream.feed(base64.b64decode(chunk))

    def rows(self) -> list[str]:
        self.pump()
        return [row.rstrip() for row in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.rows())

    def wait_for(self, what: str | Callable[[list[str]], bool], timeout: float = 30.0, *, label: str = "") -> list[str]:
        """Wait until the screen shows `what` (a text, also when wrapped onto the next row) or
        `what(rows)` is true."""
        check = what if callable(what) else (lambda rows: what in " ".join(row.strip() for row in rows))
        label = label or (what if isinstance(what, str) else getattr(what, "__doc__", None) or "the expected state")
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows()
            if check(rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"the served screen never showed {label!r}; it shows:\n" + "\n".join(rows))
            self.page.wait_for_timeout(50)  # the page keeps receiving meanwhile

    def settle(self, quiet: float = 0.25, timeout: float = 30.0) -> list[str]:
        """Wait until the page has received nothing for `quiet` seconds (the wizard has drawn its
        reaction to the last key), as the Pilot tests' `settle` waits for workers and repaints."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < deadline:
            if self.page.evaluate("window.__mw ? window.__mw.chunks.length : 0"):
                self.pump()
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                break
            self.page.wait_for_timeout(25)
        return self.rows()

    def find(self, text: str) -> tuple[int, int]:
        """(row, column) of `text` on the screen."""
        for y, row in enumerate(self.rows()):
            x = row.find(text)
            if x >= 0:
                return y, x
        raise AssertionError(f"{text!r} is not on the served screen:\n" + self.text())

    def click(self, text: str) -> None:
        """Click the middle of `text` where xterm.js draws it (a mouse click, as an operator makes)."""
        y, x = self.find(text)
        box = self.page.locator(".xterm-screen").bounding_box()
        cell_w, cell_h = box["width"] / self.screen.columns, box["height"] / self.screen.lines
        self.page.mouse.click(box["x"] + (x + len(text) / 2) * cell_w, box["y"] + (y + 0.5) * cell_h)


# Work pages: Next is enabled once their work is done, which they say so.
WORK_DONE = {"extract_progress": "Extraction complete.", "apply": "MABS setup settings applied.",
             "completion": "All parts are ready"}


def title_row(rows: list[str]) -> str:
    """The page title: the row under the step rail (screens/base.py, Frame.compose)."""
    return rows[1].strip() if len(rows) > 1 else ""


STORE_DIALOG = "Secret store password"  # screens/dialogs/store_password.py


def walk_to_completion(term: Terminal, key: str = "F2", on_page: Callable[[str], None] | None = None,
                       store_password: str | None = None) -> list[str]:
    """Press `key` (Next) on every page until Completion, as an operator with a prefilled answers
    file would; returns the pages seen, in order. `on_page(key)` runs on each before Next. When the
    encrypted store's password dialog shows up, `store_password` is typed into it (twice for a new
    store), or the walk fails."""
    from mabs_wizard.screens.navigation import SCREENS

    visited: list[str] = []
    for spec in SCREENS:
        term.wait_for(lambda rows, title=spec.title: title_row(rows) == title, timeout=60, label=f"page {spec.title}")
        if spec.key in WORK_DONE:
            done = WORK_DONE[spec.key]
            rows = term.wait_for(lambda rows, done=done: any(done in r or STORE_DIALOG in r for r in rows), timeout=120)
            if any(STORE_DIALOG in r for r in rows) and not any(done in r for r in rows):
                if store_password is None:
                    raise AssertionError("the store password dialog showed up:\n" + "\n".join(rows))
                term.settle()
                again = any("the same password again" in r for r in rows)  # the new store's second field
                for _ in range(2 if again else 1):
                    term.page.keyboard.type(store_password)
                    term.page.keyboard.press("Enter")
                    # Enter moves to the second field in a handler that runs after the key: keys
                    # sent at once would still land in the first field (typed by hand, they don't).
                    term.settle()
                term.wait_for(done, timeout=120)
        term.settle()
        visited.append(spec.key)
        if on_page is not None:
            on_page(spec.key)
        if spec.key == "completion":
            break
        term.page.keyboard.press(key)
    return visited
