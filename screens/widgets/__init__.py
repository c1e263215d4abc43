"""Reusable widgets of the wizard: the step rail, a form field with inline error, the findings table,
and the Back / Next / Cancel bar."""

# Import from the modules (screens.widgets.field, ...): this package imports nothing, so start-up
# loads only what the first page uses.
