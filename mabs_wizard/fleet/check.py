"""Every host of the fleet judged by the rules ``mabs-wizard validate`` uses, every problem placed.

Per host: the override's shape, the merged answers through the same models (pydantic, with the
loader's did-you-mean messages), the host's facts, and every step's rules (``flow.check_step``, as
``flow.validate`` runs them). A problem is placed where its value came from: ``FILE:LINE:COL`` in the
template, or in the YAML inventory/host_vars file that holds the host's override, else
``HOST: section.field``. A bad host never stops the others from being judged.

Shared work is done once for the fleet: the template is read once, the media checked once (the
extraction is the fleet's), the vault credentials file parsed once (the rules' own memo, shared).
Only each host's small report is kept (memory stays flat in the number of hosts), unless ``keep``
asks for the answers and contexts a replay needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mabs_wizard.answers.document import Document
from mabs_wizard.errors import InputError
from mabs_wizard.fleet.inventory import FleetHost, Inventory
from mabs_wizard.fleet.merge import from_override, merge, shape_problem, shared_problems, vaulted, without
from mabs_wizard.fleet.positions import PositionFinder
from mabs_wizard.fleet.report import Problem

# Safe as a folder name (DIR/<host>/) and a host_vars file name on every OS.
HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$")


@dataclass
class HostCheck:
    host: FleetHost
    computer_name: str | None = None
    problems: list[Problem] = field(default_factory=list)
    answers: Any = None  # Answers, kept for a replay
    ctx: Any = None  # CheckContext, kept for a replay

    @property
    def errors(self) -> int:
        return sum(p.level == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.level == "warning" for p in self.problems)


def env_names(data: Any) -> set[str]:
    """Environment variables the answers name as secrets ({env: NAME}): kept out of Ansible's environment."""
    if isinstance(data, dict):
        if set(data) == {"env"} and isinstance(data["env"], str):
            return {data["env"]}
        return set().union(*(env_names(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(env_names(v) for v in data)) if data else set()
    return set()


class FleetChecker:
    def __init__(self, template: Document, inventory: Inventory, *, now: datetime | None = None, keep: bool = False) -> None:
        self.template = template
        self.inventory = inventory
        self.now = now or datetime.now(timezone.utc)
        self.keep = keep
        self.positions = PositionFinder(inventory.source)
        self.memo: dict[Any, Any] = {}  # the rules' own memo (the parsed vault file), shared by every host
        self._extraction: list[Any] | None = None  # the shared extraction's findings

    def check(self) -> list[HostCheck]:
        """Each host's check, in inventory order; then the computer names that appear twice."""
        checks = [self.check_host(host) for host in self.inventory.hosts]
        self._duplicate_names(checks)
        return checks

    # ------------------------------------------------------------------ one host

    def check_host(self, host: FleetHost) -> HostCheck:
        result = HostCheck(host)
        if not HOST_NAME.match(host.name):
            result.problems.append(Problem(host=host.name, level="error", field="", message=(
                "this inventory name cannot name the host's folder and host_vars file (letters, digits, '.', '_', '-'); "
                "give the host an alias in the inventory and its address in ansible_host")))
        override = host.override
        shape = shape_problem(override)
        if shape is not None:
            result.problems.append(self._place(host, (), f"mabs_wizard {shape}", "error", override={}))
            return result
        override = override or {}
        for loc, message in shared_problems(override):
            result.problems.append(self._place(host, loc, message, "error", override=override, at_key=True))
        locked = vaulted(override)
        for loc in locked:
            result.problems.append(self._place(host, loc, (
                "is ansible-vault ciphertext, which the wizard cannot read: name the secret instead "
                "({env: NAME}, {file: PATH} or {keyring: {service: S, username: U}})"), "error", override=override))
        self._check_answers(host, without(override, locked), result)
        return result

    def _check_answers(self, host: FleetHost, override: dict[str, Any], result: HostCheck) -> None:
        from pydantic import ValidationError

        from mabs_wizard.answers.loader import error_entries
        from mabs_wizard.answers.models import SECTIONS, Answers
        from mabs_wizard.context import CheckContext, load_context_facts
        from mabs_wizard.resolver import Secrets

        data = merge(self.template.data, override)
        context = {"base_dir": self.template.base_dir}
        answers = None
        try:
            answers = Answers.model_validate(data, context=context)
            sections = {name: getattr(answers, name) for name in SECTIONS}
        except ValidationError as exc:
            entries = error_entries(exc, Answers)
            for loc, message, at_key in entries:
                result.problems.append(self._place(host, loc, message, "error", override=override, at_key=at_key))
            # The sections without an error are still judged by their rules, as the TUI judges a form
            # before the later ones exist: every problem of the host is reported at once.
            broken = {loc[0] for loc, _m, _k in entries if loc}
            sections = {}
            for name, model in SECTIONS.items():
                if name not in broken:
                    try:
                        sections[name] = model.model_validate(data.get(name) or {}, context=context)
                    except ValidationError:
                        pass
        prereq = sections.get("prerequisites")
        if prereq is None:
            return  # no facts to judge the rules against; the section's own errors are reported
        try:
            facts, source, facts_path = load_context_facts(prereq.facts_file, now=self.now)  # type: ignore[attr-defined]
        except InputError as exc:
            for line in exc.lines():
                result.problems.append(self._place(host, ("prerequisites", "facts_file"), line, "error", override=override))
            return
        result.computer_name = facts.computer_name
        # Secrets() per host: a value resolved for one host is never seen by another.
        ctx = CheckContext(facts=facts, facts_source=source, facts_path=facts_path, secrets=Secrets(), now=self.now, memo=self.memo)
        self._judge(host, override, sections, ctx, result)
        if self.keep and answers is not None:
            result.answers, result.ctx = answers, ctx

    def _judge(self, host: FleetHost, override: dict[str, Any], sections: dict[str, Any], ctx: Any, result: HostCheck) -> None:
        """Every step's rules (what ``flow.validate`` runs), the shared extraction's judged once."""
        from mabs_wizard.flow import STEPS, check_step
        from mabs_wizard.replay import finding_location

        for key in STEPS:
            if key not in sections:
                continue
            if key == "extraction":
                if self._extraction is None:
                    self._extraction = check_step(key, sections, ctx)
                ctx.findings[key] = list(self._extraction)
            else:
                ctx.findings[key] = check_step(key, sections, ctx)
            for f in ctx.findings[key]:
                if f.level in ("error", "warning"):
                    remedy = f" (remedy: {f.remedy})" if f.remedy else ""
                    loc = finding_location(sections.get("prerequisites"), f)
                    result.problems.append(self._place(host, loc, f"{f.message}{remedy}", f.level,
                                                       override=override))

    # ------------------------------------------------------------------ the fleet as a whole

    def _duplicate_names(self, checks: list[HostCheck]) -> None:
        """Two hosts with one computer name would share their secrets (stored under the computer name)
        and their passphrase file: each server needs its own facts, collected on it."""
        by_name: dict[str, list[HostCheck]] = {}
        for c in checks:
            if c.computer_name:
                by_name.setdefault(c.computer_name.upper(), []).append(c)  # Windows names ignore case
        for same in by_name.values():
            if len(same) < 2:
                continue
            for c in same:
                others = ", ".join(o.host.name for o in same if o is not c)
                override = c.host.override if isinstance(c.host.override, dict) else {}
                c.problems.append(self._place(c.host, ("prerequisites", "facts_file"), (
                    f"computer name {c.computer_name} is also that of host(s) {others}: each server needs its own facts file "
                    "(collect-facts.ps1 on it); secrets and passphrase files are kept per computer name"), "error", override=override))
                c.answers = c.ctx = None

    # ------------------------------------------------------------------ placing a problem

    def _place(self, host: FleetHost, loc: tuple[Any, ...], message: str, level: str, *, override: dict[str, Any],
               at_key: bool = False) -> Problem:
        # loc (): the override as a whole (it is not a mapping).
        if loc == () or from_override(loc, self.template.data, override):
            source = self.positions.source_for(host.name, host.override)
            if source is not None:
                line, col, dotted = source.where(loc, at_key)
                return Problem(host=host.name, level=level, field=dotted, file=str(source.path), line=line, column=col,  # type: ignore[arg-type]
                               message=message)
            return Problem(host=host.name, level=level, field=".".join(map(str, loc)), message=message)  # type: ignore[arg-type]
        line, col, dotted = self.template.where(loc, at_key)
        return Problem(host=host.name, level=level, field=dotted, file=str(self.template.path), line=line, column=col,  # type: ignore[arg-type]
                       message=message)


def check_fleet(template_path: Path, inventory_source: str, group: str | None, *, now: datetime | None = None,
                keep: bool = False) -> tuple[Document, Inventory, list[HostCheck]]:
    """Read the template, run ``ansible-inventory`` (in parallel with the wizard's own loading) and judge every host."""
    from mabs_wizard.answers.document import read_document
    from mabs_wizard.fleet.inventory import finish_inventory, select_hosts, start_inventory

    template = read_document(template_path)
    proc = start_inventory(inventory_source, hide=env_names(template.data))
    try:
        # Loaded while ansible-inventory runs (it takes a second or more).
        import mabs_wizard.answers.models  # noqa: F401
        import mabs_wizard.flow  # noqa: F401
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    data = finish_inventory(proc, inventory_source)
    inventory = select_hosts(data, inventory_source, group)
    checker = FleetChecker(template, inventory, now=now, keep=keep)
    return template, inventory, checker.check()
