"""A field is declared once, in its step's model: the form, the schema and the manifest follow.

The test adds a plain field to a copy of the SQL step's model (as a developer adding an option to
the SQL page would) and finds it, with nothing else touched, on the TUI's SQL page (labelled, filled,
read and committed), in the answers JSON Schema, and in the manifest's settings for the step.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, create_model

from mabs_wizard.answers.models import SECTIONS, Answers
from mabs_wizard.answers.section import Form
from mabs_wizard.steps.sql import SqlAnswers
from tests.tui_support import goto, make_snapshot_kit, next_screen, snapshot_app, type_into


class SqlWithNote(SqlAnswers):
    collation: Annotated[str, Form(placeholder="e.g. SQL_Latin1_General_CP1_CI_AS")] = Field(
        "", max_length=64, title="Collation", description="collation of the new instance")


@pytest.fixture
def with_note(monkeypatch: pytest.MonkeyPatch) -> type[SqlAnswers]:
    monkeypatch.setitem(SECTIONS, "sql", SqlWithNote)  # the registry every door reads
    return SqlWithNote


async def test_the_new_field_is_on_the_form_labelled_read_and_committed(with_note):
    app = snapshot_app(make_snapshot_kit())
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        field = app.page.fields()["sql.collation"]
        assert field.label == "Collation"
        assert field.control.placeholder == "e.g. SQL_Latin1_General_CP1_CI_AS"
        await type_into(pilot, "#collation", "Latin1_General_100_CI_AS")
        assert await next_screen(pilot) == "installation"
        committed = app.state.sections["sql"]
        assert isinstance(committed, SqlWithNote) and committed.collation == "Latin1_General_100_CI_AS"
        # Its rule comes from the model too: over 64 characters is refused under the field.
        await goto(pilot, "sql")
        await type_into(pilot, "#collation", "x" * 65)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "sql" and "at most 64 characters" in field.error


def test_the_new_field_is_in_the_answers_schema():
    root = create_model("AnswersWithNote", __base__=Answers, sql=(SqlWithNote, Field(default_factory=SqlWithNote)))
    schema = root.model_json_schema()
    sql = schema["$defs"]["SqlWithNote"]["properties"]["collation"]
    assert sql["title"] == "Collation" and sql["description"] == "collation of the new instance" and sql["maxLength"] == 64


def test_the_new_field_is_in_the_manifest_settings():
    from mabs_wizard.manifest import _record_model

    record = _record_model(SqlWithNote)
    settings = record.model_fields["settings"].annotation
    assert "collation" in settings.model_fields
    made = record.model_validate({"title": "SQL settings", "phase": "setup", "status": "checked",
                                  "settings": {**SqlWithNote(collation="C1").model_dump(mode="json", exclude={"admin_password"}),
                                               "admin_password": None}})
    assert made.settings.collation == "C1"
