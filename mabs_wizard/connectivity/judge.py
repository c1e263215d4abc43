"""A connectivity report as findings: what the proxy step (replay and the TUI's proxy page) reports.

Not being connected is a warning: the target may reach Azure where this host cannot. Credentials
the proxy refused are an error: they are wrong wherever the wizard runs (a proxy answers 407 to
the credentials, not to the network path), so the run stops and nothing is handed over as ready.
"""

from __future__ import annotations

from mabs_wizard.connectivity.report import ConnectivityReport
from mabs_wizard.findings import Finding, error, passed, warning


def judge_report(report: ConnectivityReport) -> list[Finding]:
    """Findings for ``report``: connected (pass) or not (warning), plus an error if the proxy refused us."""
    findings: list[Finding] = []
    if report.state == "connected":
        findings.append(passed("proxy.connected", "proxy.endpoints", "Connected: every Azure Backup endpoint answered"))
    else:
        bad = sum(1 for ep in report.endpoints if ep.outcome != "reachable")
        findings.append(warning("proxy.not-connected", "proxy.endpoints",
                                f"Not connected: {bad} of {len(report.endpoints)} endpoints unreachable from this host",
                                "give proxy details ({proxy.use_proxy}), or check the firewall allow list; the target may differ from this host"))
    refused = next((ep for ep in report.endpoints if ep.outcome == "proxy-auth-failed"), None)
    if refused is not None:
        # The detail names proxy, user and status (never the password: ProxyConfig keeps it out).
        if report.proxy is not None and report.proxy.username:
            findings.append(error("proxy.credentials-refused", "proxy.password", refused.detail,
                                  "correct {proxy.password} (and {proxy.username}); credentials a proxy refuses are "
                                  "wrong wherever they are used, so the MARS agent would be refused too"))
        else:
            findings.append(error("proxy.authentication-required", "proxy.username", refused.detail,
                                  "give {proxy.username} and {proxy.password} for the proxy's Basic authentication"))
    return findings
