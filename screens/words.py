"""The operator's words on screen: fields named by the labels on their forms, not by answers-file keys.

The engine writes a rule's message once, naming other fields as ``{section.field}``; an answers-file
message shows the key, a page the label (``Finding.worded``).
"""

from __future__ import annotations

from mabs_wizard.answers.formspec import FieldSpec, form_fields
from mabs_wizard.answers.models import SECTIONS
from mabs_wizard.findings import Finding


def spec_for(path: str) -> FieldSpec | None:
    """The spec of ``section.field`` (None for a path that names no field, e.g. a whole section)."""
    section, _, name = path.partition(".")
    model = SECTIONS.get(section)
    if model is None:
        return None
    return next((s for s in form_fields(section, model) if s.name == name.split(".")[0]), None)


def label_of(path: str) -> str:
    """How the operator knows a field on screen: its label ("Proxy port"), else the dotted path."""
    spec = spec_for(path)
    if spec is None:
        return path
    return spec.check_label or spec.label  # a check box is known by the text beside it


def on_screen(finding: Finding) -> Finding:
    """A finding as a page says it: another field named in quotes by its label."""
    return finding.worded(lambda path: f"“{label_of(path)}”")


def finding_line(finding: Finding) -> str:
    """A rule's finding on one line: the field by its label, the fix after an arrow."""
    f = on_screen(finding)
    where = f"{label_of(f.field)}: " if "." in f.field else ""
    return f"{where}{f.message}" + (f" → {f.remedy}" if f.remedy and f.level != "pass" else "")
