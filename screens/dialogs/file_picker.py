"""Browse for a file (the vault credentials): a DirectoryTree plus a path line. Returns a Path or None."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DirectoryTree, Input, Static

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.screens.dialogs.base import Dialog
from mabs_wizard.screens.widgets.field import Field


class FilteredTree(DirectoryTree):
    """Folders, and files whose name ends with one of `suffixes` (case-insensitive); no dot-files.

    Plain one-cell markers instead of emoji icons: same width in every terminal, and readable
    without colour.
    """

    ICON_NODE_EXPANDED = "▾ "
    ICON_NODE = "▸ "
    ICON_FILE = "· "

    def __init__(self, path: Path, suffixes: tuple[str, ...], *, id: str | None = None, classes: str = "") -> None:
        super().__init__(path, id=id, classes=classes)
        self._suffixes = tuple(s.lower() for s in suffixes)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        keep = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                is_dir = path.is_dir()
            except OSError:
                continue
            if is_dir or not self._suffixes or path.name.lower().endswith(self._suffixes):
                keep.append(path)
        return keep


class FilePicker(Dialog[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, start: Path, *, suffixes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._title = title
        self._start = start if start.is_dir() else (start.parent if start.parent.is_dir() else Path.cwd())
        self._suffixes = suffixes

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="file-picker"):
            yield Static(self._title, classes="dialog-title")
            yield FilteredTree(self._start, self._suffixes, id="picker-tree", classes="scroll-view")
            yield Field("picker.path", "Path", Input(str(self._start) + "/", id="picker-path", compact=True))
            yield Static("", id="picker-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Up", id="up", compact=True)
                yield Button("Open", id="open", compact=True, variant="primary")
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#picker-tree", FilteredTree).focus()

    def show_folder(self, folder: Path) -> None:
        tree = self.query_one("#picker-tree", FilteredTree)
        tree.path = folder
        self.query_one("#picker-path", Input).value = str(folder).rstrip("/") + "/"

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#picker-path", Input).value = str(event.path)
        self.dismiss(Path(event.path))

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.query_one("#picker-path", Input).value = str(event.path) + "/"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._open()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "open":
            self._open()
        elif event.button.id == "up":
            current = Path(self.query_one("#picker-tree", FilteredTree).path)
            self.show_folder(current.parent)
        else:
            self.dismiss(None)

    def _open(self) -> None:
        error = self.query_one("#picker-error", Static)
        try:
            path = parse_local_path(self.query_one("#picker-path", Input).value.strip())
        except ValueError as exc:
            error.update(f"✗ {exc}")
            return
        if path.is_dir():  # a folder typed or chosen: browse it
            self.show_folder(path)
            return
        if not path.is_file():
            error.update(f"✗ {path} is not a file" if path.exists() else f"✗ {path} does not exist")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
