"""Write answers back out (the TUI's Ctrl+S and completion): YAML, secrets only as references."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mabs_wizard.answers.models import ANSWERS_VERSION, SECTIONS
from mabs_wizard.fsutil import atomic_write_text

HEADER = "# mabs-wizard answers file (replay with: mabs-wizard replay THIS_FILE --output DIR)\n# Secrets are references only; see README \"Where secrets go\".\n"


def answers_to_data(sections: Mapping[str, BaseModel | Mapping[str, Any]], *, base_dir: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"version": ANSWERS_VERSION}
    for name in SECTIONS:
        section = sections.get(name)
        if section is None:
            continue
        values = section.model_dump(mode="json", exclude_defaults=False) if isinstance(section, BaseModel) else dict(section)
        data[name] = {k: _relative(v, base_dir) for k, v in values.items() if v is not None}
    return data


def _relative(value: Any, base_dir: Path | None) -> Any:
    # Keep paths relative to the answers file where they sit below it, so a kit stays movable.
    if isinstance(value, dict):  # secret references: {file: PATH}
        return {k: _relative(v, base_dir) for k, v in value.items()}
    if base_dir is None or not isinstance(value, str) or not value.startswith("/"):
        return value
    try:
        return str(Path(value).relative_to(base_dir))
    except ValueError:
        return value


def dump_answers(sections: Mapping[str, BaseModel | Mapping[str, Any]] | BaseModel, path: Path) -> Path:
    """YAML, mode 0600 (an answers file names where secrets are, which is itself worth hiding)."""
    from ruamel.yaml import YAML

    if isinstance(sections, BaseModel):
        sections = {name: getattr(sections, name) for name in SECTIONS}
    data = answers_to_data(sections, base_dir=path.resolve().parent)
    yaml = YAML()
    yaml.default_flow_style = False
    buf = io.StringIO()
    buf.write(HEADER)
    yaml.dump(data, buf)
    return atomic_write_text(path, buf.getvalue(), mode=0o600)
