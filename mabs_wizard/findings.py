"""A rule's verdict on one thing: pass, warning (install may go on) or error (blocks it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FindingLevel = Literal["pass", "warning", "error"]


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: FindingLevel
    code: str  # stable identifier, e.g. "prereq.domain-joined"
    field: str  # answers path the finding is about ("sql.instance") or "" for host facts
    message: str
    remedy: str = ""

    def line(self) -> str:
        where = f"{self.field}: " if self.field else ""
        tail = f" (remedy: {self.remedy})" if self.remedy and self.level != "pass" else ""
        return f"{self.level.upper():7} {where}{self.message}{tail}"


def passed(code: str, field: str, message: str) -> Finding:
    return Finding(level="pass", code=code, field=field, message=message)


def warning(code: str, field: str, message: str, remedy: str = "") -> Finding:
    return Finding(level="warning", code=code, field=field, message=message, remedy=remedy)


def error(code: str, field: str, message: str, remedy: str = "") -> Finding:
    return Finding(level="error", code=code, field=field, message=message, remedy=remedy)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
