"""MARS agent: what will run on the target to install the agent, and the command line."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.errors import WizardError
from mabs_wizard.screens.page import WizardPage


class MarsAgent(WizardPage):
    KEY = "mars_agent"
    NEXT_LABEL = "Install"
    HELP = """
The Microsoft Azure Recovery Services (MARS) agent, also called the Azure Backup agent, connects
MABS to the Recovery Services vault. MABS setup installs it from the extracted files
(`MARSAgent\\MARSAgentInstaller.exe`); on the target it runs quietly with the scratch folder, update
and proxy settings chosen here. Once configured, MABS always backs up to the same vault.

**Install** goes on to register the server with the vault. Nothing runs on this machine: the
command is part of the handover (completion page, and the `mars-cmd` export).
"""

    def compose_body(self) -> ComposeResult:
        yield Static("The MARS agent is installed on the target with:", classes="intro", markup=False)
        yield Static("", id="mars-command", classes="kv", markup=False)
        yield Static("", id="mars-handover", classes="status-line", markup=False)

    def refresh_view(self) -> None:
        from mabs_wizard.handover import handover

        command = mars_command(self.state)
        self.query_one("#mars-command", Static).update(command)
        try:
            ctx = self.state.check_context()
            plan = handover(self.state.answers_so_far(), ctx)
        except (WizardError, AttributeError) as exc:
            self.query_one("#mars-handover", Static).update(f"Handover not known yet: {exc}")
            return
        steps = "\n".join(f"  {i}. {step}" for i, step in enumerate(plan["steps"], 1))
        self.query_one("#mars-handover", Static).update(f"On {plan['target']}:\n{steps}")


def mars_command(state: Any) -> str:
    """The MARS installer command for the answers so far, rendered by the exporter itself."""
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
    return "MARSAgent\\MARSAgentInstaller.exe " + " ".join(switches)


Page = MarsAgent
