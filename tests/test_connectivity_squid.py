"""The connectivity check through a real squid (Debian's squid 5 with basic_ncsa_auth) on loopback.

squid is what corporate networks run, and it says why a tunnel failed in its ``X-Squid-Error``
header (squid-cache/squid src/errorpage.cc: ``"%s %d"``, error page name and errno). The fixture's
squid (tests/net_fixtures.py) listens on 127.0.0.1 only, tunnels only to 127.0.0.0/8 and to names
under .invalid, and sends its DNS queries to a loopback address where nothing answers: nothing here
leaves the machine.

Also: a replay whose proxy password squid refuses exits 2 with the refusal on proxy.password and
hands nothing over (no manifest, the password neither stored nor written), and the TUI's proxy
page shows the refusal under the password field.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mabs_wizard.connectivity import ProxyConfig, check_connectivity, judge_report
from mabs_wizard.connectivity.squid import SquidError, parse_squid_error, squid_outcome
from tests.net_fixtures import (  # noqa: F401 - fixtures are used by name
    LOOPBACK,
    PROXY_PASSWORD,
    PROXY_USER,
    LoopbackPKI,
    Squid,
    closed_port,
    https_ok,
    pki,
    squid_proxy,
    unanswered_port,
)

WRONG = "Not-The-Squid-Passw0rd"


def _via(sq: Squid, password: str | None = PROXY_PASSWORD, user: str | None = PROXY_USER) -> ProxyConfig:
    return ProxyConfig(host=sq.host, port=sq.port, username=user, password=password if user else None)


def _one(report):  # noqa: ANN001, ANN202
    assert len(report.endpoints) == 1
    return report.endpoints[0]


# --- the squid the tests start -------------------------------------------------------------


def test_squid_listens_on_loopback_only_and_tunnels_nowhere_else(squid_proxy: Squid) -> None:
    conf = (squid_proxy.folder / "squid.conf").read_text()
    assert re.findall(r"^http_port (.+)$", conf, re.M) == [f"{LOOPBACK}:{squid_proxy.port}"]
    assert re.findall(r"^dns_nameservers (.+)$", conf, re.M) == ["127.77.0.53"]
    # A public address (TEST-NET-1, RFC 5737) is refused by squid's access rules before any connection.
    ep = _one(check_connectivity(["https://192.0.2.1/"], proxy=_via(squid_proxy), timeout_s=5))
    assert (ep.outcome, ep.http_status) == ("http-error", 403)
    assert "access rules refuse" in ep.detail and "ERR_ACCESS_DENIED" in ep.detail
    assert re.search(r"TCP_DENIED/403 \d+ CONNECT 192\.0\.2\.1:443 ", squid_proxy.access_log())


# --- what squid answers, and what the report makes of it -----------------------------------


def test_right_credentials_open_a_tunnel_to_the_tls_endpoint(squid_proxy: Squid, https_ok, pki: LoopbackPKI) -> None:
    before = len(https_ok.hits)
    report = check_connectivity([https_ok.url], proxy=_via(squid_proxy), ca_file=pki.ca_file, timeout_s=5)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("reachable", 200), ep.detail
    assert report.state == "connected" and len(https_ok.hits) == before + 1
    assert re.search(rf"TCP_TUNNEL/200 \d+ CONNECT {LOOPBACK}:{https_ok.port} {PROXY_USER} ", squid_proxy.access_log())
    assert [f.code for f in judge_report(report)] == ["proxy.connected"]


def test_wrong_password_is_407_and_an_error_on_proxy_password(squid_proxy: Squid, https_ok, pki: LoopbackPKI) -> None:
    before = len(https_ok.hits)
    report = check_connectivity([https_ok.url], proxy=_via(squid_proxy, WRONG), ca_file=pki.ca_file, timeout_s=5)
    ep = _one(report)
    assert (ep.outcome, ep.http_status) == ("proxy-auth-failed", 407)
    assert len(https_ok.hits) == before  # squid never opened the tunnel
    errors = [f for f in judge_report(report) if f.level == "error"]
    assert [(f.code, f.field) for f in errors] == [("proxy.credentials-refused", "proxy.password")]
    assert f"user {PROXY_USER!r}" in errors[0].message and "407" in errors[0].message
    assert WRONG not in report.model_dump_json() + errors[0].model_dump_json()


def test_no_credentials_is_407_and_an_error_on_proxy_username(squid_proxy: Squid, https_ok, pki: LoopbackPKI) -> None:
    report = check_connectivity([https_ok.url], proxy=_via(squid_proxy, user=None), ca_file=pki.ca_file, timeout_s=5)
    assert _one(report).outcome == "proxy-auth-failed"
    errors = [f for f in judge_report(report) if f.level == "error"]
    assert [(f.code, f.field) for f in errors] == [("proxy.authentication-required", "proxy.username")]


def test_closed_port_is_err_connect_fail_111_connection_refused(squid_proxy: Squid) -> None:
    port = closed_port()
    ep = _one(check_connectivity([f"https://{LOOPBACK}:{port}/"], proxy=_via(squid_proxy), timeout_s=5))
    assert (ep.outcome, ep.http_status) == ("connection-refused", 503)
    assert "ERR_CONNECT_FAIL 111 = ECONNREFUSED" in ep.detail and f"{LOOPBACK}:{port} refused" in ep.detail


def test_dropped_connection_is_err_connect_fail_110_timeout(squid_proxy: Squid) -> None:
    # The fixture's squid gives up connecting after 1 s (connect_timeout), well inside the probe's 5 s.
    with unanswered_port() as port:
        ep = _one(check_connectivity([f"https://{LOOPBACK}:{port}/"], proxy=_via(squid_proxy), timeout_s=5))
    assert (ep.outcome, ep.http_status) == ("timeout", 503)
    assert "ERR_CONNECT_FAIL 110 = ETIMEDOUT" in ep.detail and "timed out" in ep.detail


def test_unresolvable_host_is_a_dns_failure(squid_proxy: Squid) -> None:
    # squid 5.7 (Debian 12) answers a CONNECT to a name it cannot resolve with "500 ERR_CANNOT_FORWARD 0"
    # (src/tunnel.cc, noteDestinationsEnd: "path selection found no paths"), not ERR_DNS_FAIL; both
    # are a DNS failure for a host name. The probe itself resolves nothing: the name goes to squid.
    ep = _one(check_connectivity(["https://mars-endpoint.invalid/"], proxy=_via(squid_proxy), timeout_s=5))
    assert ep.outcome == "dns-failure", ep.detail
    assert ep.http_status == 500 and "ERR_CANNOT_FORWARD" in ep.detail and "could not resolve mars-endpoint.invalid" in ep.detail
    assert "CONNECT mars-endpoint.invalid:443 " in squid_proxy.access_log()


@pytest.mark.parametrize(
    ("header", "host", "outcome", "words"),
    [
        # The values squid writes (errorpage.cc "%s %d"); Linux errno numbers, then BSD's.
        ("ERR_CONNECT_FAIL 111", "login.microsoftonline.com", "connection-refused", "refused"),
        ("ERR_CONNECT_FAIL 61", "login.microsoftonline.com", "connection-refused", "refused"),
        ("ERR_CONNECT_FAIL 110", "login.microsoftonline.com", "timeout", "timed out"),
        ("ERR_CONNECT_FAIL 113", "login.microsoftonline.com", "connection-refused", "unreachable"),
        ("ERR_CONNECT_FAIL 22", "login.microsoftonline.com", "connection-refused", "could not connect"),
        ("ERR_DNS_FAIL 0", "login.microsoftonline.com", "dns-failure", "could not resolve login.microsoftonline.com"),
        ("ERR_CANNOT_FORWARD 0", "login.microsoftonline.com", "dns-failure", "parent proxies"),
        ("ERR_CANNOT_FORWARD 0", "203.0.113.7", "http-error", "could not open a tunnel"),  # no name to resolve
        ("ERR_READ_TIMEOUT 0", "login.microsoftonline.com", "timeout", "timed out"),
        ("ERR_ACCESS_DENIED 0", "login.microsoftonline.com", "http-error", "access rules"),
        ("ERR_SECURE_CONNECT_FAIL 0", "login.microsoftonline.com", "tls-failure", "TLS"),
        ("ERR_GATEWAY_FAILURE 0", "login.microsoftonline.com", "http-error", "could not open a tunnel"),
    ],
)
def test_squid_error_values_map_to_outcomes(header: str, host: str, outcome: str, words: str) -> None:
    err = parse_squid_error(header)
    assert err is not None and err.name == header.split()[0]
    got, detail = squid_outcome(err, host, f"{host}:443")
    assert got == outcome and words in detail and err.name in detail


@pytest.mark.parametrize("value", [None, "", "403 Access Denied", "ERR_CONNECT_FAIL 111; rm -rf /", "err_dns_fail 0", "ERR_X " + "9" * 9])
def test_values_that_are_not_squids_shape_are_ignored(value: str | None) -> None:
    # "403 Access Denied" is what squid writes for a deny_info redirect (errorpage.cc): no error name.
    assert parse_squid_error(value) is None
    assert parse_squid_error("ERR_DNS_FAIL") == SquidError("ERR_DNS_FAIL", None)


# --- replay with a password squid refuses ---------------------------------------------------


def _kit_through_squid(tmp_path: Path, sq: Squid, url: str, ca_file: Path, password: str) -> Path:
    from mabs_wizard.demo import make_demo_kit

    kit = make_demo_kit(tmp_path / "kit", media_bytes=2 * 2**20)  # its endpoint and proxy set below
    secret = kit.parent / "secrets" / "proxy-password.txt"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    text, found = re.subn(r"(?m)^  use_proxy: false.*$", (
        f"  use_proxy: true\n  host: {sq.host}\n  port: {sq.port}\n  username: {sq.user}\n"
        f"  password: {{file: secrets/proxy-password.txt}}\n  endpoints: [{url}]\n  ca_file: {ca_file}"), kit.read_text())
    assert found == 1
    kit.write_text(text)
    return kit


def _replay(kit: Path, out: Path) -> subprocess.CompletedProcess[str]:
    # The encrypted file store (no keyring on this bus), so the test can look inside it afterwards.
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "MABS_WIZARD_STORE_PASSWORD": "squid-test-store-pw"}
    return subprocess.run([sys.executable, "-m", "mabs_wizard", "replay", str(kit), "--output", str(out)],
                          capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)


def _stored_proxy_password(kit: Path) -> str | None:
    from mabs_wizard.errors import SecretStoreError
    from mabs_wizard.secret_store import open_store

    store = open_store("file", file_path=kit.parent / "store" / "secrets.enc", password="squid-test-store-pw")
    try:
        return store.get("mabs-wizard", "MABS01/proxy.password")
    except SecretStoreError:
        return None


def _files_holding(root: Path, needle: str, skip: Path) -> list[str]:
    encoded = (needle.encode(), needle.encode("utf-16-le"))
    return [str(p) for p in root.rglob("*") if p.is_file() and not p.is_relative_to(skip) and any(e in p.read_bytes() for e in encoded)]


def test_replay_with_a_refused_proxy_password_exits_2_and_hands_nothing_over(
    tmp_path: Path, squid_proxy: Squid, https_ok, pki: LoopbackPKI
) -> None:
    kit = _kit_through_squid(tmp_path, squid_proxy, https_ok.url, pki.ca_file, WRONG)
    out = tmp_path / "out"
    result = _replay(kit, out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    line = next(line for line in result.stderr.splitlines() if "proxy.password:" in line)
    assert line.startswith("ERROR") and f"rejected the credentials of user {PROXY_USER!r} (407" in line
    assert "[proxy] failed" in result.stdout
    assert re.search(rf"TCP_DENIED/407 \d+ CONNECT {LOOPBACK}:{https_ok.port} {PROXY_USER} ", squid_proxy.access_log())
    # Nothing handed over as ready: no manifest; the refused password not stored, printed or written.
    assert not (out / "install-manifest.json").exists()
    assert _stored_proxy_password(kit) is None
    assert WRONG not in result.stdout + result.stderr
    assert _files_holding(tmp_path, WRONG, skip=kit.parent / "secrets") == []


def test_replay_with_the_right_proxy_password_is_ready_for_target(
    tmp_path: Path, squid_proxy: Squid, https_ok, pki: LoopbackPKI
) -> None:
    # The same kit with the password squid accepts: the refusal above is the credentials, nothing else.
    kit = _kit_through_squid(tmp_path, squid_proxy, https_ok.url, pki.ca_file, PROXY_PASSWORD)
    out = tmp_path / "out"
    result = _replay(kit, out)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((out / "install-manifest.json").read_text())
    assert manifest["status"] == "ready-for-target"
    assert manifest["proxy"]["result"]["connectivity"]["state"] == "connected"
    assert manifest["proxy"]["settings"]["password"]["username"] == "MABS01/proxy.password"
    assert _stored_proxy_password(kit) == PROXY_PASSWORD
    assert _files_holding(tmp_path, PROXY_PASSWORD, skip=kit.parent / "secrets") == []


# --- the TUI's proxy page -------------------------------------------------------------------


async def test_proxy_page_shows_the_refusal_under_the_password_field(squid_proxy: Squid) -> None:
    from mabs_wizard.screens.widgets.toggles import Check
    from tests.tui_support import make_snapshot_kit, settle, snapshot_app, type_into

    app = snapshot_app(make_snapshot_kit())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show("proxy")
        await settle(pilot)
        app.page.query_one("#use_proxy", Check).value = True
        for selector, value in (("#host", squid_proxy.host), ("#port", str(squid_proxy.port)),
                                ("#username", squid_proxy.user), ("#password", WRONG)):
            await type_into(pilot, selector, value)
        await pilot.click("#test")
        await settle(pilot)
        error = app.page.fields()["proxy.password"].error
        assert error and f"rejected the credentials of user {PROXY_USER!r}" in error and WRONG not in error
        assert "proxy" not in app.state.outcomes  # a refused test does not count as the step's work
        assert "Not connected" in str(app.page.query_one("#proxy-status").render())
