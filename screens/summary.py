"""MABS setup: Summary of Settings, then Install (shown even with --skip-answered)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.answers.models import (
    ExtractionAnswers,
    InstallationAnswers,
    PrerequisitesAnswers,
    SecurityAnswers,
    SqlAnswers,
    UpdatesAnswers,
)
from mabs_wizard.screens.base import WizardPage, describe_secret_ref


def secret_text(state: Any, path: str, ref: Any) -> str:
    """How a secret is shown anywhere in the UI: where it comes from, never what it is."""
    if ref is None:
        return "(not given)"
    if ref == "prompt":
        return "typed here (masked)" if state.typed_secrets().has(path) else "not given yet"
    return f"from {describe_secret_ref(ref)}"


def settings_table(rows: list[tuple[str, str, str]]) -> Table:
    """Section, setting, value; values wrap inside their column (long Windows paths fold)."""
    table = Table(box=None, show_header=False, pad_edge=False, expand=True)
    table.add_column(style="bold", no_wrap=True, width=13)
    table.add_column(no_wrap=True, width=19)
    table.add_column(overflow="fold", ratio=1)
    for section, name, value in rows:
        table.add_row(section, name, Text(value))
    return table


def summary_rows(state: Any) -> list[tuple[str, str, str]]:
    """(section, setting, value) rows for the setup phase; also used by the completion page."""
    rows: list[tuple[str, str, str]] = []
    ext = state.model("extraction")
    if isinstance(ext, ExtractionAnswers):
        rows += [("Extraction", "Installer folder", str(ext.source)), ("", "Extracted to", str(ext.destination)),
                 ("", "Execute setup.exe", "yes" if ext.execute_setup else "no")]
    pre = state.model("prerequisites")
    if isinstance(pre, PrerequisitesAnswers):
        rows += [("Prerequisites", "Facts", str(pre.facts_file) if pre.facts_file else "probed from this machine"),
                 ("", "Release / platform", f"MABS {pre.mabs_version.upper()} on {pre.platform}")]
    sql = state.model("sql")
    if isinstance(sql, SqlAnswers):
        how = "new bundled instance" if sql.mode == "new" else "existing instance"
        account = "\\".join(p for p in (sql.admin_domain, sql.admin_user) if p)
        rows += [("SQL", "Instance", f"{how} {sql.server}\\{sql.instance}"), ("", "Reporting", sql.reporting_instance),
                 ("", "Account", account),
                 ("", "Password", secret_text(state, "sql.admin_password", sql.admin_password))]
    inst = state.model("installation")
    if isinstance(inst, InstallationAnswers):
        rows += [("Installation", "Program files", inst.program_files), ("", "Database files", inst.database_files),
                 ("", "Scratch", inst.scratch), ("", "Planned cloud data", f"{inst.planned_cloud_data_gb:g} GB"),
                 ("", "User / company", f"{inst.user_name} / {inst.company_name or '-'}")]
    sec = state.model("security")
    if isinstance(sec, SecurityAnswers):
        rows += [("Security", "Accounts password", secret_text(state, "security.password", sec.password))]
    upd = state.model("updates")
    if isinstance(upd, UpdatesAnswers):
        rows += [("Updates", "Microsoft Update", "yes" if upd.microsoft_update else "no")]
    return rows


class Summary(WizardPage):
    KEY = "summary"
    NEXT_LABEL = "Install"
    HELP = """
Review the settings. **Install** applies the MABS setup phase: the prerequisite check is written to
the setup log, the rules run once more, and the restricted accounts' password is put in the secret
store. Back changes a setting; what was already applied with an older value is applied again.
"""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[str, str, str]] | None = None

    def compose_body(self) -> ComposeResult:
        # One widget holding a table: a page change lays out one widget, not sixty cells.
        yield Static("", id="summary-table")

    def refresh_view(self) -> None:
        rows = summary_rows(self.state)
        if rows != self._rows:  # redrawn only when a setting changed
            self._rows = rows
            self.query_one("#summary-table", Static).update(settings_table(rows) if rows else "Nothing answered yet.")
        done = all(step in self.state.outcomes for step in ("prerequisites", "sql", "installation", "security", "updates"))
        self.set_next("Next >" if done else "Install")
