"""`mabs-wizard serve` without a browser: the access rules, the sessions' processes and folders, the
command line. The real command runs (``python -m mabs_wizard serve --port 0``) and is spoken to over
HTTP and WebSocket from this process (aiohttp's client); session processes are read from /proc.
The browser itself is tests/test_serve_browser.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest

from mabs_wizard.screens.serve.guard import attachment_header, origin_allowed, token_matches
from mabs_wizard.screens.serve.server import is_loopback, remote_warning, url_host
from mabs_wizard.screens.serve.session import PASSED_ON, SET_BY_TEXTUAL_SERVE, child_environment
from tests.serve_support import ServeProcess, children_of, cmdline_of, environ_of

STORE_PASSWORD = "server-env-store-password-7f3a"
OTHER_SECRET = "AKIA-not-for-sessions-1234"


# ---------------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(("origin", "host", "allowed"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("http://LOCALHOST:8000", "localhost:8000", True),
    ("http://[::1]:8000", "[::1]:8000", True),
    ("https://wizard.example.org", "wizard.example.org", True),  # TLS proxy passing Host on
    ("https://wizard.example.org", "wizard.example.org:443", True),
    ("http://127.0.0.1:8001", "127.0.0.1:8000", False),  # same site, another port: another program
    ("http://localhost:8000", "127.0.0.1:8000", False),
    ("http://evil.example", "127.0.0.1:8000", False),
    ("https://wizard.example.org", "wizard.example.org:80", False),
    ("null", "127.0.0.1:8000", False),  # sandboxed iframes, file:// pages
    ("", "127.0.0.1:8000", False),
    (None, "127.0.0.1:8000", False),
    ("http://127.0.0.1:8000", None, False),
    ("file:///etc/passwd", "127.0.0.1:8000", False),
    ("http://127.0.0.1:8000/path", "127.0.0.1:8000", False),
    ("http://[::1", "[::1]:8000", False),
    ("http://127.0.0.1:99999", "127.0.0.1:8000", False),
])
def test_websocket_origin_must_name_the_host_it_was_sent_to(origin, host, allowed):
    assert origin_allowed(origin, host) is allowed


def test_token_comparison():
    token = "A" * 43
    assert token_matches(token, token)
    assert not token_matches(token[:-1] + "B", token)
    assert not token_matches(token[:-1], token)
    assert not token_matches("", token)
    assert not token_matches(None, token)
    assert not token_matches("é" * 43, token)  # non-ASCII input is compared as bytes, not refused with an error


def test_download_file_names_are_quoted():
    assert attachment_header("Install-MABS.ps1") == "attachment; filename=\"Install-MABS.ps1\"; filename*=UTF-8''Install-MABS.ps1"
    header = attachment_header('my answers; v2 "ü".yaml')
    assert header.startswith('attachment; filename="my answers_ v2 ___.yaml"; ')  # no bare ; or " in the fallback
    assert header.endswith("filename*=UTF-8''my%20answers%3B%20v2%20%22%C3%BC%22.yaml")
    assert "\n" not in attachment_header("a\nb") and "\r" not in attachment_header("a\rb")


def test_loopback_and_the_remote_warning():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.10", "wizard.example.org"))
    assert (url_host("127.0.0.1"), url_host("::1"), url_host("[::1]")) == ("127.0.0.1", "[::1]", "[::1]")
    assert url_host("0.0.0.0") == url_host("::") != "0.0.0.0"  # a name to type, not the wildcard
    warning = remote_warning("0.0.0.0", 8000)
    assert "ssh -L 8000:127.0.0.1:8000" in warning and "TLS" in warning and "/ws" in warning


def test_a_session_environment_holds_only_the_listed_variables():
    server_env = {"PATH": "/usr/bin", "HOME": "/home/op", "LANG": "C.UTF-8", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/bus",
                  "MABS_WIZARD_STORE_PASSWORD": STORE_PASSWORD, "AWS_SECRET_ACCESS_KEY": OTHER_SECRET,
                  "SSH_AUTH_SOCK": "/tmp/ssh-agent", "PYTHONPATH": "/evil", "TEXTUAL_DRIVER": "from-server"}
    served = {**server_env, "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "COLUMNS": "120", "ROWS": "40"}
    env = child_environment(server_env, served)
    assert env == {"PATH": "/usr/bin", "HOME": "/home/op", "LANG": "C.UTF-8", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/bus",
                   "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "COLUMNS": "120", "ROWS": "40"}


# ---------------------------------------------------------------------------------- a real server


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "MABS_WIZARD_STORE_PASSWORD": STORE_PASSWORD, "AWS_SECRET_ACCESS_KEY": OTHER_SECRET}
    proc = ServeProcess(["--output", str(tmp_path / "out")], env=env)
    yield proc
    assert proc.stop() == 0, proc.output()


def cookie_for(server: ServeProcess, token: str | None = None) -> dict[str, str]:
    return {"Cookie": f"mabs_wizard_{server.port}={token or server.token}"}


def ws_url(server: ServeProcess) -> str:
    return server.origin.replace("http://", "ws://") + "/ws?width=100&height=30"


async def status_of(session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None) -> int:
    async with session.get(url, headers=headers or {}, allow_redirects=False) as response:
        return response.status


async def ws_status(server: ServeProcess, headers: dict[str, str]) -> int:
    """The handshake's HTTP status (101 once upgraded); the socket is closed again at once."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(ws_url(server), headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def wait_for_children(server: ServeProcess, count: int, timeout: float = 20) -> list[int]:
    for _ in range(int(timeout / 0.05)):
        found = server.children()
        if len(found) == count:
            return found
        await asyncio.sleep(0.05)  # polling /proc for the session process, not a stand-in for work
    raise AssertionError(f"expected {count} session process(es), found {server.children()}:\n{server.output()}")


async def test_every_route_needs_the_token(server):
    base = server.origin
    routes = ["/", "/static/js/textual.js", "/static/css/xterm.css", "/static/fonts/RobotoMono-VariableFont_wght.ttf",
              "/download/0123456789abcdef", "/ws", "/no-such-page"]
    async with aiohttp.ClientSession() as session:
        for route in routes:
            assert await status_of(session, base + route) == 403, route
            assert await status_of(session, base + route, cookie_for(server, "x" * 43)) == 403, route
        # The query token opens the page only, not the other routes.
        assert await status_of(session, f"{base}/static/js/textual.js?token={server.token}") == 403
        assert await status_of(session, f"{base}/?token=wrong") == 403
        assert await status_of(session, f"{base}/%1b%5b2J%1b]0;owned%07") == 403  # escapes for the operator's terminal
        async with session.get(f"{base}/?token={server.token}") as response:
            assert response.status == 200
            page = await response.text()
            cookie = response.headers["Set-Cookie"]
            csp = response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
        assert cookie.startswith(f"mabs_wizard_{server.port}={server.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp
        # The page names no other host: no font, script or style from the Internet (textual-serve's
        # own template links fonts.googleapis.com).
        assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page and "//fonts" not in page
        for route in ["/", "/static/js/textual.js", "/static/fonts/RobotoMono-VariableFont_wght.ttf"]:
            assert await status_of(session, base + route, cookie_for(server)) == 200, route
    # The token is printed once, in the URL line; refusals are logged without it.
    assert sum(server.token in line for line in server.lines) == 1, server.output()
    assert "refused: GET /static/js/textual.js: no valid token" in server.lines
    assert "\x1b" not in server.output() and "\x07" not in server.output()


async def test_the_token_is_new_at_each_start(server, tmp_path):
    second = ServeProcess(["--output", str(tmp_path / "second")])
    try:
        assert second.token != server.token and len(second.token) >= 43  # 32 random bytes, URL-safe base64
        async with aiohttp.ClientSession() as session:
            assert await status_of(session, f"{second.origin}/?token={server.token}") == 403
            assert await status_of(session, second.origin + "/", {"Cookie": f"mabs_wizard_{second.port}={server.token}"}) == 403
    finally:
        assert second.stop() == 0, second.output()


async def test_a_websocket_from_another_origin_is_refused_even_with_the_cookie(server):
    same = f"http://127.0.0.1:{server.port}"
    for origin in ["http://evil.example", f"http://127.0.0.1:{server.port + 1}", f"http://localhost:{server.port}", "null"]:
        assert await ws_status(server, {**cookie_for(server), "Origin": origin}) == 403, origin
    assert await ws_status(server, cookie_for(server)) == 403  # no Origin at all
    assert await ws_status(server, {"Origin": same}) == 403  # the right origin without the token
    assert server.children() == []  # nothing was started for any of them
    assert await ws_status(server, {**cookie_for(server), "Origin": same}) == 101


async def test_a_session_starts_with_a_clean_environment(server, tmp_path):
    headers = {**cookie_for(server), "Origin": server.origin}
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(server), headers=headers) as ws:
        [pid] = await wait_for_children(server, 1)
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        env = environ_of(pid)
        argv = cmdline_of(pid)
        await ws.close()
    for secret in (STORE_PASSWORD, OTHER_SECRET, server.token):
        assert secret.encode() not in raw
        assert not any(secret in arg for arg in argv)
    assert set(env) <= set(PASSED_ON) | set(SET_BY_TEXTUAL_SERVE), sorted(env)
    assert env["TEXTUAL_DRIVER"] == "textual.drivers.web_driver:WebDriver"
    assert (env["COLUMNS"], env["ROWS"]) == ("100", "30")
    assert env["PATH"] == os.environ["PATH"]
    # Started without a shell, with the server's own interpreter, into its own folder.
    assert argv[:3] == [sys.executable, "-m", "mabs_wizard.screens.serve.child"]
    folder = Path(argv[argv.index("--output") + 1])
    assert folder.parent == tmp_path / "out" and folder.name.startswith("session-")
    assert folder.stat().st_mode & 0o777 == 0o700
    await wait_for_children(server, 0)  # the socket closed: the session ended
    server.wait_for_line(r"^session 1: ended \(exit 0\)")


async def test_odd_paths_reach_the_session_as_one_argument(tmp_path):
    # textual-serve runs `/bin/sh -c COMMAND`; sessions are started from an argv list instead.
    out = tmp_path / "out dir $(touch PWNED); echo 'q' \"x\" `id`"
    answers = tmp_path / "kit; rm -rf ~" / "answers $HOME.yaml"
    answers.parent.mkdir()
    answers.write_text("version: 1\n")
    proc = ServeProcess(["--output", str(out), "--answers", str(answers)], cwd=tmp_path)
    try:
        headers = {**cookie_for(proc), "Origin": proc.origin}
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(proc), headers=headers) as ws:
            [pid] = await wait_for_children(proc, 1)
            argv = cmdline_of(pid)
            await ws.close()
        assert argv[argv.index("--answers") + 1] == str(answers)
        assert Path(argv[argv.index("--output") + 1]).parent == out
        assert [p.name for p in out.iterdir()] == [Path(argv[argv.index("--output") + 1]).name]
        assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    finally:
        assert proc.stop() == 0, proc.output()


async def test_sessions_beyond_the_limit_are_refused_politely(tmp_path):
    proc = ServeProcess(["--output", str(tmp_path / "out"), "--sessions", "1"])
    try:
        headers = {**cookie_for(proc), "Origin": proc.origin}
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url(proc), headers=headers) as first:
                await wait_for_children(proc, 1)
                assert await ws_status(proc, headers) == 503
                async with session.get(proc.origin + "/", headers=cookie_for(proc)) as response:
                    assert response.status == 503
                    assert response.headers["Retry-After"] == "3"
                    busy = await response.text()
                assert "The wizard is in use" in busy and "1 of 1 session place(s) are taken" in busy
                assert '<meta http-equiv="refresh" content="3">' in busy
                assert len(proc.children()) == 1  # the refused ones started nothing
                await first.close()
            # The place is free again once the first session has ended.
            await wait_for_children(proc, 0)
            assert await status_of(session, proc.origin + "/", cookie_for(proc)) == 200
        proc.wait_for_line(r"^refused: a new session, 1 of 1 place\(s\) taken$")
    finally:
        assert proc.stop() == 0, proc.output()


async def test_a_session_whose_wizard_dies_frees_its_place(server):
    headers = {**cookie_for(server), "Origin": server.origin}
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(server), headers=headers) as ws:
        [pid] = await wait_for_children(server, 1)
        os.kill(pid, 9)  # killed, out of memory: no goodbye from the wizard
        while (message := await asyncio.wait_for(ws.receive(), 20)).type not in (aiohttp.WSMsgType.CLOSE,
                                                                                  aiohttp.WSMsgType.CLOSED):
            pass  # what the wizard drew before it died
    server.wait_for_line(r"^session 1: ended \(exit -9\)")
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(server), headers=headers):
        await wait_for_children(server, 1)  # the place (--sessions 1) is free again


async def test_ctrl_c_ends_the_sessions_and_the_server(tmp_path):
    proc = ServeProcess(["--output", str(tmp_path / "out"), "--sessions", "2"])
    headers = {**cookie_for(proc), "Origin": proc.origin}
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(ws_url(proc), headers=headers) for _ in range(2)]
        pids = await wait_for_children(proc, 2)
        folders = {cmdline_of(pid)[cmdline_of(pid).index("--output") + 1] for pid in pids}
        assert len(folders) == 2  # each session its own folder
        assert await asyncio.to_thread(proc.stop) == 0, proc.output()
        for ws in sockets:
            await ws.close()
    assert children_of(proc.proc.pid) == []
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    stopping = proc.lines.index("stopping: 2 session(s) to end")
    ended = [line for line in proc.lines[stopping:] if line.startswith(("session 1: ended (exit 0)", "session 2: ended (exit 0)"))]
    assert len(ended) == 2 and proc.lines[-1] == "stopped", proc.output()


# ---------------------------------------------------------------------------------- the command line


def run_serve(args: list[str], tmp_path: Path, timeout: float = 30) -> tuple[int, str]:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "mabs_wizard", "serve", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr


def test_an_answers_file_that_is_not_one_is_refused_before_listening(tmp_path):
    bad = tmp_path / "answers.yaml"
    bad.write_text("version: 1\nsql: [unclosed\n")
    code, output = run_serve(["--answers", str(bad), "--port", "0"], tmp_path)
    assert code == 2, output
    assert f"{bad}:" in output and "token=" not in output and "Traceback" not in output


def test_a_port_in_use_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = run_serve(["--port", str(port), "--output", str(tmp_path / "o")], tmp_path)
    assert code == 2, output
    assert f"cannot listen on 127.0.0.1 port {port}" in output and "Traceback" not in output


async def test_listening_beyond_loopback_warns_and_still_needs_the_token(tmp_path):
    proc = ServeProcess(["--output", str(tmp_path / "out"), "--host", "0.0.0.0"])
    try:
        assert any(line.startswith("warning: listening on 0.0.0.0") and "ssh -L" in line for line in proc.lines), proc.output()
        local = f"http://127.0.0.1:{proc.port}"
        async with aiohttp.ClientSession() as session:
            assert await status_of(session, local + "/") == 403
            assert await status_of(session, f"{local}/?token={proc.token}") == 200
    finally:
        assert proc.stop() == 0, proc.output()

