"""MARS agent: what will run on the target to install the agent, and the command line."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from mabs_wizard.answers.models import InstallationAnswers, ProxyAnswers, UpdatesAnswers
from mabs_wizard.errors import WizardError
from screens.base import WizardPage


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
        from mabs_wizard import flow

        command = mars_command(self.state)
        self.query_one("#mars-command", Static).update(command)
        try:
            ctx = self.state.check_context()
            plan = flow.handover(self.state.answers_so_far(), ctx)
        except (WizardError, AttributeError) as exc:
            self.query_one("#mars-handover", Static).update(f"Handover not known yet: {exc}")
            return
        steps = "\n".join(f"  {i}. {step}" for i, step in enumerate(plan["steps"], 1))
        self.query_one("#mars-handover", Static).update(f"On {plan['target']}:\n{steps}")


def mars_command(state: Any) -> str:
    """The MARS installer command for the answers so far, with the exporter's own switch rendering.

    The exporter builds its plan from a manifest, which does not exist before the last page; the
    few answers the switches use are handed to it here. (Requested: a plan from answers.)
    """
    from mabs_wizard.export.mars_cmd import installer_switches
    from mabs_wizard.export.plan import TargetPlan

    inst = state.model("installation") or InstallationAnswers()
    upd = state.model("updates") or UpdatesAnswers()
    proxy = state.model("proxy") or ProxyAnswers()
    try:
        plan = TargetPlan(
            finished_at="", computer_name="", domain=None, mabs_version="v4", setup_folder=None, user_name="",
            company_name="", sql_mode="new", sql_server="", sql_instance="", reporting_instance="", sql_admin_user="",
            sql_admin_domain="", program_files="", database_files="", scratch=inst.scratch,
            microsoft_update=upd.microsoft_update, use_proxy=proxy.use_proxy, proxy_host=proxy.host,
            proxy_port=proxy.port, proxy_user=proxy.username, vault_target=None, passphrase_target=None, secret_records={},
        )
        switches = installer_switches(plan, for_cmd=False)
    except (WizardError, TypeError) as exc:
        return f"(not known yet: {exc})"
    if proxy.use_proxy and proxy.username:
        switches += ["/pw", "<proxy password, asked on the target>"]
    return "MARSAgent\\MARSAgentInstaller.exe " + " ".join(switches)
