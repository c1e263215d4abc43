"""How long the connectivity check takes (medians of several runs).

* the default Azure Backup endpoints from this machine: on a closed network each probe ends at the
  DNS failure, so the whole check is milliseconds (this one asks the configured DNS server; the tests
  never do);
* five loopback HTTPS endpoints, directly and through a real tinyproxy and a real squid, both with
  Basic authentication;
* five refused loopback ports, directly and through squid (whose X-Squid-Error answer is read);
* five hung endpoints: the check ends at its bound (1 s here), not five times it;
* `mabs-wizard check-connectivity` as a process (interpreter start-up included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import median_ms  # noqa: E402


def main() -> None:
    from mabs_wizard.connectivity import DEFAULT_ENDPOINTS, ProxyConfig, check_connectivity
    from tests.net_fixtures import closed_port, https_server, make_pki, silent_server, squid, tinyproxy

    first = check_connectivity(DEFAULT_ENDPOINTS)
    rows: list[tuple[str, float, str]] = [
        ("default endpoints (this host)", median_ms(lambda: check_connectivity(DEFAULT_ENDPOINTS)), first.summary()),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp) / "pki")
        with https_server(pki.good) as ok, tinyproxy(Path(tmp) / "proxy") as proxy, squid() as sq, silent_server() as hung:
            urls = [f"{ok.url}?n={i}" for i in range(5)]
            direct = check_connectivity(urls, ca_file=pki.ca_file)
            rows.append(("5 loopback HTTPS, direct", median_ms(lambda: check_connectivity(urls, ca_file=pki.ca_file)), direct.summary()))
            via = ProxyConfig(proxy.host, proxy.port, proxy.user, proxy.password)
            through = check_connectivity(urls, proxy=via, ca_file=pki.ca_file)
            rows.append(("5 loopback HTTPS, via tinyproxy", median_ms(lambda: check_connectivity(urls, proxy=via, ca_file=pki.ca_file)),
                         through.summary()))
            via_squid = ProxyConfig(sq.host, sq.port, sq.user, sq.password)
            squid_ok = check_connectivity(urls, proxy=via_squid, ca_file=pki.ca_file)
            rows.append(("5 loopback HTTPS, via squid", median_ms(lambda: check_connectivity(urls, proxy=via_squid, ca_file=pki.ca_file)),
                         squid_ok.summary()))
            refused = [f"https://127.0.0.1:{closed_port()}/" for _ in range(5)]
            rows.append(("5 refused ports, direct", median_ms(lambda: check_connectivity(refused)),
                         check_connectivity(refused).summary()))
            rows.append(("5 refused ports, via squid", median_ms(lambda: check_connectivity(refused, proxy=via_squid)),
                         check_connectivity(refused, proxy=via_squid).summary()))
            stuck = [f"https://127.0.0.1:{hung.port}/{i}" for i in range(5)]
            rows.append(("5 hung endpoints, timeout 1 s", median_ms(lambda: check_connectivity(stuck, timeout_s=1), runs=3), "bounded"))
    env = {k: v for k, v in os.environ.items() if k != "MABS_WIZARD_PROXY_PASSWORD"}
    cli = [sys.executable, "-m", "mabs_wizard", "check-connectivity"]
    rows.append(("check-connectivity CLI (process)", median_ms(lambda: subprocess.run(cli, capture_output=True, env=env, cwd=ROOT)), "exit 3 here"))
    width = max(len(r[0]) for r in rows)
    for name, ms, note in rows:
        print(f"{name:<{width}}  {ms:8.1f} ms  {note}")


if __name__ == "__main__":
    main()
