"""Reusable widgets of the wizard: the step rail, a form field with inline error, the findings table,
and the Back / Next / Cancel bar."""

from screens.widgets.field import Field
from screens.widgets.findings_table import FindingsTable
from screens.widgets.nav_bar import NavBar
from screens.widgets.step_rail import StepRail

__all__ = ["Field", "FindingsTable", "NavBar", "StepRail"]
