"""One InputError carrying every problem, whose message alone (``str(exc)``) still names the first."""

from __future__ import annotations

from mabs_wizard.errors import InputError


def refuse(problems: list[str]) -> InputError:
    """An InputError for ``problems`` (one line each, naming the file); callers ``raise refuse(...)``."""
    if not problems:
        raise ValueError("refuse() needs at least one problem")
    more = len(problems) - 1
    headline = problems[0] if not more else f"{problems[0]} (and {more} more problem{'s' if more > 1 else ''})"
    return InputError(headline, list(problems))
