"""Connectivity to Azure Backup: endpoint probes (direct or through an HTTP proxy) and the state table.

    report = check_connectivity(DEFAULT_ENDPOINTS, proxy=ProxyConfig("proxy", 8080, "user", pw))
    report.state            # "connected" | "not-connected"
    report.summary()        # one line
    judge_report(report)    # findings: pass / not-connected warning / refused-credentials error
    state_table(report.state, "active")   # the seed's row: what backup and restore can still do

The TUI's proxy screen ("Test"), the replay's proxy step and ``mabs-wizard check-connectivity`` all
call :func:`check_connectivity`.
"""

from mabs_wizard.connectivity.check import DEADLINE_S, MAX_ENDPOINTS, check_connectivity, tls_context
from mabs_wizard.connectivity.judge import judge_report
from mabs_wizard.connectivity.report import (
    OUTCOME_TEXT,
    ConnectivityReport,
    EndpointResult,
    Outcome,
    ProxySummary,
    with_capabilities,
)
from mabs_wizard.connectivity.states import (
    COLUMNS,
    NOT_CONNECTED_NOTE,
    STATE_TABLE,
    CapabilityRow,
    ConnectivityState,
    SubscriptionState,
    note_for,
    state_table,
)
from mabs_wizard.connectivity.targets import DEFAULT_ENDPOINTS, Endpoint, ProxyConfig, parse_endpoint, parse_proxy_url

__all__ = [
    "COLUMNS",
    "DEADLINE_S",
    "DEFAULT_ENDPOINTS",
    "MAX_ENDPOINTS",
    "NOT_CONNECTED_NOTE",
    "OUTCOME_TEXT",
    "STATE_TABLE",
    "CapabilityRow",
    "ConnectivityReport",
    "ConnectivityState",
    "Endpoint",
    "EndpointResult",
    "Outcome",
    "ProxyConfig",
    "ProxySummary",
    "SubscriptionState",
    "check_connectivity",
    "judge_report",
    "note_for",
    "parse_endpoint",
    "parse_proxy_url",
    "state_table",
    "tls_context",
    "with_capabilities",
]
