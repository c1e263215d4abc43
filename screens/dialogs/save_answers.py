"""Ctrl+S: where to save the answers so far. Returns the chosen path, or None."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.screens.dialogs.base import Dialog
from mabs_wizard.screens.widgets.field import Field


class SaveAnswers(Dialog[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: Path, *, note: str = "") -> None:
        super().__init__()
        self._default = default
        self._note = note

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-answers"):
            yield Static("Save answers", classes="dialog-title")
            yield Static(
                "A replayable answers file (YAML, mode 0600). Secrets are saved as references, never "
                'as values; one typed here and not stored yet is saved as "prompt": asked for again when replayed.'
                + (f"\n{self._note}" if self._note else ""),
                classes="dialog-text",
                markup=False,
            )
            yield Field("save.path", "File", Input(str(self._default), id="save-path", compact=True))
            yield Static("", id="save-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", compact=True, variant="primary")
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        error = self.query_one("#save-error", Static)
        if not text:
            error.update("✗ type a file path")
            return
        try:
            path = parse_local_path(text)
        except ValueError as exc:
            error.update(f"✗ {exc}")
            return
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_dir():
            error.update(f"✗ {path} is a folder; type a file name")
            return
        if not path.parent.is_dir() and not path.parent.parent.is_dir():
            # One missing level (the output folder not made yet) is created; a deeper typo is not.
            error.update(f"✗ folder {path.parent} does not exist")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
