"""The MABS flow's four phases and the steps in each, in the seed's order.

Plain data (no pydantic, no Textual): the TUI draws its step rail from it before the engine's models
are loaded, and the engine's runner walks it. Each step's key is also its answers section and the
name of its module in ``mabs_wizard/steps/``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    steps: tuple[str, ...]


PHASES: tuple[Phase, ...] = (
    Phase("extract", "Extract installer", ("extraction",)),
    Phase("setup", "MABS setup", ("prerequisites", "sql", "installation", "security", "updates")),
    Phase("mars", "MARS agent", ("proxy",)),
    Phase("register", "Register server", ("vault", "encryption")),
)
BY_PHASE: dict[str, Phase] = {phase.key: phase for phase in PHASES}
PHASE_OF: dict[str, str] = {step: phase.key for phase in PHASES for step in phase.steps}
STEP_ORDER: tuple[str, ...] = tuple(step for phase in PHASES for step in phase.steps)


def unfinished_phases(done_steps: set[str] | frozenset[str]) -> set[str]:
    """Phases with a step whose work has not run yet (the rail must not tick them as done)."""
    return {phase.key for phase in PHASES if any(step not in done_steps for step in phase.steps)}
