"""MARS agent: Internet connectivity and proxy (the MARS installer's check, with a Test button).

Test runs the proxy step of the engine (`flow.run_step("proxy")`): it probes the Azure Backup
endpoints directly or through the proxy, and shows each endpoint's outcome and what backup and
restore can do in that state (the seed's table). A passing test counts as the step's work.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Static

from mabs_wizard.answers.formspec import FieldSpec
from mabs_wizard.findings import has_errors
from mabs_wizard.screens.page import FormPage
from mabs_wizard.screens.widgets.toggles import Check

PROXY_FIELDS = ("host", "port", "username", "password")  # enabled only with "Use a proxy server"


class ProxyConfiguration(FormPage):
    KEY = "proxy"
    SECTION = "proxy"
    HELP = """
The Microsoft Azure Recovery Services (MARS) agent needs Internet connectivity to the Azure Backup
service. **Test** probes the Azure endpoints from this machine, directly or through the proxy given
(host, port, and user and password for Basic authentication), and shows each endpoint's outcome.

If a firewall or proxy blocks access, allow: `*.microsoft.com`, `*.windowsazure.com`,
`*.microsoftonline.com`, `*.windows.net`, `*.blob.core.windows.net`, `www.msftconnecttest.com`.

**Subscription state** is yours to declare: with the connectivity, it gives the row of the seed's
table (back up to Azure / to disk, restore from Azure / from disk). The proxy password is masked.
"""

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield Static("", id="proxy-status", classes="status-line", markup=False)
        table: DataTable[Text] = DataTable(id="endpoints", show_cursor=False, zebra_stripes=False)
        table.can_focus = False  # no cursor, nothing to pick: not a Tab stop (the page scrolls)
        yield table
        yield Static("", id="capabilities", classes="status-line", markup=False)

    def beside(self, spec: FieldSpec) -> tuple[Widget, ...]:
        return (Button("Test", id="test", compact=True, variant="primary"),) if spec.name == "subscription_state" else ()

    def refresh_view(self) -> None:
        enabled = self.query_one("#use_proxy", Check).value
        for name in PROXY_FIELDS:
            self.query_one(f"#{name}", Input).disabled = not enabled
        done = self.state.outcomes.get("proxy")
        if done is not None and not self.busy:
            self.show_result(done)

    @on(Check.Changed, "#use_proxy")
    def _toggled(self) -> None:
        self.refresh_view()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "test":
            event.stop()
            self.start_test()
            return

    def start_test(self) -> None:
        model, findings = self.validate_form()
        self.show_findings(findings)
        if model is None or has_errors(findings):
            self.focus_first_error()
            return
        self.state.commit(self.SECTION, model, secrets_digest=self.typed_secrets_digest())
        self.query_one("#test", Button).disabled = True
        self.query_one("#proxy-status", Static).update("Testing connectivity…")
        self.run_work(self._test, done=self._tested, failed=self._test_failed, group="connectivity")

    def _test(self, token: Any) -> Any:
        from mabs_wizard import flow

        ctx = self.state.run_context(lambda event: None, token, ask=self.wizard.ask_store_password)
        try:
            return flow.run_step("proxy", self.state.answers_so_far(), ctx)
        finally:
            self.state.store = ctx.store

    def _test_failed(self, how: str, lines: list[str]) -> None:
        self.query_one("#test", Button).disabled = False
        self.query_one("#proxy-status", Static).update("✗ " + ("test stopped" if how == "cancelled" else "; ".join(lines)))

    def _tested(self, outcome: Any) -> None:
        self.query_one("#test", Button).disabled = False
        if not has_errors(outcome.findings):
            self.state.outcomes["proxy"] = outcome
        else:
            self.show_findings(outcome.findings)  # e.g. credentials the proxy refused, under the password field
        self.show_result(outcome)

    def show_result(self, outcome: Any) -> None:
        from mabs_wizard.connectivity.report import OUTCOME_TEXT
        from mabs_wizard.screens.words import on_screen

        report = outcome.result.get("connectivity") or {}
        status = self.query_one("#proxy-status", Static)
        head = [f for f in outcome.findings if f.code in ("proxy.connected", "proxy.not-connected")]
        lines = []
        for f in (on_screen(f) for f in head):
            lines.append(("✓ " if f.level == "pass" else "! ") + f.message)
            if f.remedy:
                lines.append("  → " + f.remedy)
        if not report:
            lines.append("The connectivity check is turned off in the answers file.")
        status.update("\n".join(lines))
        table = self.query_one("#endpoints", DataTable)
        table.clear(columns=True)
        if report:
            table.add_column("Endpoint", key="url")
            table.add_column("Result", key="outcome")
            for ep in report.get("endpoints", []):
                ok = ep["outcome"] == "reachable"
                table.add_row(Text(ep["url"]), Text(("✓ " if ok else "✗ ") + OUTCOME_TEXT.get(ep["outcome"], ep["outcome"]),
                                                       style="green" if ok else "red"))
        caps = report.get("capabilities") or {}
        if caps:
            # The seed's table, the row for this state: what backup and restore can do.
            text = (f"{caps.get('connectivity')}, subscription {caps.get('subscription')}:\n"
                    f"back up to Azure: {caps.get('backup_to_azure')} · to disk: {caps.get('backup_to_disk')}\n"
                    f"restore from Azure: {caps.get('restore_from_azure')} · from disk: {caps.get('restore_from_disk')}")
            note = report.get("capabilities_note")
            self.query_one("#capabilities", Static).update(text + (f"\n{note}" if note else ""))
        else:
            self.query_one("#capabilities", Static).update("")

    async def leave_forward(self) -> bool:
        if self.busy:
            return False
        return await super().leave_forward()


Page = ProxyConfiguration
