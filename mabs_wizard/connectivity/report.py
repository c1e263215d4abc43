"""The result of a connectivity check: one precise outcome per endpoint, and the overall state.

Nothing here can hold a secret: the proxy appears as host, port and user name only.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mabs_wizard.connectivity.states import ConnectivityState, SubscriptionState, note_for, state_table

Outcome = Literal[
    "reachable",
    "dns-failure",
    "connection-refused",
    "timeout",
    "tls-failure",
    "proxy-unreachable",
    "proxy-auth-failed",
    "http-error",
]

OUTCOME_TEXT: dict[str, str] = {
    # For people: the TUI and the CLI table show these next to the outcome code.
    "reachable": "reachable",
    "dns-failure": "DNS failure",
    "connection-refused": "connection refused",
    "timeout": "timeout",
    "tls-failure": "TLS failure",
    "proxy-unreachable": "proxy unreachable",
    "proxy-auth-failed": "proxy authentication failed",
    "http-error": "HTTP error",
}


class EndpointResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    outcome: Outcome
    http_status: int | None = Field(None, description="status of the endpoint's answer, or of the proxy's refusal")
    detail: str = Field(description="one line, never a secret")
    elapsed_ms: int = Field(ge=0)


class ProxySummary(BaseModel):
    """The proxy as the report may show it: never its password."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int
    username: str | None = None

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{user}{self.host}:{self.port}"


class ConnectivityReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: ConnectivityState = Field(description="connected: every endpoint reachable")
    endpoints: list[EndpointResult]
    proxy: ProxySummary | None = None
    checked_at: datetime
    duration_ms: int = Field(ge=0)
    timeout_s: float = Field(description="per-endpoint bound used")

    def summary(self) -> str:
        """One line, e.g. ``Not connected: 0 of 5 endpoints reachable (5 DNS failure), direct``."""
        total = len(self.endpoints)
        ok = sum(1 for e in self.endpoints if e.outcome == "reachable")
        head = "Connected" if self.state == "connected" else "Not connected"
        failures = Counter(e.outcome for e in self.endpoints if e.outcome != "reachable")
        why = ", ".join(f"{n} {OUTCOME_TEXT[o]}" for o, n in sorted(failures.items(), key=lambda kv: (-kv[1], kv[0])))
        route = f"through proxy {self.proxy}" if self.proxy else "direct"
        return f"{head}: {ok} of {total} endpoints reachable" + (f" ({why})" if why else "") + f", {route}"


def with_capabilities(report: ConnectivityReport, subscription_state: SubscriptionState) -> dict[str, Any]:
    """The report plus the seed's capability row: what the manifest's proxy step and ``--json`` hold."""
    row = state_table(report.state, subscription_state)
    return {
        **report.model_dump(mode="json"),
        "summary": report.summary(),
        "subscription_state": subscription_state,
        "capabilities": row.model_dump(mode="json"),
        "capabilities_note": note_for(report.state),
    }
