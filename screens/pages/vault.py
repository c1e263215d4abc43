"""Register Server: Vault Identification (browse for the credentials, then the vault's details).

Parsing and judging the file are the engine's (`vault.parse_vault_credentials`, `flow.check_step`);
this page shows what they found: vault, subscription, region, and the certificate's validity.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from mabs_wizard.answers.formspec import FieldSpec
from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.answers.section import Section
from mabs_wizard.errors import InputError, WizardError
from mabs_wizard.findings import Finding
from mabs_wizard.screens.page import FormPage


class VaultIdentification(FormPage):
    KEY = "vault"
    SECTION = "vault"
    HELP = """
Download the vault credentials from the Recovery Services vault (Prepare Infrastructure, or the
vault's Properties > Backup Credentials) and **Browse** to the `.VaultCredentials` file.

The page shows the vault, subscription, resource group and region the file is for, and its
certificate's validity. Current MARS agents accept a file up to 10 days old, older agents only
48 hours: download a fresh one if it is expired or too old.

**Path on target**: where the file will be on the Windows server, for the unattended setup's
`VaultCredentialFilePath` (full path, no spaces).
"""

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield Static("", id="vault-details", classes="status-line")
        yield Static("", id="vault-status", classes="status-line", markup=False)

    def beside(self, spec: FieldSpec) -> tuple[Widget, ...]:
        return (Button("Browse…", id="browse", compact=True),) if spec.name == "credentials_file" else ()

    def validate_form(self) -> tuple[Section | None, list[Finding]]:
        # What the inspection just judged (same values, same moment) is not parsed again on Next.
        values = self.read_form()
        cached = getattr(self, "_inspected", None)
        if cached is not None and cached[0] == values and abs((self.state.clock() - cached[3]).total_seconds()) < 60:
            return cached[1], cached[2]  # the final run judges the file again at its own moment
        return self.state.validate_form(self.SECTION, values)

    def refresh_view(self) -> None:
        # Once the page is on the screen: the inspection (a certificate to load) would compete
        # with drawing it.
        self.set_timer(0.05, lambda: self.inspect(self.read_form()))

    @on(Input.Changed, "#credentials_file")
    def _path_changed(self) -> None:
        self.inspect(self.read_form())

    @on(Input.Changed, "#target_path")
    def _target_changed(self) -> None:
        self.inspect(self.read_form())

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "browse":
            event.stop()
            self.browse()
            return

    def browse(self) -> None:
        from mabs_wizard.screens.dialogs import FilePicker

        text = self.query_one("#credentials_file", Input).value.strip()
        try:
            start = parse_local_path(text) if text else Path.home()
        except (ValueError, RuntimeError):
            start = Path.cwd()  # the field itself says what is wrong with the text on Next

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.query_one("#credentials_file", Input).value = str(path)

        self.app.push_screen(FilePicker("Select vault credentials", start, suffixes=(".VaultCredentials",)), chosen)

    @work(thread=True, exclusive=True, group="vault")
    def inspect(self, values: dict[str, Any]) -> None:
        # Parsing checks a certificate (PKCS#12): off the UI thread.
        from mabs_wizard.steps.vault import credentials

        if "credentials_file" not in values:
            self.app.call_from_thread(self._show, None, [])
            return
        try:
            ctx = self.state.check_context()
        except WizardError:
            ctx = None
        model, findings = self.state.validate_form(self.SECTION, values, ctx=ctx)
        self._inspected = (values, model, findings, self.state.clock())
        creds = None
        if model is not None and ctx is not None:
            try:
                # The judging above parsed the file in this context: this is the same parse, not a second.
                creds = credentials(ctx, model.credentials_file)  # type: ignore[attr-defined]
            except (InputError, WizardError, OSError):
                creds = None
        self.app.call_from_thread(self._show, creds, findings)

    def _show(self, creds: Any, findings: list[Finding]) -> None:
        details = self.query_one("#vault-details", Static)
        status = self.query_one("#vault-status", Static)
        if creds is None:
            details.update("")
        else:
            cert = creds.certificate
            table = Table(box=None, show_header=False, pad_edge=False)
            table.add_column(style="bold", no_wrap=True, width=17)
            table.add_column(overflow="fold")
            fmt = "%Y-%m-%d %H:%M UTC"
            for name, value in (
                ("Vault", creds.resource_name),
                ("Subscription", creds.subscription_id),
                ("Resource group", creds.resource_group),
                ("Region", creds.location),
                ("Certificate", cert.subject),
                ("Thumbprint", cert.thumbprint),
                ("Valid", f"{cert.not_before.astimezone(timezone.utc).strftime(fmt)} → "
                          f"{cert.not_after.astimezone(timezone.utc).strftime(fmt)}"),
            ):
                table.add_row(name, Text(str(value)))
            details.update(table)
        for cls in ("status-ok", "status-bad", "status-warn"):
            status.remove_class(cls)
        if not findings:
            status.update("")
            return
        from mabs_wizard.vault import status_of

        verdict = status_of(findings)
        status.add_class({"valid": "status-ok", "invalid": "status-bad"}.get(verdict, "status-warn"))
        status.update(f"Certificate status: {verdict}")
        self.show_findings(findings)


Page = VaultIdentification
