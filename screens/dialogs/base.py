"""What every wizard dialog shares: the too-small message below the wizard's minimum size."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import ModalScreen

from mabs_wizard.screens.widgets.too_small import TooSmall, guard

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A modal dialog (``dialog-screen``); subclasses compose their box in ``compose_dialog``."""

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        yield TooSmall()
        yield from self.compose_dialog()

    def compose_dialog(self) -> ComposeResult:
        yield from ()

    def on_resize(self, event: Resize) -> None:
        guard(self, event.size)
