"""Checkbox and radio button whose mark shows the state (X / ● when on, blank when off).

Textual's own draw the mark in both states and tell them apart by colour only, which NO_COLOR (and
monochrome terminals) would lose.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox, RadioButton


def _button(widget: Checkbox | RadioButton) -> Content:
    button_style = widget.get_visual_style("toggle--button")
    side_style = Style(foreground=button_style.background, background=widget.background_colors[1])
    inner = widget.BUTTON_INNER if widget.value else " "
    return Content.assemble((widget.BUTTON_LEFT, side_style), (inner, button_style), (widget.BUTTON_RIGHT, side_style))


class Check(Checkbox):
    @property
    def _button(self) -> Content:
        return _button(self)


class Radio(RadioButton):
    @property
    def _button(self) -> Content:
        return _button(self)
