"""A dropped session loses nothing; quitting means what it says; no crash ends silently.

Issue 12 items 1, 5 and 8: a closed terminal (SIGHUP) journals the session, `run` offers to resume
it and lands on the page left, with what was typed there; an unexpected error ends the wizard with
exit code 1 and one paragraph (never 0, never a traceback without --debug); `run` without a terminal
refuses in one line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from mabs_wizard.screens.dialogs import ResumeSession
from mabs_wizard.session import JOURNAL_NAME
from tests.tui_support import SNAP_ROOT, goto, make_snapshot_kit, next_screen, settle, snapshot_app, type_into

BIN = Path(sys.executable).parent / "mabs-wizard"


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


async def test_a_saved_session_is_offered_and_resumed_on_its_page_with_what_was_typed(kit):
    out = SNAP_ROOT / "out"
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        await type_into(pilot, "#instance", "RESUMEDINST")
        await type_into(pilot, "#admin_password", "typed-admin-secret")
        app.save_session()  # what SIGHUP, Ctrl+S and every page change do
        await pilot.pause()
    journal = (out / JOURNAL_NAME).read_text()
    assert "typed-admin-secret" not in journal and "RESUMEDINST" in journal

    again = snapshot_app(kit, resume="ask")
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, ResumeSession)
        await pilot.click("#resume")
        await settle(pilot)
        assert again.current == "sql"
        assert again.page.query_one("#instance").value == "RESUMEDINST"
        assert again.page.query_one("#admin_password").value == ""  # a typed secret is asked again

    fresh = snapshot_app(kit, resume="ask")
    async with fresh.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#start-over")
        await settle(pilot)
        assert fresh.current == "extract_welcome"


async def test_a_finished_session_is_not_offered(kit):
    out = SNAP_ROOT / "out"
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        app.save_session(finished=True)
    assert json.loads((out / JOURNAL_NAME).read_text())["finished"] is True
    again = snapshot_app(kit, resume="ask")
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(again.screen, ResumeSession) and again.current == "extract_welcome"


async def test_a_late_page_change_write_never_lands_over_the_closing_save(kit, monkeypatch):
    """The page change's journal write is still on its way to the disk (a slow fsync) when the
    terminal closes: the closing save, taken later, is what stays in the journal."""
    import threading
    import time

    from mabs_wizard import session

    real_save = session.save

    def slow_off_the_ui_thread(output_dir, record):  # noqa: ANN001, ANN202
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.5)  # a page change's write, in a worker, reaching the disk late
        return real_save(output_dir, record)

    monkeypatch.setattr(session, "save", slow_off_the_ui_thread)
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "installation")
        await pilot.press("ctrl+b")  # back to SQL: the page change journals in a worker, slowly
        await pilot.pause(0.05)
        assert app.current == "sql"
        await type_into(pilot, "#instance", "LATEST")
        app.save_session()  # what SIGHUP does, while the worker's write is still under way
        await app.workers.wait_for_complete()
    journal = json.loads((SNAP_ROOT / "out" / JOURNAL_NAME).read_text())
    assert journal["page"] == "sql" and journal["sections"]["sql"]["instance"] == "LATEST"


def _spawn(*args: str, cwd: Path) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm-256color", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
           "MABS_WIZARD_STORE_PASSWORD": "terminal-test-store-password", "TEXTUAL_ANIMATIONS": "none"}
    return pexpect.spawn(str(BIN), list(args), cwd=str(cwd), env=env, dimensions=(24, 80), timeout=60, encoding="utf-8")


def test_a_closed_terminal_on_the_sql_page_is_resumed_with_the_typed_values(kit, tmp_path):
    """A real pseudo-terminal: walk to the SQL page, type, hang up (SIGHUP); run again, resume, see it."""
    out = tmp_path / "out"
    child = _spawn("run", "--answers", str(kit), "--output", str(out), cwd=tmp_path)
    try:
        child.expect("Press Next to continue")
        for _ in range(40):  # Next until the SQL page (the extraction runs on the way)
            child.sendcontrol("n")
            index = child.expect(["SQL settings", "Extraction complete", pexpect.TIMEOUT], timeout=20)
            if index == 0:
                break
        else:
            pytest.fail("never reached the SQL page")
        child.expect("MSDPM2012")
        # Each Tab is seen to land (the focused field's label drawn bold and reversed) before the next
        # key: Textual runs a widget's key bindings (Tab, Ctrl+U) when the key bubbles up to the app,
        # after the printable keys already queued behind it, so keys written in one burst can reorder.
        child.send("\t")  # from the radio group to "SQL machine"
        child.expect(r"\x1b\[1;7;[0-9;]*mSQL machine")
        child.send("\t")  # to "Instance", its value selected (select on focus)
        child.expect(r"\x1b\[1;7;[0-9;]*mInstance")
        child.send("HANGUPINST")  # replaces the selected value
        child.expect("HANGUPINST")
        child.kill(signal.SIGHUP)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.signalstatus is None and child.exitstatus == 128 + signal.SIGHUP
    journal = json.loads((out / JOURNAL_NAME).read_text())
    assert journal["page"] == "sql" and journal["sections"]["sql"]["instance"] == "HANGUPINST"

    again = _spawn("run", "--output", str(out), cwd=tmp_path)
    try:
        again.expect("Resume the last session")
        again.send("r")
        again.expect("SQL settings")
        again.expect("HANGUPINST")
        again.sendcontrol("q")
        again.expect(pexpect.EOF)
    finally:
        again.close(force=True)
    assert again.exitstatus == 0


def test_an_unexpected_error_ends_with_exit_1_one_paragraph_and_the_answers_kept(kit, tmp_path):
    """A fault injected into the real wizard in a real terminal (a page handler that raises)."""
    out = tmp_path / "out"
    code = ("import sys\n"
            "from mabs_wizard.screens.pages import extract_welcome as page\n"
            "def boom(self): raise RuntimeError('disk on fire')\n"
            "page.ExtractWelcome.action_help = boom\n"
            "from mabs_wizard.cli import main\n"
            "main(sys.argv[1:])\n")
    env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    child = pexpect.spawn(sys.executable, ["-c", code, "run", "--answers", str(kit), "--output", str(out)], cwd=str(tmp_path),
                          env=env, dimensions=(24, 80), timeout=60, encoding="utf-8")
    try:
        child.expect("Press Next to continue")
        child.sendcontrol("n")  # one page on: an answer to keep
        child.expect("Select destination")
        child.sendcontrol("b")
        child.expect("Press Next to continue")
        child.send("\x1bOP")  # F1 on the welcome page: the injected fault
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 1
    text = child.before or ""
    assert "error: unexpected RuntimeError: disk on fire" in text and "--debug" in text
    assert "Traceback" not in text
    assert (out / JOURNAL_NAME).is_file()  # the session was journaled before the wizard ended


def test_run_without_a_terminal_refuses_in_one_line(tmp_path):
    done = subprocess.run([str(BIN), "run", "--output", str(tmp_path)], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: mabs-wizard run needs a terminal (its input or output is not one); for automation use: "
        "mabs-wizard replay ANSWERS --output DIR"]


# --- work already done is recognised, not redone (issue 13) ------------------------------------


def _extracted_stamp(kit: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every extracted file: a second extraction would change them."""
    root = kit.parent / "extracted"
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


async def test_back_and_next_after_the_extraction_extract_nothing_again(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "extract_progress")
        first = app.state.outcomes["extraction"].result
        assert first["files_written"] > 0 and not first.get("reused")
        stamp = _extracted_stamp(kit)
        await goto(pilot, "extract_destination")  # Back to the folders ...
        for expected in ("extract_ready", "extract_finish", "setup_welcome"):  # ... and Next again: no refusal
            assert await next_screen(pilot) == expected, app.page.fields() if hasattr(app.page, "fields") else app.current
    assert _extracted_stamp(kit) == stamp


async def test_skip_answered_after_an_extraction_reuses_it(kit):
    first = snapshot_app(kit)
    async with first.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "extract_progress")
    stamp = _extracted_stamp(kit)
    again = snapshot_app(kit, skip_answered=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Every section answered, the extracted folder included (before: "exists and is not empty").
        assert again.current == "summary"
        await goto(pilot, "completion")  # the work left runs: the extraction is verified and reused
        await settle(pilot)
        result = again.state.manifest.extraction.result
        assert result["reused"] is True and result["files_written"] == 0
    assert _extracted_stamp(kit) == stamp


async def test_a_resumed_session_recognises_the_finished_extraction(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "extract_progress")
        await goto(pilot, "sql")
        app.save_session()
    stamp = _extracted_stamp(kit)
    again = snapshot_app(kit, resume="yes")
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.current == "sql"
        outcome = again.state.outcomes["extraction"]
        assert outcome.result["reused"] is True and outcome.result["files_written"] == 0
        from mabs_wizard.screens.widgets.step_rail import StepRail

        assert "✓ Extract installer" in again.screen.query_one(StepRail).render_rail().plain
    assert _extracted_stamp(kit) == stamp
