"""The MABS setup ini as one Jinja template that Ansible renders, per host, byte for byte into the
file ``mabs-wizard export --format mabs-ini --with-secrets`` writes for that host.

The template is not a copy of the ini's text: it is made by the wizard's own renderer
(``mabs_wizard.export``), run on the host's plan with every free-text value (computer name, SQL
instance, paths, dates, ...) and every secret replaced by a token. The tokens become Jinja
variables; everything else is the renderer's text, escaped for Jinja. So a change to the renderer
changes the template with it.

A value the renderer does more with than print (it compares ``mabs_version`` with "v4", checks a
path for spaces, notes non-ASCII values) cannot become a variable: each host's tokenized text is
checked against its real text with the values put back, and a field whose token changes the text's
shape stays literal. Hosts whose texts differ beyond their variables (a V3 host beside V4 ones, a
proxy) get variants, chosen by the host variable ``mabs_ini_variant``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mabs_wizard.errors import WizardError

_TOKEN = re.compile(r"@@MW(?P<kind>[VS]):(?P<name>[a-z_.]+)@@")
VALUES_VAR = "mabs_ini"  # host variable: {plan field: value}
VARIANT_VAR = "mabs_ini_variant"


def secret_var(field_name: str) -> str:
    """The host variable holding a secret (ansible-vault ciphertext): security.password -> mabs_secret_security_password."""
    return "mabs_secret_" + field_name.replace(".", "_")


def _value_token(name: str) -> str:
    return f"@@MWV:{name}@@"


def _secret_token(field_name: str) -> str:
    return f"@@MWS:{field_name}@@"


def _put_back(text: str, values: Mapping[str, str], secrets: Mapping[str, str]) -> str:
    return _TOKEN.sub(lambda m: (values if m["kind"] == "V" else secrets)[m["name"]], text)


@dataclass
class HostIni:
    """One host's part: which variant, and the values its variables take."""

    variant: int
    values: dict[str, str]
    secrets: list[str]  # answers fields whose ciphertext the host needs


@dataclass
class IniTemplate:
    variants: list[str] = field(default_factory=list)  # tokenized texts
    hosts: dict[str, HostIni] = field(default_factory=dict)

    def add_host(self, host: str, plan: Any, secrets: Mapping[str, str], real: str) -> None:
        """Add a host: its plan, the secrets its ini holds, and ``real``, the text the wizard's export
        gives for it (``export.render(manifest, "mabs-ini", secrets=...)``)."""
        from mabs_wizard.export.mabs_ini import render_ini

        secret_tokens = {f: _secret_token(f) for f in secrets}
        candidates = [f.name for f in dataclasses.fields(plan) if isinstance(getattr(plan, f.name), str)]

        def attempt(names: list[str]) -> str | None:
            tokenized = render_ini(dataclasses.replace(plan, **{n: _value_token(n) for n in names}), secret_tokens)
            values = {n: getattr(plan, n) for n in names}
            return tokenized if _put_back(tokenized, values, secrets) == real else None

        names = candidates
        text = attempt(names)
        if text is None:  # some field shapes the text: keep those literal
            names = [n for n in candidates if attempt([n]) is not None]
            text = attempt(names)
        if text is None:
            names = []
            text = attempt(names)
        if text is None:
            raise WizardError(f"{host}: the ini renderer's text cannot be made a template for this host; this is a bug in mabs-wizard")
        if text not in self.variants:
            self.variants.append(text)
        self.hosts[host] = HostIni(self.variants.index(text), {n: getattr(plan, n) for n in names}, sorted(secrets))

    def jinja(self) -> str:
        """The template file's text (ends exactly where the ini ends: no newline is added or dropped)."""
        header = ("{# mabs-wizard fleet export: the MABS unattended setup ini (S2) for each host, made from the wizard's own "
                  "ini renderer. Export again instead of editing it. #}")
        if len(self.variants) == 1:
            return header + _jinja_body(self.variants[0])
        parts = [header]
        for i, text in enumerate(self.variants):
            parts.append(("{% if " if i == 0 else "{% elif ") + f"{VARIANT_VAR} == {i} %}}" + _jinja_body(text))
        return "".join(parts) + "{% endif %}"


def _jinja_body(tokenized: str) -> str:
    out = []
    pos = 0
    for m in _TOKEN.finditer(tokenized):
        out.append(_escape(tokenized[pos:m.start()]))
        name = f"{VALUES_VAR}.{m['name']}" if m["kind"] == "V" else secret_var(m["name"])
        out.append("{{ " + name + " }}")
        pos = m.end()
    out.append(_escape(tokenized[pos:]))
    return "".join(out)


def _escape(text: str) -> str:
    """Literal text for Jinja: the first brace of every {{, {% and {# is printed by an expression,
    so no delimiter can start (Ansible enables no line statements)."""
    return re.sub(r"\{(?=[{%#])", "{{ '{' }}", text)
