"""MARS agent: Internet connectivity and proxy (the MARS installer's check, with a Test button).

Test runs the proxy step of the engine (`flow.run_step("proxy")`): it probes the Azure Backup
endpoints directly or through the proxy, and shows each endpoint's outcome and what backup and
restore can do in that state (the seed's table). A passing test counts as the step's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, DataTable, Input, Select, Static

from mabs_wizard.answers.models import Section
from mabs_wizard.errors import Cancelled, WizardError
from mabs_wizard.events import CancelToken
from mabs_wizard.findings import Finding, has_errors
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.toggles import Check

SUBSCRIPTION = [("Active", "active"), ("Expired", "expired"), ("Deprovisioned", "deprovisioned")]
KEPT = ("check", "endpoints", "ca_file", "timeout_s")  # from the answers file; not edited on this page


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

    def __init__(self) -> None:
        super().__init__()
        self.token: CancelToken | None = None

    def compose_form(self) -> ComposeResult:
        yield Field("proxy.use_proxy", "Connection", Check("Use a proxy server", id="use_proxy", compact=True))
        yield Field("proxy.host", "Proxy host", Input(id="host", compact=True, placeholder="proxy.contoso.com"))
        yield Field("proxy.port", "Proxy port", Input(id="port", compact=True, type="integer", placeholder="8080"))
        yield Field("proxy.username", "Proxy user", Input(id="username", compact=True, placeholder="optional"))
        yield Field("proxy.password", "Proxy password", Input(id="password", compact=True, password=True, placeholder="optional; masked"))
        yield Field("proxy.subscription_state", "Subscription", Select(SUBSCRIPTION, value="active", allow_blank=False,
                                                                         id="subscription_state", compact=True),
                    Button("Test", id="test", compact=True, variant="primary"))
        yield Static("", id="proxy-status", classes="status-line", markup=False)
        yield DataTable(id="endpoints", show_cursor=False, zebra_stripes=False)
        yield Static("", id="capabilities", classes="status-line", markup=False)

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        get = (lambda k: getattr(value, k, None)) if isinstance(value, Section) else value.get
        self.query_one("#use_proxy", Check).value = bool(get("use_proxy"))
        for name in ("host", "port", "username"):
            found = get(name)
            self.query_one(f"#{name}", Input).value = "" if found is None else str(found)
        if get("subscription_state") in ("active", "expired", "deprovisioned"):
            self.query_one("#subscription_state", Select).value = get("subscription_state")
        self.show_ref_note("password")

    def read_form(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "use_proxy": self.query_one("#use_proxy", Check).value,
            "subscription_state": self.query_one("#subscription_state", Select).value,
        }
        for name in ("host", "port", "username"):
            text = self.query_one(f"#{name}", Input).value.strip()
            if text:
                values[name] = text
        ref = self.secret_ref("password", self.query_one("#password", Input).value, required=False)
        if ref is not None:
            values["password"] = ref
        for name in KEPT:
            kept = self.prefilled_ref(name)
            if kept is not None:
                values[name] = kept
        return values

    def refresh_view(self) -> None:
        enabled = self.query_one("#use_proxy", Check).value
        for name in ("host", "port", "username", "password"):
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
        self.busy = True
        self.query_one("#test", Button).disabled = True
        self.query_one("#proxy-status", Static).update("Testing connectivity…")
        self.token = CancelToken()
        self.wizard.cancel_token = self.token
        self.run_test(self.token)

    @work(thread=True, exclusive=True, group="connectivity")
    def run_test(self, token: CancelToken) -> None:
        from mabs_wizard import flow

        try:
            self.wizard.ensure_store(token)
            ctx = self.state.run_context(lambda event: None, token)
            outcome = flow.run_step("proxy", self.state.answers_so_far(), ctx)
            self.state.store = ctx.store
        except Cancelled:
            self.app.call_from_thread(self._test_failed, "test stopped")
            return
        except WizardError as exc:
            self.app.call_from_thread(self._test_failed, "; ".join(exc.lines()) if hasattr(exc, "lines") else str(exc))
            return
        self.app.call_from_thread(self._tested, outcome)

    def _end_test(self) -> None:
        self.busy = False
        self.wizard.cancel_token = None
        self.query_one("#test", Button).disabled = False

    def _test_failed(self, message: str) -> None:
        self._end_test()
        self.query_one("#proxy-status", Static).update(f"✗ {message}")

    def _tested(self, outcome: Any) -> None:
        self._end_test()
        if not has_errors(outcome.findings):
            self.state.outcomes["proxy"] = outcome
        else:
            self.show_findings(outcome.findings)  # e.g. credentials the proxy refused, under the password field
        self.show_result(outcome)

    def show_result(self, outcome: Any) -> None:
        from mabs_wizard.connectivity.report import OUTCOME_TEXT

        report = outcome.result.get("connectivity") or {}
        status = self.query_one("#proxy-status", Static)
        head = [f for f in outcome.findings if f.code in ("proxy.connected", "proxy.not-connected")]
        lines = []
        for f in head:
            lines.append(("✓ " if f.level == "pass" else "! ") + f.message)
            if f.remedy:
                lines.append("  → " + f.remedy)
        if not report:
            lines.append("Connectivity check turned off in the answers file (proxy.check: false).")
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

    def show_findings(self, findings: list[Finding]) -> None:  # type: ignore[override]
        super().show_findings(findings)

    def action_cancel(self) -> None:
        if self.busy and self.token is not None:
            self.token.cancel()
            return
        super().action_cancel()

    async def leave_forward(self) -> bool:
        if self.busy:
            return False
        return await super().leave_forward()
