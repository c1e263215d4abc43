"""`mabs-wizard serve` in a real browser: Debian's Chromium driven by playwright (tests/serve_support.py).

The server is the real command, started and stopped (Ctrl+C) by each test; the wizard is driven with
the keys and mouse an operator uses, and what it shows is read back from the bytes the page's xterm.js
was given. Screenshots: set MW_SERVE_SCREENSHOTS=DIR to keep the first page and Completion there
(docs/serve-first-page.png and docs/serve-completion.png were made that way).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mabs_wizard.answers.loader import load_answers
from mabs_wizard.errors import SecretStoreError
from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.replay import replay_file
from mabs_wizard.screens.navigation import ORDER, SCREENS
from mabs_wizard.secret_store import open_store
from tests.kits import offline_demo_kit
from tests.serve_support import CAPTURE, VIEWPORT, ServeProcess, Terminal, chromium, cmdline_of, environ_of, title_row, walk_to_completion
from tests.test_tui_flow import files_holding, kit_secrets, normalise, times_aside

ENV_STORE_PASSWORD = "server-env-store-password-3c9e"
BROWSER_STORE_PASSWORD = "typed-in-the-browser-5d21"
MEDIA = 2 * 2**20
FIRST_TITLE = SCREENS[0].title



@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@dataclass
class Seen:
    """Everything the page asked for, and every complaint it logged (a CSP violation is one)."""

    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign(self, origin: str) -> list[str]:
        ws_origin = origin.replace("http://", "ws://", 1)
        return [u for u in self.requests if not (u.startswith(origin + "/") or u.startswith("data:"))] + \
               [u for u in self.websockets if not u.startswith(ws_origin + "/")]


def open_page(browser: Any, server: ServeProcess) -> tuple[Any, Any, Terminal, Seen]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    seen = Seen()
    context.on("request", lambda request: seen.requests.append(request.url))
    page = context.new_page()
    page.add_init_script(CAPTURE)
    page.on("websocket", lambda ws: seen.websockets.append(ws.url))
    page.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen.console_errors.append(str(exc)))
    page.goto(server.url)
    return context, page, Terminal(page), seen


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    target = Path(os.environ.get("MW_SERVE_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name))


def session_folder(server: ServeProcess, number: int = 1) -> Path:
    line = server.wait_for_line(rf"^session {number}: started \(pid \d+\), files in ")
    return Path(line.split(", files in ", 1)[1])


def cli_export(manifest: Path, fmt: str, target: Path) -> bytes:
    subprocess.run([sys.executable, "-m", "mabs_wizard", "export", str(manifest), "--format", fmt, "--output", str(target)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return target.read_bytes()


def test_the_demo_kit_walked_in_chromium_writes_the_replays_manifest(browser, secret_service, tmp_path):
    answers = offline_demo_kit(tmp_path / "kit", media_bytes=MEDIA)
    kit = answers.parent
    secrets = kit_secrets(kit)
    out = tmp_path / "out"
    server = ServeProcess(["--answers", str(answers), "--output", str(out)],
                          env={**os.environ, "MABS_WIZARD_STORE_PASSWORD": ENV_STORE_PASSWORD})
    try:
        context, page, term, seen = open_page(browser, server)
        rows = term.wait_for(lambda rows: title_row(rows) == FIRST_TITLE, label="the first page")
        # The token went into the cookie and out of the address bar; keys reach the wizard at once.
        assert page.url == server.origin + "/"
        assert page.evaluate("document.activeElement.classList.contains('xterm-helper-textarea')")
        assert rows[-1].split() == ["F1", "Help", "^S", "Save", "^B", "Back", "F2", "Next", "Esc", "Cancel", "F10", "Quit",
                                   "PgUp/Dn", "Scroll"]
        term.wait_for("Output folder:")
        screenshot(page, "serve-first-page.png", tmp_path)
        session = session_folder(server)

        visited = walk_to_completion(term)
        assert visited == ORDER  # every screen of the seed, in its order, in the browser
        term.wait_for("All parts are ready for the target.")
        term.wait_for("Answers saved:")
        screenshot(page, "serve-completion.png", tmp_path)

        # The PowerShell export: a download in the browser, byte for byte the CLI's export.
        with page.expect_download() as download:
            term.click("PowerShell")
        assert download.value.suggested_filename == "Install-MABS.ps1"
        downloaded_ps1 = Path(download.value.path()).read_bytes()
        term.wait_for("sent to the browser")
        # Save answers (Ctrl+S, Enter in its dialog): written in the session's folder and downloaded.
        page.keyboard.press("Control+s")
        term.wait_for("Save answers")
        term.settle()
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        assert download.value.suggested_filename == "answers.yaml"
        downloaded_answers = Path(download.value.path()).read_bytes()
        term.settle()
        page.keyboard.press("F2")  # Finish
        page.wait_for_selector("body.-closed", timeout=20_000)  # "This wizard session has ended."
        server.wait_for_line(r"^session 1: ended \(exit 0\)")
        assert seen.foreign(server.origin) == [], "the page asked another host"
        assert seen.requests and seen.websockets  # the listeners saw the page's traffic
        assert seen.console_errors == []
        context.close()
    finally:
        assert server.stop() == 0, server.output()

    assert downloaded_ps1 == (session / "Install-MABS.ps1").read_bytes()
    assert downloaded_ps1 == cli_export(session / MANIFEST_NAME, "ps1", tmp_path / "cli-Install-MABS.ps1")
    assert downloaded_answers == (session / "answers.yaml").read_bytes()
    assert load_answers(session / "answers.yaml") == load_answers(answers)
    assert files_holding(session, list(secrets.values())) == []
    assert not any(value.encode() in downloaded_ps1 + downloaded_answers for value in secrets.values())

    browser_manifest = json.loads((session / MANIFEST_NAME).read_text())
    assert browser_manifest["status"] == "ready-for-target"
    assert browser_manifest["secret_store"]["kind"] == "keyring"  # the server user's Secret Service, as the TUI
    # The same answers replayed headless into the same place (what the session made moved aside).
    shutil.rmtree(kit / "extracted")
    for path in (kit / "passphrase-safe").iterdir():
        path.unlink()
    shutil.rmtree(session)
    replay_file(answers, session, out=io.StringIO(), now=datetime.now(UTC))
    replay_manifest = json.loads((session / MANIFEST_NAME).read_text())
    assert times_aside(normalise(browser_manifest, secrets)) == times_aside(normalise(replay_manifest, secrets))


def test_the_store_password_is_asked_in_the_browser_never_inherited(browser, tmp_path):
    answers = offline_demo_kit(tmp_path / "kit", media_bytes=MEDIA)
    answers.write_text(answers.read_text().replace("kind: auto", "kind: file"))
    store_file = answers.parent / "store" / "secrets.enc"
    server = ServeProcess(["--answers", str(answers), "--output", str(tmp_path / "out")],
                          env={**os.environ, "MABS_WIZARD_STORE_PASSWORD": ENV_STORE_PASSWORD})
    try:
        context, page, term, _seen = open_page(browser, server)
        term.wait_for(lambda rows: title_row(rows) == FIRST_TITLE, label="the first page")
        [pid] = server.children()
        assert ENV_STORE_PASSWORD.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
        assert "MABS_WIZARD_STORE_PASSWORD" not in environ_of(pid)
        assert not any(ENV_STORE_PASSWORD in arg for arg in cmdline_of(pid))
        session = session_folder(server)
        # The walk fails unless the masked dialog shows up: the session has no password of its own.
        assert walk_to_completion(term, store_password=BROWSER_STORE_PASSWORD) == ORDER
        term.wait_for("All parts are ready for the target.")
        assert BROWSER_STORE_PASSWORD not in term.text()  # masked
        context.close()
    finally:
        assert server.stop() == 0, server.output()
    record = json.loads((session / MANIFEST_NAME).read_text())["encryption"]["settings"]["passphrase"]
    passphrase = (answers.parent / "secrets" / "encryption-passphrase.txt").read_text().strip()
    assert open_store("file", file_path=store_file, password=BROWSER_STORE_PASSWORD).get(record["service"], record["username"]) == passphrase
    with pytest.raises(SecretStoreError):
        open_store("file", file_path=store_file, password=ENV_STORE_PASSWORD).get(record["service"], record["username"])
    assert files_holding(session, [BROWSER_STORE_PASSWORD, ENV_STORE_PASSWORD]) == []


def test_every_action_has_a_key_that_reaches_the_wizard_in_chromium(browser, tmp_path):
    answers = offline_demo_kit(tmp_path / "kit", media_bytes=MEDIA)
    server = ServeProcess(["--answers", str(answers), "--output", str(tmp_path / "out")])
    try:
        context, page, term, seen = open_page(browser, server)
        term.wait_for(lambda rows: title_row(rows) == FIRST_TITLE, label="the first page")
        term.settle()
        # No click anywhere: the terminal has the focus from the start.
        page.keyboard.press("F1")
        term.wait_for(f"Help: {FIRST_TITLE}")
        term.wait_for("F2: Next")  # the help names the browser's keys
        term.wait_for("F10: quit")
        page.keyboard.press("Escape")
        term.wait_for(lambda rows: not any("Help: " in r for r in rows), label="the help closed")
        page.keyboard.press("F2")
        term.wait_for(lambda rows: title_row(rows) == SCREENS[1].title, label="Next")
        term.settle()
        page.keyboard.press("Control+b")
        term.wait_for(lambda rows: title_row(rows) == FIRST_TITLE, label="Back")
        term.settle()
        page.keyboard.press("Control+s")
        term.wait_for("Save answers")
        term.settle()
        with page.expect_download() as download:  # saved answers reach the browser
            page.keyboard.press("Enter")
        saved = Path(download.value.path()).read_bytes()
        term.wait_for(lambda rows: not any("Save answers" in r for r in rows), label="the save dialog closed")
        page.keyboard.press("F2")
        term.wait_for(lambda rows: title_row(rows) == SCREENS[1].title, label="Next again")
        term.settle()
        page.keyboard.type("x")  # typed and not saved yet: quitting asks
        term.settle()
        page.keyboard.press("Escape")
        term.wait_for("Quit the wizard?")
        page.keyboard.press("Escape")  # Stay
        term.wait_for(lambda rows: not any("Quit the wizard?" in r for r in rows), label="stayed")
        page.keyboard.press("F10")
        term.wait_for("Quit the wizard?")
        page.keyboard.press("s")  # Save and quit: the session journaled, the wizard ends
        page.wait_for_selector("body.-closed", timeout=20_000)
        server.wait_for_line(r"^session 1: ended \(exit 0\)")  # a plain quit is no failure, as in the TUI
        assert seen.console_errors == []
        context.close()
    finally:
        assert server.stop() == 0, server.output()
    assert (session_folder(server) / "mabs-wizard-session.json").is_file()
    assert saved == (session_folder(server) / "answers.yaml").read_bytes()


def test_sessions_get_their_own_folders_and_one_too_many_is_told_to_wait(browser, tmp_path):
    answers = offline_demo_kit(tmp_path / "kit", media_bytes=MEDIA)
    out = tmp_path / "out"
    server = ServeProcess(["--answers", str(answers), "--output", str(out), "--sessions", "2"])
    try:
        opened = [open_page(browser, server) for _ in range(2)]
        folders = []
        for _context, _page, term, _seen in opened:
            rows = term.wait_for("Output folder:")
            folders.append(Path(next(r for r in rows if "Output folder:" in r).split("Output folder:", 1)[1].strip()))
        assert folders[0] != folders[1]
        assert all(folder.parent == out and folder.is_dir() for folder in folders)
        assert sorted(folders) == sorted(Path(cmdline_of(pid)[cmdline_of(pid).index("--output") + 1]) for pid in server.children())

        # A third browser session: a page saying why, which starts the wizard once a place is free.
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.add_init_script(CAPTURE)
        response = page.goto(server.url)
        assert response is not None and response.status == 503
        assert "The wizard is in use" in page.inner_text("#busy")
        assert "2 of 2 session place(s) are taken" in page.inner_text("#busy")
        assert len(server.children()) == 2
        opened[0][0].close()  # the first operator closes their tab
        Terminal(page).wait_for(lambda rows: title_row(rows) == FIRST_TITLE, timeout=30, label="the wizard, once a place was free")
        server.wait_for_line(r"^session 3: started")
        context.close()
        opened[1][0].close()
    finally:
        assert server.stop() == 0, server.output()
