"""Engine events as the lines a page's log shows (one renderer for every page that runs work)."""

from __future__ import annotations

from mabs_wizard.events import Event, Message, StepDone, StepStarted

MARK = {"error": "✗", "warning": "!", "pass": "✓", "info": "·"}
STATUS_MARK = {"done": "✓", "checked": "✓", "handed-over": "→", "skipped": "·", "failed": "✗"}


def event_line(event: Event) -> str | None:
    """A step's start, its messages and its end; progress is drawn by a bar, not written."""
    if isinstance(event, StepStarted):
        return f"▶ {event.title}"
    if isinstance(event, Message):
        return f"│ {MARK.get(event.level, '·')} {event.text}"
    if isinstance(event, StepDone):
        return f"└ {STATUS_MARK.get(event.status, '·')} {event.status}" + (f" ({event.summary})" if event.summary else "")
    return None
