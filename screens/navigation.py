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
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mabs_wizard.screens.base import WizardPage

# The engine's four phases (`mabs_wizard.flow.PHASES`), as the step rail shows them. Written out here
# so the first page paints before the engine (pydantic models and all) is imported; a test keeps
# them equal to the engine's.
PHASE_TITLES = [("extract", "Extract installer"), ("setup", "MABS setup"), ("mars", "MARS agent"),
                ("register", "Register server")]
PHASE_STEPS = {"extract": ("extraction",), "setup": ("prerequisites", "sql", "installation", "security", "updates"),
               "mars": ("proxy",), "register": ("vault", "encryption")}
SETUP_STEPS = PHASE_STEPS["setup"]

Kind = Literal["info", "form", "work", "always"]


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    phase: str
    title: str
    target: str  # "module:Class"
    kind: Kind
    section: str | None = None  # answers section edited (form) or whose work this is (work)
    group: str | None = None  # with --skip-answered, skipped together with this section's form

    def load(self) -> type[WizardPage]:
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


SCREENS: list[ScreenSpec] = [
    ScreenSpec("extract_welcome", "extract", "Welcome", "mabs_wizard.screens.extract_welcome:ExtractWelcome", "info", group="extraction"),
    ScreenSpec("extract_destination", "extract", "Select destination", "mabs_wizard.screens.extract_destination:ExtractDestination", "form",
               "extraction", "extraction"),
    ScreenSpec("extract_ready", "extract", "Ready to extract", "mabs_wizard.screens.extract_ready:ExtractReady", "info", group="extraction"),
    ScreenSpec("extract_progress", "extract", "Extracting", "mabs_wizard.screens.extract_progress:ExtractProgress", "work", "extraction", "extraction"),
    ScreenSpec("extract_finish", "extract", "Extraction complete", "mabs_wizard.screens.extract_finish:ExtractFinish", "info", group="extraction"),
    ScreenSpec("setup_welcome", "setup", "Welcome to MABS setup", "mabs_wizard.screens.setup_welcome:SetupWelcome", "info", group="prerequisites"),
    ScreenSpec("prerequisites", "setup", "Prerequisite checks", "mabs_wizard.screens.prerequisites:Prerequisites", "form", "prerequisites",
               "prerequisites"),
    ScreenSpec("sql", "setup", "SQL settings", "mabs_wizard.screens.sql:SqlSettings", "form", "sql", "sql"),
    ScreenSpec("installation", "setup", "Installation settings", "mabs_wizard.screens.installation:InstallationSettings", "form",
               "installation", "installation"),
    ScreenSpec("security", "setup", "Security settings", "mabs_wizard.screens.security:SecuritySettings", "form", "security", "security"),
    ScreenSpec("updates", "setup", "Microsoft Update opt-in", "mabs_wizard.screens.updates:UpdatesOptIn", "form", "updates", "updates"),
    ScreenSpec("summary", "setup", "Summary of settings", "mabs_wizard.screens.summary:Summary", "always"),
    ScreenSpec("apply", "setup", "Installing", "mabs_wizard.screens.apply:Apply", "work"),
    ScreenSpec("proxy", "mars", "Proxy configuration", "mabs_wizard.screens.proxy:ProxyConfiguration", "form", "proxy", "proxy"),
    ScreenSpec("mars_agent", "mars", "Agent installation", "mabs_wizard.screens.mars_agent:MarsAgent", "info", group="proxy"),
    ScreenSpec("vault", "register", "Vault identification", "mabs_wizard.screens.vault:VaultIdentification", "form", "vault", "vault"),
    ScreenSpec("encryption", "register", "Encryption setting", "mabs_wizard.screens.encryption:EncryptionSetting", "form", "encryption",
               "encryption"),
    ScreenSpec("completion", "register", "Completion", "mabs_wizard.screens.completion:Completion", "always"),
]

BY_KEY = {spec.key: spec for spec in SCREENS}
ORDER = [spec.key for spec in SCREENS]


def unfinished_phases(done_steps: Collection[str]) -> set[str]:
    """Phases with a step whose work has not run yet (the rail must not tick them as done)."""
    return {phase for phase, steps in PHASE_STEPS.items() if any(step not in done_steps for step in steps)}


def position(key: str) -> tuple[str, int, int]:
    """(phase, 1-based index within the phase, screens in the phase) for the step rail."""
    spec = BY_KEY[key]
    in_phase = [s.key for s in SCREENS if s.phase == spec.phase]
    return spec.phase, in_phase.index(key) + 1, len(in_phase)
