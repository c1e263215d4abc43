"""Extraction wizard, page 2: the downloaded media set and the folder to extract it into."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, Static

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.answers.models import Section
from mabs_wizard.errors import InputError
from mabs_wizard.screens.base import FormPage
from mabs_wizard.screens.widgets.field import Field


def _fmt(n: int) -> str:
    from mabs_wizard.media.models import format_bytes

    return format_bytes(n)


class ExtractDestination(FormPage):
    KEY = "extract_destination"
    SECTION = "extraction"
    HELP = """
**Installer folder**: the folder holding `MicrosoftAzureBackupServerInstaller.exe` and its `.bin`
parts (or the `.exe` itself). The set found there is listed with each part's size; a missing,
empty or half-downloaded part is reported here.

**Destination**: the folder the files are extracted into. It must not exist yet, or be empty; it
is created. Extraction happens in a staging folder beside it and is renamed into place at the end,
so a cancelled or failed run leaves nothing half-written. The free space shown is that of the
destination's file system.
"""

    def compose_form(self) -> ComposeResult:
        yield Field("extraction.source", "Installer folder", Input(id="source", compact=True, placeholder="folder with the .exe and .bin parts"))
        yield Static("", id="media-parts", markup=False)
        yield Field("extraction.destination", "Extract to", Input(id="destination", compact=True, placeholder="new or empty folder"))

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        get = (lambda k: getattr(value, k, None)) if isinstance(value, Section) else value.get
        for name in ("source", "destination"):
            found = get(name)
            if found is not None:
                self.query_one(f"#{name}", Input).value = str(found)

    def read_form(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "source": self.query_one("#source", Input).value.strip(),
            "destination": self.query_one("#destination", Input).value.strip(),
        }
        # Execute setup.exe is chosen on the finish page; keep what is known so far.
        execute = self.prefilled_ref("execute_setup")
        if execute is not None:
            values["execute_setup"] = execute
        return {k: v for k, v in values.items() if v != ""}

    def refresh_view(self) -> None:
        self.discover_media(self.query_one("#source", Input).value.strip())
        self.show_space(self.query_one("#destination", Input).value.strip())

    @on(Input.Changed, "#source")
    def _source_changed(self, event: Input.Changed) -> None:
        self.discover_media(event.value.strip())

    @on(Input.Changed, "#destination")
    def _destination_changed(self, event: Input.Changed) -> None:
        self.show_space(event.value.strip())

    @work(thread=True, exclusive=True, group="discover")
    def discover_media(self, text: str) -> None:
        # Discovery reads the .exe's first megabytes: off the UI thread.
        from mabs_wizard import media

        if not text:
            self.app.call_from_thread(self._show_media, "", "")
            return
        try:
            found = media.discover(parse_local_path(text))
        except ValueError as exc:
            self.app.call_from_thread(self._show_media, "", f"✗ {exc}")
            return
        except InputError as exc:
            self.app.call_from_thread(self._show_media, "", "✗ " + "\n✗ ".join(exc.lines()))
            return
        except OSError as exc:
            self.app.call_from_thread(self._show_media, "", f"✗ {text}: {exc.strerror}")
            return
        parts = "\n".join(f"{p.name:<44} {_fmt(p.size):>10}" for p in found.parts)
        self.app.call_from_thread(self._show_media, f"Found {found.describe()}", parts)

    def _show_media(self, note: str, parts: str) -> None:
        field = self.fields()["extraction.source"]
        field.set_note(note)
        self.query_one("#media-parts", Static).update(parts)

    def show_space(self, text: str) -> None:
        field = self.fields()["extraction.destination"]
        if not text:
            field.set_note("")
            return
        try:
            path = parse_local_path(text)
        except ValueError as exc:
            field.set_note(f"✗ {exc}")
            return
        measured = self.state.disk_space(path.absolute())
        if measured is None:
            field.set_note("free space: unknown (no existing parent folder)")
            return
        where, free, total = measured
        field.set_note(f"free space: {_fmt(free)} of {_fmt(total)} (at {where})")
