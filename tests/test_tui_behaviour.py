"""What operators expect of the wizard, driven with Pilot on the deterministic kit (tests/tui_support.py).

Refusals with inline errors, Back keeping what was typed, Cancel asking and offering to save, Ctrl+S,
F1, --skip-answered, the store password dialog, Stop during extraction, secrets never on screen or
on disk, NO_COLOR, and nothing clipped at 80×24.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from textual.widgets import Input, ProgressBar

from mabs_wizard.answers.loader import load_partial
from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.screens.dialogs import (
    ConfirmCancel,
    HelpDialog,
    SaveAnswers,
    StorePassword,
)
from mabs_wizard.screens.navigation import ORDER
from mabs_wizard.screens.pages.extract_progress import progress_line
from tests.tui_support import (
    ACCOUNTS_PASSWORD,
    SNAP_ROOT,
    failing_facts,
    goto,
    make_snapshot_kit,
    next_screen,
    settle,
    snapshot_app,
    type_into,
)


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


def field_error(app, path: str) -> str:  # noqa: ANN001
    return app.page.fields()[path].error


def log_of(app, selector: str) -> str:  # noqa: ANN001
    """The lines of a page's RichLog, for assertion messages."""
    return "\n".join(line.text for line in app.page.query_one(selector).lines)


def rail_text(app) -> str:  # noqa: ANN001
    from mabs_wizard.screens.widgets.step_rail import StepRail

    return app.screen.query_one(StepRail).render_rail().plain


def screen_text(app) -> str:  # noqa: ANN001
    """The screenshot's text, spaces as spaces (the SVG writes them as &#160;)."""
    import html

    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


# ---------------------------------------------------------------------------------- navigation


async def test_next_refuses_with_the_error_under_the_field_and_back_keeps_what_was_typed(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "extract_destination")
        await type_into(pilot, "#destination", str(kit.parent / "facts"))
        assert await next_screen(pilot) == "extract_destination"
        assert "exists and is not empty" in field_error(app, "extraction.destination")
        assert field_error(app, "extraction.source") == ""
        assert app.focused is app.page.query_one("#destination")  # focus goes to the field in error

        # A value pydantic refuses lands under its field too (planned data must be a number ≥ 0).
        await goto(pilot, "installation")
        await type_into(pilot, "#planned_cloud_data_gb", "-5")
        assert await next_screen(pilot) == "installation"
        assert field_error(app, "installation.planned_cloud_data_gb") == "✗ must be a number from 0 to 10000000"

        await type_into(pilot, "#company_name", "Fabrikam")
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert app.current == "sql"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.current == "installation"
        assert app.page.query_one("#company_name", Input).value == "Fabrikam"
        assert app.page.query_one("#planned_cloud_data_gb", Input).value == "-5"


async def test_next_walks_every_screen_in_the_seed_order_and_back_returns(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = [app.current]
        while app.current != "completion":
            seen.append(await next_screen(pilot))
        assert seen == ORDER
        # Back from the summary returns to the updates page; work pages are not gone back into.
        await goto(pilot, "proxy")
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert app.current == "summary"


async def test_keys_arriving_together_follow_tab_into_the_next_field(kit):
    """Auto-type (a password manager's, xdotool) delivers `text<Tab>text` at once: each part must
    land in its own field, as when typed slowly."""
    from textual import events

    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "extract_destination")
        source, destination = app.page.query_one("#source", Input), app.page.query_one("#destination", Input)
        source.value = destination.value = ""
        source.focus()
        await pilot.pause()
        for key, char in [*[(c, c) for c in "/srv/a"], ("tab", "\t"), *[(c, c) for c in "/srv/b"]]:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(pilot)
        assert (source.value, destination.value) == ("/srv/a", "/srv/b")


async def test_enter_is_next_and_refusal_keeps_the_screen(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # focus is on Next on a text page
        await settle(pilot)
        assert app.current == "extract_destination"
        await type_into(pilot, "#source", str(kit.parent / "nothing-here"))
        app.page.query_one("#source").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.current == "extract_destination"
        assert "does not exist" in field_error(app, "extraction.source")


async def test_prerequisites_that_fail_block_next_and_list_errors_with_remedies():
    app = snapshot_app(make_snapshot_kit(facts=failing_facts()))
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "prerequisites")
        assert await next_screen(pilot) == "prerequisites"
        table = app.page.query_one("#prereq-findings")
        levels = [f.level for f in table.findings]
        assert "error" in levels and "pass" in levels
        codes = {f.code for f in table.findings if f.level == "error"}
        assert {"prereq.domain-joined", "prereq.server-core"} <= codes
        assert all(f.remedy for f in table.findings if f.level == "error")
        assert "can't proceed" in str(app.page.query_one("#prereq-status").render())


async def test_remote_sql_is_refused_under_the_server_field(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        await type_into(pilot, "#server", "sqlbox01")
        assert await next_screen(pilot) == "sql"
        assert "remote SQL Server 'sqlbox01' is refused" in field_error(app, "sql.server")
        await type_into(pilot, "#server", "localhost")
        assert await next_screen(pilot) == "installation"


async def test_security_feedback_is_live_and_mismatch_blocks(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "security")
        await type_into(pilot, "#password", "abc")
        rules = str(app.page.query_one("#rules").render())
        assert "✗ at least 6 characters" in rules
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD)
        rules = str(app.page.query_one("#rules").render())
        assert rules.count("✓") == 4 and "✗" not in rules
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD + "!")
        assert await next_screen(pilot) == "security"
        assert "does not match" in field_error(app, "security.confirm_password")


# ---------------------------------------------------------------------------------- cancel, save, help


async def test_quit_with_nothing_to_lose_leaves_at_once(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")  # the first page, nothing typed: no question
        await pilot.pause()
    assert app.return_value == 0 and app.outcome_note == ""
    assert not (SNAP_ROOT / "out" / "mabs-wizard-session.json").exists()  # nothing answered, nothing journaled


async def test_quit_with_unsaved_typing_asks_and_stay_keeps_the_wizard_open(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        await type_into(pilot, "#instance", "TYPEDNOTSAVED")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCancel)
        await pilot.press("escape")  # Stay
        await pilot.pause()
        assert app.current == "sql" and not isinstance(app.screen, ConfirmCancel)
        await pilot.press("ctrl+q")  # Quit asks the same way
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCancel)
        await pilot.click("#quit")
        await pilot.pause()
    assert app.return_value == 0  # quitting is not a failure
    journal = (SNAP_ROOT / "out" / "mabs-wizard-session.json").read_text()
    assert "TYPEDNOTSAVED" not in journal  # Quit leaves out what was typed since the last save


async def test_save_and_quit_journals_the_page_as_typed_never_a_secret(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "security")
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD)
        await pilot.click("#nav-cancel")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCancel)
        await pilot.click("#save")
        await pilot.pause()
    assert app.return_value == 0
    journal = SNAP_ROOT / "out" / "mabs-wizard-session.json"
    assert journal.stat().st_mode & 0o777 == 0o600
    data = json.loads(journal.read_text())
    assert ACCOUNTS_PASSWORD not in journal.read_text()
    assert data["page"] == "security" and data["sections"]["security"]["password"] == "prompt"
    assert data["sections"]["extraction"]["destination"] == str(kit.parent / "extracted")
    assert f"resume it with: mabs-wizard run --output {SNAP_ROOT / 'out'}" in app.outcome_note


async def test_ctrl_s_saves_a_replayable_answers_file(kit):
    app = snapshot_app(kit)
    target = SNAP_ROOT / "out" / "answers.yaml"
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "updates")
        await pilot.click("#microsoft_update-false")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveAnswers)
        assert app.screen.query_one("#save-path", Input).value == str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "updates"
    assert target.stat().st_mode & 0o777 == 0o600
    sections, problems = load_partial(target)
    assert problems == []
    assert sections["updates"].microsoft_update is False
    assert sections["security"].password.file == kit.parent / "secrets" / "dpm-accounts-password.txt"


async def test_f1_shows_help_for_the_current_screen(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "installation")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        assert "Installation settings" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.current == "installation" and not isinstance(app.screen, HelpDialog)


# ---------------------------------------------------------------------------------- prefill and skip


async def test_skip_answered_starts_at_the_first_screen_needing_input_and_shows_the_summary():
    answers = make_snapshot_kit(drop=["security"])
    app = snapshot_app(answers, skip_answered=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current == "security"
        # The extraction pages were skipped, so nothing is extracted yet: the rail must not tick it.
        assert rail_text(app).startswith("○ Extract installer  ▶ MABS setup")
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD)
        assert await next_screen(pilot) == "summary"  # updates was answered; the summary always shows
        assert await next_screen(pilot) == "apply"
        assert await next_screen(pilot) == "completion"  # proxy, vault, encryption answered
        assert "All parts are ready" in str(app.page.query_one("#completion-title").render())
        assert rail_text(app).startswith("✓ Extract installer  ✓ MABS setup  ✓ MARS agent  ▶ Register server")
    manifest = (SNAP_ROOT / "out" / MANIFEST_NAME).read_text()
    assert '"file_count": 15' in manifest  # the skipped extraction ran at the end


async def test_invalid_prefill_opens_with_raw_values_and_says_why(kit):
    text = kit.read_text().replace("planned_cloud_data_gb: 500", "planned_cloud_data_gb: lots")
    kit.write_text(text)
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(app.state.prefill_problems) == 1 and "planned_cloud_data_gb" in app.state.prefill_problems[0]
        await goto(pilot, "installation")
        assert app.page.query_one("#planned_cloud_data_gb", Input).value == "lots"
        assert app.page.query_one("#company_name", Input).value == "Contoso"
        assert await next_screen(pilot) == "installation"
        assert field_error(app, "installation.planned_cloud_data_gb")


# ---------------------------------------------------------------------------------- work


async def test_the_store_password_is_asked_in_a_masked_dialog(monkeypatch):
    monkeypatch.delenv("MABS_WIZARD_STORE_PASSWORD", raising=False)
    answers = make_snapshot_kit()
    app = snapshot_app(answers, store=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show("apply")
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, StorePassword) and app.screen.query("#store-pw"):  # pushed and composed
                break
        assert isinstance(app.screen, StorePassword)
        assert all(w.password for w in app.screen.query(Input))
        await type_into(pilot, "#store-pw", "a-store-password")
        await type_into(pilot, "#store-pw2", "a-store-password")
        await pilot.click("#ok")
        await settle(pilot)
        assert app.current == "apply"
        assert "applied" in str(app.page.query_one("#apply-title").render())
    assert app.state.store.kind == "file"
    assert (answers.parent / "store" / "secrets.enc").is_file()


async def test_extraction_shows_real_progress_and_stop_cleans_up(monkeypatch):
    from mabs_wizard.events import Progress
    from mabs_wizard.media import make_demo_media
    from mabs_wizard.screens.pages.extract_progress import ExtractProgress

    answers = make_snapshot_kit()
    kit = answers.parent
    make_demo_media(kit / "media", total_bytes=384 * 2**20, seed=3)  # big enough to stop midway
    seen: list[Progress] = []
    stop_at_first = [True]
    shown = ExtractProgress.on_engine_event

    def record(self, event):  # noqa: ANN001, ANN202 - what the page was given, then shown as usual
        if isinstance(event, Progress):
            seen.append(event)
            if stop_at_first[0]:
                # The operator presses Stop as the first bytes move (a click from Pilot waits for the
                # screen to settle, by which time 384 MiB are already extracted on a fast disk).
                stop_at_first[0] = False
                self.query_one("#stop").press()
        shown(self, event)

    monkeypatch.setattr(ExtractProgress, "on_engine_event", record)
    app = snapshot_app(answers)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show("extract_progress")
        await settle(pilot)
        assert seen, "no progress event"
        assert app.page.state_text == "cancelled", (app.page.state_text, str(app.page.query_one("#progress-messages").render()))
        assert "stopped" in str(app.page.query_one("#progress-title").render()).lower()
        assert not (kit / "extracted").exists()
        assert not [p for p in kit.iterdir() if ".mabs-partial-" in p.name]  # no staging left
        assert "extraction" not in app.state.outcomes

        seen.clear()
        await pilot.click("#retry")
        await settle(pilot)
        assert app.page.state_text == "done", str(app.page.query_one("#progress-messages").render())
        assert (kit / "extracted" / "Setup.exe").is_file()
        bar = app.page.query_one("#bar", ProgressBar)
        assert bar.total and bar.progress == bar.total
    # The bar followed the engine's own counts, rate and ETA.
    extract_pass = [e for e in seen if e.total == seen[-1].total]
    assert any(0 < e.done < e.total for e in seen), [(e.done, e.total) for e in seen]
    assert [e.done for e in extract_pass] == sorted(e.done for e in extract_pass)
    assert seen[-1].done == seen[-1].total and any(e.rate for e in seen)
    mid = next(e for e in seen if 0 < e.done < e.total and e.rate)
    line = progress_line(mid)
    assert "of 384.0 MiB" in line and "MiB/s" in line and ("ETA" in line) == (mid.eta is not None)


async def test_connectivity_failure_is_reported_per_endpoint(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "proxy")
        await pilot.click("#test")
        await settle(pilot)
        status = str(app.page.query_one("#proxy-status").render())
        assert "Not connected: 2 of 2 endpoints unreachable" in status
        table = app.page.query_one("#endpoints")
        assert table.row_count == 2
        assert "connection refused" in str(table.get_row_at(0)[1])
        assert "Restore from Azure".lower() in str(app.page.query_one("#capabilities").render()).lower()
        # The test counts as the step's work: Next does not probe again.
        assert "proxy" in app.state.outcomes


async def test_completion_exports_files_next_to_the_manifest(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "completion")
        for button in ("#export-mabs-ini", "#export-mars-cmd", "#export-ps1"):
            await pilot.click(button)
            await pilot.pause()
        where = str(app.page.query_one("#completion-where").render())
        assert "Passphrase stored in: encrypted file" in where and "Passphrase file:" in where
    out = SNAP_ROOT / "out"
    for name in ("MABSSetup.ini", "Install-MARS.cmd", "Install-MABS.ps1", MANIFEST_NAME, "answers.yaml"):
        assert (out / name).stat().st_mode & 0o777 == 0o600, name
    ini = (out / "MABSSetup.ini").read_text(encoding="utf-8")
    assert "SQLInstanceName=MSDPM2012" in ini and "<secret not exported" in ini
    assert ACCOUNTS_PASSWORD not in ini


# ---------------------------------------------------------------------------------- secrets and display


async def test_typed_secrets_never_reach_the_screen_notifications_or_disk(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "security")
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD)
        assert ACCOUNTS_PASSWORD not in screen_text(app)
        await next_screen(pilot)
        await goto(pilot, "summary")
        assert ACCOUNTS_PASSWORD not in screen_text(app)
        app.page.query_one("#summary-scroll").scroll_end(animate=False)  # the security rows, below the fold at 80x24
        await pilot.pause()
        assert "typed here (masked)" in screen_text(app)

        await goto(pilot, "encryption")
        await pilot.click("#generate")
        await pilot.pause()
        generated = app.page.query_one("#passphrase", Input).value
        assert len(generated) == 32 and app.page.query_one("#confirm_passphrase", Input).value == generated
        assert generated not in screen_text(app)  # masked by default
        await pilot.click("#reveal")
        await pilot.pause()
        assert generated in screen_text(app)  # shown on request
        await pilot.click("#reveal")
        await pilot.pause()
        assert generated not in screen_text(app)
        notes = " ".join(str(n.message) for n in app._notifications)
        assert generated not in notes and ACCOUNTS_PASSWORD not in notes
        await goto(pilot, "completion")
        title = str(app.page.query_one("#completion-title").render())
        assert "All parts are ready" in title, log_of(app, "#completion-log")
    for path in (SNAP_ROOT / "out").rglob("*"):
        data = path.read_bytes()
        assert ACCOUNTS_PASSWORD.encode() not in data and generated.encode() not in data, path
    assert repr(app.state.secrets).count(ACCOUNTS_PASSWORD) == 0


async def test_no_color_is_honoured(kit, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "prerequisites")
        await pilot.click("#prereq-check")
        await settle(pilot)
        svg = app.export_screenshot()
    assert app.no_color
    colours = set(re.findall(r"(?:fill|color):\s*#([0-9a-fA-F]{6})", svg)) | set(re.findall(r'fill="#([0-9a-fA-F]{6})"', svg))
    assert colours, "no colours found in the screenshot"
    channels = lambda c: [int(c[i : i + 2], 16) for i in (0, 2, 4)]  # noqa: E731
    chromatic = [c for c in colours if max(channels(c)) - min(channels(c)) > 16]
    # Only the SVG's own window chrome (the three title-bar buttons) may be coloured.
    assert set(chromatic) <= {"ff5f57", "febc2e", "28c840"}, chromatic
    assert "✓ pass" in svg.replace("&#160;", " ")  # the verdict is a mark, not a colour


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_nothing_is_clipped(kit, size):
    width, height = size
    app = snapshot_app(kit)
    async with app.run_test(size=size) as pilot:
        for key in ORDER:
            await goto(pilot, key)
            screen = app.screen
            page = app.page
            assert len(str(screen.query_one("#rail").render()).rstrip()) <= width - 2, key
            assert page.display and page.region.area, key
            for widget in page.query("*"):
                # Inside a scroll view of its own (a Tab stop): scrolled into sight, not clipped.
                if any(a.has_class("scroll-view") for a in widget.ancestors):
                    continue
                if widget.display and widget.region.area:
                    assert widget.region.right <= width and widget.region.bottom <= height, (key, widget)
            for view in page.query(".scroll-view"):
                assert view.can_focus, (key, view)
            assert page.max_scroll_x == 0, f"{key}: the page scrolls sideways"
            for button_id in ("#nav-back", "#nav-next", "#nav-cancel", "#nav-help"):
                button = screen.query_one(button_id)
                assert button.region.height == 1 and button.region.bottom <= height - 1, (key, button_id)
                label = str(button.label)
                assert len(label) <= button.region.width, (key, button_id, label)
            for field in page.query(".field-label"):
                assert len(str(field.render())) <= field.region.width, (key, str(field.render()))


async def test_browse_picks_the_vault_file_from_a_folder_tree(kit):
    from mabs_wizard.screens.dialogs import FilePicker

    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "vault")  # prefilled: the picker opens in the file's folder
        await pilot.click("#browse")
        await settle(pilot)
        assert isinstance(app.screen, FilePicker)
        assert app.screen.query_one("#picker-path", Input).value == str(kit.parent / "vault") + "/"
        await pilot.click("#up")
        await settle(pilot)
        assert app.screen.query_one("#picker-path", Input).value == str(kit.parent) + "/"
        await type_into(pilot, "#picker-path", str(kit.parent / "vault" / "contoso-mabs-vault.VaultCredentials"))
        await pilot.click("#open")
        await settle(pilot)
        assert not isinstance(app.screen, FilePicker)
        assert app.page.query_one("#credentials_file", Input).value.endswith("contoso-mabs-vault.VaultCredentials")
        assert "Certificate status: valid" in str(app.page.query_one("#vault-status").render())
