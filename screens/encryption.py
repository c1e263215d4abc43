"""Register Server: Encryption Setting (passphrase + confirm, Generate, save location, strength).

The rules are the engine's (`flow.check_step("encryption")`: length, characters, confirmation, the
save location's warnings); the strength estimate is `passphrase.estimate_strength`. A generated
passphrase is shown once, in the masked inputs, with a reveal toggle; it is never logged or saved
anywhere but the passphrase file and the secret store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from mabs_wizard.answers.models import Section
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.field import Field
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
        yield Field("encryption.passphrase", "Passphrase", Input(id="passphrase", password=True, compact=True),
                    Button("Generate", id="generate", compact=True))
        yield Field("encryption.confirm_passphrase", "Confirm passphrase", Input(id="confirm_passphrase", password=True, compact=True),
                    Check("Show", id="reveal", compact=True))
        yield Static("", id="strength", classes="field-note -shown", markup=False)
        yield Field("encryption.save_location", "Save location", Input(id="save_location", compact=True, placeholder="existing folder, off the server"))
        yield Field("encryption.target_save_location", "Target folder", Input(id="target_save_location", compact=True,
                                                                              placeholder="C:\\MABSSetup\\Passphrase"))
        yield Static("", id="encryption-status", classes="status-line", markup=False)

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        get = (lambda k: getattr(value, k, None)) if isinstance(value, Section) else value.get
        for name in ("save_location", "target_save_location"):
            found = get(name)
            self.query_one(f"#{name}", Input).value = "" if found is None else str(found)
        self.show_ref_note("passphrase")
        self.show_ref_note("confirm_passphrase", pair_of="passphrase")

    def read_form(self) -> dict[str, Any]:
        value = self.query_one("#passphrase", Input).value
        confirm = self.query_one("#confirm_passphrase", Input).value
        typed = bool(value or confirm)
        values: dict[str, Any] = {"passphrase": self.secret_ref("passphrase", value, required=True, force_typed=typed)}
        confirm_ref = self.secret_ref("confirm_passphrase", confirm, required=False, force_typed=typed)
        if confirm_ref is not None:
            values["confirm_passphrase"] = confirm_ref
        for name in ("save_location", "target_save_location"):
            text = self.query_one(f"#{name}", Input).value.strip()
            if text:
                values[name] = text
        return values

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
