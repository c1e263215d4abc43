"""Local paths as operators type them and answers files hold them: `~`, `~user`, UNC, NUL, very long.

Before: `Path("~out").expanduser()` raised RuntimeError ("Could not determine home directory") from a
TUI input handler (the wizard died, answers lost, exit 0) and from the loader (`validate` said
"unexpected RuntimeError ... This is a bug", exit 1). Now every door answers with a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mabs_wizard.answers import load_answers
from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.errors import InputError
from mabs_wizard.screens.dialogs import SaveAnswers
from tests.fuzzing import examples
from tests.test_answers import MINIMAL
from tests.tui_support import goto, make_snapshot_kit, settle, snapshot_app, type_into

NO_SUCH_USER = "~mw-no-such-user-x"

HOSTILE = [
    NO_SUCH_USER,
    NO_SUCH_USER + "/media",
    "~out",
    "a\x00b",
    "//fileserver/share/mabs",
    "\\\\fileserver\\share\\mabs",
    "x" * 300,
    "/tmp/" + "y" * 5000,
    "\udcff-not-utf8",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_parse_refuses_with_a_message_never_another_exception(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_local_path(text)
    assert str(info.value)  # a sentence an operator can act on


def test_tilde_is_the_home_folder_and_relative_paths_take_the_base(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_local_path("~/media") == tmp_path / "media"
    assert parse_local_path("media", tmp_path) == tmp_path / "media"
    assert parse_local_path("/abs/media", tmp_path) == Path("/abs/media")


def test_home_unknown_is_a_message(monkeypatch) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr("pwd.getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    with pytest.raises(ValueError, match="home folder is not known"):
        parse_local_path("~/x")


def test_validate_refuses_tilde_user_with_file_line_col_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(MINIMAL.replace("destination: out", "destination: ~out"))
    done = subprocess.run([sys.executable, "-m", "mabs_wizard", "validate", str(path)], capture_output=True, text=True,
                          env={**os.environ, "DPM_PW": "x"}, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"{path}:4:16: extraction.destination: ~out: there is no user named 'out'" in done.stderr
    assert "bug" not in done.stderr and "Traceback" not in done.stderr


# Text an operator could type or paste: path-ish pieces, including the hostile ones.
path_text = st.lists(st.sampled_from(["~", "~root", NO_SUCH_USER, "/", "\\\\", "//", "..", "a", "é", "\x00", "x" * 130, " ", "C:"]),
                     min_size=1, max_size=6).map("".join) | st.text(max_size=40)


@settings(max_examples=examples(400), deadline=None)
@given(text=path_text)
def test_loader_never_lets_a_path_raise(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("answers")
    path = folder / "answers.json"  # JSON carries any text, NUL and lone surrogates included
    import json

    doc = json.dumps({"version": 1, "extraction": {"source": text, "destination": text},
                      "security": {"password": {"env": "X"}}, "vault": {"credentials_file": text},
                      "encryption": {"passphrase": "generate", "save_location": text}})
    path.write_text(doc, encoding="utf-8", errors="surrogatepass")
    try:
        load_answers(path)
    except InputError as exc:
        assert all(str(path) in line for line in exc.lines())


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


@settings(max_examples=examples(3), deadline=None)
@given(texts=st.lists(path_text, min_size=6, max_size=6))
def test_tui_path_fields_survive_any_text(texts: list[str]) -> None:
    """Typed into Installer folder and Extract to, then Next: the wizard stays up and says why."""
    import asyncio

    kit = make_snapshot_kit()

    async def drive() -> None:
        app = snapshot_app(kit)
        async with app.run_test(size=(80, 24)) as pilot:
            await goto(pilot, "extract_destination")
            for text in [*texts, *HOSTILE]:
                await type_into(pilot, "#source", text)
                await type_into(pilot, "#destination", text)
                await settle(pilot)
                await pilot.press("ctrl+n")
                await settle(pilot)
                assert app.is_running and app.current == "extract_destination", text
            await type_into(pilot, "#destination", NO_SUCH_USER)
            await settle(pilot)
            note = app.page.fields()["extraction.destination"].note  # as shown: wrapped between words
            assert f"no user named '{NO_SUCH_USER[1:]}'" in " ".join(note.split())

    asyncio.run(drive())


async def test_save_dialog_refuses_tilde_user_and_stays_open(kit: Path) -> None:
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveAnswers)
        await type_into(pilot, "#save-path", "~out/answers.yaml")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveAnswers) and app.is_running
        assert "no user named 'out'" in str(app.screen.query_one("#save-error").render())
