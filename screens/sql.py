"""MABS setup: SQL Settings (bundled new instance, recommended, or an existing local instance)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, RadioSet, Static

from mabs_wizard.answers.models import Section
from mabs_wizard.findings import Finding
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.toggles import Choice, Radio

TEXT_FIELDS = ("server", "instance", "reporting_instance", "admin_user", "admin_domain")


class SqlSettings(FormPage):
    KEY = "sql"
    SECTION = "sql"
    HELP = """
MABS needs SQL Server. The installation package comes with the right SQL Server binaries: letting
setup add a **new instance** is the recommended choice. You can use an **existing** instance, but it
must be on this server: **MABS does not work with a remote SQL Server instance.**

Instance names may not contain `_` and cannot be the default instance (MSSQLSERVER). An existing
instance must be a version the chosen MABS release supports, Standard or Enterprise, 64-bit.

**Check** runs the rules now; Next runs them too. The admin password is masked and kept in memory
only (then in the secret store); leave it empty to keep the answers file's reference.
"""

    def compose_form(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Static("SQL Server", classes="field-label")
            with Choice(id="sql-mode", compact=True, classes="-horizontal"):
                yield Radio("New instance (recommended)", id="mode-new", value=True, compact=True)
                yield Radio("Existing local", id="mode-existing", compact=True)
        yield Field("sql.server", "SQL machine", Input("localhost", id="server", compact=True))
        yield Field("sql.instance", "Instance", Input("MSDPM2012", id="instance", compact=True))
        yield Field("sql.reporting_instance", "Reporting instance", Input("SSRS", id="reporting_instance", compact=True))
        yield Field("sql.admin_user", "Admin user", Input("administrator", id="admin_user", compact=True))
        yield Field("sql.admin_domain", "Admin domain", Input(id="admin_domain", compact=True, placeholder="the server's domain"))
        yield Field("sql.admin_password", "Admin password", Input(id="admin_password", compact=True, password=True,
                                                                    placeholder="optional; masked"))
        with Horizontal(classes="button-row"):
            yield Button("Check", id="sql-check", compact=True, variant="primary")
        yield Static("", id="sql-status", classes="status-line", markup=False)

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        get = (lambda k: getattr(value, k, None)) if isinstance(value, Section) else value.get
        for name in TEXT_FIELDS:
            found = get(name)
            if found is not None:
                self.query_one(f"#{name}", Input).value = str(found)
        self.query_one("#mode-existing" if get("mode") == "existing" else "#mode-new", Radio).value = True
        self.show_ref_note("admin_password")

    def read_form(self) -> dict[str, Any]:
        values: dict[str, Any] = {"mode": "existing" if self.query_one("#mode-existing", Radio).value else "new"}
        for name in TEXT_FIELDS:
            text = self.query_one(f"#{name}", Input).value.strip()
            if text or name != "admin_domain":
                values[name] = text
        ref = self.secret_ref("admin_password", self.query_one("#admin_password", Input).value, required=False)
        if ref is not None:
            values["admin_password"] = ref
        return values

    @on(RadioSet.Changed, "#sql-mode")
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
