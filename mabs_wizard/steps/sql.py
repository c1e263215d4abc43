"""SQL Settings rules (reference §5.4).

MABS works only with a LOCAL, NAMED instance (S1); instance and server names carry no underscore
(S5, S16); an existing instance must be a supported version and Standard or Enterprise, 64-bit (S1).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mabs_wizard.answers.secretref import SecretRef
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.facts import TargetFacts
from mabs_wizard.findings import Finding, error, passed, warning
from mabs_wizard.steps.base import Sections, Step, checked, known

BUNDLED_INSTANCE = "MSDPM2012"  # the instance MABS setup installs with its bundled SQL Server (S2)


class SqlAnswers(Section):
    """SQL Settings: bundled new instance (recommended) or an existing LOCAL named instance."""

    mode: Annotated[Literal["new", "existing"], Form(widget="radio", choices={"new": "New instance (recommended)",
                                                                               "existing": "Existing local"})] = Field(
        "new", title="SQL Server", description="new: install the bundled SQL Server; existing: use a local named instance")
    server: str = Field("localhost", min_length=1, title="SQL machine",
                        description="SQL machine (must be this server: remote SQL is not supported)")
    instance: str = Field(BUNDLED_INSTANCE, min_length=1, max_length=16, title="Instance",
                          description="named instance (no underscore); the bundled one is MSDPM2012")
    reporting_instance: str = Field("SSRS", min_length=1, title="Reporting instance",
                                    description="SSRS instance name (ini ReportingInstanceName)")
    admin_user: str = Field("administrator", min_length=1, title="Admin user",
                            description="account setup uses for SQL (ini SQLMachineUserName)")
    admin_domain: Annotated[str | None, Form(placeholder="the server's domain")] = Field(
        None, title="Admin domain", description="NetBIOS domain of that account; omitted: the target's domain")
    admin_password: Annotated[SecretRef | None, Form(placeholder="optional; masked")] = Field(
        None, title="Admin password",
        description="password of the SQL admin account (ini SQLMachinePassword and ReportingMachinePassword)")

# Major product version -> release, and what each MABS version accepts for its own database.
SQL_RELEASES = {11: "2012", 12: "2014", 13: "2016", 14: "2017", 15: "2019", 16: "2022"}
SUPPORTED_SQL = {"v3": (12, 13, 14), "v4": (15, 16)}  # v3 "2014 SP1 or higher, 2016 and 2017"; v4 "2022 and 2019"
SQL2014_SP1_BUILD = 4100  # 12.0.4100 is SQL Server 2014 SP1
_LOCAL_NAMES = {"localhost", ".", "(local)", "127.0.0.1", "::1"}


def is_local_server(server: str, computer_name: str) -> bool:
    name = server.strip().lower()
    host = name.split("\\")[0]
    computer = computer_name.lower()
    return host in _LOCAL_NAMES or host == computer or host.startswith(computer + ".")


def check_sql(sql: SqlAnswers, facts: TargetFacts, mabs_version: str = "v4") -> list[Finding]:
    out: list[Finding] = []
    if "\\" in sql.server:
        out.append(error("sql.server-instance", "sql.server", "give the machine only; the instance goes in sql.instance"))
    elif not is_local_server(sql.server, facts.computer_name):
        out.append(error("sql.remote", "sql.server",
                         f"remote SQL Server '{sql.server}' is refused: MABS works only with a local instance on {facts.computer_name}",
                         "use localhost (this server) or let setup install the bundled instance"))
    if "_" in facts.computer_name:
        out.append(error("sql.computer-name", "sql.server", f"computer name '{facts.computer_name}' contains '_', which SQL setup refuses",
                         "rename the server before installing"))
    if "_" in sql.instance:
        out.append(error("sql.instance-underscore", "sql.instance", "instance names may not contain an underscore", "choose a name without '_'"))
    elif not sql.instance.isascii():
        out.append(error("sql.instance-localized", "sql.instance", "instance names may not contain localized characters"))
    if sql.instance.upper() == "MSSQLSERVER":
        out.append(error("sql.default-instance", "sql.instance", "MABS setup supports only named instances, not the default MSSQLSERVER",
                         "create or choose a named instance"))
    found = next((i for i in facts.sql_instances if i.name.lower() == sql.instance.lower()), None)
    if sql.mode == "new":
        if found is not None:
            out.append(warning("sql.instance-exists", "sql.instance", f"an instance named {sql.instance} already exists on {facts.computer_name}",
                               "choose an existing instance ({sql.mode}) to reuse it, or another name"))
        elif not any(f.level == "error" for f in out):
            out.append(passed("sql.new", "sql.mode", f"setup will install the bundled SQL Server as instance {sql.instance}"))
        return out
    if facts.os_family == "windows" and found is None:
        known = ", ".join(i.name for i in facts.sql_instances) or "none"
        out.append(error("sql.instance-missing", "sql.instance", f"no SQL instance '{sql.instance}' on {facts.computer_name} (found: {known})",
                         "install it first, or choose a new instance ({sql.mode})"))
        return out
    if found is not None:
        out += _version_and_edition(found.version, found.edition, mabs_version)
    return out


def _version_and_edition(version: str, edition: str, mabs_version: str) -> list[Finding]:
    out: list[Finding] = []
    parts = version.split(".")
    try:
        major, build = int(parts[0]), int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        return [error("sql.version", "sql.instance", f"cannot read SQL Server version {version!r}")]
    release = SQL_RELEASES.get(major, f"version {major}")
    supported = SUPPORTED_SQL[mabs_version]
    if major not in supported or (major == 12 and build < SQL2014_SP1_BUILD):
        names = ", ".join(SQL_RELEASES[m] for m in supported)
        out.append(error("sql.version", "sql.instance", f"SQL Server {release} ({version}) is not supported by MABS {mabs_version.upper()}",
                         f"use SQL Server {names}" + (" (2014 needs SP1)" if 12 in supported else "")))
    else:
        out.append(passed("sql.version", "sql.instance", f"SQL Server {release} ({version})"))
    if not any(e in edition for e in ("Standard", "Enterprise")):
        out.append(error("sql.edition", "sql.instance", f"{edition} is not supported; MABS needs Standard or Enterprise", "use a Standard or Enterprise instance"))
    elif "64-bit" not in edition and "(64" not in edition:
        out.append(warning("sql.edition-64", "sql.instance", f"cannot confirm {edition!r} is 64-bit", "MABS needs a 64-bit SQL Server"))
    return out


# --------------------------------------------------------------------------- the step


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    sql = sections["sql"]
    prereq = sections.get("prerequisites")
    version = getattr(prereq, "mabs_version", "v4") if prereq is not None else "v4"
    out = check_sql(sql, ctx.facts, version) if known(sql, "mode", "server", "instance") else []
    if known(sql, "admin_password"):
        if sql.admin_password is None:
            out.append(admin_password_missing())
        else:
            ctx.resolve("sql.admin_password", sql.admin_password, out)
    return out


def admin_password_missing() -> Finding:
    """The setup ini carries this account's password in every Microsoft example; asked for here so an
    export with secrets is complete (``export --with-secrets`` refuses an ini without it)."""
    from mabs_wizard.export.ini_keys import INI_SECRETS

    keys = " and ".join(key for key, field in INI_SECRETS.items() if field == "sql.admin_password")
    return warning("sql.admin-password-missing", "sql.admin_password",
                   f"no password given for the SQL admin account: MABS setup's ini needs it ({keys}); without it the "
                   "exported ini holds a placeholder to fill in on the target",
                   "give it here ({sql.admin_password}), so the export with secrets is complete")


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    return checked(STEP, sections, ctx)


STEP = Step("sql", "SQL settings", SqlAnswers, check, apply)
