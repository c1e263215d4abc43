"""Snapshots (SVG, 80×24 unless named) of every screen of the wizard, its dialogs, its error states, the
focus on each kind of control, two pages at 60×20 and the terminal-too-small message.

Deterministic by construction (see tests/tui_support.py): a kit at a fixed path with seeded media,
fixed facts, clock, secrets and vault file, free space reported as a fixed value, closed loopback
ports for the connectivity probes, the encrypted file store at a fixed path, no cursor blink and no
animation (TEXTUAL_ANIMATIONS=none in conftest). Update with `pytest --snapshot-update`, then look
at every SVG before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mabs_wizard.screens.navigation import ORDER
from tests.tui_support import (
    ACCOUNTS_PASSWORD,
    AFTER_EXPIRY,
    SNAP_ROOT,
    failing_facts,
    make_snapshot_kit,
    next_screen,
    settle,
    snapshot_app,
    type_into,
)
from tests.tui_support import goto as jump


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


async def goto(pilot, key: str) -> None:  # noqa: ANN001
    """To `key` as an operator gets there: the work pages on the way have run (the real extraction
    of the seeded media, the setup checks), so the step rail ticks those phases as done."""
    for work in ("extract_progress", "apply"):
        if ORDER.index(key) > ORDER.index(work):
            await jump(pilot, work)
    await jump(pilot, key)


def at(key: str):  # noqa: ANN201 - a run_before for snap_compare
    async def run_before(pilot) -> None:  # noqa: ANN001
        await goto(pilot, key)

    return run_before


# ---------------------------------------------------------------------------------- every screen


def test_extract_welcome(snap_compare, kit):
    assert snap_compare(snapshot_app(kit))


def test_extract_destination(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("extract_destination"))


def test_extract_ready(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("extract_ready"))


def test_extract_progress_done(snap_compare, kit):
    # The real extraction of the seeded media runs, then the page shows its result.
    assert snap_compare(snapshot_app(kit), run_before=at("extract_progress"))


def test_extract_finish(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "extract_progress")
        await next_screen(pilot)
        assert pilot.app.current == "extract_finish"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_setup_welcome(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("setup_welcome"))


def test_prerequisites_checked(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "prerequisites")
        await pilot.click("#prereq-check")
        await settle(pilot)

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_sql(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("sql"))


def test_installation(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("installation"))


def test_security_typed(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "security")
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD)

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_updates(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("updates"))


def test_summary(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("summary"))


def test_apply_done(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("apply"))


def test_proxy(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("proxy"))


def test_mars_agent(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("mars_agent"))


def test_vault(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("vault"))


def test_encryption(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("encryption"))


def test_completion(snap_compare, kit):
    # Runs every step for real (extraction, checks, store, connectivity, vault, passphrase file).
    assert snap_compare(snapshot_app(kit), run_before=at("completion"))


# ---------------------------------------------------------------------------------- dialogs


def test_help_dialog(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "sql")
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_confirm_cancel_dialog(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "installation")
        await type_into(pilot, "#company_name", "Fabrikam")  # something typed and not saved yet: Cancel asks
        await pilot.press("escape")
        await pilot.pause()

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_save_answers_dialog(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "updates")
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_vault_file_picker(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "vault")
        await pilot.click("#browse")
        await settle(pilot)

    assert snap_compare(snapshot_app(kit), run_before=run_before)


# ---------------------------------------------------------------------------------- error states


def test_error_invalid_destination(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "extract_destination")
        await type_into(pilot, "#destination", str(kit.parent / "facts"))  # exists and is not empty
        assert await next_screen(pilot) == "extract_destination"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_error_failed_prerequisites(snap_compare):
    answers = make_snapshot_kit(facts=failing_facts())

    async def run_before(pilot) -> None:
        await goto(pilot, "prerequisites")
        assert await next_screen(pilot) == "prerequisites"  # Next refuses, and runs the check

    assert snap_compare(snapshot_app(answers), run_before=run_before)


def test_error_remote_sql_refused(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "sql")
        await pilot.click("#mode-existing")
        await type_into(pilot, "#server", "sqlbox01")
        assert await next_screen(pilot) == "sql"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_error_weak_password(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "security")
        await type_into(pilot, "#password", "dpmr1")
        await type_into(pilot, "#confirm_password", "dpmr1")
        assert await next_screen(pilot) == "security"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_error_mismatched_password(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "security")
        await type_into(pilot, "#password", ACCOUNTS_PASSWORD)
        await type_into(pilot, "#confirm_password", ACCOUNTS_PASSWORD + "x")
        assert await next_screen(pilot) == "security"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_error_expired_vault_credentials(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "vault")
        assert await next_screen(pilot) == "vault"

    assert snap_compare(snapshot_app(kit, now=AFTER_EXPIRY), run_before=run_before)


def test_error_connectivity_failure(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "proxy")
        await pilot.click("#test")
        await settle(pilot)

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_error_short_passphrase(snap_compare, kit):
    async def run_before(pilot) -> None:
        await goto(pilot, "encryption")
        await type_into(pilot, "#passphrase", "too-short")
        await type_into(pilot, "#confirm_passphrase", "too-short")
        assert await next_screen(pilot) == "encryption"

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_resume_offer(snap_compare, kit):
    """An unfinished session in the output folder: offered for resuming before anything else."""
    from datetime import UTC, datetime

    from mabs_wizard import session

    session.save(SNAP_ROOT / "out", session.Session(page="sql", saved_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
                                                    sections={"sql": {"mode": "new", "instance": "MSDPM2012"}}))
    assert snap_compare(snapshot_app(kit, resume="ask"))


# ---------------------------------------------------------------------------------- focus, sizes, dialogs (issue 12)


def focused(key: str, selector: str):  # noqa: ANN201 - a run_before for snap_compare
    async def run_before(pilot) -> None:  # noqa: ANN001
        await goto(pilot, key)
        pilot.app.screen.query_one(selector).focus()
        await settle(pilot)

    return run_before


def test_focus_on_an_input(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("sql", "#server"))


def test_focus_on_an_empty_input(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("sql", "#admin_domain"))


def test_focus_on_a_select(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("prerequisites", "#mabs_version"))


def test_focus_on_a_radio_set(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("sql", "#mode"))


def test_focus_on_a_checkbox(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("proxy", "#use_proxy"))


def test_focus_on_a_button(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("proxy", "#test"))


def test_focus_on_the_summary_scroll_view(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=focused("summary", "#summary-scroll"))


def test_focus_without_colour(snap_compare, kit, monkeypatch):
    # NO_COLOR: the focused radio set and the Test button read by their marks alone.
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(snapshot_app(kit), run_before=focused("proxy", "#test"))


def test_terminal_too_small(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("sql"), terminal_size=(50, 15))


def test_sql_at_60x20(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("sql"), terminal_size=(60, 20))


def test_completion_at_60x20(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("completion"), terminal_size=(60, 20))


def test_mars_agent_at_60x20(snap_compare, kit):
    assert snap_compare(snapshot_app(kit), run_before=at("mars_agent"), terminal_size=(60, 20))


def test_store_password_dialog(snap_compare, kit):
    from mabs_wizard.screens.dialogs import StorePassword
    from mabs_wizard.secret_store import PasswordRequest

    async def run_before(pilot) -> None:
        await goto(pilot, "vault")
        request = PasswordRequest(kit.parent / "store" / "secrets-new.enc", new=True, reason="no OS keyring")
        await pilot.app.push_screen(StorePassword(request, blink=False))
        await settle(pilot)
        await type_into(pilot, "#store-pw", "short")
        await type_into(pilot, "#store-pw2", "short")
        await pilot.click("#ok")
        await settle(pilot)

    assert snap_compare(snapshot_app(kit), run_before=run_before)


def test_all_findings_at_once(snap_compare, kit):
    """Every finding of the page shown together on one Next (issue 12 item 3): a short passphrase, a
    confirmation that differs, and an empty save location, each under its own field."""

    async def run_before(pilot) -> None:
        await goto(pilot, "encryption")
        await type_into(pilot, "#passphrase", "too-short")
        await type_into(pilot, "#confirm_passphrase", "different")
        await type_into(pilot, "#save_location", "")
        assert await next_screen(pilot) == "encryption"
        fields = pilot.app.page.fields()
        assert {key for key, field in fields.items() if field.has_class("-has-error")} == {
            "encryption.passphrase", "encryption.confirm_passphrase", "encryption.save_location"}

    assert snap_compare(snapshot_app(kit), run_before=run_before)
