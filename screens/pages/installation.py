"""MABS setup: Installation Settings (folders on the target, scratch, planned cloud data).

Free space is shown live from the target's facts as the paths change; the space each drive must
hold comes from the engine's `space_plan` (the same numbers its rule judges).
"""

from __future__ import annotations

from pydantic import ValidationError
from textual import on
from textual.widgets import Input

from mabs_wizard.answers.winpath import drive_of, is_unc
from mabs_wizard.errors import WizardError
from mabs_wizard.screens.page import FormPage
from mabs_wizard.steps.installation import PATHS, InstallationAnswers
from mabs_wizard.steps.sql import SqlAnswers

GB = 1024**3


class InstallationSettings(FormPage):
    KEY = "installation"
    SECTION = "installation"
    HELP = """
Folders on the **target** server (Windows paths such as `C:\\Program Files\\...`).

* **Program files**: where MABS is installed (3 GB free needed).
* **Database files**: the DPM database (900 MB free needed).
* **Scratch**: the MARS agent's cache. It must be local and online, not on a network share or
  removable media, and at least **5% of the data planned to be backed up to Azure**.
* **Planned cloud data**: in GB; sets the scratch size.

Free space is shown live from the target's facts (the facts file chosen on the prerequisite page).
On Azure Stack the seed advises the cache on C: and the staging area on the temporary disk D:.
"""

    def refresh_view(self) -> None:
        self.show_space()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id in (*PATHS, "planned_cloud_data_gb"):
            self.show_space()

    def show_space(self) -> None:
        """Free space of each path's drive and what it must hold (live, from facts, no rule verdicts)."""
        from mabs_wizard.steps.installation import space_plan

        fields = self.fields()
        try:
            facts, _, _ = self.state.facts()
        except WizardError:
            for name in PATHS:
                fields[f"installation.{name}"].set_note("free space: unknown (facts unreadable)")
            return
        try:
            inst = InstallationAnswers.model_validate(self.read_form())
        except ValidationError:
            inst = None
        needs: dict[str, int] = {}
        if inst is not None:
            sql = self.state.model("sql")
            for drive, items in space_plan(inst, sql if isinstance(sql, SqlAnswers) else None).items():
                for path_field, n in items:
                    needs[path_field] = n
                needs[drive] = sum(n for _, n in items)
        for name in PATHS:
            path = self.query_one(f"#{name}", Input).value.strip()
            field = fields[f"installation.{name}"]
            if facts.os_family != "windows":
                field.set_note(f"free space: not known ({facts.computer_name} is not the Windows target)")
                continue
            drive = drive_of(path.replace("/", "\\"))
            if drive is None:
                # A share, or not a Windows path at all: the error line says which; no space to show.
                field.set_note("free space: a network share has no local drive" if is_unc(path) else "")
                continue
            volume = facts.volume_of(drive + "\\")
            if volume is None:
                field.set_note(f"drive {drive} not found on {facts.computer_name}")
                continue
            need = needs.get(f"installation.{name}")
            drive_total = needs.get(volume.mount.upper())
            text = f"{volume.mount} {volume.free_bytes / GB:.1f} GB free of {volume.size_bytes / GB:.0f} GB"
            if need is not None:
                text += f"; needs {need / GB:.2f} GB"
                if drive_total is not None and drive_total != need:
                    text += f" ({drive_total / GB:.2f} GB with the other folders on {volume.mount})"
            field.set_note(text)


Page = InstallationSettings
