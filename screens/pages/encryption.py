"""Register Server: Encryption Setting (passphrase + confirm, Generate, save location, strength).

The rules are the engine's (`flow.check_step("encryption")`: length, characters, confirmation, the
save location's warnings); the strength estimate is `passphrase.estimate_strength`. A generated
passphrase is shown once, in the masked inputs, with a reveal toggle; it is never logged or saved
anywhere but the passphrase file and the secret store.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from mabs_wizard.answers.formspec import FieldSpec
from mabs_wizard.screens.page import FormPage
from mabs_wizard.screens.widgets.toggles import Check


class EncryptionSetting(FormPage):
    KEY = "encryption"
    SECTION = "encryption"
    HELP = """
Backups are encrypted with a **passphrase** of at least 16 characters (printable ASCII). You can type
your own, or press **Generate** for a random one (32 letters, about 130 bits); it fills both fields.
**Show** reveals what is in the fields; the value is masked otherwise.

The passphrase is yours: Microsoft does not save or manage it, and without it backups cannot be
restored. It is saved to a file in the **save location** (an existing folder, ideally on another
machine or removable media) and in the wizard's secret store. **Target folder** is the existing
folder on the server for the unattended setup's `PassphraseSaveLocation`.
"""

    def compose_form(self) -> ComposeResult:
        for spec in self.specs():
            yield self.field_for(spec)
            if spec.name == "confirm_passphrase":
                yield Static("", id="strength", classes="field-note -shown", markup=False)
        yield Static("", id="encryption-status", classes="status-line", markup=False)

    def beside(self, spec: FieldSpec) -> tuple[Widget, ...]:
        if spec.name == "passphrase":
            return (Button("Generate", id="generate", compact=True),)
        if spec.name == "confirm_passphrase":
            return (Check("Show", id="reveal", compact=True),)
        return ()

    def refresh_view(self) -> None:
        self.live_feedback()

    @on(Input.Changed)
    def _changed(self) -> None:
        self.live_feedback()

    @on(Check.Changed, "#reveal")
    def _reveal(self, event: Check.Changed) -> None:
        for name in ("passphrase", "confirm_passphrase"):
            self.query_one(f"#{name}", Input).password = not event.value

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "generate":
            event.stop()
            self.generate()
            return

    def generate(self) -> None:
        from mabs_wizard.passphrase import generate_passphrase

        value = generate_passphrase()
        for name in ("passphrase", "confirm_passphrase"):
            self.query_one(f"#{name}", Input).value = value
        self.query_one("#encryption-status", Static).update(
            "Generated. Press Show to see it once and keep a copy; it is also saved to the save location.")

    def live_feedback(self) -> None:
        from mabs_wizard.passphrase import estimate_strength

        value = self.query_one("#passphrase", Input).value
        strength = self.query_one("#strength", Static)
        if value:
            est = estimate_strength(value)
            strength.update(f"strength (estimate): {est.label}, about {est.bits:.0f} bits; {len(value)} characters")
        else:
            strength.update("")


Page = EncryptionSetting
