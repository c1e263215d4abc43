"""The fleet report: ``fleet validate --json`` and ``DIR/fleet.json`` (``mabs-wizard schema fleet``).

One row per host with its status and every problem placed where its value came from; for a replay,
the one shared extraction and each host's files. It never holds a secret: problems carry the rules'
messages, which name fields and references, never values.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mabs_wizard.errors import InputError
from mabs_wizard.manifest import ToolInfo

FLEET_REPORT_NAME = "fleet.json"
REPORT_VERSION = 1

HostStatus = Literal["valid", "invalid", "ready-for-target", "blocked", "failed", "not-run"]


class Problem(BaseModel):
    """One error or warning of one host, placed in the template, the inventory, or on the host."""

    model_config = ConfigDict(extra="forbid")

    host: str
    level: Literal["error", "warning"]
    field: str = Field(description="section.field of the answers (empty for the override as a whole)")
    file: str | None = Field(None, description="the template or the YAML inventory file the value came from")
    line: int | None = None
    column: int | None = None
    message: str

    def text(self) -> str:
        field = f"{self.field}: " if self.field else ""
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}{self.host}: {field}{self.message}"


class HostReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(description="the inventory's name for the host")
    computer_name: str | None = Field(None, description="from the host's facts; secrets are stored under it")
    status: HostStatus = Field(description="validate: valid|invalid; replay: ready-for-target|blocked|failed|not-run")
    errors: int = 0
    warnings: int = 0
    problems: list[Problem] = Field(default_factory=list)
    folder: str | None = Field(None, description="replay: DIR/<host>, holding the files below")
    manifest: str | None = None
    answers: str | None = Field(None, description="replay: the merged answers (secrets as references)")
    setup_log: str | None = None
    passphrase_file: str | None = Field(None, description="replay: where this host's passphrase was saved")


class ExtractionReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runs: int = Field(description="how many times the media was extracted for this fleet (one at most)")
    status: Literal["done", "failed", "not-run"]
    source: str | None = None
    destination: str | None = None
    file_count: int | None = None
    detail: str | None = None


class FleetReport(BaseModel):
    model_config = ConfigDict(extra="forbid", title="mabs-wizard fleet report")

    schema_version: Literal[1] = REPORT_VERSION
    command: Literal["validate", "replay"]
    tool: ToolInfo
    started_at: datetime
    finished_at: datetime
    template: str
    inventory: str
    group: str = Field(description="the inventory group the hosts came from ('all': every host)")
    status: Literal["valid", "invalid", "ready", "incomplete"] = Field(
        description="validate: valid when no host has an error; replay: ready when every host is ready-for-target"
    )
    extraction: ExtractionReport | None = None
    hosts: list[HostReport]


def table(report: FleetReport) -> str:
    """The per-host table printed on stdout."""
    rows = [("HOST", "COMPUTER", "STATUS", "ERRORS", "WARNINGS")]
    rows += [(h.host, h.computer_name or "-", h.status, str(h.errors), str(h.warnings)) for h in report.hosts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def read_report(path: Path) -> FleetReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no fleet report here; run `mabs-wizard fleet replay TEMPLATE --inventory INV --output DIR` first") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the fleet report ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path}: not a JSON fleet report") from None
    try:
        return FleetReport.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False, include_input=False)]
        raise InputError(f"{path}: invalid fleet report", problems) from None
