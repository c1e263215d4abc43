"""MABS setup: Summary of Settings, then Install (shown even with --skip-answered).

The rows are the answers models' own: every field of the sections answered so far, with its label
and its value as the models define them (``formspec.display``); secrets show where they come from.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult

from mabs_wizard.screens.navigation import SETUP_STEPS
from mabs_wizard.screens.page import WizardPage, describe_secret_ref
from mabs_wizard.screens.widgets.whole_text import WholeText

SECTION_TITLES = {"extraction": "Extraction", "prerequisites": "Prerequisites", "sql": "SQL", "installation": "Installation",
                  "security": "Security", "updates": "Updates", "proxy": "Proxy", "vault": "Vault", "encryption": "Encryption"}


def secret_text(state: Any, path: str, ref: Any) -> str:
    """How a secret is shown anywhere in the UI: where it comes from, never what it is."""
    if ref is None:
        return "(not given)"
    if ref == "prompt":
        return "typed here (masked)" if state.typed_secrets().has(path) else "not given yet"
    return f"from {describe_secret_ref(ref)}"


SECTION_WIDTH, NAME_WIDTH = 14, 21


def settings_lines(rows: list[tuple[str, str, str]]) -> list[list[Text]]:
    """Section, setting, value; a value too long for the line goes on the next line whole (under the
    setting's name), never split inside (a path is copied from here): see ``WholeText``."""
    lines = []
    for section, name, value in rows:
        head = Text.assemble((f"{section:<{SECTION_WIDTH}}", "bold"), f"{name:<{NAME_WIDTH}}")
        kind, colon, where = value.partition(":") if value.startswith("from ") else (value, "", "")
        # A secret's "from file:PATH" may break before the path, never inside it.
        lines.append([head, Text(kind + colon), Text(where)] if where else [head, Text(value)])
    return lines


def summary_rows(state: Any, sections: tuple[str, ...] = ("extraction", *SETUP_STEPS)) -> list[tuple[str, str, str]]:
    """(section, setting, value) rows, from each answered section's model and field specs."""
    from mabs_wizard.answers.formspec import display, form_fields
    from mabs_wizard.answers.models import SECTIONS

    rows: list[tuple[str, str, str]] = []
    for name in sections:
        model = state.model(name)
        if model is None:
            continue
        title = SECTION_TITLES.get(name, name)
        for spec in form_fields(name, SECTIONS[name]):
            if not spec.summary or (spec.secret and spec.name.startswith("confirm_")):
                continue
            value = getattr(model, spec.name)
            shown = secret_text(state, spec.path, value) if spec.secret else display(spec, value)
            rows.append((title, spec.label, shown))
            title = ""
    return rows


class Summary(WizardPage):
    KEY = "summary"
    NEXT_LABEL = "Install"
    HELP = """
Review the settings. **Install** applies the MABS setup phase: the prerequisite check is written to
the setup log, the rules run once more, and the restricted accounts' password is put in the secret
store. Back changes a setting; what was already applied with an older value is applied again.
"""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[str, str, str]] | None = None

    def compose_body(self) -> ComposeResult:
        # One widget holding the lines: a page change lays out one widget, not sixty cells. Its own
        # scroll view (a Tab stop, visibly focused), down and, for a path wider than the screen, across.
        yield WholeText(hang=SECTION_WIDTH + 2, focusable=True, id="summary-scroll", classes="scroll-view",
                        text_id="summary-table")

    def refresh_view(self) -> None:
        rows = summary_rows(self.state)
        if rows != self._rows:  # redrawn only when a setting changed
            self._rows = rows
            self.query_one("#summary-scroll", WholeText).update(*(settings_lines(rows) if rows else ["Nothing answered yet."]))
        done = all(step in self.state.outcomes for step in SETUP_STEPS)
        self.set_next("Next >" if done else "Install")


Page = Summary
