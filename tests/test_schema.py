"""The JSON Schemas are generated from the models; the committed copies must not drift."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from mabs_wizard.schema import KINDS, committed_path, render


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_matches_the_models(kind):
    assert committed_path(kind).read_text() == render(kind), f"run `make schema` and review assets/schema/{kind}.schema.json"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12(kind):
    schema = json.loads(render(kind))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_cli_prints_the_schema():
    out = subprocess.run([sys.executable, "-m", "mabs_wizard", "schema", "answers"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["title"] == "mabs-wizard answers"


def test_demo_facts_validate_against_the_facts_schema():
    from mabs_wizard.demo import demo_facts
    from tests.factsdata import NOW

    jsonschema.validate(json.loads(json.dumps(demo_facts(NOW))), json.loads(render("facts")))
