"""Who may use a served wizard: a token, a cookie, the websocket's Origin, and strict response headers.

The rules (pure functions here, wired as aiohttp middleware in ``server``):

* A random token per server start (``secrets.token_urlsafe``), printed once in the URL. The first visit
  of ``/?token=...`` sets it as an HttpOnly, SameSite=Strict cookie (Jupyter's scheme); every route,
  the page, static files, downloads and the websocket, answers 403 without a valid cookie (only ``/``
  also accepts the query token). Tokens are compared with ``hmac.compare_digest`` (constant time).
* The websocket's ``Origin`` must name the host and port the request was sent to (its ``Host``).
  SameSite=Strict alone does not cover it: a "site" ignores the port, so a page served by any other
  program on 127.0.0.1 is same-site and its websocket would carry the cookie (OWASP, "Cross-Site
  WebSocket Hijacking"; RFC 6455 section 10.2: servers must check Origin).
* Every response: a Content-Security-Policy allowing only this server (no font or script from
  elsewhere, no framing), no Referer (the page URL carries the token on first visit), nosniff,
  no caching.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote, urlsplit

TOKEN_BYTES = 32  # 256 bits of randomness; urlsafe base64 in the URL and cookie
COOKIE_PREFIX = "mabs_wizard_"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def cookie_name(port: int) -> str:
    """Per port: cookies are not isolated by port, and two servers on one host must not clobber each other."""
    return f"{COOKIE_PREFIX}{port}"


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison (hmac.compare_digest) of a presented token with the server's."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("ascii"))


def _host_port(netloc: str, default_port: int | None) -> tuple[str, int | None] | None:
    """(lower-case host, port) of ``host[:port]`` or ``[v6]:port``; None if it does not parse."""
    try:
        parts = urlsplit(f"//{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host.lower(), port if port is not None else default_port


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """True when a websocket's Origin names the same host and port as the request's Host header.

    Behind a TLS proxy the Origin is ``https://name`` while the request arrives as plain HTTP with
    ``Host: name``: a Host without a port takes the Origin scheme's default, so that case matches as
    long as the proxy passes the Host header on (nginx: ``proxy_set_header Host $host``).
    """
    if not origin or not host_header or origin == "null":
        return False
    try:
        parts = urlsplit(origin)
        scheme, origin_host, origin_port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return False
    if scheme not in DEFAULT_PORTS or not origin_host or parts.path not in ("", "/") or parts.query:
        return False
    default = DEFAULT_PORTS[scheme]
    requested = _host_port(host_header, default)
    return requested is not None and requested == (origin_host.lower(), origin_port or default)


def content_security_policy(nonce: str | None = None) -> str:
    """Only this server: its scripts (plus the page's one inline script, by nonce), styles, fonts,
    images and websocket. xterm.js injects <style> elements, hence 'unsafe-inline' for styles only."""
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        f"default-src 'none'; script-src {script}; style-src 'self' 'unsafe-inline'; font-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def attachment_header(file_name: str, *, inline: bool = False) -> str:
    """Content-Disposition (RFC 6266): a plain ASCII fallback plus the exact name, UTF-8 percent-encoded
    (textual-serve writes ``filename=NAME`` unquoted, which a space or a semicolon in a saved answers
    file name would cut)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in file_name) or "download"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
