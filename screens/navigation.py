"""The pages of the wizard in the seed's order, grouped by the engine's four phases.

Each entry names its module (one module per screen, imported when first shown so start-up stays
fast), the answers section it edits (if any) and what kind of screen it is:

* ``info``: text only (welcome pages, what will run on the target);
* ``form``: edits a section; Next validates it (model, then the engine's rules);
* ``work``: runs engine work in a worker (extraction, apply); skipped when that work is done;
* ``always``: shown even with --skip-answered (summary, completion).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

from mabs_wizard.phases import BY_PHASE, PHASES, unfinished_phases

# The engine's four phases, as the step rail shows them (plain data: no engine models are loaded).
PHASE_TITLES = [(phase.key, phase.title) for phase in PHASES]
SETUP_STEPS = BY_PHASE["setup"].steps

Kind = Literal["info", "form", "work", "always"]


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    phase: str
    title: str
    kind: Kind
    section: str | None = None  # answers section edited (form) or whose work this is (work)
    group: str | None = None  # with --skip-answered, skipped together with this section's form

    def load(self) -> type[Any]:
        """The page's class, from its module ``mabs_wizard.screens.pages.<key>`` (imported when first
        shown, so start-up stays fast), where it is called ``Page``."""
        return importlib.import_module(f"mabs_wizard.screens.pages.{self.key}").Page  # type: ignore[no-any-return]


SCREENS: list[ScreenSpec] = [
    ScreenSpec("extract_welcome", "extract", "Welcome", "info", group="extraction"),
    ScreenSpec("extract_destination", "extract", "Select destination", "form", "extraction", "extraction"),
    ScreenSpec("extract_ready", "extract", "Ready to extract", "info", group="extraction"),
    ScreenSpec("extract_progress", "extract", "Extracting", "work", "extraction", "extraction"),
    ScreenSpec("extract_finish", "extract", "Extraction complete", "info", group="extraction"),
    ScreenSpec("setup_welcome", "setup", "Welcome to MABS setup", "info", group="prerequisites"),
    ScreenSpec("prerequisites", "setup", "Prerequisite checks", "form", "prerequisites", "prerequisites"),
    ScreenSpec("sql", "setup", "SQL settings", "form", "sql", "sql"),
    ScreenSpec("installation", "setup", "Installation settings", "form", "installation", "installation"),
    ScreenSpec("security", "setup", "Security settings", "form", "security", "security"),
    ScreenSpec("updates", "setup", "Microsoft Update opt-in", "form", "updates", "updates"),
    ScreenSpec("summary", "setup", "Summary of settings", "always"),
    ScreenSpec("apply", "setup", "Installing", "work"),
    ScreenSpec("proxy", "mars", "Proxy configuration", "form", "proxy", "proxy"),
    ScreenSpec("mars_agent", "mars", "Agent installation", "info", group="proxy"),
    ScreenSpec("vault", "register", "Vault identification", "form", "vault", "vault"),
    ScreenSpec("encryption", "register", "Encryption setting", "form", "encryption", "encryption"),
    ScreenSpec("completion", "register", "Completion", "always"),
]

BY_KEY = {spec.key: spec for spec in SCREENS}
ORDER = [spec.key for spec in SCREENS]

__all__ = ["BY_KEY", "ORDER", "PHASE_TITLES", "SCREENS", "SETUP_STEPS", "ScreenSpec", "position", "unfinished_phases"]


def position(key: str) -> tuple[str, int, int]:
    """(phase, 1-based index within the phase, screens in the phase) for the step rail."""
    spec = BY_KEY[key]
    in_phase = [s.key for s in SCREENS if s.phase == spec.phase]
    return spec.phase, in_phase.index(key) + 1, len(in_phase)
