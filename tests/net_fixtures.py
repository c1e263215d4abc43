"""Real network peers on loopback for the connectivity tests: nothing here leaves 127.0.0.1.

* :func:`make_pki` - a test CA (cryptography, EC P-256) and server certificates: a good one for
  ``localhost``/``127.0.0.1``, one for the wrong host name, and one from a rogue CA.
* :func:`https_server` - ``http.server`` behind TLS in a thread (handshake in the handler thread, so
  a bad client never blocks the accept loop); counts the requests it answered.
* :func:`silent_server` - accepts TCP connections and never says a byte (a hung peer).
* :func:`dripping_server` - answers one byte every ``interval`` seconds, forever (a slow-loris peer).
* :func:`closed_port` - a port nothing listens on (connection refused).
* :func:`unanswered_port` - a listener whose queue is full: a connection to it times out.
* :func:`tinyproxy` - Debian's real ``tinyproxy`` with ``BasicAuth``, on a free loopback port.
* :func:`squid` - Debian's real ``squid`` with Basic authentication (``basic_ncsa_auth``), on a free
  loopback port, allowed to tunnel only to 127.0.0.0/8 and to names under ``.invalid``, which it
  tries to resolve only through a loopback address where no DNS server listens.

Context managers, plus pytest fixtures that test modules import explicitly. Debian packages:
tinyproxy, squid (its helper basic_ncsa_auth ships in it), openssl (the htpasswd hash).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"
PROXY_USER = "mabs-proxy-user"
PROXY_PASSWORD = "Pr0xy-S3cret-do-not-leak"
START_TIMEOUT = 10.0


# --- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class LoopbackPKI:
    ca_file: Path  # what the client trusts (--ca-file)
    good: CertPair  # localhost + 127.0.0.1, signed by the CA
    wrong_host: CertPair  # signed by the CA, but for wrong-host.example only
    rogue: CertPair  # localhost + 127.0.0.1, signed by a CA the client does not trust


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(folder: Path, stem: str, names: list[str], ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate) -> CertPair:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    sans: list[x509.GeneralName] = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pair = CertPair(folder / f"{stem}.crt", folder / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pair


def make_pki(folder: Path) -> LoopbackPKI:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("mabs-wizard test CA")
    rogue_key, rogue_cert = _ca("rogue CA")
    ca_file = folder / "test-ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return LoopbackPKI(
        ca_file=ca_file,
        good=_leaf(folder, "good", ["localhost", LOOPBACK], ca_key, ca_cert),
        wrong_host=_leaf(folder, "wrong-host", ["wrong-host.example"], ca_key, ca_cert),
        rogue=_leaf(folder, "rogue", ["localhost", LOOPBACK], rogue_key, rogue_cert),
    )


# --- servers --------------------------------------------------------------------------------


@dataclass
class HttpsServer:
    url: str  # https://127.0.0.1:PORT/
    port: int
    hits: list[str] = field(default_factory=list)  # request paths answered


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _TLSServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"Microsoft Connect Test" if self.server.status < 400 else b"unavailable"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.record.hits.append(self.path)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet tests
        pass


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, status: int, record: HttpsServer | None = None) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.context = context
        self.status = status
        self.record = record or HttpsServer(url="", port=0)

    def finish_request(self, request: socket.socket, client_address: tuple) -> None:  # type: ignore[override]
        request.settimeout(5)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client rejected us (the TLS-failure tests): nothing to serve
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()


@contextlib.contextmanager
def https_server(pair: CertPair, *, status: int = 200) -> Iterator[HttpsServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pair.cert, pair.key)
    server = _TLSServer(context, status)
    port = server.server_address[1]
    server.record = HttpsServer(url=f"https://{LOOPBACK}:{port}/connecttest.txt", port=port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _Holder:
    """Accepts connections in a thread and keeps them, for peers that must stay silent or drip."""

    def __init__(self, drip_interval: float | None) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(64)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self._drip = drip_interval
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)
            self.accepted += 1
            if self._drip is not None:
                t = threading.Thread(target=self._dripper, args=(conn,), daemon=True)
                self._threads.append(t)
                t.start()

    def _dripper(self, conn: socket.socket) -> None:
        # "HTTP/1.1 200 " then header bytes one at a time, never the blank line that ends them.
        payload = b"HTTP/1.1 200 Connection established\r\nX-Drip: " + b"a" * 100_000
        for byte in payload:
            if self._stop.wait(self._drip):
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        for c in self._conns:
            c.close()
        self.listener.close()


@contextlib.contextmanager
def silent_server() -> Iterator[_Holder]:
    holder = _Holder(None)
    try:
        yield holder
    finally:
        holder.close()


@contextlib.contextmanager
def dripping_server(interval: float = 0.05) -> Iterator[_Holder]:
    holder = _Holder(interval)
    try:
        yield holder
    finally:
        holder.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (the kernel answers RST: connection refused)."""
    return free_port()


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port whose listener never accepts and whose queue is full: Linux drops further
    SYNs, so a connection attempt times out (what a host behind a dropping firewall looks like)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):  # more than the queue holds
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((LOOPBACK, port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# --- tinyproxy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TinyProxy:
    host: str
    port: int
    user: str
    password: str
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connects(self) -> int:
        """CONNECT requests tinyproxy logged so far (proof that a probe went through it)."""
        return self.log.read_text(errors="replace").count("Request (file descriptor") if self.log.exists() else 0


class ProxyStartError(RuntimeError):
    pass


@contextlib.contextmanager
def tinyproxy(folder: Path, *, user: str = PROXY_USER, password: str = PROXY_PASSWORD) -> Iterator[TinyProxy]:
    exe = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    if not Path(exe).exists():
        raise ProxyStartError("tinyproxy is not installed (Debian package tinyproxy)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "tinyproxy.log"
    conf = folder / "tinyproxy.conf"
    conf.write_text(
        "\n".join(
            [
                f"Port {port}",
                f"Listen {LOOPBACK}",
                f"Allow {LOOPBACK}",
                "Timeout 30",
                f'LogFile "{log}"',
                "LogLevel Connect",
                f'PidFile "{folder / "tinyproxy.pid"}"',
                "MaxClients 64",
                "DisableViaHeader Yes",
                f"BasicAuth {user} {password}",
                "",
            ]
        )
    )
    conf.chmod(0o600)
    proc = subprocess.Popen([exe, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise ProxyStartError(f"tinyproxy exited with {proc.returncode}: {err.strip()}")
            try:
                with socket.create_connection((LOOPBACK, port), timeout=0.5):
                    break  # it accepts connections: ready
            except OSError:
                if time.monotonic() > deadline:
                    raise ProxyStartError(f"tinyproxy did not listen on {LOOPBACK}:{port} within {START_TIMEOUT} s") from None
                time.sleep(0.02)  # waiting for another process to bind; nothing to compute meanwhile
        yield TinyProxy(LOOPBACK, port, user, password, log)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr:
            proc.stderr.close()


# --- squid ----------------------------------------------------------------------------------

# Where squid sends its DNS queries: a loopback address with (checked at start) no DNS server on it,
# so every lookup fails on this machine and nothing is ever asked of the network.
SQUID_DNS = "127.77.0.53"


@dataclass(frozen=True)
class Squid:
    host: str
    port: int
    user: str
    password: str
    folder: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _udp_port_53_taken() -> bool:
    """Is anything bound to UDP port 53 on SQUID_DNS or on every address (/proc/net/udp, hex little-endian IPv4)?"""
    wanted = {f"{int(ipaddress.IPv4Address(SQUID_DNS)).to_bytes(4, 'little').hex().upper()}:0035", "00000000:0035"}
    try:
        rows = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(row.split()[1] in wanted for row in rows if len(row.split()) > 1)


def _htpasswd(user: str, password: str) -> str:
    """One htpasswd line in Apache's MD5 format, which basic_ncsa_auth reads; the password goes on stdin."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ProxyStartError("openssl is not installed (Debian package openssl)")
    hashed = subprocess.run([openssl, "passwd", "-apr1", "-stdin"], input=password + "\n", capture_output=True,
                            text=True, check=True, timeout=30).stdout.strip()
    return f"{user}:{hashed}\n"


def _squid_conf(folder: Path, port: int, helper: str) -> str:
    return "\n".join(
        [
            f"http_port {LOOPBACK}:{port}",
            "pid_filename none",
            f"cache_log {folder / 'cache.log'}",
            f"access_log stdio:{folder / 'access.log'}",
            "cache_store_log none",
            f"coredump_dir {folder}",
            "cache deny all",
            "cache_mem 0 MB",
            "icp_port 0",
            "htcp_port 0",
            "pinger_enable off",
            "netdb_filename none",
            f"hosts_file {folder / 'hosts'}",
            f"dns_nameservers {SQUID_DNS}",
            "dns_timeout 1 seconds",
            "dns_retransmit_interval 1 seconds",
            "connect_timeout 1 seconds",
            "shutdown_lifetime 0 seconds",
            "visible_hostname mabs-wizard-test-squid",
            f"auth_param basic program {helper} {folder / 'htpasswd'}",
            "auth_param basic children 2 startup=1 idle=1",
            "auth_param basic realm mabs-wizard test proxy",
            f"acl from_loopback src {LOOPBACK}/32",
            "acl authenticated proxy_auth REQUIRED",
            # -n: no reverse lookup of an IP destination to match a domain
            "acl to_invalid dstdomain -n .invalid",
            "acl to_loopback dst 127.0.0.0/8",
            "http_access deny !from_loopback",
            "http_access deny !authenticated",
            "http_access allow to_invalid",
            "http_access allow to_loopback",
            "http_access deny all",
            "",
        ]
    )


@contextlib.contextmanager
def squid(*, user: str = PROXY_USER, password: str = PROXY_PASSWORD) -> Iterator[Squid]:
    """Debian's squid on a free loopback port with Basic authentication; stopped (and its folder
    removed) on exit. Run as root, squid drops to its ``proxy`` user, so its private folder is made
    outside pytest's 0700 base directory and handed to that user."""
    exe = shutil.which("squid") or "/usr/sbin/squid"
    helper = "/usr/lib/squid/basic_ncsa_auth"
    for path, package in ((exe, "squid"), (helper, "squid (basic_ncsa_auth)")):
        if not Path(path).exists():
            raise ProxyStartError(f"{path} is missing (Debian package {package})")
    if _udp_port_53_taken():
        raise ProxyStartError(f"a DNS server listens on {SQUID_DNS}:53 or *:53; the squid tests need that address silent")
    folder = Path(tempfile.mkdtemp(prefix="mw-squid-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        (folder / "htpasswd").write_text(_htpasswd(user, password))
        (folder / "hosts").write_text(f"{LOOPBACK} localhost\n")
        (folder / "squid.conf").write_text(_squid_conf(folder, port, helper))
        if os.geteuid() == 0:
            import pwd

            account = pwd.getpwnam("proxy")  # Debian's squid runs as proxy when started by root
            for path in (folder, *folder.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
        for path in folder.iterdir():
            path.chmod(0o600)
        proc = subprocess.Popen([exe, "-N", "-f", str(folder / "squid.conf")], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                log = (folder / "cache.log").read_text(errors="replace")[-2000:] if (folder / "cache.log").exists() else ""
                raise ProxyStartError(f"squid exited with {proc.returncode}: {err.strip()} {log.strip()}")
            try:
                with socket.create_connection((LOOPBACK, port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise ProxyStartError(f"squid did not listen on {LOOPBACK}:{port} within {START_TIMEOUT} s") from None
                time.sleep(0.05)  # waiting for another process to bind; nothing to compute meanwhile
        yield Squid(LOOPBACK, port, user, password, folder)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stderr:
                proc.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- pytest fixtures (import them explicitly into a test module) -----------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LoopbackPKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def https_ok(pki: LoopbackPKI) -> Iterator[HttpsServer]:
    with https_server(pki.good) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyProxy]:
    with tinyproxy(tmp_path_factory.mktemp("tinyproxy")) as p:
        yield p


@pytest.fixture(scope="module")
def squid_proxy() -> Iterator[Squid]:
    with squid() as p:
        yield p
