"""Small parts of the TUI: the page order, state bookkeeping, a form judged as a whole, and the
wizard's keyboard conventions for toggles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mabs_wizard.answers.models import SECTIONS, UpdatesAnswers
from mabs_wizard.context import CheckContext, StepOutcome
from mabs_wizard.demo import demo_facts
from mabs_wizard.facts import TargetFacts
from mabs_wizard.flow import judge_section
from mabs_wizard.resolver import Secrets
from mabs_wizard.screens.navigation import (
    BY_KEY,
    ORDER,
    PHASE_TITLES,
    SCREENS,
    position,
)
from mabs_wizard.screens.state import WizardState
from mabs_wizard.steps import STEPS
from tests.tui_support import goto, make_snapshot_kit, settle, snapshot_app


def test_every_step_has_its_form_page_in_the_seed_order():
    forms = [s.section for s in SCREENS if s.kind == "form"]
    assert forms == list(STEPS)  # extraction, prerequisites, ..., encryption
    phases = [s.phase for s in SCREENS]
    assert phases == sorted(phases, key=[k for k, _ in PHASE_TITLES].index)  # phases never interleave
    assert [s.key for s in SCREENS if s.kind == "always"] == ["summary", "completion"]
    assert position("sql") == ("setup", 3, 8)
    assert all(BY_KEY[key].load().KEY == key for key in ORDER)


def _ctx() -> CheckContext:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    return CheckContext(facts=TargetFacts.model_validate(demo_facts(now)), facts_source="file", facts_path=None,
                        secrets=Secrets(environ={}), now=now)


def test_a_form_is_judged_as_a_whole_every_finding_at_once():
    # A port out of range (the model's) and a missing host (the step's rule) in one round.
    model, found = judge_section("proxy", {"use_proxy": True, "port": "99999"}, {}, _ctx())
    assert model is None
    by_field = {f.field: f.message for f in found if f.level == "error"}
    assert by_field == {"proxy.port": "must be a whole number from 1 to 65535", "proxy.host": "a proxy needs a host"}
    # Not a number at all: said so, with the range, never dropped silently.
    _, found = judge_section("proxy", {"use_proxy": True, "host": "p", "port": "abc"}, {}, _ctx())
    assert [(f.field, f.message) for f in found if f.level == "error"] == [("proxy.port", "must be a whole number from 1 to 65535")]


def test_a_rule_waits_for_the_fields_it_reads_and_the_others_still_speak():
    # The passphrase is too short (a rule) while the save location is missing (the model): both at once.
    values = {"passphrase": {"env": "PP"}, "confirm_passphrase": {"env": "PP"}}
    ctx = _ctx()
    ctx.secrets = Secrets(environ={"PP": "short"})
    model, found = judge_section("encryption", values, {}, ctx)
    fields = {f.field for f in found if f.level == "error"}
    assert model is None and fields == {"encryption.passphrase", "encryption.save_location"}


def test_a_changed_section_redoes_the_work_done_with_it_and_after_it(tmp_path: Path):
    state = WizardState(output_dir=tmp_path, secrets=Secrets(environ={}))
    for key in STEPS:
        state.outcomes[key] = StepOutcome("done")
    state.commit("updates", UpdatesAnswers(microsoft_update=True))
    assert list(state.outcomes) == list(STEPS)[: list(STEPS).index("updates")]  # updates and later: redone
    state.outcomes.update({key: StepOutcome("done") for key in STEPS})
    state.commit("updates", UpdatesAnswers(microsoft_update=True))  # the same answer: nothing to redo
    assert list(state.outcomes) == list(STEPS)
    state.commit("updates", UpdatesAnswers(microsoft_update=True), secrets_digest="other")  # a new typed secret
    assert "updates" not in state.outcomes and "sql" in state.outcomes


def test_answers_so_far_leave_unknown_sections_unknown(tmp_path: Path):
    state = WizardState(output_dir=tmp_path, secrets=Secrets(environ={}))
    answers = state.answers_so_far()
    assert answers.vault is None and answers.encryption is None and answers.extraction is None
    assert answers.sql == SECTIONS["sql"]()  # a section whose every field has a default is that default


async def test_enter_is_next_space_toggles_and_arrows_select():
    app = snapshot_app(make_snapshot_kit())
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "updates")
        choice = app.page.query_one("#microsoft_update")
        choice.focus()
        await pilot.press("down")  # arrows select, as in a Windows radio group
        await pilot.pause()
        assert app.page.query_one("#microsoft_update-false").value and not app.page.query_one("#microsoft_update-true").value
        await pilot.press("up")
        await pilot.pause()
        assert app.page.query_one("#microsoft_update-true").value

        await goto(pilot, "proxy")
        box = app.page.query_one("#use_proxy")
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        assert box.value and not app.page.query_one("#host").disabled  # proxy fields open up
        await pilot.press("space")
        await pilot.pause()
        assert not box.value
        await pilot.press("enter")  # Enter on a checkbox is Next, not a toggle
        await settle(pilot)
        assert app.current == "mars_agent"


def test_a_second_test_run_waits_for_the_snapshot_root(tmp_path: Path):
    import subprocess
    import sys
    import time

    root = tmp_path / "snap"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from tests.tui_support import hold_snapshot_root; hold_snapshot_root(Path(sys.argv[2])); "
            "print('holding', flush=True); sys.stdin.read()")
    repo = str(Path(__file__).resolve().parent.parent)
    first = subprocess.Popen([sys.executable, "-c", code, repo, str(root)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline() == "holding\n"
    second = subprocess.Popen([sys.executable, "-c", code, repo, str(root)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert second.stderr is not None
    assert "waiting for another test run" in second.stderr.readline()
    time.sleep(0.3)
    assert second.poll() is None  # still waiting while the first holds the root
    first.communicate("", timeout=30)  # the first run ends: its lock goes with it
    out, _ = second.communicate("", timeout=30)
    assert out == "holding\n" and second.returncode == 0
