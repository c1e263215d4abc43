"""What backup and restore can still do, by connectivity and subscription state.

The table is the seed's "Network connectivity" table (S1, S4), row for row. A fresh install that is
not connected has no row of its own there; the wizard shows it against the "Lost connectivity > 15 days"
rows, which is what the server falls to if the connection is never made, and says so
(:data:`NOT_CONNECTED_NOTE`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ConnectivityState = Literal["connected", "not-connected"]
SubscriptionState = Literal["active", "expired", "deprovisioned"]
Capability = Literal["Allowed", "Stopped", "Stopped and Azure recovery points deleted"]

COLUMNS = (
    "Connectivity State",
    "Azure Subscription",
    "Back up to Azure",
    "Back up to disk",
    "Restore from Azure",
    "Restore from disk",
)

CONNECTED = "Connected"
LOST = "Lost connectivity > 15 days"

NOT_CONNECTED_NOTE = (
    "Not connected: shown as 'Lost connectivity > 15 days', since Microsoft's table has no row for a server "
    "that has never connected; registering with the vault needs a connection in any case."
)


class CapabilityRow(BaseModel):
    """One row of the seed's table, with its column texts verbatim."""

    model_config = ConfigDict(frozen=True)

    connectivity: Literal["Connected", "Lost connectivity > 15 days"]
    subscription: Literal["Active", "Expired", "Deprovisioned"]
    backup_to_azure: Capability
    backup_to_disk: Capability
    restore_from_azure: Capability
    restore_from_disk: Capability

    def cells(self) -> tuple[str, str, str, str, str, str]:
        """The row in :data:`COLUMNS` order."""
        return (
            self.connectivity,
            self.subscription,
            self.backup_to_azure,
            self.backup_to_disk,
            self.restore_from_azure,
            self.restore_from_disk,
        )


def _row(connectivity: str, subscription: str, *capabilities: str) -> CapabilityRow:
    keys = ("backup_to_azure", "backup_to_disk", "restore_from_azure", "restore_from_disk")
    return CapabilityRow.model_validate(
        {"connectivity": connectivity, "subscription": subscription, **dict(zip(keys, capabilities, strict=True))}
    )


_DELETED = "Stopped and Azure recovery points deleted"

# S1, S4: "Connectivity State | Azure Subscription | Back up to Azure | Back up to disk | Restore from Azure | Restore from disk"
STATE_TABLE: tuple[CapabilityRow, ...] = (
    _row(CONNECTED, "Active", "Allowed", "Allowed", "Allowed", "Allowed"),
    _row(CONNECTED, "Expired", "Stopped", "Stopped", "Allowed", "Allowed"),
    _row(CONNECTED, "Deprovisioned", "Stopped", "Stopped", _DELETED, "Stopped"),
    _row(LOST, "Active", "Stopped", "Stopped", "Allowed", "Allowed"),
    _row(LOST, "Expired", "Stopped", "Stopped", "Allowed", "Allowed"),
    _row(LOST, "Deprovisioned", "Stopped", "Stopped", _DELETED, "Stopped"),
)


def state_table(state: ConnectivityState, subscription_state: SubscriptionState) -> CapabilityRow:
    """The seed's row for this connectivity state and declared subscription state.

    ``not-connected`` maps to the "Lost connectivity > 15 days" rows (see :data:`NOT_CONNECTED_NOTE`).
    """
    if state not in ("connected", "not-connected"):
        raise ValueError(f"unknown connectivity state {state!r} (expected connected or not-connected)")
    if subscription_state not in ("active", "expired", "deprovisioned"):
        raise ValueError(f"unknown subscription state {subscription_state!r} (expected active, expired or deprovisioned)")
    connectivity = CONNECTED if state == "connected" else LOST
    subscription = subscription_state.capitalize()
    return next(r for r in STATE_TABLE if r.connectivity == connectivity and r.subscription == subscription)


def note_for(state: ConnectivityState) -> str:
    """The sentence the UI shows under the row ("" when connected)."""
    return NOT_CONNECTED_NOTE if state == "not-connected" else ""
