"""`mabs-wizard check-connectivity`: probe the Azure Backup endpoints, directly or through a proxy.

Exit 0 connected, 3 not connected, 2 invalid input (credentials the proxy refused are invalid
input: they are wrong wherever the check runs). The report is printed first in every case, and a
reader that stops early (``| head -1``) ends the command quietly with that same exit code. The
proxy password comes from MABS_WIZARD_PROXY_PASSWORD or a no-echo prompt on a terminal, never from
an argument.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from mabs_wizard.commands.options import option_from
from mabs_wizard.export.mars_cmd import PASSWORD_ENV  # the one name for the proxy password everywhere
from mabs_wizard.steps.proxy import ProxyAnswers


def _proxy_password(user: str) -> str:
    from mabs_wizard.errors import InputError

    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if sys.stdin.isatty():
        return click.prompt(f"Password of proxy user {user}", hide_input=True, err=True, default="", show_default=False)
    raise InputError(f"--proxy-user {user}: no password; set {PASSWORD_ENV} (or run in a terminal to be asked)")


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


@click.command("check-connectivity")
@click.option("--proxy", "proxy_url", metavar="URL", help="HTTP proxy as http://HOST:PORT (no credentials in it).")
@click.option("--proxy-user", metavar="NAME", help=f"Proxy user for Basic authentication; password from ${PASSWORD_ENV} or a prompt.")
@option_from(ProxyAnswers, "endpoints", "--endpoint", "endpoints", metavar="URL", multiple=True, show_default=False,
             help="HTTPS endpoint to probe (repeatable); default: the Azure Backup list (the answers file's proxy.endpoints).")
@option_from(ProxyAnswers, "ca_file", "--ca-file", type=click.Path(path_type=Path, dir_okay=True), metavar="PEM")
@option_from(ProxyAnswers, "timeout_s", "--timeout", "timeout_s", metavar="S")
@option_from(ProxyAnswers, "subscription_state", "--subscription-state")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_connectivity(
    proxy_url: str | None,
    proxy_user: str | None,
    endpoints: tuple[str, ...],
    ca_file: Path | None,
    timeout_s: float,
    subscription_state: str,
    as_json: bool,
) -> None:
    """Probe the Azure Backup endpoints over HTTPS, as the MARS agent installer's connectivity check.

    Exit status: 0 connected (every endpoint reachable), 3 not connected, 2 invalid input or
    credentials the proxy refused.
    """
    import json

    from mabs_wizard import connectivity as conn
    from mabs_wizard.commands.output import print_lines
    from mabs_wizard.errors import EXIT_NOT_CONNECTED, InputError

    if not 0 < timeout_s <= conn.DEADLINE_S:
        raise InputError(f"--timeout {timeout_s:g}: must be more than 0 and at most {conn.DEADLINE_S:g} seconds")
    proxy = None
    if proxy_url is not None:
        try:
            host, port = conn.parse_proxy_url(proxy_url)
        except ValueError as exc:
            raise InputError(f"--proxy: {exc}") from None
        password = _proxy_password(proxy_user) if proxy_user else None
        try:
            proxy = conn.ProxyConfig(host=host, port=port, username=proxy_user, password=password)
        except ValueError as exc:
            raise InputError(f"--proxy-user: {exc}") from None
    elif proxy_user:
        raise InputError("--proxy-user needs --proxy")

    report = conn.check_connectivity(list(endpoints) or list(conn.DEFAULT_ENDPOINTS), proxy=proxy, ca_file=ca_file, timeout_s=timeout_s)
    refused = [f for f in conn.judge_report(report) if f.level == "error"]
    full = conn.with_capabilities(report, subscription_state)  # type: ignore[arg-type]
    if as_json:
        lines = json.dumps(full, indent=2).splitlines()
    else:
        rows = [
            (e.url, e.outcome, str(e.http_status) if e.http_status is not None else "-", f"{e.elapsed_ms} ms", e.detail)
            for e in report.endpoints
        ]
        lines = _table(rows, ("Endpoint", "Outcome", "HTTP", "Time", "Detail"))
        lines += ["", f"{report.summary()} ({report.duration_ms} ms)", ""]
        lines.append(f"What backup and restore can do (connectivity table, subscription {subscription_state}):")
        row = conn.state_table(report.state, subscription_state)  # type: ignore[arg-type]
        lines += [f"  {line}" for line in _table([row.cells()], conn.COLUMNS)]
        note = conn.note_for(report.state)
        if note:
            lines.append(f"  {note}")
    print_lines(lines)  # a reader that stopped early changes nothing below: same exit code
    if refused:
        option = "--proxy-user" if proxy is not None and proxy.username else "--proxy"
        raise InputError(f"{option}: {refused[0].message}")
    if report.state != "connected":
        # SystemExit, not ctx.exit(): with standalone_mode=False click *returns* an Exit's code
        # from cli.main() instead of raising it, and the entry point would turn 3 into 0.
        sys.exit(EXIT_NOT_CONNECTED)
