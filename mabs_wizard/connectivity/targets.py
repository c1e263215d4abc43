"""What a check talks to: HTTPS endpoints, and the optional HTTP proxy with Basic authentication.

Parsing refuses anything that could smuggle bytes into a request line or header (spaces, control
characters, credentials in a URL), and never echoes a URL that carried credentials.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mabs_wizard.connectivity.report import ProxySummary

DEFAULT_ENDPOINTS = (
    # The V4 install doc's allow list (S1, S4, S44) reduced to concrete hosts that answer HTTPS;
    # wildcards (*.microsoft.com) cannot be probed, so one well-known host stands for each.
    "https://www.msftconnecttest.com/connecttest.txt",
    "https://login.microsoftonline.com",
    "https://management.azure.com",
    "https://www.microsoft.com",
    "https://blob.core.windows.net",
)

# Letters, digits, hyphens, and underscores (not in the DNS host-name rule, but found in internal names
# and accepted by resolvers); no empty labels, no leading or trailing hyphen.
_HOST = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


def _valid_host(host: str) -> bool:
    if _HOST.match(host) and len(host) <= 253:
        return True
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Endpoint:
    url: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line

    @property
    def authority(self) -> str:
        """``host:port`` as CONNECT and a Host header want it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


def parse_endpoint(url: str) -> Endpoint:
    """``https://host[:port][/path]`` or ValueError with a one-line reason (never the URL's credentials)."""
    if not url or not _VISIBLE_ASCII.match(url):
        raise ValueError("must be printable ASCII with no spaces (write international names in their xn-- form)")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ValueError("must start with https:// (the Azure Backup endpoints are HTTPS on port 443)")
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise ValueError(f"has no valid host name ({host!r})" if host else "has no host name")
    try:
        port = parts.port or 443
    except ValueError:
        raise ValueError("has an invalid port (expected 1-65535)") from None
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(url=url, host=host.rstrip(".") or host, port=port, target=target)


@dataclass(frozen=True)
class ProxyConfig:
    """An HTTP proxy reached with CONNECT; the password never appears in repr, str or errors."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not _valid_host(self.host):
            raise ValueError(f"proxy host {self.host!r} is not a valid host name or IP address")
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 1 <= self.port <= 65535:
            raise ValueError(f"proxy port {self.port!r} is not in 1-65535")
        if self.username is not None and (not self.username or ":" in self.username or not self.username.isprintable()):
            raise ValueError("the proxy user name must be non-empty, printable and without ':' (Basic authentication)")
        if self.password is not None and self.username is None:
            raise ValueError("a proxy password needs a proxy user name")

    def __str__(self) -> str:
        return str(self.summary())

    def summary(self) -> ProxySummary:
        return ProxySummary(host=self.host, port=self.port, username=self.username)

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def authorization(self) -> str | None:
        """The Proxy-Authorization header value (RFC 7617, UTF-8), or None without a user."""
        if self.username is None:
            return None
        token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode("ascii")
        return f"Basic {token}"


def parse_proxy_url(url: str) -> tuple[str, int]:
    """``http://host:port`` (or ``host:port``) -> (host, port); ValueError with a one-line reason.

    Credentials in the URL are refused without echoing it: a password must come from the
    environment or a prompt, never from an argument that other users can read in the process list.
    """
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise ValueError("the proxy URL must not carry credentials: use --proxy-user and MABS_WIZARD_PROXY_PASSWORD")
    if not _VISIBLE_ASCII.match(text):
        raise ValueError("the proxy URL must be printable ASCII with no spaces")
    if parts.scheme.lower() != "http":
        raise ValueError(f"proxy scheme {parts.scheme!r} is not supported (expected http://host:port, as the MARS agent uses)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("the proxy URL must be just http://host:port")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise ValueError(f"proxy host {host!r} is not a valid host name or IP address" if host else "the proxy URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the proxy port is not in 1-65535") from None
    if port is None:
        raise ValueError("the proxy URL needs a port, e.g. http://proxy.contoso.local:8080")
    return host, port
