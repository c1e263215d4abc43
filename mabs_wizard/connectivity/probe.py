"""One HTTPS probe: resolve, connect (directly or to the proxy), CONNECT, TLS handshake, one GET.

Written on plain sockets rather than an HTTP client so that every failure maps to exactly one
outcome at the stage where it happened (the proxy refusing us is not the endpoint refusing the
proxy), and so that a watchdog can cut a probe off at its deadline: each blocking call gets only
the time left, and :meth:`ProbeRun.abort` shuts the socket down from another thread, which wakes a
peer-stalled ``recv`` at once. Only ``getaddrinfo`` cannot be interrupted; the caller abandons such
a probe at the deadline (its daemon thread ends when the resolver gives up).
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mabs_wizard import __version__
from mabs_wizard.connectivity.report import EndpointResult, Outcome
from mabs_wizard.connectivity.squid import parse_squid_error, squid_outcome
from mabs_wizard.connectivity.targets import Endpoint, ProxyConfig

HEAD_LIMIT = 16 * 1024  # a proxy's CONNECT answer or a status line longer than this is not HTTP we want
USER_AGENT = f"mabs-wizard/{__version__} (connectivity check)"
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})(?: ([^\r\n]*))?\r?$")
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


@dataclass(frozen=True)
class Stage:
    """Where a probe is, what a timeout there means, and what any other failure there means."""

    key: str
    label: str
    on_timeout: Outcome
    on_error: Outcome


def _stages(endpoint: Endpoint, proxy: ProxyConfig | None) -> dict[str, Stage]:
    p = proxy.authority if proxy else ""
    return {
        s.key: s
        for s in (
            Stage("resolve", f"resolving {endpoint.host}", "dns-failure", "dns-failure"),
            Stage("connect", f"connecting to {endpoint.authority}", "timeout", "connection-refused"),
            Stage("proxy-resolve", f"resolving proxy {proxy.host if proxy else ''}", "proxy-unreachable", "proxy-unreachable"),
            Stage("proxy-connect", f"connecting to proxy {p}", "proxy-unreachable", "proxy-unreachable"),
            Stage("tunnel", f"waiting for proxy {p} to open a tunnel to {endpoint.authority}", "timeout", "http-error"),
            Stage("tls", f"in the TLS handshake with {endpoint.host}", "timeout", "tls-failure"),
            Stage("http", f"waiting for the HTTP answer of {endpoint.host}", "timeout", "http-error"),
        )
    }


class _Failed(Exception):
    """Ends a probe with one outcome; carries no secret (details are built from names and codes)."""

    def __init__(self, outcome: Outcome, detail: str, http_status: int | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.http_status = http_status


class _Abandoned(Exception):
    """The watchdog already reported this probe; the worker just stops."""


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ProbeRun:
    """The state one worker thread shares with the watchdog: current stage and socket, and the result."""

    def __init__(self, endpoint: Endpoint, proxy: ProxyConfig | None, started: float, on_finish: Callable[[], None]) -> None:
        self.endpoint = endpoint
        self.stages = _stages(endpoint, proxy)
        self.stage = self.stages["proxy-resolve" if proxy else "resolve"]
        self.result: EndpointResult | None = None
        self._started = started
        self._on_finish = on_finish
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def enter(self, key: str) -> None:
        with self._lock:
            if self.result is not None:
                raise _Abandoned
            self.stage = self.stages[key]

    def attach(self, sock: socket.socket) -> None:
        """Make ``sock`` the one :meth:`abort` shuts down; closes it at once if the probe was abandoned."""
        with self._lock:
            if self.result is not None:
                with contextlib.suppress(OSError):
                    sock.close()
                raise _Abandoned
            self._sock = sock

    def finish(self, outcome: Outcome, detail: str, http_status: int | None = None) -> bool:
        """Record the result; the first caller (worker or watchdog) wins."""
        with self._lock:
            if self.result is not None:
                return False
            elapsed = max(0, round((time.monotonic() - self._started) * 1000))
            self.result = EndpointResult(
                url=self.endpoint.url, outcome=outcome, http_status=http_status, detail=one_line(detail), elapsed_ms=elapsed
            )
        self._on_finish()
        return True

    def abort(self, timeout_s: float, reason: str | None = None) -> None:
        """Called by the watchdog at the deadline: report the stage's timeout, then unblock the worker."""
        stage = self.stage
        detail = reason or f"no answer within {timeout_s:g} s {stage.label}"
        self.finish(stage.on_timeout, detail)
        with self._lock:
            # Under the lock the worker cannot close the socket (and its descriptor be reused)
            # between the check and the call. The base-class shutdown works on the descriptor even
            # for an SSLSocket whose handshake runs in the worker thread; it does not block.
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def close(self, sock: socket.socket) -> None:
        """The worker's close, serialised with :meth:`abort`."""
        with self._lock:
            if self._sock is sock:
                self._sock = None
            with contextlib.suppress(OSError):
                sock.close()


def _left(until: float) -> float:
    left = until - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _resolve(host: str, port: int) -> list[tuple]:
    # RFC 6761 §6.4: names under .invalid never resolve, and resolver APIs should answer so at once
    # instead of asking a DNS server (which would also leave this machine).
    name = host.rstrip(".").lower()
    if name == "invalid" or name.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "special-use .invalid name (RFC 6761)")
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


def _connect(run: ProbeRun, infos: list[tuple], until: float) -> socket.socket:
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        run.attach(sock)
        try:
            sock.settimeout(_left(until))
            sock.connect(address)
            return sock
        except OSError as exc:
            run.close(sock)
            last = exc
            if isinstance(exc, TimeoutError):
                raise
    raise last or OSError(errno.EADDRNOTAVAIL, "no address to connect to")


def _read_until(sock: socket.socket, marker: bytes, until: float, limit: int = HEAD_LIMIT) -> bytes:
    data = b""
    while marker not in data:
        if len(data) > limit:
            raise _Failed("http-error", f"answer header longer than {limit} bytes")
        sock.settimeout(_left(until))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionAbortedError(errno.ECONNABORTED, "connection closed before a complete answer")
        data += chunk
    return data


def _status(line: bytes) -> tuple[int, str] | None:
    match = _STATUS_LINE.match(line.split(b"\n", 1)[0])
    if not match:
        return None
    return int(match.group(1)), one_line((match.group(2) or b"").decode("latin-1"), 60)


def _header(head: bytes, name: str) -> str | None:
    """One header of a proxy's answer head (status line included), or None; never raises."""
    _status_line, _, rest = head.partition(b"\n")
    try:
        return http.client.parse_headers(io.BytesIO(rest)).get(name)
    except (http.client.HTTPException, ValueError):
        return None  # over 100 headers or an over-long line: not an answer to read details from


def _tunnel(run: ProbeRun, sock: socket.socket, proxy: ProxyConfig, until: float) -> None:
    ep = run.endpoint
    lines = [f"CONNECT {ep.authority} HTTP/1.1", f"Host: {ep.authority}", f"User-Agent: {USER_AGENT}"]
    auth = proxy.authorization()
    if auth:
        lines.append(f"Proxy-Authorization: {auth}")
    sock.settimeout(_left(until))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    head = _read_until(sock, b"\r\n\r\n", until)
    parsed = _status(head)
    if parsed is None:
        raise _Failed("http-error", f"proxy {proxy.authority} did not answer CONNECT with HTTP")
    code, reason = parsed
    if 200 <= code < 300:
        return
    said = f"{code} {reason}".strip()
    if code in (401, 407):
        # RFC 7235 says 407; tinyproxy and some appliances answer 401 to a proxy request.
        if proxy.username:
            raise _Failed("proxy-auth-failed", f"proxy {proxy.authority} rejected the credentials of user {proxy.username!r} ({said})", code)
        raise _Failed("proxy-auth-failed", f"proxy {proxy.authority} requires authentication ({said}); give a proxy user and password", code)
    squid = parse_squid_error(_header(head, "X-Squid-Error"))
    if squid is not None:
        outcome, what = squid_outcome(squid, ep.host, ep.authority)
        raise _Failed(outcome, f"proxy {proxy.authority} answered {code}: {what}", code)
    if code == 504:
        raise _Failed("timeout", f"proxy {proxy.authority} timed out reaching {ep.authority} ({said})", code)
    if code >= 500:
        # tinyproxy: "500 Unable to connect" for a refusing or unresolvable endpoint alike.
        raise _Failed("http-error", f"proxy {proxy.authority} could not reach {ep.authority} ({said})", code)
    raise _Failed("http-error", f"proxy {proxy.authority} refused CONNECT to {ep.authority} ({said})", code)


def _request(run: ProbeRun, tls: ssl.SSLSocket, until: float) -> tuple[int, str]:
    ep = run.endpoint
    request = (
        f"GET {ep.target} HTTP/1.1\r\nHost: {ep.host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    )
    tls.settimeout(_left(until))
    tls.sendall(request.encode("ascii"))
    line = _read_until(tls, b"\n", until)
    parsed = _status(line)
    if parsed is None:
        raise _Failed("http-error", f"{ep.host} did not answer with HTTP")
    return parsed


def _describe_os_error(exc: OSError, what: str) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"{what} refused the connection"
    if exc.errno in _UNREACHABLE:
        # The network itself said no (ICMP unreachable, as a firewall REJECT rule may send): as
        # final as a refusal, so it is reported as one, with the precise reason in the detail.
        return f"{what}: {exc.strerror or 'unreachable'} (rejected by the network)"
    return f"{what}: {exc.strerror or type(exc).__name__}"


def _tls_detail(exc: Exception, host: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or exc.reason or "verification failed"
        return f"certificate of {host} rejected: {message}"
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionAbortedError)):
        return f"{host} closed the connection during the TLS handshake"
    if isinstance(exc, ConnectionResetError):
        return f"{host} reset the connection during the TLS handshake"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {host} failed: {exc.reason or exc}"
    return f"TLS handshake with {host} failed: {getattr(exc, 'strerror', None) or type(exc).__name__}"


def run_probe(run: ProbeRun, proxy: ProxyConfig | None, context: ssl.SSLContext, until: float, timeout_s: float) -> None:
    """The worker thread's body: never raises, always ends with ``run.finish`` (or was abandoned)."""
    sock: socket.socket | None = None
    ep = run.endpoint
    try:
        try:
            if proxy:
                run.enter("proxy-resolve")
                try:
                    infos = _resolve(proxy.host, proxy.port)
                except socket.gaierror as exc:
                    raise _Failed("proxy-unreachable", f"proxy host {proxy.host} does not resolve ({exc.strerror})") from None
                run.enter("proxy-connect")
                try:
                    sock = _connect(run, infos, until)
                except TimeoutError:
                    raise _Failed("proxy-unreachable", f"proxy {proxy.authority} did not accept a connection within {timeout_s:g} s") from None
                except OSError as exc:
                    raise _Failed("proxy-unreachable", _describe_os_error(exc, f"proxy {proxy.authority}")) from None
                run.enter("tunnel")
                _tunnel(run, sock, proxy, until)
            else:
                run.enter("resolve")
                try:
                    infos = _resolve(ep.host, ep.port)
                except socket.gaierror as exc:
                    raise _Failed("dns-failure", f"{ep.host} does not resolve ({exc.strerror})") from None
                run.enter("connect")
                try:
                    sock = _connect(run, infos, until)
                except TimeoutError:
                    raise
                except OSError as exc:
                    raise _Failed("connection-refused", _describe_os_error(exc, ep.authority)) from None
            run.enter("tls")
            tls = context.wrap_socket(sock, server_hostname=ep.host, do_handshake_on_connect=False)
            sock = tls
            run.attach(tls)
            try:
                tls.settimeout(_left(until))
                tls.do_handshake()
            except TimeoutError:
                raise
            except (ssl.SSLError, OSError) as exc:
                raise _Failed("tls-failure", _tls_detail(exc, ep.host)) from None
            run.enter("http")
            code, reason = _request(run, tls, until)
            said = f"HTTP {code} {reason}".strip()
            if code >= 500:
                run.finish("http-error", f"{ep.host} answered {said} (server error)", code)
            else:
                # Any other answer means the service is there; 4xx is normal for an API root probed
                # without credentials.
                run.finish("reachable", f"{ep.host} answered {said}", code)
        except _Failed as failure:
            run.finish(failure.outcome, failure.detail, failure.http_status)
        except TimeoutError:
            stage = run.stage
            run.finish(stage.on_timeout, f"no answer within {timeout_s:g} s {stage.label}")
        except OSError as exc:
            stage = run.stage
            run.finish(stage.on_error, f"{stage.label}: {exc.strerror or type(exc).__name__}")
    except _Abandoned:
        pass
    except Exception as exc:  # noqa: BLE001 - a worker thread must always report, never die silently
        stage = run.stage
        run.finish(stage.on_error, f"{stage.label}: unexpected {type(exc).__name__}")
    finally:
        if sock is not None:
            run.close(sock)
