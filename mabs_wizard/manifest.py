"""The install manifest: what was decided, checked and done, derived from the answers models.

Each step's ``settings`` model is derived from its answers model with every secret reference
replaced by a :class:`SecretRecord` (where the secret is stored plus a non-reversible fingerprint),
so the manifest can never hold a secret value and its schema follows the answers automatically.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from mabs_wizard.answers.formspec import secret_fields
from mabs_wizard.answers.models import SECTIONS, Section
from mabs_wizard.context import SecretRecord, StepStatus
from mabs_wizard.errors import InputError
from mabs_wizard.findings import Finding
from mabs_wizard.fsutil import atomic_write_text

MANIFEST_VERSION = 1
MANIFEST_NAME = "install-manifest.json"

def _settings_model(section: type[Section]) -> type[BaseModel]:
    secrets = set(secret_fields(section))
    fields: dict[str, Any] = {}
    for field_name, info in section.model_fields.items():
        if field_name in secrets:
            fields[field_name] = (SecretRecord | None, Field(None, description=info.description))
        else:
            annotation = info.annotation
            if annotation is not None and "Path" in repr(annotation):
                annotation = str | None  # paths are recorded as strings (resolved, absolute)
            fields[field_name] = (annotation, Field(None, description=info.description))
    return create_model(f"{section.__name__.replace('Answers', '')}Settings", __config__=ConfigDict(extra="forbid"), **fields)


def _record_model(section: type[Section]) -> type[BaseModel]:
    return create_model(
        f"{section.__name__.replace('Answers', '')}Record",
        __config__=ConfigDict(extra="forbid"),
        title=(str, ...),
        phase=(str, ...),
        status=(StepStatus, ...),
        settings=(_settings_model(section), ...),
        findings=(list[Finding], Field(default_factory=list)),
        result=(dict[str, Any], Field(default_factory=dict, description="what the step measured or produced")),
    )


RECORDS: dict[str, type[BaseModel]] = {name: _record_model(model) for name, model in SECTIONS.items() if name != "secret_store"}


class ToolInfo(BaseModel):
    name: str = "mabs-wizard"
    version: str
    python: str


class FactsInfo(BaseModel):
    source: Literal["file", "probe"]
    path: str | None = None
    computer_name: str
    domain: str | None
    os_name: str
    collected_at: datetime | None = None


class StoreInfo(BaseModel):
    kind: Literal["keyring", "file"]
    backend: str


class Handover(BaseModel):
    """What must run on the Windows target, because this host cannot (or the operator chose not to)."""

    status: Literal["handed-over", "not-needed"]
    reason: str
    target: str
    steps: list[str] = Field(description="in order, exactly as to run them on the target")
    exports: list[str] = Field(description="`mabs-wizard export` formats that produce the files those steps read")


Manifest: type[BaseModel] = create_model(
    "Manifest",
    __config__=ConfigDict(extra="forbid", title="mabs-wizard install manifest"),
    schema_version=(Literal[1], MANIFEST_VERSION),
    tool=(ToolInfo, ...),
    started_at=(datetime, ...),
    finished_at=(datetime, ...),
    answers_file=(str | None, None),
    status=(Literal["ready-for-target", "blocked"], ...),
    facts=(FactsInfo, ...),
    secret_store=(StoreInfo, ...),
    **{name: (model, ...) for name, model in RECORDS.items()},
    handover=(Handover, ...),
)


def write_manifest(path: Path, manifest: BaseModel) -> Path:
    # 0600: it names keyring entries and host facts, which an attacker could use.
    return atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n", mode=0o600)


MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest is tens of KB; anything this big is not one


def read_manifest(path: Path) -> Any:
    """An install manifest as the wizard wrote it, validated; InputError naming the file and what is wrong."""
    from mabs_wizard.fsutil import read_bounded

    raw = read_bounded(path, MAX_MANIFEST_BYTES, what="an install manifest", missing=f"{path}: file not found")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text, so not an install manifest") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not an install manifest (a JSON object is expected)")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False, include_input=False)]
        raise InputError(f"{path}: invalid manifest", problems) from None
