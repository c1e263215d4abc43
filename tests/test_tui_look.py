"""How the wizard looks to the operator at the keyboard (issue 12, items 2, 6 and 7), driven with Pilot
on the deterministic kit (tests/tui_support.py) and judged on the cells the compositor draws.

* Focus is always visible, without colour: every Tab stop of every page and dialog draws differently
  when focused, in the characters and their bold / italic / underline / reverse / dim attributes alone
  (what NO_COLOR and a monochrome terminal keep); no control in a page looks like Next, the default
  button; a page has no Tab stop the operator cannot see (the endpoints table is not one).
* Placeholders are unlike values; disabled fields look disabled.
* Paths and the MARS command are never broken inside on screen; the secret-reference note leads with
  "from file (type to replace):", keeps its path whole and goes away once something is typed; the
  completion notes are read in full.
* At 60×20 and at the minimum, 54×16, nothing is clipped and the rail keeps the current step's name;
  below it, a "terminal too small" message says the size needed, and the wizard comes back as it was.
* Dialogs: help shows `_` as itself and has its Close button where every dialog has its buttons; the
  save dialog has no literal backticks; a notification never covers Back / Next / Cancel; the secret
  store's dialog shows its minimum and empties both fields after a refusal, at 80×24 and 60×20.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Input, Label, RadioButton

from mabs_wizard.screens.dialogs import ConfirmCancel, FilePicker, HelpDialog, ResumeSession, SaveAnswers, StorePassword
from mabs_wizard.screens.navigation import ORDER, PHASE_TITLES, position
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.nav_bar import NavButton
from mabs_wizard.session import Session
from tests.tui_support import goto, make_snapshot_kit, settle, snapshot_app, type_into

# The smallest terminal the wizard is laid out for (screens/widgets/too_small.py says why).
MIN_WIDTH, MIN_HEIGHT = 54, 16

Cell = tuple[str, Style]
# A cell as a terminal without colour shows it: the character and its attributes.
PLAIN = ("bold", "dim", "italic", "underline", "reverse", "strike")


@pytest.fixture
def kit() -> Path:
    return make_snapshot_kit()


# ---------------------------------------------------------------------------------- reading the screen


def cells(app: Any, region: Region) -> list[list[Cell]]:
    """The cells the compositor draws in `region` of the top screen (line filters applied)."""
    strips = app.screen._compositor.render_strips()
    rows = []
    for y in range(max(region.y, 0), min(region.bottom, len(strips))):
        row: list[Cell] = []
        for text, style, _control in strips[y]:
            row.extend((char, style or Style()) for char in text)
        rows.append(row[region.x:region.right])
    return rows


def without_colour(rows: list[list[Cell]]) -> list[list[tuple[Any, ...]]]:
    return [[(char, *(bool(getattr(style, name)) for name in PLAIN)) for char, style in row] for row in rows]


def screen_lines(app: Any) -> list[str]:
    return ["".join(char for char, _ in row) for row in cells(app, app.screen.region)]


def screen_text(app: Any) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def scope(widget: Widget) -> Widget:
    """What shows a control's focus: its labelled field (label and control), else the control."""
    for node in widget.ancestors_with_self:
        if isinstance(node, Field) or node.has_class("field-row"):
            return node  # type: ignore[return-value]
    return widget


async def focus_shows(pilot: Any, widget: Widget) -> tuple[list[list[tuple[Any, ...]]], list[list[tuple[Any, ...]]]]:
    """(focused, unfocused) cells of the widget's scope, without colour."""
    app = pilot.app
    widget.focus()
    await pilot.pause()
    await pilot.pause()
    region = scope(widget).region
    focused = without_colour(cells(app, region))
    app.screen.set_focus(None)
    await pilot.pause()
    await pilot.pause()
    unfocused = without_colour(cells(app, region))
    return focused, unfocused


def background_of(app: Any, widget: Widget) -> set[Any]:
    """The background colours of what the widget shows (its scroll bars left out)."""
    return {style.bgcolor for row in cells(app, widget.scrollable_content_region) for _, style in row}


async def check_tab_stops(pilot: Any, where: str, *, skip: Iterable[type] = ()) -> list[str]:
    """Every Tab stop of the top screen: focused unlike unfocused without colour. Returns the ones tested."""
    app = pilot.app
    tested = []
    for widget in list(app.screen.focus_chain):
        if isinstance(widget, tuple(skip)):
            continue
        focused, unfocused = await focus_shows(pilot, widget)
        assert focused != unfocused, f"{where}: {widget!r} looks the same focused and not (without colour)"
        tested.append(widget.id or type(widget).__name__)
    return tested


# ---------------------------------------------------------------------------------- the layout rules


def test_pack_breaks_only_between_units_and_marks_a_broken_command():
    from mabs_wizard.screens.widgets.whole_text import pack

    path = r"C:\Program Files\Microsoft Azure Backup Server\DPM\DPMDB"
    lines = [line.plain for line in pack([["Database files:", path]], 40)]
    assert lines == ["Database files:", "  " + path]  # wider than 40: whole on its own line, not folded
    command = ["MARSAgentInstaller.exe", "/q", "/nu", '/p:"C:\\Program Files\\Microsoft Azure Recovery Services Agent"', "/m"]
    lines = [line.plain for line in pack([command], 30, continuation=" ^")]
    assert lines == ["MARSAgentInstaller.exe /q ^", "  /nu ^", "  " + command[3] + " ^", "  /m"]
    assert " ".join(line.removesuffix(" ^").strip() for line in lines) == " ".join(command)
    # Ordinary text breaks at spaces; a list item continues under its text.
    lines = [line.plain for line in pack(["  2. MABS setup: prerequisites, SQL, installation, security"], 30, hang=None)]
    assert lines[0].startswith("  2. ") and all(line.startswith("     ") for line in lines[1:])
    assert " ".join(" ".join(lines).split()) == "2. MABS setup: prerequisites, SQL, installation, security"


def test_the_rail_shortens_the_other_phases_never_the_current_one():
    from mabs_wizard.screens.widgets.step_rail import StepRail

    rail = StepRail(PHASE_TITLES)
    rail.set_position("register", 3, 3)
    full = rail.render_rail(200).plain
    assert "Extract installer" in full and "▶ Register server 3/3" in full
    for width in (60, 50, 30):
        text = rail.render_rail(width).plain
        assert "▶ Register server 3/3" in text and len(text) <= width, (width, text)
    assert rail.render_rail(60).plain.startswith("✓ Extract  ✓ MABS  ✓ MARS")


# ---------------------------------------------------------------------------------- focus


async def test_every_tab_stop_of_every_page_shows_its_focus_without_colour(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        seen: dict[str, list[str]] = {}
        for key in ORDER:
            await goto(pilot, key)
            # The nav bar's buttons are the same on every page: judged on the first one.
            skip = (NavButton,) if key != ORDER[0] else ()
            seen[key] = await check_tab_stops(pilot, key, skip=skip)
            assert not any(isinstance(w, DataTable) for w in app.screen.focus_chain), f"{key}: a table is a Tab stop"
        # The widget kinds the issue names were all among them.
        every = {name for names in seen.values() for name in names}
        assert {"nav-next", "nav-cancel", "source", "facts-source", "mabs_version", "use_proxy", "test",
                "summary-scroll", "reveal", "generate"} <= every, every
        assert "summary-scroll" in seen["summary"]


async def test_an_empty_focused_input_is_marked_beyond_its_cursor(kit):
    """The cursor is no mark: the label of a focused empty field is, in reverse video."""
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        field = app.page.fields()["sql.admin_domain"]
        assert field.control.value == ""
        label = field.query_one(".field-label", Label)
        field.control.focus()
        await pilot.pause()
        marked = without_colour(cells(app, label.region))
        assert all(attrs[5] for row in marked for attrs in row[: len("Admin domain")]), marked  # reverse
        app.screen.set_focus(None)
        await pilot.pause()
        assert not any(attrs[5] for row in without_colour(cells(app, label.region)) for attrs in row)


async def test_the_dialogs_tab_stops_show_their_focus_without_colour(kit):
    from mabs_wizard.secret_store import PasswordRequest

    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "vault")
        dialogs = {
            "help": lambda: HelpDialog("Vault", "Some help with `_` in it.\n\n" + "More.\n\n" * 20),
            "save": lambda: SaveAnswers(kit.parent / "answers-copy.yaml"),
            "cancel": lambda: ConfirmCancel(),
            "picker": lambda: FilePicker("Select vault credentials", kit.parent, suffixes=(".VaultCredentials",)),
            "store": lambda: StorePassword(PasswordRequest(kit.parent / "store" / "new.enc", new=True, reason="no keyring"),
                                           blink=False),
        }
        for name, make in dialogs.items():
            await app.push_screen(make())
            await settle(pilot)
            tested = await check_tab_stops(pilot, name)
            assert len(tested) >= 2, (name, tested)
            await app.pop_screen()
            await settle(pilot)


async def test_no_control_in_a_page_looks_like_next_the_default_button(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("prerequisites", "sql", "proxy", "vault", "encryption", "completion"):
            await goto(pilot, key)
            next_bg = background_of(app, app.screen.query_one("#nav-next"))
            for widget in app.screen.focus_chain:
                if isinstance(widget, NavButton):
                    continue
                widget.focus()
                await pilot.pause()
                assert not (background_of(app, widget) & next_bg), f"{key}: focused {widget!r} is drawn like Next"
                app.screen.set_focus(None)
                await pilot.pause()
                assert not (background_of(app, widget) & next_bg), f"{key}: {widget!r} is drawn like Next"


# ---------------------------------------------------------------------------------- placeholders and disabled


async def test_placeholders_are_unlike_values(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        app.screen.set_focus(None)
        await pilot.pause()
        empty = app.page.query_one("#admin_domain", Input)
        filled = app.page.query_one("#server", Input)
        assert empty.value == "" and empty.placeholder and filled.value
        placeholder = [attrs for row in without_colour(cells(app, empty.region)) for attrs in row if attrs[0] != " "]
        value = [attrs for row in without_colour(cells(app, filled.region)) for attrs in row if attrs[0] != " "]
        assert placeholder and all(attrs[3] for attrs in placeholder), "a placeholder is drawn in italics"
        assert value and not any(attrs[3] or attrs[2] for attrs in value), "a value is not"


async def test_disabled_fields_look_disabled_and_enabled_ones_do_not(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "proxy")
        app.screen.set_focus(None)
        await pilot.pause()
        host = app.page.fields()["proxy.host"]
        label = host.query_one(".field-label", Label)
        assert host.control.disabled and host.has_class("-disabled")
        dimmed = [attrs for row in without_colour(cells(app, label.region)) for attrs in row if attrs[0] != " "]
        assert dimmed and all(attrs[3] for attrs in dimmed), "a disabled field's label is italic (and dim)"
        disabled_bg = background_of(app, host.control)
        await pilot.click("#use_proxy")
        await settle(pilot)
        app.screen.set_focus(None)
        await pilot.pause()
        assert not host.control.disabled and not host.has_class("-disabled")
        plain = [attrs for row in without_colour(cells(app, label.region)) for attrs in row if attrs[0] != " "]
        assert plain and not any(attrs[3] for attrs in plain)
        assert background_of(app, host.control) != disabled_bg, "an enabled input has its box, a disabled one not"


# ---------------------------------------------------------------------------------- whole paths and notes


def split_across_lines(lines: list[str], text: str, least: int = 3) -> bool:
    """Whether `text` shows broken over two screen lines (the end of one, the start of the next)."""
    for above, below in zip(lines, lines[1:]):
        above, below = above.rstrip(), below.lstrip()
        for k in range(least, len(text) - least + 1):
            if above.endswith(text[:k]) and below.startswith(text[k:]):
                return True
    return False


async def test_the_secret_note_keeps_its_path_whole_and_goes_once_something_is_typed(kit):
    secret = str(kit.parent / "secrets" / "encryption-passphrase.txt")
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "encryption")
        lines = screen_lines(app)
        assert any(secret in line for line in lines), "the path is on the screen whole"
        assert not any(line.strip() == "from" for line in lines)
        field = app.page.fields()["encryption.passphrase"]
        note = field.note.splitlines()
        assert note[0].startswith("from file (type to replace):"), note
        assert secret in [line.strip() for line in note] or note[0].endswith(secret), note
        await type_into(pilot, "#passphrase", "x")
        await settle(pilot)
        assert field.note == "" and not any("type to replace" in line for line in screen_lines(app)[:6])
        await type_into(pilot, "#passphrase", "")
        await settle(pilot)
        assert field.note.startswith("from file (type to replace):")


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_paths_and_the_mars_command_are_never_broken_inside(kit, size):
    app = snapshot_app(kit)
    async with app.run_test(size=size) as pilot:
        checked = 0
        for key in ("extract_ready", "extract_progress", "extract_finish", "summary", "apply", "mars_agent", "completion"):
            await goto(pilot, key)
            await settle(pilot)
            state = app.state
            paths = {str(p) for p in (state.manifest_path, state.saved_answers) if p is not None}
            for section, names in (("extraction", ("source", "destination")),
                                   ("installation", ("program_files", "database_files", "scratch"))):
                model = state.model(section)
                paths |= {str(getattr(model, name)) for name in names}
            for outcome in state.outcomes.values():
                paths |= {str(v) for k, v in outcome.result.items() if k.endswith(("_path", "_file", "_log")) and v}
            lines = screen_lines(app)
            laid_out = [line for box in app.page.query("WholeText") for line in box.text.splitlines()]
            for path in paths:
                assert not split_across_lines(lines, path), f"{key} at {size}: {path} broken across lines"
                shown = [line for line in laid_out if path in line]
                pieces = [line for line in laid_out if line.strip() and line.strip() in path and line.strip() != path]
                assert not (pieces and not shown), f"{key} at {size}: {path} laid out in pieces {pieces}"
                checked += bool(shown)
            if key == "mars_agent":
                from mabs_wizard.screens.pages.mars_agent import mars_command, mars_command_units

                units = mars_command_units(state)
                assert isinstance(units, list)
                command = app.page.query_one("#mars-command-box").text.splitlines()
                # Broken only between switches, each broken line ending in cmd.exe's ^: pasted, it is one command.
                assert all(line.endswith(" ^") for line in command[:-1]) and not command[-1].endswith("^")
                assert " ".join(line.removesuffix(" ^").strip() for line in command) == mars_command(state)
                for unit in units:
                    assert any(unit in line for line in command), unit
                    assert not split_across_lines(lines, unit), unit
        assert checked >= 8, checked


async def test_completion_notes_are_read_in_full(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "completion")
        await settle(pilot)
        manifest = app.state.manifest
        notes = [f.message for f in manifest.proxy.findings if f.level == "warning"]
        assert notes, "the connectivity check warns (closed loopback ports)"
        flat = " ".join(screen_text(app).split())
        assert notes[0] in flat, (notes[0], flat)
        assert "…" not in "\n".join(screen_lines(app)[3:16])


# ---------------------------------------------------------------------------------- sizes


async def assert_not_clipped(pilot: Any, key: str, width: int) -> None:
    app = pilot.app
    screen = app.screen
    page = app.page
    rail = str(screen.query_one("#rail").render())
    phase, index, count = position(key)
    title = dict(PHASE_TITLES)[phase]
    assert f"▶ {title} {index}/{count}" in rail, (key, rail)
    assert len(rail.rstrip()) <= width - 2, (key, rail)
    assert page.max_scroll_x == 0, f"{key}: the page scrolls sideways"
    for widget in [*page.query("*"), *screen.query("NavButton")]:
        if any(a.has_class("scroll-view") for a in widget.ancestors) or not widget.display:
            continue
        if widget.region.area:
            assert widget.region.right <= width, (key, widget, widget.region)
        if isinstance(widget, (RadioButton, Checkbox, Button, NavButton)) and widget.region.area:
            if not page.region.contains_region(widget.region) and page in widget.ancestors:
                # Below the fold of a page taller than the terminal: scrolled to, as the operator would.
                page.scroll_to_widget(widget, animate=False, immediate=True)
                await pilot.pause()
            # The whole label shows: not cut, no ellipsis put in its place.
            shown = " ".join("".join(char for char, _ in row) for row in cells(app, widget.region))
            label = str(widget.label)
            assert " ".join(label.split()) in " ".join(shown.split()), (key, widget, shown)
            if widget.styles.text_wrap == "wrap":  # a sentence-long choice: every line of it shows
                needed = widget.get_content_height(widget.size, widget.size, widget.content_region.width)
                assert needed <= widget.content_region.height, (key, widget, needed, widget.content_region)
            else:
                needed = widget.get_content_width(widget.size, widget.size)
                assert needed <= widget.content_region.width, (key, widget, needed, widget.content_region.width)


@pytest.mark.parametrize("size", [(60, 20), (MIN_WIDTH, MIN_HEIGHT)])
async def test_every_page_reads_at_60x20_and_at_the_minimum(kit, size):
    width, height = size
    app = snapshot_app(kit)
    async with app.run_test(size=size) as pilot:
        for key in ORDER:
            await goto(pilot, key)
            await settle(pilot)
            assert not app.screen.has_class("-too-small"), key
            await assert_not_clipped(pilot, key, width)
            if key == "sql":
                existing = app.page.query_one("#mode-existing", RadioButton)
                assert existing.region.right <= width and "Existing local" in "".join(
                    char for row in cells(app, existing.region) for char, _ in row)
            if key == "completion":
                button = app.page.query_one("#export-ps1", Button)
                assert button.region.right <= width
                assert "PowerShell" in "".join(char for row in cells(app, button.region) for char, _ in row)


@pytest.mark.parametrize("size", [(60, 20), (MIN_WIDTH, MIN_HEIGHT)])
async def test_the_dialogs_fit_at_60x20_and_at_the_minimum(kit, size):
    from mabs_wizard.secret_store import PasswordRequest

    width, height = size
    app = snapshot_app(kit)
    async with app.run_test(size=size) as pilot:
        await goto(pilot, "vault")
        for make in (lambda: HelpDialog("SQL settings", "Text " * 200), lambda: SaveAnswers(kit.parent / "a.yaml"),
                     lambda: ConfirmCancel(running=True, output_dir=kit.parent / "out"),
                     lambda: ResumeSession(Session(page="sql", saved_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
                                                   sections={}), "SQL settings"),
                     lambda: StorePassword(PasswordRequest(kit.parent / "store" / "n.enc", new=True, reason="r"), blink=False)):
            dialog = make()
            await app.push_screen(dialog)
            await settle(pilot)
            for widget in dialog.query("*"):
                if widget.display and widget.region.area and not any(a.has_class("scroll-view") for a in widget.ancestors):
                    assert widget.region.right <= width and widget.region.bottom <= height, (dialog, widget, widget.region)
            for button in dialog.query(Button):
                assert str(button.label) in "".join(char for row in cells(app, button.region) for char, _ in row)
            await app.pop_screen()
            await settle(pilot)


async def test_below_the_minimum_the_wizard_says_so_and_comes_back_as_it_was(kit):
    from mabs_wizard.screens.widgets import too_small

    assert (too_small.MIN_WIDTH, too_small.MIN_HEIGHT) == (MIN_WIDTH, MIN_HEIGHT)
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        await type_into(pilot, "#instance", "MSDPM2019")
        app.page.query_one("#instance").focus()
        await pilot.pause()
        await pilot.resize_terminal(MIN_WIDTH - 4, MIN_HEIGHT - 1)
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        assert f"Terminal too small: {MIN_WIDTH - 4}×{MIN_HEIGHT - 1}" in text
        assert f"needs at least {MIN_WIDTH}×{MIN_HEIGHT}" in text
        assert "MSDPM2019" not in text and app.focused is None
        await pilot.press("enter", "ctrl+n", "x")  # nothing happens out of sight
        await settle(pilot)
        assert app.current == "sql"
        await pilot.resize_terminal(MIN_WIDTH, MIN_HEIGHT)
        await settle(pilot)
        assert "Terminal too small" not in screen_text(app)
        assert app.page.query_one("#instance", Input).value == "MSDPM2019"
        assert app.focused is app.page.query_one("#instance")
        # A dialog says so too, and comes back.
        await pilot.press("f1")
        await settle(pilot)
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        assert isinstance(app.screen, HelpDialog) and "Terminal too small: 40×12" in " ".join(screen_text(app).split())
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert "Help: SQL settings" in screen_text(app)


# ---------------------------------------------------------------------------------- dialogs


async def test_help_shows_an_underscore_as_itself_and_closes_where_dialogs_have_their_buttons(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "sql")
        await pilot.press("f1")
        await settle(pilot)
        lines = screen_lines(app)
        row = next(i for i, line in enumerate(lines) if "may not contain" in line)
        x = lines[row].index("_", lines[row].index("may not contain"))
        drawn = cells(app, Region(x - 1, row, 3, 1))[0]
        assert drawn[1][0] == "_" and drawn[1][1].bgcolor == drawn[0][1].bgcolor, "the _ has no box of its own"
        assert "underscore (_)" in lines[row]
        close = app.screen.query_one("#close", Button)
        right_edge = close.region.right
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveAnswers)
        assert app.screen.query_one("#cancel", Button).region.right == right_edge
        assert "`" not in screen_text(app)


async def test_a_notification_never_covers_back_next_or_cancel(kit):
    app = snapshot_app(kit)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await goto(pilot, "updates")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # Save
        await pilot.pause(0.3)
        toasts = list(app.screen.query("Toast"))
        assert toasts and "answers saved to" in str(toasts[0].render())
        nav = app.screen.query_one("#nav").region
        keys = app.screen.query_one("#keys").region
        for toast in toasts:
            assert not toast.region.overlaps(nav) and not toast.region.overlaps(keys), toast.region


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_store_password_dialog_reads_well_and_starts_over_after_a_refusal(kit, size):
    from mabs_wizard.secret_store import PasswordRequest

    store = kit.parent / "store" / "a-rather-long-name-for-the-new-encrypted-secret-store.enc"
    app = snapshot_app(kit)
    async with app.run_test(size=size) as pilot:
        await goto(pilot, "vault")
        await app.push_screen(StorePassword(PasswordRequest(store, new=True, reason="no keyring"), blink=False))
        await settle(pilot)
        lines = screen_lines(app)
        assert any("at least 8 characters" in line for line in lines)
        assert any(str(store) in line for line in lines) or not split_across_lines(lines, str(store))
        for label in ("Password", "Again"):
            assert any(label in line for line in lines)
        await type_into(pilot, "#store-pw", "short")
        await type_into(pilot, "#store-pw2", "short")
        await pilot.click("#ok")
        await settle(pilot)
        assert "at least 8 are needed" in " ".join(screen_text(app).split())
        assert app.screen.query_one("#store-pw", Input).value == "" and app.screen.query_one("#store-pw2", Input).value == ""
        assert app.focused is app.screen.query_one("#store-pw")
        ok = app.screen.query_one("#ok", Button)
        assert ok.region.right <= size[0] and ok.region.bottom <= size[1]
