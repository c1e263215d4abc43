"""Connectivity check against real loopback peers: TLS servers with a test CA, and Debian's tinyproxy.

Every case asserts its precise outcome, and the timing cases assert the bound. Nothing leaves
127.0.0.1: DNS failures use a name under .invalid, which RFC 6761 says never resolves (the probe
answers it without asking a DNS server).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from mabs_wizard.connectivity import (
    COLUMNS,
    NOT_CONNECTED_NOTE,
    STATE_TABLE,
    ConnectivityReport,
    ProxyConfig,
    check_connectivity,
    note_for,
    parse_endpoint,
    parse_proxy_url,
    state_table,
    with_capabilities,
)
from mabs_wizard.errors import Cancelled, InputError
from mabs_wizard.events import CancelToken
from tests.net_fixtures import (  # noqa: F401 - fixtures are used by name
    LOOPBACK,
    PROXY_PASSWORD,
    PROXY_USER,
    LoopbackPKI,
    closed_port,
    dripping_server,
    https_ok,
    https_server,
    pki,
    proxy,
    silent_server,
)

# Thread start-up and a loaded CI box: what a bounded call may take beyond its bound.
SLACK_S = 0.75


def _one(report: ConnectivityReport):
    assert len(report.endpoints) == 1
    return report.endpoints[0]


def _auth_proxy(p, password: str = PROXY_PASSWORD) -> ProxyConfig:
    return ProxyConfig(host=p.host, port=p.port, username=p.user, password=password)


# --- direct --------------------------------------------------------------------------------


def test_direct_success(https_ok, pki: LoopbackPKI) -> None:
    before = len(https_ok.hits)
    report = check_connectivity([https_ok.url], ca_file=pki.ca_file, timeout_s=3)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("reachable", 200)
    assert report.state == "connected" and report.proxy is None
    assert len(https_ok.hits) == before + 1 and https_ok.hits[-1] == "/connecttest.txt"
    assert report.summary() == "Connected: 1 of 1 endpoints reachable, direct"


def test_direct_success_by_host_name(https_ok, pki: LoopbackPKI) -> None:
    # localhost resolves from /etc/hosts (no DNS server); the certificate names it too.
    ep = _one(check_connectivity([f"https://localhost:{https_ok.port}/"], ca_file=pki.ca_file, timeout_s=3))
    assert ep.outcome == "reachable"


def test_client_error_status_still_means_reachable(pki: LoopbackPKI) -> None:
    # An API root answers 401/404 to an anonymous GET: the service is there.
    with https_server(pki.good, status=404) as server:
        ep = _one(check_connectivity([server.url], ca_file=pki.ca_file, timeout_s=3))
    assert (ep.outcome, ep.http_status) == ("reachable", 404)


def test_server_error_is_http_error(pki: LoopbackPKI) -> None:
    with https_server(pki.good, status=503) as server:
        report = check_connectivity([server.url], ca_file=pki.ca_file, timeout_s=3)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("http-error", 503)
    assert "503" in ep.detail and report.state == "not-connected"


def test_endpoint_refusing() -> None:
    port = closed_port()
    ep = _one(check_connectivity([f"https://{LOOPBACK}:{port}/"], timeout_s=3))
    assert ep.outcome == "connection-refused"
    assert f"{LOOPBACK}:{port} refused the connection" in ep.detail


def test_endpoint_timing_out_is_bounded() -> None:
    with silent_server() as hung:
        t0 = time.monotonic()
        report = check_connectivity([f"https://{LOOPBACK}:{hung.port}/"], timeout_s=1.0)
        took = time.monotonic() - t0
    ep = _one(report)
    assert ep.outcome == "timeout"
    assert "TLS handshake" in ep.detail  # it connected, then the peer never answered
    assert hung.accepted == 1
    assert 0.9 <= took <= 1.0 + SLACK_S
    assert 900 <= ep.elapsed_ms <= 1000 + SLACK_S * 1000


def test_probes_run_in_parallel() -> None:
    with silent_server() as hung:
        urls = [f"https://{LOOPBACK}:{hung.port}/{i}" for i in range(8)]
        t0 = time.monotonic()
        report = check_connectivity(urls, timeout_s=1.0)
        took = time.monotonic() - t0
    assert [e.outcome for e in report.endpoints] == ["timeout"] * 8
    assert took <= 1.0 + SLACK_S  # eight one-second probes, not eight seconds


def test_tls_failure_untrusted_issuer(pki: LoopbackPKI) -> None:
    with https_server(pki.rogue) as server:
        ep = _one(check_connectivity([server.url], ca_file=pki.ca_file, timeout_s=3))
    assert ep.outcome == "tls-failure"
    assert "certificate" in ep.detail and "local issuer" in ep.detail


def test_tls_failure_wrong_host_name(pki: LoopbackPKI) -> None:
    with https_server(pki.wrong_host) as server:
        by_ip = _one(check_connectivity([server.url], ca_file=pki.ca_file, timeout_s=3))
        by_name = _one(check_connectivity([f"https://localhost:{server.port}/"], ca_file=pki.ca_file, timeout_s=3))
    assert by_ip.outcome == by_name.outcome == "tls-failure"
    assert "mismatch" in by_ip.detail.lower() and "mismatch" in by_name.detail.lower()


def test_tls_failure_without_the_test_ca(https_ok) -> None:
    # The system CAs do not know the test CA: exactly what a TLS-inspecting proxy looks like.
    ep = _one(check_connectivity([https_ok.url], timeout_s=3))
    assert ep.outcome == "tls-failure"


def test_tls_failure_plain_http_peer() -> None:
    # Something that is not TLS at all on the port (an HTTP server answering garbage to a ClientHello).
    listener = socket.socket()
    listener.bind((LOOPBACK, 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        ep = _one(check_connectivity([f"https://{LOOPBACK}:{listener.getsockname()[1]}/"], timeout_s=3))
    finally:
        t.join(3)
        listener.close()
    assert ep.outcome == "tls-failure"


def test_dns_failure_is_fast_and_local() -> None:
    t0 = time.monotonic()
    report = check_connectivity(["https://backup.example.invalid/", "https://invalid/"], timeout_s=3)
    assert [e.outcome for e in report.endpoints] == ["dns-failure", "dns-failure"]
    assert "backup.example.invalid does not resolve" in report.endpoints[0].detail
    assert time.monotonic() - t0 < 0.5


def test_mixed_results_are_not_connected(https_ok, pki: LoopbackPKI) -> None:
    report = check_connectivity([https_ok.url, "https://x.invalid/"], ca_file=pki.ca_file, timeout_s=3)
    assert [e.outcome for e in report.endpoints] == ["reachable", "dns-failure"]  # input order kept
    assert report.state == "not-connected"
    assert report.summary() == "Not connected: 1 of 2 endpoints reachable (1 DNS failure), direct"


# --- through tinyproxy ---------------------------------------------------------------------


def test_success_through_the_proxy(https_ok, pki: LoopbackPKI, proxy) -> None:
    before_proxy, before_hits = proxy.connects(), len(https_ok.hits)
    report = check_connectivity([https_ok.url], proxy=_auth_proxy(proxy), ca_file=pki.ca_file, timeout_s=3)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("reachable", 200)
    assert report.state == "connected"
    assert proxy.connects() == before_proxy + 1  # tinyproxy logged our CONNECT
    assert len(https_ok.hits) == before_hits + 1
    assert report.proxy is not None and str(report.proxy) == f"{PROXY_USER}@{LOOPBACK}:{proxy.port}"
    assert report.summary().endswith(f"through proxy {PROXY_USER}@{LOOPBACK}:{proxy.port}")


def test_wrong_proxy_password(https_ok, pki: LoopbackPKI, proxy) -> None:
    wrong = "Wr0ng-" + PROXY_PASSWORD
    report = check_connectivity([https_ok.url], proxy=_auth_proxy(proxy, wrong), ca_file=pki.ca_file, timeout_s=3)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("proxy-auth-failed", 401)  # tinyproxy says 401, not 407
    assert PROXY_USER in ep.detail
    dumped = report.model_dump_json() + json.dumps(with_capabilities(report, "active")) + repr(report) + str(report)
    assert wrong not in dumped and PROXY_PASSWORD not in dumped


def test_proxy_without_credentials_gets_407(https_ok, pki: LoopbackPKI, proxy) -> None:
    anon = ProxyConfig(host=proxy.host, port=proxy.port)
    ep = _one(check_connectivity([https_ok.url], proxy=anon, ca_file=pki.ca_file, timeout_s=3))
    assert (ep.outcome, ep.http_status) == ("proxy-auth-failed", 407)
    assert "requires authentication" in ep.detail


def test_proxy_down() -> None:
    down = ProxyConfig(host=LOOPBACK, port=closed_port(), username="u", password="p")
    ep = _one(check_connectivity(["https://login.microsoftonline.com/"], proxy=down, timeout_s=3))
    assert ep.outcome == "proxy-unreachable"
    assert "refused the connection" in ep.detail


def test_proxy_host_does_not_resolve() -> None:
    ep = _one(check_connectivity(["https://login.microsoftonline.com/"], proxy=ProxyConfig("proxy.contoso.invalid", 8080), timeout_s=3))
    assert ep.outcome == "proxy-unreachable"
    assert "proxy.contoso.invalid does not resolve" in ep.detail


def test_proxy_cannot_reach_the_endpoint(pki: LoopbackPKI, proxy) -> None:
    # tinyproxy answers "500 Unable to connect" when the endpoint refuses it.
    url = f"https://{LOOPBACK}:{closed_port()}/"
    ep = _one(check_connectivity([url], proxy=_auth_proxy(proxy), ca_file=pki.ca_file, timeout_s=3))
    assert (ep.outcome, ep.http_status) == ("http-error", 500)
    assert f"could not reach {LOOPBACK}" in ep.detail


def test_tls_failure_through_the_proxy(pki: LoopbackPKI, proxy) -> None:
    with https_server(pki.rogue) as server:
        ep = _one(check_connectivity([server.url], proxy=_auth_proxy(proxy), ca_file=pki.ca_file, timeout_s=3))
    assert ep.outcome == "tls-failure"


def test_silent_proxy_times_out_within_bound() -> None:
    with silent_server() as hung:
        t0 = time.monotonic()
        ep = _one(check_connectivity(["https://login.microsoftonline.com/"], proxy=ProxyConfig(LOOPBACK, hung.port), timeout_s=1))
        took = time.monotonic() - t0
    assert ep.outcome == "timeout"
    assert "tunnel" in ep.detail
    assert took <= 1 + SLACK_S


def test_dripping_proxy_cannot_extend_the_check() -> None:
    # A byte every 50 ms resets any per-recv timeout; only a whole-probe deadline stops it.
    with dripping_server(0.05) as drip:
        t0 = time.monotonic()
        ep = _one(check_connectivity(["https://login.microsoftonline.com/"], proxy=ProxyConfig(LOOPBACK, drip.port), timeout_s=1))
        took = time.monotonic() - t0
    assert ep.outcome == "timeout"
    assert took <= 1 + SLACK_S


# --- deadline, cancel ----------------------------------------------------------------------


def test_hung_resolver_cannot_extend_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # getaddrinfo cannot be interrupted; stand in for a resolver that never answers (a fault
    # injected into the OS call, released at teardown so the abandoned thread ends).
    import mabs_wizard.connectivity.probe as probe_mod

    release = threading.Event()
    real = socket.getaddrinfo

    def stuck(host, *args, **kwargs):
        if host == "stuck.example":
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(probe_mod.socket, "getaddrinfo", stuck)
    try:
        t0 = time.monotonic()
        report = check_connectivity(["https://stuck.example/", "https://x.invalid/"], timeout_s=5, deadline_s=1)
        took = time.monotonic() - t0
    finally:
        release.set()
    assert [e.outcome for e in report.endpoints] == ["dns-failure", "dns-failure"]
    assert "resolving stuck.example" in report.endpoints[0].detail
    assert took <= 1 + SLACK_S
    assert report.timeout_s == 1


def test_cancel_ends_the_check_early() -> None:
    token = CancelToken()
    with silent_server() as hung:
        threading.Timer(0.2, token.cancel).start()
        t0 = time.monotonic()
        with pytest.raises(Cancelled):
            check_connectivity([f"https://{LOOPBACK}:{hung.port}/"], timeout_s=5, cancel=token)
        assert time.monotonic() - t0 < 1.0


# --- secrets stay out ----------------------------------------------------------------------


def test_proxy_password_never_in_repr_str_or_summary() -> None:
    p = ProxyConfig(host="proxy.contoso.local", port=8080, username="CONTOSO\\svc-mabs", password="hunter2-Secret")
    for text in (repr(p), str(p), str(p.summary()), p.summary().model_dump_json()):
        assert "hunter2" not in text
    assert str(p) == "CONTOSO\\svc-mabs@proxy.contoso.local:8080"
    with pytest.raises(ValueError) as err:
        ProxyConfig(host="proxy", port=0, username="u", password="hunter2-Secret")
    assert "hunter2" not in str(err.value)


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://login.microsoftonline.com", "https://"),
        ("https://", "no host"),
        ("https://host name/", "printable ASCII"),
        ("https://x/\r\nHost: evil", "printable ASCII"),
        ("https://h:99999/", "invalid port"),
        ("https://bad_host!/", "valid host"),
    ],
)
def test_bad_endpoints_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        parse_endpoint(url)
    with pytest.raises(InputError):
        check_connectivity([url])


def test_endpoint_with_credentials_is_not_echoed() -> None:
    with pytest.raises(InputError) as err:
        check_connectivity(["https://user:Secret-123@host/"])
    assert "Secret-123" not in str(err.value) and "endpoint 1" in str(err.value)


def test_all_bad_endpoints_reported_at_once() -> None:
    with pytest.raises(InputError) as err:
        check_connectivity(["ftp://a", "https://ok.example/", "https://"])
    assert len(err.value.problems) == 2


def test_bad_ca_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for path, words in ((tmp_path / "missing.pem", "does not exist"), (junk, "not a PEM"), (tmp_path, "directory")):
        with pytest.raises(InputError, match=words):
            check_connectivity(["https://x.invalid/"], ca_file=path)


@pytest.mark.parametrize("timeout", [0, -1, 61])
def test_out_of_range_timeouts(timeout: float) -> None:
    with pytest.raises(InputError):
        check_connectivity(["https://x.invalid/"], timeout_s=timeout)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("http://proxy.contoso.local:8080", ("proxy.contoso.local", 8080)), ("10.0.0.5:3128", ("10.0.0.5", 3128)), ("http://[::1]:8080/", ("::1", 8080))],
)
def test_proxy_urls(url: str, expected: tuple[str, int]) -> None:
    assert parse_proxy_url(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [("http://u:Secret-9@proxy:8080", "credentials"), ("https://proxy:8080", "not supported"), ("http://proxy", "needs a port"), ("http://proxy:8080/x", "just")],
)
def test_bad_proxy_urls(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as err:
        parse_proxy_url(url)
    assert "Secret-9" not in str(err.value)


def test_the_proxy_step_probes_through_the_proxy_section(https_ok, pki: LoopbackPKI, proxy) -> None:
    from mabs_wizard.answers.models import ProxyAnswers
    from mabs_wizard.steps.proxy import probe as check_answers

    answers = ProxyAnswers(use_proxy=True, host=proxy.host, port=proxy.port, username=proxy.user,
                           password={"env": "UNUSED"}, endpoints=[https_ok.url], ca_file=pki.ca_file, timeout_s=3)
    assert _one(check_answers(answers, password=PROXY_PASSWORD)).outcome == "reachable"
    assert _one(check_answers(answers, password="wrong")).outcome == "proxy-auth-failed"


# --- the seed's state table ----------------------------------------------------------------


# The seed's "Network connectivity" table, verbatim (../shared/seed/mabs-install-azure-stack.md; S1, S4).
SEED_TABLE = """\
| Connectivity State | Azure Subscription | Back up to Azure | Back up to disk | Restore from Azure | Restore from disk |
| --- | --- | --- | --- | --- | --- |
| Connected |Active |Allowed |Allowed |Allowed |Allowed |
| Connected |Expired |Stopped |Stopped |Allowed |Allowed |
| Connected |Deprovisioned |Stopped |Stopped |Stopped and Azure recovery points deleted |Stopped |
| Lost connectivity > 15 days |Active |Stopped |Stopped |Allowed |Allowed |
| Lost connectivity > 15 days |Expired |Stopped |Stopped |Allowed |Allowed |
| Lost connectivity > 15 days |Deprovisioned |Stopped |Stopped |Stopped and Azure recovery points deleted |Stopped |
"""


def _parse_table(text: str) -> list[tuple[str, ...]]:
    return [tuple(c.strip() for c in line.strip().strip("|").split("|")) for line in text.splitlines() if not line.startswith("| ---")]


def test_state_table_is_the_seeds() -> None:
    assert _parse_table(SEED_TABLE) == [tuple(COLUMNS), *(r.cells() for r in STATE_TABLE)]
    seed = Path(__file__).resolve().parents[2] / "shared" / "seed" / "mabs-install-azure-stack.md"
    if seed.exists():  # next to the repository in the team's layout: the copy above must not drift from it
        assert SEED_TABLE in seed.read_text()


@pytest.mark.parametrize(
    ("state", "sub", "cells"),
    [
        ("connected", "active", ("Allowed", "Allowed", "Allowed", "Allowed")),
        ("connected", "expired", ("Stopped", "Stopped", "Allowed", "Allowed")),
        ("connected", "deprovisioned", ("Stopped", "Stopped", "Stopped and Azure recovery points deleted", "Stopped")),
        ("not-connected", "active", ("Stopped", "Stopped", "Allowed", "Allowed")),
        ("not-connected", "expired", ("Stopped", "Stopped", "Allowed", "Allowed")),
        ("not-connected", "deprovisioned", ("Stopped", "Stopped", "Stopped and Azure recovery points deleted", "Stopped")),
    ],
)
def test_state_table_rows(state, sub, cells) -> None:
    row = state_table(state, sub)
    assert row.cells()[2:] == cells
    assert row.connectivity == ("Connected" if state == "connected" else "Lost connectivity > 15 days")
    assert note_for(state) == ("" if state == "connected" else NOT_CONNECTED_NOTE)


def test_state_table_refuses_unknown_states() -> None:
    with pytest.raises(ValueError):
        state_table("offline", "active")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        state_table("connected", "suspended")  # type: ignore[arg-type]


def test_with_capabilities_holds_report_and_row() -> None:
    report = check_connectivity(["https://x.invalid/"], timeout_s=1)
    full = with_capabilities(report, "expired")
    assert full["state"] == "not-connected" and full["subscription_state"] == "expired"
    assert full["capabilities"]["connectivity"] == "Lost connectivity > 15 days"
    assert full["capabilities_note"] == NOT_CONNECTED_NOTE
    assert ConnectivityReport.model_validate({k: v for k, v in full.items() if k in ConnectivityReport.model_fields}) == report
