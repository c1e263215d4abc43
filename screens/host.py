"""What a page may ask of the wizard application, as an interface (pages never import the app).

The app (``screens/app.py``) implements it; pages reach it as ``self.wizard``. Keeping it a Protocol
keeps the import graph one-way: app -> frame, pages -> page base -> this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mabs_wizard.answers.section import Section
    from mabs_wizard.events import CancelToken
    from mabs_wizard.screens.state import WizardState
    from mabs_wizard.secret_store import PasswordRequest


class Host(Protocol):
    state: WizardState
    cursor_blink: bool
    current: str | None
    pending_next: str | None

    @property
    def is_loaded(self) -> bool: ...

    def show(self, key: str) -> None: ...

    def go_next(self, after: str) -> None: ...

    def go_back(self, before: str) -> None: ...

    def request_cancel(self) -> None: ...

    def request_save(self, extra: dict[str, Section] | None = None, *, then_quit: bool = False) -> None: ...

    def save_answers(self, path: Path, extra: dict[str, Section] | None = None, *, answers_model: Any = None) -> Path: ...

    def default_answers_path(self) -> Path: ...

    def save_session(self, *, finished: bool = False, background: bool = False) -> Path | None: ...

    def track(self, token: CancelToken | None) -> None:
        """The cancel token of the work running now (Cancel and Quit stop it), or None when it ended."""

    def ask_store_password(self, request: PasswordRequest, token: CancelToken | None) -> str | None:
        """From a worker thread: ask the encrypted store's password in a masked dialog; None if declined."""

    def deliver(self, path: Path, *, then: Callable[[], None] | None = None) -> bool:
        """A file the wizard wrote for the operator (an export, saved answers): offered as a download
        where the wizard is served to a browser; nothing to do in a terminal (``then`` runs at once)."""
