"""Security Settings rule: the password of the restricted accounts MICROSOFT$DPM$Acct and DPMR$<COMPUTER>.

The screen's rule (S16, S37): at least six characters, not containing all or part of the account
name, and characters from three of: uppercase, lowercase, digits, symbols. "Part of the account
name" follows Windows passfilt (S38): tokens split on , . - _ space # tab, ignored below 3 characters.
Messages never include the password.
"""

from __future__ import annotations

import re

from pydantic import Field

from mabs_wizard.answers.secretref import SecretRef
from mabs_wizard.answers.section import Section
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.findings import Finding, error, passed
from mabs_wizard.steps.base import Sections, Step, checked, known


class SecurityAnswers(Section):
    """Security Settings: password of the restricted local accounts MICROSOFT$DPM$Acct and DPMR$<COMPUTER>."""

    password: SecretRef = Field(title="Password",
                                description="password of the restricted accounts MICROSOFT$DPM$Acct and DPMR$<computer> "
                                            "(ini SqlAccountPassword); it never expires")
    confirm_password: SecretRef | None = Field(None, title="Confirm password",
                                               description="must resolve to the same value when given (the screen's Confirm field)")

MIN_LENGTH = 6
FIELD = "security.password"


def restricted_accounts(computer_name: str) -> list[str]:
    return ["MICROSOFT$DPM$Acct", f"DPMR${computer_name.upper()}"]


def _tokens(account: str) -> list[str]:
    parts = re.split(r"[,.\-_ #\t$]", account)
    return [account] + [p for p in parts if len(p) >= 3]


def categories(password: str) -> list[str]:
    found = []
    if any(c.isupper() for c in password):
        found.append("uppercase")
    if any(c.islower() for c in password):
        found.append("lowercase")
    if any(c.isdigit() for c in password):
        found.append("digits")
    if any(not c.isalnum() for c in password):
        found.append("symbols")
    return found


def check_password(password: str | None, confirm: str | None, computer_name: str, *, confirm_given: bool = True) -> list[Finding]:
    if not password:
        return [error("security.password-missing", FIELD, "a password is required for the restricted accounts")]
    out: list[Finding] = []
    if len(password) < MIN_LENGTH:
        out.append(error("security.password-length", FIELD, f"the password has {len(password)} characters; at least {MIN_LENGTH} required"))
    cats = categories(password)
    if len(cats) < 3:
        missing = [c for c in ("uppercase", "lowercase", "digits", "symbols") if c not in cats]
        out.append(error("security.password-complexity", FIELD, f"use three of four kinds of characters; add {' or '.join(missing)}"))
    lowered = password.lower()
    for account in restricted_accounts(computer_name):
        hit = next((t for t in _tokens(account) if t.lower() in lowered), None)
        if hit:
            out.append(error("security.password-account", FIELD, f"the password contains part of the account name {account} ({hit!r})"))
            break
    if confirm_given and confirm != password:
        out.append(error("security.password-mismatch", "security.confirm_password", "the confirmation does not match the password"))
    if not out:
        out.append(passed("security.password", FIELD, f"strong password for {' and '.join(restricted_accounts(computer_name))}"))
    return out


# --------------------------------------------------------------------------- the step


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    sec = sections["security"]
    if not known(sec, "password", "confirm_password"):
        return []
    out: list[Finding] = []
    password = ctx.resolve("security.password", sec.password, out)
    confirm = ctx.resolve("security.confirm_password", sec.confirm_password, out)
    if out:
        return out
    return check_password(password, confirm, ctx.facts.computer_name, confirm_given=sec.confirm_password is not None)


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    outcome = checked(STEP, sections, ctx)
    outcome.result["accounts"] = restricted_accounts(ctx.facts.computer_name)
    return outcome


STEP = Step("security", "Security settings", SecurityAnswers, check, apply)
