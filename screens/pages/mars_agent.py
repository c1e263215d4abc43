"""MARS agent: what will run on the target to install the agent, and the command line."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.errors import WizardError
from mabs_wizard.screens.page import WizardPage
from mabs_wizard.screens.widgets.whole_text import WholeText


class MarsAgent(WizardPage):
    KEY = "mars_agent"
    NEXT_LABEL = "Install"
    HELP = """
The Microsoft Azure Recovery Services (MARS) agent, also called the Azure Backup agent, connects
MABS to the Recovery Services vault. MABS setup installs it from the extracted files
(`MARSAgent\\MARSAgentInstaller.exe`); on the target it runs quietly with the scratch folder, update
and proxy settings chosen here. Once configured, MABS always backs up to the same vault.

The command is shown as cmd.exe takes it: where it is too long for the screen it is broken between
switches, never inside one, and a line ending in `^` continues on the next (paste it as it is).

**Install** goes on to register the server with the vault. Nothing runs on this machine: the
command is part of the handover (completion page, and the `mars-cmd` export).
"""

    def compose_body(self) -> ComposeResult:
        yield Static("The MARS agent is installed on the target with (cmd.exe):", classes="intro", markup=False)
        # Broken only between switches, with cmd.exe's ^ so a copied command still runs as one.
        yield WholeText(continuation=" ^", id="mars-command-box", classes="kv", text_id="mars-command")
        yield WholeText(hang=5, id="mars-handover-box", classes="status-line", text_id="mars-handover")

    def refresh_view(self) -> None:
        from mabs_wizard.handover import handover

        self.query_one("#mars-command-box", WholeText).update(mars_command_units(self.state))
        box = self.query_one("#mars-handover-box", WholeText)
        try:
            ctx = self.state.check_context()
            plan = handover(self.state.answers_so_far(), ctx)
        except (WizardError, AttributeError) as exc:
            box.update(f"Handover not known yet: {exc}")
            return
        box.update(f"On {plan['target']}:", *(f"  {i}. {step}" for i, step in enumerate(plan["steps"], 1)))


def mars_command(state: Any) -> str:
    """The MARS installer command for the answers so far, rendered by the exporter itself."""
    units = mars_command_units(state)
    return units if isinstance(units, str) else " ".join(units)


def mars_command_units(state: Any) -> str | list[str]:
    """The command's program and switches, each a unit never broken on screen (a switch with its
    value); or why it is not known yet (text)."""
    from mabs_wizard.export.mars_cmd import installer_switches
    from mabs_wizard.export.plan import plan_from_answers

    try:
        # The switches use no host facts; the plan wants a computer name all the same.
        plan = plan_from_answers(state.answers_so_far(), computer_name="", domain=None)
        switches = installer_switches(plan, for_cmd=False)
    except WizardError as exc:
        return f"(not known yet: {exc})"
    if plan.use_proxy and plan.proxy_user:
        switches += ["/pw", "<proxy password, asked on the target>"]
    return ["MARSAgent\\MARSAgentInstaller.exe", *_pairs(switches)]


def _pairs(switches: list[str]) -> list[str]:
    """A switch and its separate value (``/ph proxy``, ``/po 8080``) as one unit: never split apart."""
    units: list[str] = []
    for item in switches:
        if units and units[-1] in ("/ph", "/po", "/pu", "/pw"):
            units[-1] += " " + item
        else:
            units.append(item)
    return units


Page = MarsAgent
