"""Register Server: Vault Identification (browse for the credentials, then the vault's details).

Parsing and judging the file are the engine's (`vault.parse_vault_credentials`, `flow.check_step`);
this page shows what they found: vault, subscription, region, and the certificate's validity.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.answers.models import Section
from mabs_wizard.errors import InputError, WizardError
from mabs_wizard.findings import Finding
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.field import Field


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
        yield Field("vault.credentials_file", "Vault credentials",
                    Input(id="credentials_file", compact=True, placeholder="….VaultCredentials"),
                    Button("Browse…", id="browse", compact=True))
        yield Field("vault.target_path", "Path on target", Input(id="target_path", compact=True, placeholder="C:\\MABSSetup\\vault.VaultCredentials"))
        yield Static("", id="vault-details", classes="status-line")
        yield Static("", id="vault-status", classes="status-line", markup=False)

    def validate_form(self) -> tuple[Section | None, list[Finding]]:
        # What the inspection just judged (same values, same moment) is not parsed again on Next.
        values = self.read_form()
        cached = getattr(self, "_inspected", None)
        if cached is not None and cached[0] == values and abs((self.state.clock() - cached[3]).total_seconds()) < 60:
            return cached[1], cached[2]  # the final run judges the file again at its own moment
        return self.state.validate_form(self.SECTION, values)

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        get = (lambda k: getattr(value, k, None)) if isinstance(value, Section) else value.get
        for name in ("credentials_file", "target_path"):
            found = get(name)
            self.query_one(f"#{name}", Input).value = "" if found is None else str(found)

    def read_form(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in ("credentials_file", "target_path"):
            text = self.query_one(f"#{name}", Input).value.strip()
            if text:
                values[name] = text
        kept = self.prefilled_ref("max_age_hours")
        if kept is not None:
            values["max_age_hours"] = kept
        return values

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
        from mabs_wizard.vault import parse_vault_credentials

        if "credentials_file" not in values:
            self.app.call_from_thread(self._show, None, [])
            return
        model, findings = self.state.validate_form(self.SECTION, values)
        self._inspected = (values, model, findings, self.state.clock())
        creds = None
        if model is not None:
            try:
                creds = parse_vault_credentials(model.credentials_file)  # type: ignore[attr-defined]
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
