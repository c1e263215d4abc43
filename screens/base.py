"""What every wizard page shares, and the frame that shows them.

The wizard is one `Frame` screen (step rail, title, the pages, Back / Next / Cancel, footer) whose
pages sit in a `ContentSwitcher`: a page is mounted once (the next one in advance, while the
operator reads the current one), and going Next or Back only switches which one is displayed. That
keeps a page change to a repaint, and every page keeps what was typed in it.

`FormPage` adds the form mechanics: read the widgets into a dict, validate it with the section's
model then the engine's rules (`WizardState.validate_form`), show each message under the field it
names, and commit the section when Next succeeds.

The engine (pydantic models, flow) is imported inside methods: the first page paints before it is
loaded (see `WizardApp.load_engine`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from mabs_wizard.screens.navigation import BY_KEY, PHASE_TITLES, position, unfinished_phases
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.key_bar import KeyBar
from mabs_wizard.screens.widgets.nav_bar import NavBar, NavButton
from mabs_wizard.screens.widgets.step_rail import StepRail

if TYPE_CHECKING:
    from mabs_wizard.answers.models import Section
    from mabs_wizard.findings import Finding
    from mabs_wizard.screens.app import WizardApp
    from mabs_wizard.screens.state import WizardState

# The first control of a page gets the focus; on pages without one, Next (so Enter goes on).
FOCUSABLE = "Input, Select, RadioSet, Checkbox, Button"  # inside the page (the nav bar is outside)


def describe_secret_ref(ref: Any) -> str:
    from mabs_wizard.answers.secretref import describe_ref

    try:
        return describe_ref(ref)
    except AttributeError:
        return "a reference"


class Frame(Screen[None]):
    """The one screen of the wizard: rail, title, pages, navigation bar, footer."""

    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+s", "save_answers", "Save"),
        Binding("ctrl+b", "back", "Back"),
        Binding("ctrl+n", "next", "Next"),
        Binding("f2", "next", "Next", show=False),  # browsers keep Ctrl+N (mabs-wizard serve): F2 reaches the page
        Binding("escape", "cancel", "Cancel"),
        # Enter is the default button (Next) wherever the focused control has no use for it.
        Binding("enter", "next", "Next", show=False),
    ]

    def __init__(self, first: WizardPage) -> None:
        super().__init__()
        self._first = first

    def compose(self) -> ComposeResult:
        # The first page is composed with the frame, so the first paint is the whole page.
        first = self._first
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
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def page(self) -> WizardPage | None:
        return self.wizard.page

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

    def action_help(self) -> None:
        page = self.page()
        if page is not None:
            page.action_help()

    def action_save_answers(self) -> None:
        page = self.page()
        self.wizard.request_save(page.draft_sections() if page is not None else {})

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


class WizardPage(VerticalScroll):
    KEY: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = "Next >"
    BACK: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__(id=self.KEY, classes="page")
        self.spec = BY_KEY[self.KEY]
        self.busy = False  # a worker of this page is running: navigation waits
        self.next_label = self.NEXT_LABEL
        self.next_enabled = True
        self.back_enabled = self.BACK
        self.last_focused: Widget | None = None

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    @property
    def is_current(self) -> bool:
        return self.wizard.current == self.KEY

    # ------------------------------------------------------------------ layout and life cycle

    def compose(self) -> ComposeResult:
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        if not self.wizard.cursor_blink:
            for widget in self.query(Input):
                widget.cursor_blink = False
        self.prefill()

    def activate(self) -> None:
        """The page is now the one shown: sync the frame, then recompute what depends on others."""
        self.sync_frame()
        self.refresh_view()

    def sync_frame(self) -> None:
        frame = self.screen
        phase, index, count = position(self.KEY)
        frame.query_one(StepRail).set_position(phase, index, count, unfinished_phases(self.state.steps_done()))
        frame.query_one("#screen-title", Static).update(self.spec.title)
        nav = frame.query_one(NavBar)
        nav.set_next(self.next_label, enabled=self.next_enabled)
        nav.set_back(self.back_enabled)

    def focus_first(self) -> None:
        """The control used last on this page, else its first control, else Next."""
        if self.last_focused is not None and self.last_focused.is_attached and self.last_focused.focusable:
            self.last_focused.focus()
            return
        for widget in self.query(FOCUSABLE):
            if widget.focusable:
                widget.focus()
                return
        self.focus_next_button()

    def focus_next_button(self) -> None:
        self.screen.query_one("#nav-next", NavButton).focus()

    def on_descendant_focus(self, event: Any) -> None:
        self.last_focused = event.widget

    def prefill(self) -> None:
        """Fill widgets from the state (answers file, or what was committed before)."""

    def refresh_view(self) -> None:
        """Recompute what is derived from other pages."""

    def set_next(self, label: str | None = None, *, enabled: bool | None = None) -> None:
        if label is not None:
            self.next_label = label
        if enabled is not None:
            self.next_enabled = enabled
        if self.is_current and self.is_mounted:
            self.screen.query_one(NavBar).set_next(self.next_label, enabled=self.next_enabled)

    def set_back(self, enabled: bool) -> None:
        self.back_enabled = enabled
        if self.is_current and self.is_mounted:
            self.screen.query_one(NavBar).set_back(enabled)

    # ------------------------------------------------------------------ navigation

    async def leave_forward(self) -> bool:
        """Called by Next: True lets the wizard move on (forms validate and commit here)."""
        return True

    async def action_next(self) -> None:
        if not self.wizard.is_loaded:
            # Pressed before the engine is loaded (a second after start at most): done once it is.
            # Not awaited here: a key binding's action runs on the app's own message loop.
            self.wizard.pending_next = self.KEY
            return
        if self.busy or not self.next_enabled:
            return
        if await self.leave_forward():
            self.wizard.go_next(self.KEY)

    def action_back(self) -> None:
        if self.busy or not self.back_enabled:
            return
        self.wizard.go_back(self.KEY)

    def action_cancel(self) -> None:
        self.wizard.request_cancel()

    def action_help(self) -> None:
        from mabs_wizard.screens.dialogs import HelpDialog

        self.app.push_screen(HelpDialog(self.spec.title, self.HELP or "No help for this page."))

    def draft_sections(self) -> dict[str, Section]:
        """Sections of this page that validate as typed (saved by Ctrl+S even before Next)."""
        return {}

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter is the default button, as in the Windows wizard: Next (which validates).
        event.stop()
        await self.action_next()


class FormPage(WizardPage):
    """A page that edits one answers section."""

    SECTION: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._acknowledged: frozenset[str] = frozenset()

    def compose(self) -> ComposeResult:
        yield Static("", id=f"{self.KEY}-problems", classes="form-problems", markup=False)
        yield from self.compose_form()

    def compose_form(self) -> ComposeResult:
        yield from ()

    # ------------------------------------------------------------------ subclasses fill these in

    def read_form(self) -> dict[str, Any]:
        """Widget values as the section model's input (secrets as references, see `secret_ref`)."""
        raise NotImplementedError

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        """Set widgets from a model or a raw dict (an invalid prefilled section)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ mechanics

    def prefill(self) -> None:
        value = self.state.value(self.SECTION)
        if value is not None:
            self.fill_form(value)

    def prefilled_ref(self, name: str) -> Any:
        from mabs_wizard.answers.models import Section

        value = self.state.value(self.SECTION)
        if isinstance(value, Section):
            return getattr(value, name, None)
        if isinstance(value, Mapping):
            return value.get(name)
        return None

    def secret_ref(self, name: str, typed: str, *, required: bool, force_typed: bool = False) -> Any:
        """The reference a secret field stands for, handing a typed value to `Secrets` (memory only).

        Typed text wins (reference `prompt`); an empty field keeps the answers file's reference
        (env/file/keyring/generate); an empty required field is handed over empty so the engine's
        rule reports it as missing.
        """
        path = f"{self.SECTION}.{name}"
        ref = self.prefilled_ref(name)
        if typed or force_typed:
            self.state.provide_secret(path, typed)
            return "prompt"
        if ref is not None and ref != "prompt":
            self.state.forget_secret(path)
            return ref
        if required:
            self.state.provide_secret(path, "")
            return "prompt"
        self.state.forget_secret(path)
        return None

    def show_ref_note(self, name: str, *, pair_of: str | None = None) -> None:
        """Under a secret field: where its value comes from when nothing is typed (never the value).

        `pair_of`: the confirmation of that field; no note when both come from the same place.
        """
        ref = self.prefilled_ref(name)
        field = self.fields().get(f"{self.SECTION}.{name}")
        if field is None:
            return
        if ref is None or ref == "prompt" or (pair_of is not None and ref == self.prefilled_ref(pair_of)):
            field.set_note("")
        elif ref == "generate":
            field.set_note("generated when applied (answers file); type to choose one")
        else:
            field.set_note(f"from {describe_secret_ref(ref)}; type to replace")

    def typed_secrets_digest(self) -> str:
        """A keyed digest of the typed secret fields (memory only), to tell whether they changed."""
        import hashlib

        typed = [w.value for w in self.query(Input) if w.password]
        if not any(typed):
            return ""
        return hashlib.blake2b("\0".join(typed).encode(), key=self.state.digest_key).hexdigest()

    def fields(self) -> dict[str, Field]:
        return {f.path: f for f in self.query(Field)}

    def field_for(self, path: str) -> Field | None:
        fields = self.fields()
        while path:
            if path in fields:
                return fields[path]
            path = path.rpartition(".")[0]
        return None

    def validate_form(self) -> tuple[Section | None, list[Finding]]:
        return self.state.validate_form(self.SECTION, self.read_form())

    def show_findings(self, findings: Iterable[Finding]) -> None:
        """Each error or warning under the field it names; the rest at the top of the form."""
        fields = self.fields()
        for field in fields.values():
            field.set_error(None)
        shown: dict[str, str] = {}
        general: list[str] = []
        for finding in sorted(findings, key=lambda f: f.level != "error"):
            if finding.level == "pass":
                continue
            target = self.field_for(finding.field) if finding.field != self.SECTION else None
            text = finding.message + (f" → {finding.remedy}" if finding.remedy else "")
            if target is None:
                general.append(("✗ " if finding.level == "error" else "! ") + text)
            elif target.path not in shown:
                shown[target.path] = finding.level
                (target.set_error if finding.level == "error" else target.set_warning)(text)
        problems = self.query_one(".form-problems", Static)
        problems.update("\n".join(general))
        problems.set_class(bool(general), "-shown")

    def focus_first_error(self) -> None:
        for field in self.fields().values():
            if field.has_class("-has-error"):
                field.control.focus()
                field.scroll_visible()
                return

    async def leave_forward(self) -> bool:
        from mabs_wizard.findings import has_errors

        model, findings = self.validate_form()
        self.show_findings(findings)
        if model is None or has_errors(findings):
            self.focus_first_error()
            return False
        # Warnings do not block, but are seen first: Next shows them, Next again goes on.
        warnings = frozenset(f.message for f in findings if f.level == "warning")
        if warnings and not warnings <= self._acknowledged:
            self._acknowledged |= warnings
            self.notify("Warnings are shown under the fields; press Next again to continue.", severity="warning", timeout=4)
            return False
        self.state.commit(self.SECTION, model, secrets_digest=self.typed_secrets_digest())
        return True

    def draft_sections(self) -> dict[str, Section]:
        from pydantic import ValidationError

        from mabs_wizard.answers.models import SECTIONS

        try:
            return {self.SECTION: SECTIONS[self.SECTION].model_validate(self.read_form())}
        except (ValidationError, NotImplementedError):
            return {}
