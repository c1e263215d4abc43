"""MABS setup: Security Settings (password of the restricted local accounts, with live rule feedback).

The checklist is the engine's verdict on what is typed (`flow.check_step("security")`), redrawn on
every keystroke; the UI only maps each finding code to its line. Values stay in masked inputs and in
`Secrets` (memory); they are never shown, logged or saved.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from mabs_wizard.errors import WizardError
from mabs_wizard.findings import Finding
from mabs_wizard.screens.page import FormPage, describe_secret_ref

# Rule lines, in the order of the MABS screen's text; each is failed by the finding codes listed.
RULES = (
    ("at least 6 characters", ("security.password-length", "security.password-missing")),
    ("three of: uppercase, lowercase, digits, symbols", ("security.password-complexity", "security.password-missing")),
    ("no part of the account names", ("security.password-account", "security.password-missing")),
    ("confirmation matches", ("security.password-mismatch", "security.password-missing")),
)


class SecuritySettings(FormPage):
    KEY = "security"
    SECTION = "security"
    HELP = """
Provide a strong password for the restricted local accounts that MABS setup creates:
**MICROSOFT$DPM$Acct** (runs SQL Server and SQL Server Agent for MABS) and **DPMR$<computer>**
(reporting). The password does not expire. Setup also sets the SQL `sa` password to it.

The rule (shown live as you type): at least six characters, not containing all or part of the
account names, and characters from three of: uppercase, lowercase, digits and symbols.

The password is masked, kept in memory, and stored in the secret store when applied; answers files
save only where it is kept. Leave both fields empty to use the answers file's reference.
"""

    def compose_form(self) -> ComposeResult:
        yield Static("", id="accounts", markup=False)
        yield from super().compose_form()
        yield Static("", id="rules", classes="status-line", markup=False)

    def refresh_view(self) -> None:
        from mabs_wizard.steps.security import restricted_accounts

        try:
            facts, _, _ = self.state.facts()
            accounts = " and ".join(restricted_accounts(facts.computer_name))
        except WizardError:
            accounts = "MICROSOFT$DPM$Acct and DPMR$<computer>"
        self.query_one("#accounts", Static).update(f"Password for the restricted local accounts {accounts}:")
        self.live_check()

    @on(Input.Changed)
    def _changed(self) -> None:
        self.live_check()

    def live_check(self) -> None:
        password = self.query_one("#password", Input).value
        confirm = self.query_one("#confirm_password", Input).value
        rules = self.query_one("#rules", Static)
        ref = self.prefilled_ref("password")
        if not password and not confirm and ref in (None, "prompt"):
            rules.update("")
            return
        _, findings = self.validate_form()
        head = "" if password or confirm else f"Password {describe_secret_ref(ref)}:\n"
        rules.update(head + self.checklist(findings))
        if self._judged:  # the rule is cheap: the field's message follows every keystroke
            self.show_findings(findings)

    @staticmethod
    def checklist(findings: list[Finding]) -> str:
        codes = {f.code for f in findings}
        lines = []
        for text, failing in RULES:
            ok = not (codes & set(failing))
            lines.append(f"{'✓' if ok else '✗'} {text}")
        other = [f for f in findings if f.level == "error" and not any(f.code in c for _, c in RULES)]
        lines += [f"✗ {f.message}" for f in other]
        return "\n".join(lines)


Page = SecuritySettings
