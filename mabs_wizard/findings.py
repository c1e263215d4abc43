"""A rule's verdict on one thing: pass, warning (install may go on) or error (blocks it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

FindingLevel = Literal["pass", "warning", "error"]

# A rule names another field as {section.field}: an answers-file message shows the key
# (proxy.host), a screen the field's label ("Proxy host"), so each door speaks its reader's words.
FIELD_REF = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: FindingLevel
    code: str  # stable identifier, e.g. "prereq.domain-joined"
    field: str  # answers path the finding is about ("sql.instance") or "" for host facts
    message: str
    remedy: str = ""

    def line(self) -> str:
        where = f"{self.field}: " if self.field else ""
        text = self.for_file()
        tail = f" (remedy: {text.remedy})" if text.remedy and self.level != "pass" else ""
        return f"{self.level.upper():7} {where}{text.message}{tail}"

    def for_file(self) -> Finding:
        """As an answers-file message, log or manifest says it: other fields by their keys."""
        return self.worded(lambda path: path)

    def worded(self, name: Callable[[str], str]) -> Finding:
        """With each {section.field} named by ``name`` (a page names fields by their labels)."""
        def sub(text: str) -> str:
            return FIELD_REF.sub(lambda m: name(m[1]), text)

        return self.model_copy(update={"message": sub(self.message), "remedy": sub(self.remedy)})


def passed(code: str, field: str, message: str) -> Finding:
    return Finding(level="pass", code=code, field=field, message=message)


def warning(code: str, field: str, message: str, remedy: str = "") -> Finding:
    return Finding(level="warning", code=code, field=field, message=message, remedy=remedy)


def error(code: str, field: str, message: str, remedy: str = "") -> Finding:
    return Finding(level="error", code=code, field=field, message=message, remedy=remedy)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
