"""JSON Schemas (draft 2020-12) generated from the models; committed copies live in assets/schema/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("answers", "manifest", "facts", "fleet")


def schema_for(kind: str) -> dict[str, Any]:
    if kind == "answers":
        from mabs_wizard.answers.models import Answers as model
    elif kind == "manifest":
        from mabs_wizard.manifest import Manifest as model  # type: ignore[assignment]
    elif kind == "facts":
        from mabs_wizard.facts import TargetFacts as model  # type: ignore[assignment]
    elif kind == "fleet":
        from mabs_wizard.fleet.report import FleetReport as model  # type: ignore[assignment]
    else:
        raise ValueError(kind)
    # mode="validation" for inputs (answers, facts), "serialization" for what we write.
    schema = model.model_json_schema(mode="serialization" if kind in ("manifest", "fleet") else "validation")
    return {"$schema": DIALECT, "$id": f"https://mabs-wizard.invalid/schema/{kind}.schema.json", **schema}


def render(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, sort_keys=True) + "\n"


def committed_path(kind: str) -> Path:
    """The copy shipped in the package (``mabs_wizard.assets``, assets/schema/ in a checkout)."""
    from mabs_wizard.assets import path

    return path("schema", f"{kind}.schema.json")


def source_checkout() -> Path | None:
    """The repository the package runs from (editable install or tests), else None (a wheel).

    ``schema --write`` refreshes the committed copies; in an installed wheel that would write
    into site-packages, so it is refused there."""
    from mabs_wizard.assets import path

    root = path().parent
    return root if (root / "pyproject.toml").is_file() and (root / "assets" / "schema").is_dir() else None
