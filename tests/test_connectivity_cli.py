"""`mabs-wizard check-connectivity` as a process: exit codes, output, and the proxy password kept out
of stdout, stderr, argv and the JSON report; a reader that stops early. Loopback peers only
(tinyproxy, squid, TLS servers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.net_fixtures import (  # noqa: F401 - fixtures are used by name
    LOOPBACK,
    PROXY_PASSWORD,
    PROXY_USER,
    LoopbackPKI,
    closed_port,
    https_ok,
    pki,
    proxy,
    squid_proxy,
)

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], *, password: str | None = None, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MABS_WIZARD_PROXY_PASSWORD"}
    if password is not None:
        env["MABS_WIZARD_PROXY_PASSWORD"] = password
    cmd = [sys.executable, "-m", "mabs_wizard", "check-connectivity", *args]
    if password:
        assert password not in " ".join(cmd)  # the password travels only in the environment
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


def test_connected_exit_0(https_ok, pki: LoopbackPKI) -> None:
    res = run(["--endpoint", https_ok.url, "--ca-file", str(pki.ca_file), "--timeout", "3"])
    assert res.returncode == 0, res.stderr
    assert "reachable" in res.stdout and "Connected: 1 of 1 endpoints reachable, direct" in res.stdout
    # the seed's row for Connected / Active
    assert "Connected           Active              Allowed" in res.stdout.replace("  Connected", "Connected")


def test_not_connected_exit_3_with_table_and_row(https_ok, pki: LoopbackPKI) -> None:
    refused = f"https://{LOOPBACK}:{closed_port()}/"
    res = run(
        ["--endpoint", https_ok.url, "--endpoint", refused, "--endpoint", "https://a.invalid/",
         "--ca-file", str(pki.ca_file), "--timeout", "3", "--subscription-state", "expired"]
    )
    assert res.returncode == 3, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["Endpoint", "Outcome", "HTTP", "Time", "Detail"]
    assert any(refused in line and "connection-refused" in line for line in lines)
    assert any("a.invalid" in line and "dns-failure" in line for line in lines)
    assert "Lost connectivity > 15 days  Expired" in res.stdout
    assert "never connected" in res.stdout  # the note that explains the mapping


def test_json_report(https_ok, pki: LoopbackPKI) -> None:
    res = run(["--endpoint", https_ok.url, "--endpoint", "https://b.invalid/", "--ca-file", str(pki.ca_file), "--json"])
    assert res.returncode == 3
    data = json.loads(res.stdout)
    assert [e["outcome"] for e in data["endpoints"]] == ["reachable", "dns-failure"]
    assert data["capabilities"]["connectivity"] == "Lost connectivity > 15 days"
    assert data["state"] == "not-connected" and data["proxy"] is None


def test_through_proxy_password_from_env_never_printed(https_ok, pki: LoopbackPKI, proxy) -> None:
    args = ["--proxy", proxy.url, "--proxy-user", PROXY_USER, "--endpoint", https_ok.url, "--ca-file", str(pki.ca_file)]
    ok = run(args, password=PROXY_PASSWORD)
    assert ok.returncode == 0, ok.stderr
    assert f"through proxy {PROXY_USER}@{LOOPBACK}:{proxy.port}" in ok.stdout
    js = run([*args, "--json"], password=PROXY_PASSWORD)
    assert js.returncode == 0
    assert json.loads(js.stdout)["proxy"] == {"host": LOOPBACK, "port": proxy.port, "username": PROXY_USER}
    for res in (ok, js):
        assert PROXY_PASSWORD not in res.stdout + res.stderr


def test_refused_password_exit_2_with_the_report_and_never_printed(https_ok, pki: LoopbackPKI, proxy) -> None:
    # Credentials the proxy refused are wrong input wherever the check runs: exit 2, not 3 ("not
    # connected", which the target might not be). tinyproxy answers 401 where RFC 7235 says 407.
    wrong = "Not-The-Pr0xy-Password"
    args = ["--proxy", proxy.url, "--proxy-user", PROXY_USER, "--endpoint", https_ok.url, "--ca-file", str(pki.ca_file)]
    for extra in ([], ["--json"]):
        res = run([*args, *extra], password=wrong)
        assert res.returncode == 2, res.stderr
        assert "proxy-auth-failed" in res.stdout  # the report is still printed
        assert res.stderr.startswith(f"error: --proxy-user: proxy {LOOPBACK}:{proxy.port} rejected the credentials of user")
        assert "Traceback" not in res.stderr and wrong not in res.stdout + res.stderr
    assert json.loads(run([*args, "--json"], password=wrong).stdout)["endpoints"][0]["http_status"] == 401
    missing = run(["--proxy", proxy.url, "--endpoint", https_ok.url, "--ca-file", str(pki.ca_file)])
    assert missing.returncode == 2 and "error: --proxy: " in missing.stderr and "requires authentication" in missing.stderr


def test_proxy_down_exit_3() -> None:
    res = run(["--proxy", f"http://{LOOPBACK}:{closed_port()}", "--endpoint", "https://login.microsoftonline.com/"])
    assert res.returncode == 3
    assert "proxy-unreachable" in res.stdout


@pytest.mark.parametrize(
    ("args", "password", "words"),
    [
        (["--proxy", "http://bob:Secret-In-Url-1@127.0.0.1:8080"], None, "must not carry credentials"),
        (["--proxy", "http://127.0.0.1:8080", "--proxy-user", "bob"], None, "MABS_WIZARD_PROXY_PASSWORD"),
        (["--proxy-user", "bob"], "Env-Only-Pw-7", "needs --proxy"),
        (["--proxy", "socks5://127.0.0.1:1080"], None, "not supported"),
        (["--endpoint", "http://login.microsoftonline.com"], None, "https://"),
        (["--endpoint", "https://a.invalid/", "--ca-file", "/nonexistent/ca.pem"], None, "does not exist"),
        (["--endpoint", "https://a.invalid/", "--timeout", "0"], None, "--timeout"),
        (["--endpoint", "https://a.invalid/", "--timeout", "11"], None, "--timeout"),
        (["--subscription-state", "suspended"], None, "suspended"),
    ],
)
def test_invalid_input_exit_2(args: list[str], password: str | None, words: str) -> None:
    t0 = time.monotonic()
    res = run(args, password=password)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert words in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert "Secret-In-Url-1" not in res.stderr
    assert time.monotonic() - t0 < 10


def test_prompt_on_a_terminal_does_not_echo(https_ok, pki: LoopbackPKI, proxy) -> None:
    import pexpect  # a test dependency (pyproject [test])
    env = {k: v for k, v in os.environ.items() if k != "MABS_WIZARD_PROXY_PASSWORD"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mabs_wizard", "check-connectivity", "--proxy", proxy.url, "--proxy-user", PROXY_USER,
         "--endpoint", https_ok.url, "--ca-file", str(pki.ca_file)],
        cwd=str(ROOT), env=env, encoding="utf-8", timeout=30,
    )
    child.expect(f"Password of proxy user {PROXY_USER}: ")
    child.sendline(PROXY_PASSWORD)
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 0, output
    assert "Connected: 1 of 1" in output
    assert PROXY_PASSWORD not in output  # no echo on the terminal


# --- a reader that stops reading -----------------------------------------------------------


def _closed_reader(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the command with stdout a pipe whose reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to write_end now fails with EPIPE
    env = {k: v for k, v in os.environ.items() if k != "MABS_WIZARD_PROXY_PASSWORD"}
    try:
        return subprocess.run([sys.executable, "-m", "mabs_wizard", "check-connectivity", *args], stdout=write_end,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env, cwd=ROOT, timeout=60)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_closed_pipe_ends_quietly_with_the_results_exit_code(https_ok, pki: LoopbackPKI, json_flag: list[str]) -> None:
    connected = _closed_reader(["--endpoint", https_ok.url, "--ca-file", str(pki.ca_file), *json_flag])
    assert (connected.returncode, connected.stderr) == (0, "")
    refused = _closed_reader(["--endpoint", f"https://{LOOPBACK}:{closed_port()}/", "--timeout", "2", *json_flag])
    assert (refused.returncode, refused.stderr) == (3, "")  # no BrokenPipeError, no "Exception ignored"


def test_pipe_to_head_ends_quietly_with_the_results_exit_code(https_ok, pki: LoopbackPKI) -> None:
    # The shell's own pipeline, as an operator types it; PIPESTATUS holds mabs-wizard's exit code.
    cmd = (f"{sys.executable} -m mabs_wizard check-connectivity --endpoint https://{LOOPBACK}:{closed_port()}/ "
           "--timeout 2 | head -1; echo \"rc=${PIPESTATUS[0]}\" >&2")
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.stdout.split() == ["Endpoint", "Outcome", "HTTP", "Time", "Detail"]
    assert res.stderr == "rc=3\n"


# --- through the real squid ------------------------------------------------------------------


def test_through_squid_outcomes_and_exit_codes(squid_proxy, https_ok, pki: LoopbackPKI) -> None:
    base = ["--proxy", squid_proxy.url, "--proxy-user", PROXY_USER, "--ca-file", str(pki.ca_file), "--json"]
    ok = run([*base, "--endpoint", https_ok.url], password=PROXY_PASSWORD)
    assert ok.returncode == 0, ok.stderr
    refused_port = f"https://{LOOPBACK}:{closed_port()}/"
    down = run([*base, "--endpoint", refused_port, "--endpoint", "https://nowhere.invalid/"], password=PROXY_PASSWORD)
    assert down.returncode == 3, down.stderr
    outcomes = {e["url"]: (e["outcome"], e["http_status"]) for e in json.loads(down.stdout)["endpoints"]}
    assert outcomes == {refused_port: ("connection-refused", 503), "https://nowhere.invalid/": ("dns-failure", 500)}
    wrong = run([*base, "--endpoint", https_ok.url], password="Wr0ng-For-Squid")
    assert wrong.returncode == 2 and "407 Proxy Authentication Required" in wrong.stderr
    assert "Wr0ng-For-Squid" not in wrong.stdout + wrong.stderr
