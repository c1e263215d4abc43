"""MARS agent: Internet connectivity, and proxy details when there is none directly.

Rules: the proxy settings are complete and the password can be read. Work: the MARS installer's
connectivity check, run from this host, directly or through the proxy, and the seed's state table
(what backup and restore can do with this connectivity and subscription state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.secretref import SecretRef
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.connectivity.targets import DEFAULT_ENDPOINTS
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.events import Message
from mabs_wizard.findings import Finding, error, has_errors, passed
from mabs_wizard.steps.base import Sections, Step, checked, findings_of, known

if TYPE_CHECKING:
    from concurrent.futures import Future

Port = Annotated[int, Field(ge=1, le=65535)]


class ProxyAnswers(Section):
    """MARS agent: Internet connectivity, and proxy details when there is none directly."""

    use_proxy: Annotated[bool, Form(check_label="Use a proxy server")] = Field(
        False, title="Connection", description="reach Azure through an HTTP proxy")
    host: Annotated[str | None, Form(placeholder="e.g. proxy.contoso.com")] = Field(
        None, title="Proxy host", description="proxy host (MARS /ph)")
    port: Annotated[Port | None, Form(placeholder="e.g. 8080")] = Field(None, title="Proxy port", description="proxy port (MARS /po)")
    username: Annotated[str | None, Form(placeholder="optional")] = Field(
        None, title="Proxy user", description="proxy user for Basic authentication (MARS /pu)")
    password: Annotated[SecretRef | None, Form(placeholder="optional; masked")] = Field(
        None, title="Proxy password", description="password of the proxy user (MARS /pw, -ProxyPassword); only with a proxy user")
    check: Annotated[bool, Form(hidden=True, summary=False)] = Field(
        True, title="Connectivity check", description="probe the endpoints during replay (the MARS installer's connectivity check)")
    endpoints: list[Annotated[str, Field(pattern=r"^https://[^\s/]+")]] = Field(
        default_factory=lambda: list(DEFAULT_ENDPOINTS), min_length=1, title="Endpoints", description="HTTPS endpoints to probe")
    ca_file: Annotated[LocalPath | None, Form(hidden=True)] = Field(
        None, title="CA file", description="PEM bundle to trust instead of the system CAs (TLS-inspecting proxies)")
    timeout_s: Annotated[float, Field(gt=0, le=10), Form(hidden=True, summary=False)] = Field(
        5.0, title="Timeout (s)", description="per-endpoint timeout; the whole check ends within 10 s")
    subscription_state: Annotated[Literal["active", "expired", "deprovisioned"],
                                  Form(choices={"active": "Active", "expired": "Expired", "deprovisioned": "Deprovisioned"})] = Field(
        "active", title="Subscription",
        description="the Azure subscription's state as the operator declares it (with the connectivity, it picks the row "
                    "of Microsoft's table of what backup and restore can do)")


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    proxy = sections["proxy"]
    out: list[Finding] = []
    use = known(proxy, "use_proxy") and proxy.use_proxy
    if use and known(proxy, "host") and not proxy.host:
        out.append(error("proxy.host-missing", "proxy.host", "a proxy needs a host", "fill in {proxy.host}, or turn the proxy off"))
    if use and known(proxy, "port") and proxy.port is None:
        out.append(error("proxy.port-missing", "proxy.port", "a proxy needs a port (1 to 65535)", "fill in {proxy.port}"))
    if known(proxy, "password", "username") and proxy.password is not None and not proxy.username:
        out.append(error("proxy.user-missing", "proxy.username", "a proxy password needs a proxy user", "fill in {proxy.username}"))
    if use and known(proxy, "password"):
        ctx.resolve("proxy.password", proxy.password, out)
    if known(proxy, "ca_file") and proxy.ca_file is not None and not proxy.ca_file.is_file():
        out.append(error("proxy.ca-file", "proxy.ca_file", f"CA file {proxy.ca_file} does not exist"))
    if not out and known(proxy, "use_proxy", "host", "port"):
        how = f"through proxy {proxy.host}:{proxy.port}" if proxy.use_proxy else "directly (no proxy)"
        out.append(passed("proxy.settings", "proxy.use_proxy", f"the MARS agent will reach Azure {how}"))
    return out


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    proxy = sections["proxy"]
    if not proxy.check:
        outcome = checked(STEP, sections, ctx)
        outcome.result["connectivity"] = None
        return outcome
    from mabs_wizard.connectivity import judge_report, with_capabilities

    report = connectivity(sections, ctx).result()
    verdict = judge_report(report)  # an error if the proxy refused the credentials
    # A password the proxy refused is not put in the secret store: nothing may use it later.
    outcome = StepOutcome("checked", findings_of(STEP, sections, ctx)) if has_errors(verdict) else checked(STEP, sections, ctx)
    outcome.result["connectivity"] = with_capabilities(report, proxy.subscription_state)
    for ep in report.endpoints:
        ctx.emit(Message("proxy", "info" if ep.outcome == "reachable" else "warning", f"{ep.url}: {ep.outcome} {ep.detail}".rstrip()))
    outcome.findings += verdict
    outcome.status = "done"
    return outcome


def connectivity(sections: Sections, ctx: RunContext) -> Future[Any]:
    """The endpoint probe, started once per run on its own thread (network waits overlap other work)."""
    proxy = sections["proxy"]
    return ctx.in_background("connectivity", lambda: probe(proxy, ctx.secrets.resolve("proxy.password", proxy.password), cancel=ctx.cancel))


def probe(proxy: ProxyAnswers, password: str | None, **kwargs: Any) -> Any:
    """The check the proxy section describes (``password``: the resolved proxy password, if any)."""
    from mabs_wizard.connectivity import ProxyConfig, check_connectivity
    from mabs_wizard.errors import InputError

    config = None
    if proxy.use_proxy:
        try:
            config = ProxyConfig(host=proxy.host or "", port=proxy.port or 0, username=proxy.username, password=password)
        except ValueError as exc:
            raise InputError(f"proxy: {exc}") from None
    return check_connectivity(proxy.endpoints, proxy=config, ca_file=proxy.ca_file, timeout_s=proxy.timeout_s, **kwargs)


STEP = Step("proxy", "MARS agent: Internet connectivity and proxy", ProxyAnswers, check, apply)
