"""The MARS agent's "is there Internet connectivity?" question, asked of every Azure Backup endpoint.

All endpoints are probed at once, one daemon thread each, and the call returns at the deadline
whatever the network does: unfinished probes are reported as timeouts at the stage they were stuck
in and their sockets are shut down (daemon threads, because a resolver stuck in ``getaddrinfo``
cannot be interrupted and must not hold up the interpreter's exit either).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mabs_wizard.connectivity.probe import ProbeRun, run_probe
from mabs_wizard.connectivity.report import ConnectivityReport
from mabs_wizard.connectivity.states import ConnectivityState
from mabs_wizard.connectivity.targets import Endpoint, ProxyConfig, parse_endpoint
from mabs_wizard.errors import Cancelled, InputError

if TYPE_CHECKING:
    from mabs_wizard.events import CancelToken

MAX_ENDPOINTS = 32
DEADLINE_S = 10.0
_CANCEL_POLL_S = 0.05


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """System CAs, or only ``ca_file`` (a TLS-inspecting proxy's CA); TLS 1.2 or later as Azure requires."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    except FileNotFoundError:
        raise InputError(f"{ca_file}: CA file does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{ca_file}: is a directory, expected a PEM file of CA certificates") from None
    except PermissionError:
        raise InputError(f"{ca_file}: cannot read the CA file (permission denied)") from None
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        raise InputError(f"{ca_file}: not a PEM file of CA certificates") from None
    except OSError as exc:
        raise InputError(f"{ca_file}: cannot read the CA file ({exc.strerror})") from None
    if ca_file is not None and not context.get_ca_certs():
        raise InputError(f"{ca_file}: holds no CA certificate")
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _parse_all(endpoints: Sequence[str]) -> list[Endpoint]:
    if isinstance(endpoints, str):
        endpoints = [endpoints]
    problems: list[str] = []
    parsed: list[Endpoint] = []
    for i, url in enumerate(endpoints, 1):
        try:
            parsed.append(parse_endpoint(str(url)))
        except ValueError as exc:
            # A URL with credentials is not echoed: name it by position only.
            shown = f"endpoint {i}" if "@" in str(url) else f"endpoint {i} ({url!r})"
            problems.append(f"{shown}: {exc}")
    if not endpoints:
        problems.append("no endpoints to probe")
    if len(endpoints) > MAX_ENDPOINTS:
        problems.append(f"{len(endpoints)} endpoints given; at most {MAX_ENDPOINTS} are probed at once")
    if problems:
        raise InputError(problems[0] if len(problems) == 1 else "invalid endpoints", problems if len(problems) > 1 else None)
    return parsed


def check_connectivity(
    endpoints: Sequence[str],
    *,
    proxy: ProxyConfig | None = None,
    ca_file: Path | None = None,
    timeout_s: float = 5.0,
    deadline_s: float = DEADLINE_S,
    cancel: CancelToken | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> ConnectivityReport:
    """Probe every endpoint in parallel; return within ``min(timeout_s, deadline_s)`` (plus thread start-up).

    Bad input (an endpoint URL, the CA file, the bounds) raises InputError before any probe starts.
    ``cancel`` (the TUI's Cancel) ends the check early with Cancelled.
    """
    if not (isinstance(timeout_s, (int, float)) and 0 < timeout_s <= 60):
        raise InputError(f"timeout {timeout_s!r} s is out of range (0 < timeout <= 60)")
    if not (isinstance(deadline_s, (int, float)) and 0 < deadline_s <= 60):
        raise InputError(f"deadline {deadline_s!r} s is out of range (0 < deadline <= 60)")
    parsed = _parse_all(endpoints)
    context = tls_context(ca_file)

    checked_at = clock()
    started = time.monotonic()
    bound = min(float(timeout_s), float(deadline_s))
    until = started + bound
    pending = len(parsed)
    lock = threading.Lock()
    all_done = threading.Event()

    def finished() -> None:
        nonlocal pending
        with lock:
            pending -= 1
            if pending == 0:
                all_done.set()

    runs = [ProbeRun(ep, proxy, started, finished) for ep in parsed]
    for run in runs:
        threading.Thread(
            target=run_probe, args=(run, proxy, context, until, bound), name=f"probe {run.endpoint.host}", daemon=True
        ).start()

    while not all_done.is_set():
        left = until - time.monotonic()
        if left <= 0:
            break
        all_done.wait(min(left, _CANCEL_POLL_S) if cancel is not None else left)
        if cancel is not None and cancel.cancelled:
            for run in runs:
                run.abort(bound, "cancelled by the operator")
            raise Cancelled("connectivity check cancelled by the operator")
    for run in runs:
        if run.result is None:
            run.abort(bound)

    results = [run.result for run in runs]
    assert all(r is not None for r in results)  # every run was finished or aborted above
    state: ConnectivityState = "connected" if all(r.outcome == "reachable" for r in results if r) else "not-connected"
    return ConnectivityReport(
        state=state,
        endpoints=[r for r in results if r is not None],
        proxy=proxy.summary() if proxy else None,
        checked_at=checked_at,
        duration_ms=max(0, round((time.monotonic() - started) * 1000)),
        timeout_s=bound,
    )
