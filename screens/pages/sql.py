"""MABS setup: SQL Settings (bundled new instance, recommended, or an existing local instance)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, RadioSet, Static

from mabs_wizard.findings import Finding
from mabs_wizard.screens.page import FormPage


class SqlSettings(FormPage):
    KEY = "sql"
    SECTION = "sql"
    HELP = """
MABS needs SQL Server. The installation package comes with the right SQL Server binaries: letting
setup add a **new instance** is the recommended choice. You can use an **existing** instance, but it
must be on this server: **MABS does not work with a remote SQL Server instance.**

Instance names may not contain an underscore (`_`) and cannot be the default instance
(MSSQLSERVER). An existing instance must be a version the chosen MABS release supports, Standard or
Enterprise, 64-bit.

**Check** runs the rules now; Next runs them too. The admin password is masked and kept in memory
only (then in the secret store); leave it empty to keep the answers file's reference.
"""

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        with Horizontal(classes="button-row"):
            yield Button("Check", id="sql-check", compact=True, variant="primary")
        yield Static("", id="sql-status", classes="status-line", markup=False)

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        self.query_one("#sql-status", Static).update("")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sql-check":
            event.stop()
            _, findings = self.validate_form()
            self.show_findings(findings)
            return

    def show_findings(self, findings: Iterable[Finding]) -> None:
        findings = list(findings)
        super().show_findings(findings)
        passes = [f"✓ {f.message}" for f in findings if f.level == "pass"]
        bad = [f for f in findings if f.level == "error"]
        status = self.query_one("#sql-status", Static)
        status.update("\n".join(passes) if passes and not bad else ("✗ fix the settings marked above" if bad else ""))


Page = SqlSettings
