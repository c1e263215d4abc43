"""Every finding at once, none left stale, in the operator's words (issue 12, items 3, 4 and 7).

Before: a page showed its problems one round at a time (a missing save location hid the short
passphrase), a fixed field kept its old error beside a checklist saying all was met, a port of "abc"
was silently dropped, and messages spoke answers-file keys and source numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mabs_wizard.screens.dialogs import StorePassword
from mabs_wizard.screens.navigation import ORDER
from tests.tui_support import goto, make_snapshot_kit, next_screen, settle, snapshot_app, type_into


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


def error_of(app, path: str) -> str:  # noqa: ANN001
    return app.page.fields()[path].error


async def test_one_next_shows_every_problem_of_the_page(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "encryption")
        await type_into(pilot, "#passphrase", "too-short")
        await type_into(pilot, "#confirm_passphrase", "too-short")
        await type_into(pilot, "#save_location", "")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.current == "encryption"
        assert "16" in error_of(app, "encryption.passphrase")  # the rule: the value is judged ...
        assert error_of(app, "encryption.save_location") == "✗ required field is missing"  # ... with the form


async def test_a_fixed_field_loses_its_error_at_once(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "security")
        for selector in ("#password", "#confirm_password"):
            await type_into(pilot, selector, "Mabs01-Ab1!")  # holds MABS01, part of DPMR$MABS01
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "part of the account name" in error_of(app, "security.password")
        for selector in ("#password", "#confirm_password"):
            await type_into(pilot, selector, "Zq8!wertyUIop")
        await pilot.pause()
        assert error_of(app, "security.password") == ""  # live: the same moment the checklist shows all met
        assert "✗" not in str(app.page.query_one("#rules").render())

        await goto(pilot, "encryption")
        for selector in ("#passphrase", "#confirm_passphrase"):
            await type_into(pilot, selector, "é" * 20)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert error_of(app, "encryption.passphrase").startswith("✗")
        await pilot.click("#generate")
        await settle(pilot)  # judged again once typing pauses
        assert error_of(app, "encryption.passphrase") == ""


async def test_prerequisites_judged_by_next_say_so_after_back(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "prerequisites")
        assert await next_screen(pilot) == "sql"
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert app.current == "prerequisites"
        assert "Press Check" not in str(app.page.query_one("#prereq-status").render())
        assert str(app.page.query_one("#prereq-check").label) == "Check again"


async def test_a_port_that_is_not_a_number_is_refused_in_words(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "proxy")
        app.page.query_one("#use_proxy").value = True
        await type_into(pilot, "#host", "proxy.contoso.com")
        await type_into(pilot, "#port", "abc")
        assert app.page.query_one("#port").value == "abc"  # typed as typed, not silently dropped
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert error_of(app, "proxy.port") == "✗ must be a whole number from 1 to 65535"
        await type_into(pilot, "#port", "0")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert error_of(app, "proxy.port") == "✗ must be a whole number from 1 to 65535"


def screen_text(app) -> str:  # noqa: ANN001
    import html

    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


SOURCE_NUMBER = re.compile(r"\(S\d+[a-z]?\)")
def _file_keys() -> re.Pattern[str]:
    from mabs_wizard.answers.models import SECTIONS

    keys = [f"{section}.{name}" for section, model in SECTIONS.items() for name in model.model_fields]
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + r")\b")


FILE_KEYS = _file_keys()  # every answers-file key: proxy.use_proxy, prerequisites.facts_file, ...


async def test_no_page_speaks_answers_file_keys_or_source_numbers():
    from tests.tui_support import failing_facts

    # The failing facts: every prerequisite message with its remedy is on screen.
    app = snapshot_app(make_snapshot_kit(facts=failing_facts()))
    async with app.run_test(size=(120, 60)) as pilot:
        for key in ORDER:
            await goto(pilot, key)
            if key in ("sql", "proxy", "installation"):
                await pilot.press("ctrl+n")  # the rules' messages, shown
                await settle(pilot)
                await goto(pilot, key)
            text = screen_text(app)  # what is drawn: tables and notes included
            assert not SOURCE_NUMBER.search(text), (key, SOURCE_NUMBER.search(text))
            assert "seed" not in text.lower(), key
            assert not FILE_KEYS.search(text), (key, FILE_KEYS.search(text))


async def test_declining_the_store_password_is_not_reported_as_a_failure(monkeypatch):
    monkeypatch.delenv("MABS_WIZARD_STORE_PASSWORD", raising=False)
    app = snapshot_app(make_snapshot_kit(), store=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show("apply")
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, StorePassword) and app.screen.query("#store-pw"):
                break
        assert isinstance(app.screen, StorePassword)
        await pilot.press("escape")
        await settle(pilot)
        title = str(app.page.query_one("#apply-title").render())
        assert "Stopped: nothing more was applied" in title and "fix the settings" not in title
