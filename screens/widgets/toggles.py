"""Checkbox, radio button and radio set tuned for a wizard.

* The mark shows the state (X / ● when on, blank when off): Textual's own draw the mark in both
  states and tell them apart by colour only, which NO_COLOR (and monochrome terminals) would lose.
* Enter is left to the page (Next, the default button, as in the Windows wizard); Space toggles.
* Arrow keys in a radio set select, as Windows radio groups do, rather than only moving a highlight.
* A radio set meant to sit on one row (``-horizontal``) stacks its buttons when the row is too narrow
  for all of them (60 columns), rather than clipping the last one.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.style import Style
from textual.widgets import Checkbox, RadioButton, RadioSet


def _button(widget: Checkbox | RadioButton) -> Content:
    button_style = widget.get_visual_style("toggle--button")
    side_style = Style(foreground=button_style.background, background=widget.background_colors[1])
    inner = widget.BUTTON_INNER if widget.value else " "
    return Content.assemble((widget.BUTTON_LEFT, side_style), (inner, button_style), (widget.BUTTON_RIGHT, side_style))


class Check(Checkbox, inherit_bindings=False):
    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]

    @property
    def _button(self) -> Content:
        return _button(self)


class Radio(RadioButton, inherit_bindings=False):
    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]

    @property
    def _button(self) -> Content:
        return _button(self)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Textual's toggles are one line whatever their text; a sentence-long choice allowed to wrap
        # (text-wrap: wrap, see wizard.tcss) takes the lines it needs instead of losing its end.
        if self.styles.text_wrap != "wrap":
            return 1
        return max(1, self.render().get_height(self.styles, width))


class Choice(RadioSet, inherit_bindings=False):
    BINDINGS = [
        Binding("down,right", "select_next", "Next option", show=False),
        Binding("up,left", "select_previous", "Previous option", show=False),
        Binding("space", "toggle_button", "Select", show=False),
    ]

    GAP = 2  # cells between side-by-side buttons (the stylesheet's right margin)

    def on_mount(self) -> None:
        # (Textual calls RadioSet's own _on_mount as well: handlers run for each class.)
        self.side_by_side = self.has_class("-horizontal")

    def on_resize(self, event: Resize) -> None:
        if self.side_by_side:
            needed = sum(button.get_content_width(self.size, self.size) + self.GAP for button in self.query(RadioButton))
            self.set_class(needed - self.GAP <= event.size.width, "-horizontal")

    # New actions rather than overrides: RadioSet itself calls action_next_button when mounted.
    def action_select_next(self) -> None:
        self.action_next_button()
        self.action_toggle_button()

    def action_select_previous(self) -> None:
        self.action_previous_button()
        self.action_toggle_button()
