"""Extraction wizard, page 2: the downloaded media set and the folder to extract it into."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input

from mabs_wizard.answers.localpath import parse_local_path
from mabs_wizard.errors import InputError
from mabs_wizard.screens.page import FormPage
from mabs_wizard.screens.widgets.whole_text import WholeText


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
        source, destination = self.specs()
        yield self.field_for(source)
        # A part's name is never broken (a line of its own; scrolls sideways if wider than the page).
        yield WholeText(hang=0, id="media-parts-box", text_id="media-parts")
        yield self.field_for(destination)

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
        width = max(len(p.name) for p in found.parts) if found.parts else 0
        parts = "\n".join(f"{p.name:<{width}} {_fmt(p.size):>10}" for p in found.parts)
        self.app.call_from_thread(self._show_media, f"Found {found.describe()}", parts)

    def _show_media(self, note: str, parts: str) -> None:
        field = self.fields()["extraction.source"]
        field.set_note(note)
        # Each part's line whole; a message (✗) may wrap between words.
        lines = [line if line.startswith("✗") else [line] for line in parts.split("\n")] if parts else []
        self.query_one("#media-parts-box", WholeText).update(*lines)

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


Page = ExtractDestination
