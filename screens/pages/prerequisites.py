"""MABS setup: Prerequisite Checks (Check / Check again, a table of pass, warning and error)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, RadioSet, Static

from mabs_wizard.answers.formspec import FieldSpec
from mabs_wizard.answers.section import Section
from mabs_wizard.findings import Finding, has_errors
from mabs_wizard.screens.page import FormPage
from mabs_wizard.screens.widgets.findings_table import FindingsTable
from mabs_wizard.screens.widgets.toggles import Choice, Radio


class Prerequisites(FormPage):
    KEY = "prerequisites"
    SECTION = "prerequisites"
    HELP = """
Press **Check** to determine whether the server meets the hardware and software prerequisites.
Each row is a pass, a warning (installation may go on) or an error (it cannot, until fixed); the
remedy is under the message. Fix what is reported and press **Check again**.

**Facts**: the check judges facts about the target server. *Facts file* reads a JSON file collected
on the server (`mabs-wizard facts script` writes the collector; run it there as it says); *This machine* probes the machine the wizard runs
on, which only passes if it is that Windows server.

**MABS version** and **Platform** change the supported Windows and SQL versions and the hardware
minimum (Azure Stack: A2, two cores and 3.5 GB).
"""

    def __init__(self) -> None:
        super().__init__()
        self.checked = False

    def compose_form(self) -> ComposeResult:
        # Where the facts come from is the choice of a facts file (facts_file set) or none (None).
        with Horizontal(classes="field-row"):
            yield Static("Facts from", classes="field-label")
            with Choice(id="facts-source", compact=True, classes="-horizontal"):
                yield Radio("Facts file", id="src-file", value=True, compact=True)
                yield Radio("This machine", id="src-probe", compact=True)
        yield from super().compose_form()
        with Horizontal(classes="button-row"):
            yield Button("Check", id="prereq-check", compact=True, variant="primary")
        yield Static("", id="prereq-status", classes="status-line", markup=False)
        yield FindingsTable(id="prereq-findings")

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        super().fill_form(value)
        facts_file = getattr(value, "facts_file", None) if isinstance(value, Section) else value.get("facts_file")
        self.query_one("#src-file" if facts_file else "#src-probe", Radio).value = True

    def read_field(self, spec: FieldSpec) -> tuple[bool, Any]:
        if spec.name == "facts_file" and not self.query_one("#src-file", Radio).value:
            return False, None  # This machine: no facts file
        return super().read_field(spec)

    def refresh_view(self) -> None:
        self.query_one("#facts_file", Input).disabled = not self.query_one("#src-file", Radio).value
        self.query_one("#prereq-check", Button).label = "Check again" if self.checked else "Check"
        if not self.checked:
            self.query_one("#prereq-status", Static).update(
                "Press Check to determine whether the server meets the hardware and software prerequisites.")

    @on(RadioSet.Changed, "#facts-source")
    def _source_changed(self) -> None:
        self.refresh_view()

    def form_problem(self) -> Finding | None:
        if self.query_one("#src-file", Radio).value and not self.query_one("#facts_file", Input).value.strip():
            return Finding(level="error", code="form.facts-file", field="prerequisites.facts_file",
                           message="type the path of the facts file, or choose This machine")
        return None

    def validate_form(self) -> tuple[Section | None, list[Finding]]:
        problem = self.form_problem()
        if problem is not None:
            return None, [problem]
        return super().validate_form()

    def show_findings(self, findings: Iterable[Finding]) -> None:
        findings = list(findings)
        # Host facts go to the table; form problems (a path, a choice) under their field.
        form = [f for f in findings if f.field != "prerequisites"]
        host = [f for f in findings if f.field == "prerequisites"]
        super().show_findings(form)
        self.query_one("#prereq-findings", FindingsTable).show(host)
        if host:  # judged (by Check or by Next): the page says so, whichever ran it
            self.checked = True
            self.query_one("#prereq-check", Button).label = "Check again"
        status = self.query_one("#prereq-status", Static)
        for cls in ("status-ok", "status-bad", "status-warn"):
            status.remove_class(cls)
        if not host:
            status.update("✗ The check could not run: see the message above." if has_errors(findings) else "")
            status.add_class("status-bad")
            return
        errors = sum(f.level == "error" for f in host)
        warnings = sum(f.level == "warning" for f in host)
        if errors:
            status.update(f"✗ {errors} prerequisite(s) not met, {warnings} warning(s). Installation can't proceed "
                          "until all prerequisites are met: resolve them, then Check again.")
            status.add_class("status-bad")
        elif warnings:
            status.update(f"! The machine meets the requirements, with {warnings} warning(s).")
            status.add_class("status-warn")
        else:
            status.update("✓ The machine meets the requirements.")
            status.add_class("status-ok")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "prereq-check":
            event.stop()
            self.run_check()
            return

    def run_check(self) -> None:
        problem = self.form_problem()
        if problem is not None:
            self.show_findings([problem])
            return
        self.query_one("#prereq-check", Button).disabled = True
        self.query_one("#prereq-status", Static).update("Checking…")
        self._check_worker(self.read_form())

    @work(thread=True, exclusive=True, group="prereq-check")
    def _check_worker(self, values: dict[str, Any]) -> None:
        # Reading a facts file (or probing this machine) is I/O: off the UI thread.
        model, findings = self.state.validate_form(self.SECTION, values)
        self.app.call_from_thread(self._checked, findings)

    def _checked(self, findings: list[Finding]) -> None:
        self.checked = True
        self.query_one("#prereq-check", Button).disabled = False
        self.show_findings(findings)
        self.refresh_view()


Page = Prerequisites
