"""The one screen of the wizard: step rail, title, the pages, Back / Next / Cancel, key line.

Pages sit in a `ContentSwitcher`: a page is mounted once (the next one in advance, while the operator
reads the current one), and going Next or Back only switches which one is displayed. That keeps a
page change to a repaint, and every page keeps what was typed in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Static

from mabs_wizard.screens.navigation import PHASE_TITLES, position
from mabs_wizard.screens.widgets.key_bar import KeyBar
from mabs_wizard.screens.widgets.nav_bar import NavBar, NavButton
from mabs_wizard.screens.widgets.step_rail import StepRail
from mabs_wizard.screens.widgets.too_small import TooSmall, guard

if TYPE_CHECKING:
    from mabs_wizard.screens.host import Host
    from mabs_wizard.screens.page import WizardPage


class Frame(Screen[None]):
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+s", "save_answers", "Save"),
        Binding("ctrl+b", "back", "Back"),
        Binding("ctrl+n", "next", "Next"),
        Binding("f2", "next", "Next", show=False),  # browsers keep Ctrl+N (mabs-wizard serve): F2 reaches the page
        Binding("escape", "cancel", "Cancel"),
        # Enter is the default button (Next) wherever the focused control has no use for it.
        Binding("enter", "next", "Next", show=False),
        # A page longer than the screen scrolls from the keyboard wherever the focus is (pages are
        # not Tab stops themselves); a focused scroll view (the summary) takes these keys first.
        Binding("pagedown", "scroll_page(1)", "Page down", show=False),
        Binding("pageup", "scroll_page(-1)", "Page up", show=False),
    ]

    NARROW = 80  # columns below which rows that hold a label and buttons stack (see wizard.tcss)

    def __init__(self, first: WizardPage) -> None:
        super().__init__()
        self._first = first

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < self.NARROW, "-narrow")
        guard(self, event.size)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the too-small message is all there is to see, keys do nothing unseen: only Cancel
        # (its dialog fits far smaller) and Ctrl+Q (the app's) still work.
        if self.has_class("-too-small") and action != "cancel":
            return False
        return True

    def compose(self) -> ComposeResult:
        # The first page is composed with the frame, so the first paint is the whole page.
        first = self._first
        yield TooSmall()  # shown instead of the rest below the minimum size
        phase, index, count = position(first.KEY)
        rail = StepRail(PHASE_TITLES, id="rail")
        rail.set_position(phase, index, count)
        yield rail
        yield Static(first.spec.title, id="screen-title", markup=False)
        with ContentSwitcher(id="pages", initial=first.KEY):
            yield first
        yield NavBar(next_label=first.next_label, back=first.back_enabled)
        yield KeyBar()

    @property
    def wizard(self) -> Host:
        return self.app  # type: ignore[return-value]

    def page(self) -> WizardPage | None:
        pages = self.query_one("#pages", ContentSwitcher)
        return pages.get_child_by_id(pages.current) if pages.current else None  # type: ignore[return-value]

    async def action_next(self) -> None:
        page = self.page()
        if page is not None:
            await page.action_next()

    def action_back(self) -> None:
        page = self.page()
        if page is not None:
            page.action_back()

    def action_cancel(self) -> None:
        page = self.page()
        if page is not None:
            page.action_cancel()
        else:
            self.wizard.request_cancel()

    def action_scroll_page(self, direction: int) -> None:
        page = self.page()
        if page is not None:
            (page.scroll_page_down if direction > 0 else page.scroll_page_up)(animate=False)

    def action_help(self) -> None:
        page = self.page()
        if page is not None:
            page.action_help()

    def action_save_answers(self) -> None:
        page = self.page()
        self.wizard.request_save(page.draft_sections() if page is not None and self.wizard.is_loaded else {})

    async def on_nav_button_pressed(self, event: NavButton.Pressed) -> None:
        actions = {"nav-next": self.action_next, "nav-back": self.action_back, "nav-cancel": self.action_cancel,
                   "nav-help": self.action_help}
        action = actions.get(event.button.id or "")
        if action is None:
            return
        event.stop()
        result = action()
        if result is not None:
            await result
