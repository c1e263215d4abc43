"""The served wizard's web server: textual-serve's ``Server`` with the access rules, sessions and page
of this package.

What is kept from textual-serve (``textual_serve/server.py``): the routes (``/``, ``/ws``,
``/download/{key}``, ``/static``), its static files (xterm.js build, Roboto Mono), the message relay
and the download manager. What changes:

* ``_make_app``: the guard middleware (token, cookie, Origin) and the response headers on every route;
* ``handle_index``: this package's template (no external font, a CSP nonce), or the busy page;
* ``handle_websocket``: a session place is taken before anything is started; the child is a
  ``SessionService`` (own folder, argv without a shell, clean environment);
* ``handle_download``: the same stream with an RFC 6266 file name;
* ``serve``: binds first (``--port 0`` works), prints the URL with its token on a line of its own,
  no access log (the first request's URL holds the token), stops every session on Ctrl+C.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from mabs_wizard.assets import path as asset_path
from mabs_wizard.errors import InputError
from mabs_wizard.screens.serve.guard import (
    SECURITY_HEADERS,
    attachment_header,
    content_security_policy,
    cookie_name,
    new_token,
    origin_allowed,
    token_matches,
)
from mabs_wizard.screens.serve.session import SessionService, child_argv, new_session_folder

TITLE = "MABS install wizard"
BUSY_RETRY_S = 3  # the busy page reloads itself this often
RELOAD_GRACE_S = 2.0  # a page reload ends its old session as it asks for a new one: wait that long for the place
WEBSOCKET_PATH = "/ws"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def remote_warning(host: str, port: int) -> str:
    return (
        f"warning: listening on {host}, not on this machine's loopback: anyone who reaches port {port} and has the "
        "token drives a wizard that writes files and stores secrets here, and plain HTTP carries the token and "
        "every secret typed in clear. Prefer the default --host 127.0.0.1 with an SSH tunnel "
        f"(ssh -L {port}:127.0.0.1:{port} USER@THIS-HOST, then open the URL on your machine), or put a reverse "
        "proxy in front that adds TLS and its own authentication and passes the /ws WebSocket upgrade and the "
        "Host header on (see README, 'The wizard in a browser')."
    )


class WizardServer(Server):
    def __init__(
        self,
        *,
        output: Path,
        answers: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        sessions: int = 1,
        say: Callable[[str], None] = print,
    ) -> None:
        super().__init__("mabs-wizard (one per browser session)", host=host, port=port, title=TITLE,
                         templates_path=asset_path("serve", "templates"))
        self.output = output
        self.answers = answers
        self.max_sessions = sessions
        self.token = new_token()
        self.say = say
        self.sessions: dict[str, SessionService] = {}
        self.started = 0  # sessions started since the server started (their number in messages)
        self._changed = asyncio.Condition()
        self._websockets: set[web.WebSocketResponse] = set()
        self.url: str | None = None  # with the token, once bound

    # ------------------------------------------------------------------ the application

    @property
    def cookie(self) -> str:
        return cookie_name(self.port)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()

        @web.middleware
        async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
            with_cookie = token_matches(request.cookies.get(self.cookie), self.token)
            with_query = request.path == "/" and token_matches(request.query.get("token"), self.token)
            if not (with_cookie or with_query):
                # The path as sent (percent-encoded: no control character reaches the operator's
                # terminal), without the query (it may hold a token).
                return forbidden(f"{request.method} {request.rel_url.raw_path}: no valid token",
                                 "Open the address that `mabs-wizard serve` printed: it carries the access token.")
            if request.path == WEBSOCKET_PATH and not origin_allowed(request.headers.get("Origin"), request.headers.get("Host")):
                return forbidden(f"websocket from origin {request.headers.get('Origin')!r} to host {request.headers.get('Host')!r}",
                                 "A wizard session can only be opened by the wizard's own page.")
            response = await handler(request)
            if with_query and not with_cookie and not response.prepared:
                response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict", secure=request.secure, path="/")
            return response

        def forbidden(reason: str, text: str) -> web.Response:
            self.say(f"refused: {reason}")
            return web.Response(status=403, text=f"403 Forbidden. {text}\n")

        async def headers(request: web.Request, response: web.StreamResponse) -> None:
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Content-Security-Policy", content_security_policy())

        app.middlewares.append(guard)
        app.on_response_prepare.append(headers)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a logo here; `serve` prints its own lines once the port is bound."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Stop every session (each wizard is asked to quit, then terminated), then close their sockets."""
        await asyncio.gather(*(service.stop() for service in list(self.sessions.values())), return_exceptions=True)
        for websocket in list(self._websockets):
            await websocket.close()

    def session_argv(self, folder: Path) -> list[str]:
        """What a session runs (the bench serves a hello-world app through the same server)."""
        return child_argv(folder, self.answers)

    # ------------------------------------------------------------------ routes

    async def _free_place(self, wait: float) -> bool:
        """True once fewer than --sessions sessions run, waiting at most `wait` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        async with self._changed:
            while len(self.sessions) >= self.max_sessions:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    return False
        return True

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        if not await self._free_place(RELOAD_GRACE_S):
            response = aiohttp_jinja2.render_template(
                "busy.html", request, {"title": TITLE, "active": len(self.sessions), "sessions": self.max_sessions,
                                       "retry_s": BUSY_RETRY_S}, status=503)
            response.headers["Retry-After"] = str(BUSY_RETRY_S)
            return response
        nonce = secrets.token_urlsafe(16)
        context = {"title": TITLE, "static_url": "/static/", "nonce": nonce, "sessions": self.max_sessions,
                   "font_size": to_int(request.query.get("fontsize", "16"), 16)}
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Content-Security-Policy"] = content_security_policy(nonce)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, with a session place taken first and the child started clean."""
        if len(self.sessions) >= self.max_sessions:
            self.say(f"refused: a new session, {len(self.sessions)} of {self.max_sessions} place(s) taken")
            raise web.HTTPServiceUnavailable(text=f"All {self.max_sessions} session place(s) are taken; try again later.\n",
                                             headers={"Retry-After": str(BUSY_RETRY_S)})
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        try:
            folder = new_session_folder(self.output)
        except OSError as exc:
            self.say(f"refused: a new session, its folder cannot be made under {self.output}: {exc.strerror or exc}")
            raise web.HTTPInternalServerError(text="The session's folder could not be made; see the server's output.\n") from None
        service = SessionService(
            self.session_argv(folder),
            folder,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        # Taken before the first await: two websockets arriving together cannot both get the last place.
        self.sessions[service.app_service_id] = service
        self.started += 1
        number = self.started
        self._websockets.add(websocket)
        try:
            await websocket.prepare(request)
            await service.start(width, height)
            self.say(f"session {number}: started (pid {service.pid}), files in {folder}")
            try:
                await self._process_messages(websocket, service)
            finally:
                await service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # noqa: BLE001 - one broken session must not stop the server
            self.say(f"session {number}: {type(error).__name__}: {error}")
        finally:
            await service.stop()
            self._websockets.discard(websocket)
            async with self._changed:
                self.sessions.pop(service.app_service_id, None)
                self._changed.notify_all()
            process = service._process
            code = process.returncode if process is not None else None
            self.say(f"session {number}: ended" + (f" (exit {code})" if code is not None else "") + f", files in {folder}")
        return websocket

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's download stream, with the file name quoted (RFC 6266)."""
        key = request.match_info["key"]
        try:
            meta = await self.download_manager.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="This download has already been fetched or has expired.\n") from None
        response = web.StreamResponse()
        response.headers["Content-Type"] = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
        response.headers["Content-Disposition"] = attachment_header(meta.file_name, inline=meta.open_method == "browser")
        await response.prepare(request)
        async for chunk in self.download_manager.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # ------------------------------------------------------------------ running

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        app = await self._make_app()
        # No access log: the first request's URL carries the token. Sessions and refusals are said instead.
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise InputError(f"cannot listen on {self.host} port {self.port}: {exc.strerror or exc}") from None
        self.port = runner.addresses[0][1]
        self.url = f"http://{url_host(self.host)}:{self.port}/?token={self.token}"
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except NotImplementedError:  # Windows: Ctrl+C cancels asyncio.run's task; `finally` still cleans up
                pass
        self.announce()
        try:
            await stop.wait()
        finally:
            self.say(f"stopping: {len(self.sessions)} session(s) to end")
            await runner.cleanup()
            self.say("stopped")

    def announce(self) -> None:
        self.say(f"mabs-wizard serve: each browser session gets its own folder under {self.output} "
                 f"(at most {self.max_sessions} at once)")
        if not is_loopback(self.host):
            self.say(remote_warning(self.host, self.port))
        self.say("Open this address in a web browser (it carries the access token; keep it to yourself):")
        self.say(self.url or "")
        self.say("Press Ctrl+C to stop.")


def url_host(host: str) -> str:
    """The host part of the printed URL: a wildcard address becomes this machine's name."""
    if host in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host

