"""``mabs-wizard fleet validate``: every host judged, nothing written, nothing stored."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from pathlib import Path

from mabs_wizard import __version__
from mabs_wizard.fleet.check import HostCheck, check_fleet
from mabs_wizard.fleet.report import FleetReport, HostReport


def host_report(check: HostCheck, status: str) -> HostReport:
    return HostReport(host=check.host.name, computer_name=check.computer_name, status=status,  # type: ignore[arg-type]
                      errors=check.errors, warnings=check.warnings, problems=check.problems)


def validate_fleet(template: Path, inventory: str, group: str | None, *, now: datetime | None = None) -> FleetReport:
    started = datetime.now(timezone.utc)
    _doc, inv, checks = check_fleet(template, inventory, group, now=now)
    hosts = [host_report(c, "invalid" if c.errors else "valid") for c in checks]
    return FleetReport(
        command="validate",
        tool={"version": __version__, "python": platform.python_version()},  # type: ignore[arg-type]
        started_at=started,
        finished_at=datetime.now(timezone.utc),
        template=str(template),
        inventory=inventory,
        group=inv.group,
        status="invalid" if any(h.errors for h in hosts) else "valid",
        hosts=hosts,
    )
