"""Small parts of the TUI: what it copies from the engine stays equal to it, state bookkeeping,
form-error mapping, and the wizard's keyboard conventions for toggles."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from mabs_wizard.answers.models import SECTIONS, UpdatesAnswers
from mabs_wizard.flow import PHASES, STEPS, StepOutcome
from mabs_wizard.resolver import Secrets
from mabs_wizard.screens.navigation import BY_KEY, ORDER, PHASE_TITLES, SCREENS, SETUP_STEPS, position
from mabs_wizard.screens.state import WizardState, field_errors
from tests.tui_support import goto, make_snapshot_kit, settle, snapshot_app


def test_the_rail_and_the_setup_steps_are_the_engines():
    # Written out in screens/navigation.py so the first page paints before the engine loads.
    assert PHASE_TITLES == [(p.key, p.title) for p in PHASES]
    assert SETUP_STEPS == next(p.steps for p in PHASES if p.key == "setup")


def test_every_step_has_its_form_page_in_the_seed_order():
    forms = [s.section for s in SCREENS if s.kind == "form"]
    assert forms == list(STEPS)  # extraction, prerequisites, ..., encryption
    phases = [s.phase for s in SCREENS]
    assert phases == sorted(phases, key=[k for k, _ in PHASE_TITLES].index)  # phases never interleave
    assert [s.key for s in SCREENS if s.kind == "always"] == ["summary", "completion"]
    assert position("sql") == ("setup", 3, 8)
    assert all(BY_KEY[key].load().KEY == key for key in ORDER)


def test_form_errors_map_to_dotted_answers_paths():
    try:
        SECTIONS["proxy"].model_validate({"use_proxy": True, "port": "99999"})
    except ValidationError as exc:
        found = field_errors("proxy", exc)
    assert {f.field for f in found} == {"proxy.port"}
    assert all(f.level == "error" and f.message for f in found)
    try:
        SECTIONS["proxy"].model_validate({"use_proxy": True})  # a model-level rule: no single field
    except ValidationError as exc:
        found = field_errors("proxy", exc)
    assert [f.field for f in found] == ["proxy"] and "host and port are required" in found[0].message


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
        choice = app.page.query_one("#microsoft-update")
        choice.focus()
        await pilot.press("down")  # arrows select, as in a Windows radio group
        await pilot.pause()
        assert app.page.query_one("#mu-no").value and not app.page.query_one("#mu-yes").value
        await pilot.press("up")
        await pilot.pause()
        assert app.page.query_one("#mu-yes").value

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
