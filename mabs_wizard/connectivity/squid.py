"""What squid says when it cannot open a tunnel: its ``X-Squid-Error`` header, turned into an outcome.

squid answers a request it cannot complete with an error page whose reply carries
``X-Squid-Error: <ERR_NAME> <errno>`` (squid-cache/squid ``src/errorpage.cc``,
``ErrorState::BuildHttpReply``: ``httpHeaderPutStrf(..., X_SQUID_ERROR, "%s %d", name, xerrno)``);
the names are squid's error page ids (``src/error/forward.h``). A CONNECT squid could not connect
comes back as ``503`` with ``ERR_CONNECT_FAIL 111`` (refused) or ``ERR_CONNECT_FAIL 110`` (timed
out): without the header all a client sees is "503 Service Unavailable".

The errno is the proxy host's, not ours (the source says so: "xerrno is not necessarily meaningful
to another system"): the numbers below are Linux's, where squid usually runs, with the BSD values
beside them; the two sets do not collide for these calls.

squid 5 (Debian 12's 5.7, seen in the tests) does not send ``ERR_DNS_FAIL`` for a CONNECT to a name
it cannot resolve: its tunnel ends with "path selection found no paths" and sends
``500 ERR_CANNOT_FORWARD 0`` (``src/tunnel.cc``, ``TunnelStateData::noteDestinationsEnd``). For a
host name that is the proxy failing to resolve it (or, on a proxy that forwards only to parent
proxies, every parent being down); the detail line says both. For an IP address there is nothing
to resolve, so it stays an HTTP error.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mabs_wizard.connectivity.report import Outcome

# errno values as squid's host reports them: Linux first, then FreeBSD/macOS.
REFUSED = {111, 61}  # ECONNREFUSED
TIMED_OUT = {110, 60}  # ETIMEDOUT
UNREACHABLE = {113, 101, 65, 51}  # EHOSTUNREACH, ENETUNREACH
_ERRNO_NAMES = {111: "ECONNREFUSED", 61: "ECONNREFUSED", 110: "ETIMEDOUT", 60: "ETIMEDOUT",
                113: "EHOSTUNREACH", 65: "EHOSTUNREACH", 101: "ENETUNREACH", 51: "ENETUNREACH"}

_VALUE = re.compile(r"^(ERR_[A-Z0-9_]{1,40})(?:\s+(-?\d{1,6}))?\s*$")
_TIMEOUTS = {"ERR_READ_TIMEOUT", "ERR_LIFETIME_EXP"}
_DENIED = {"ERR_ACCESS_DENIED", "ERR_FORWARDING_DENIED", "ERR_NO_RELAY", "ERR_CACHE_ACCESS_DENIED"}


@dataclass(frozen=True)
class SquidError:
    """One ``X-Squid-Error`` value, e.g. ``ERR_CONNECT_FAIL 111``."""

    name: str
    errno: int | None

    def __str__(self) -> str:
        if self.errno in _ERRNO_NAMES:
            return f"{self.name} {self.errno} = {_ERRNO_NAMES[self.errno]}"
        return self.name if self.errno is None else f"{self.name} {self.errno}"


def parse_squid_error(value: str | None) -> SquidError | None:
    """``"ERR_CONNECT_FAIL 111"`` -> SquidError; None for no header or anything that is not squid's shape."""
    if not value:
        return None
    match = _VALUE.match(value.strip())
    if match is None:
        return None
    return SquidError(match.group(1), int(match.group(2)) if match.group(2) is not None else None)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def squid_outcome(err: SquidError, host: str, authority: str) -> tuple[Outcome, str]:
    """The endpoint's outcome for squid's error, and what happened in words (``host``/``authority``: the endpoint)."""
    said = f"squid {err}"
    if err.name == "ERR_CONNECT_FAIL":
        if err.errno in TIMED_OUT:
            return "timeout", f"the proxy's connection to {authority} timed out ({said})"
        if err.errno in REFUSED:
            return "connection-refused", f"{authority} refused the proxy's connection ({said})"
        if err.errno in UNREACHABLE:
            return "connection-refused", f"{authority} is unreachable from the proxy (rejected by the network; {said})"
        return "connection-refused", f"the proxy could not connect to {authority} ({said})"
    if err.name == "ERR_DNS_FAIL":
        return "dns-failure", f"the proxy could not resolve {host} ({said})"
    if err.name == "ERR_CANNOT_FORWARD" and not _is_ip(host):
        return "dns-failure", f"the proxy could not resolve {host}, or its parent proxies are down ({said})"
    if err.name in _TIMEOUTS:
        return "timeout", f"the proxy timed out talking to {authority} ({said})"
    if err.name == "ERR_SECURE_CONNECT_FAIL":
        return "tls-failure", f"the proxy's TLS connection to {authority} failed ({said})"
    if err.name in _DENIED:
        return "http-error", f"the proxy's access rules refuse a tunnel to {authority} ({said}); ask for it to be allowed"
    return "http-error", f"the proxy could not open a tunnel to {authority} ({said})"
