"""What every wizard page shares (``WizardPage``), and the form mechanics (``FormPage``).

A page is a scrolling part of the one ``Frame`` screen, not a Textual Screen of its own. A
``FormPage`` edits one answers section: its fields are built, filled and read from the section
model's field specs (``screens/form.py``); Next judges the whole form at once (every field's problem
and every rule's finding, ``flow.judge_section``), shows each message under the field it names, and
commits the section when nothing blocks. After a refusal, the form is judged again as the operator
types, so a finding goes away as soon as its field is fixed.

Long engine work (extraction, the setup steps, a connectivity test) runs through ``run_work``: a
thread worker with a cancel token the app knows about, results handed back on the UI thread.

The engine (pydantic models, flow) is imported inside methods: the first page paints before it is
loaded (see ``WizardApp.load_engine``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioSet, Select, Static

from mabs_wizard.screens.navigation import BY_KEY, position, unfinished_phases
from mabs_wizard.screens.widgets.field import Field
from mabs_wizard.screens.widgets.nav_bar import NavBar, NavButton
from mabs_wizard.screens.widgets.step_rail import StepRail

if TYPE_CHECKING:
    from textual.timer import Timer

    from mabs_wizard.answers.formspec import FieldSpec
    from mabs_wizard.answers.section import Section
    from mabs_wizard.events import CancelToken, Event
    from mabs_wizard.findings import Finding
    from mabs_wizard.screens.host import Host
    from mabs_wizard.screens.state import WizardState

T = TypeVar("T")

# The first control of a page gets the focus; on pages without one, Next (so Enter goes on).
FOCUSABLE = "Input, Select, RadioSet, Checkbox, Button"  # inside the page (the nav bar is outside)
REJUDGE_DELAY = 0.25  # seconds of quiet typing before a refused form is judged again
MARKS = {"error": "✗", "warning": "!", "pass": "✓"}


def describe_secret_ref(ref: Any) -> str:
    from mabs_wizard.answers.secretref import describe_ref

    try:
        return describe_ref(ref)
    except AttributeError:
        return "a reference"


def error_lines(exc: BaseException) -> list[str]:
    """What a failed piece of engine work tells the operator, one line per problem."""
    from mabs_wizard.errors import InputError

    if isinstance(exc, InputError):
        return exc.lines()
    if isinstance(exc, OSError):
        return [f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}"]
    return [str(exc)]


class WizardPage(VerticalScroll, can_focus=False):
    """One page. Not focusable itself: a Tab stop must always be a control the operator can see."""

    KEY: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = "Next >"
    BACK: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__(id=self.KEY, classes="page")
        self.spec = BY_KEY[self.KEY]
        self.busy = False  # a worker of this page is running: navigation waits
        self.token: CancelToken | None = None
        self.next_label = self.NEXT_LABEL
        self.next_enabled = True
        self.back_enabled = self.BACK
        self.last_focused: Widget | None = None

    @property
    def wizard(self) -> Host:
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

    # ------------------------------------------------------------------ engine work

    def run_work(self, work: Callable[[CancelToken], T], *, done: Callable[[T], None],
                 failed: Callable[[str, list[str]], None], group: str) -> CancelToken:
        """Run ``work(token)`` on a thread. ``done(result)`` or ``failed(how, lines)`` ("cancelled" or
        "failed") run afterwards on the UI thread; meanwhile the page is busy and Cancel stops the work."""
        from mabs_wizard.errors import Cancelled, WizardError
        from mabs_wizard.events import CancelToken

        token = CancelToken()
        self.token = token
        self.busy = True
        self.wizard.track(token)

        def finish(callback: Callable[..., None], *args: Any) -> None:
            if self.token is token:
                self.busy = False
                self.token = None
                self.wizard.track(None)
            callback(*args)

        def body() -> None:
            try:
                result = work(token)
            except Cancelled:
                self.app.call_from_thread(finish, failed, "cancelled", ["stopped by the operator"])
            except (WizardError, OSError) as exc:
                self.app.call_from_thread(finish, failed, "failed", error_lines(exc))
            else:
                self.app.call_from_thread(finish, done, result)

        self.run_worker(body, thread=True, exclusive=True, group=group, name=group)
        return token

    def events_to(self, handler: Callable[[Event], None]) -> Callable[[Event], None]:
        """An event sink for engine work on a thread: each event handled on the UI thread."""
        def emit(event: Event) -> None:
            self.app.call_from_thread(handler, event)

        return emit

    def stop_work(self) -> bool:
        """Cancel the running work, if any (its worker cleans up and reports back)."""
        if self.busy and self.token is not None:
            self.token.cancel()
            return True
        return False

    # ------------------------------------------------------------------ navigation

    async def leave_forward(self) -> bool:
        """Called by Next: True lets the wizard move on (forms validate and commit here)."""
        return True

    async def action_next(self) -> None:
        if not self.wizard.is_loaded:
            # Pressed before the engine is loaded (a second after start at most): done once it is.
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
        if not self.stop_work():
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
    """A page that edits one answers section, its fields derived from the section's model."""

    SECTION: ClassVar[str] = ""
    # The fields shown, in order (None: every field of the model that has a one-line widget).
    FIELDS: ClassVar[tuple[str, ...] | None] = None

    def __init__(self) -> None:
        super().__init__()
        self._acknowledged: frozenset[str] = frozenset()
        self._judged = False  # Next refused once: judge again as the operator types
        self._rejudge_timer: Timer | None = None

    # ------------------------------------------------------------------ the fields

    def specs(self) -> tuple[FieldSpec, ...]:
        from mabs_wizard.answers.formspec import form_fields
        from mabs_wizard.answers.models import SECTIONS

        every = form_fields(self.SECTION, SECTIONS[self.SECTION])
        if self.FIELDS is None:
            return tuple(s for s in every if not s.hidden)
        by_name = {s.name: s for s in every}
        return tuple(by_name[name] for name in self.FIELDS)

    def compose(self) -> ComposeResult:
        yield Static("", id=f"{self.KEY}-problems", classes="form-problems", markup=False)
        yield from self.compose_form()

    def compose_form(self) -> ComposeResult:
        """Each field with its label, note and error lines; pages add around or beside them."""
        for spec in self.specs():
            yield self.field_for(spec)

    def field_for(self, spec: FieldSpec) -> Field:
        from mabs_wizard.screens import form

        return form.field(spec, *self.beside(spec))

    def beside(self, spec: FieldSpec) -> tuple[Widget, ...]:
        """Widgets on a field's row after its control (a Browse or Generate button)."""
        return ()

    def prefill(self) -> None:
        value = self.state.value(self.SECTION)
        if value is not None:
            self.fill_form(value)
        else:
            self.show_secret_notes()

    def fill_form(self, value: Section | Mapping[str, Any]) -> None:
        """Widgets from a model or a raw dict (an answers-file section that did not validate)."""
        from mabs_wizard.answers.section import Section
        from mabs_wizard.screens import form

        for spec in self.specs():
            found = getattr(value, spec.name, None) if isinstance(value, Section) else value.get(spec.name)
            if found is not None or spec.optional:
                form.write(self, spec, found)
        self.show_secret_notes()

    def read_form(self, *, provide: bool = True) -> dict[str, Any]:
        """Widget values as the section model's input (secrets as references, see `secret_ref`);
        fields not on this page are kept as the answers file has them. ``provide=False`` reads without
        handing typed secrets to the resolver (the session journal only needs the references)."""
        from mabs_wizard.answers.formspec import form_fields
        from mabs_wizard.answers.models import SECTIONS
        from mabs_wizard.screens import form

        shown = self.specs()
        values: dict[str, Any] = {}
        typed = {s.name: form.has_value(self, s) for s in shown if s.secret}
        for spec in shown:
            if spec.secret:
                pair = _pair(spec.name, typed)
                ref = self.secret_ref(spec.name, self.query_one(f"#{spec.name}", Input).value, required=spec.required,
                                      force_typed=pair, provide=provide)
                if ref is not None:
                    values[spec.name] = ref
                continue
            given, value = self.read_field(spec)
            if given:
                values[spec.name] = value
        names = {s.name for s in shown}
        for spec in form_fields(self.SECTION, SECTIONS[self.SECTION]):
            if spec.name not in names:
                kept = self.prefilled_ref(spec.name)
                if kept is not None:
                    values[spec.name] = kept
        return values

    def read_field(self, spec: FieldSpec) -> tuple[bool, Any]:
        """(given, value) of one field; a page overrides this where its widgets say more."""
        from mabs_wizard.screens import form

        return form.read(self, spec)

    # ------------------------------------------------------------------ secrets

    def prefilled_ref(self, name: str) -> Any:
        from mabs_wizard.answers.section import Section

        value = self.state.value(self.SECTION)
        if isinstance(value, Section):
            return getattr(value, name, None)
        if isinstance(value, Mapping):
            return value.get(name)
        return None

    def secret_ref(self, name: str, typed: str, *, required: bool, force_typed: bool = False, provide: bool = True) -> Any:
        """The reference a secret field stands for, handing a typed value to `Secrets` (memory only).

        Typed text wins (reference `prompt`); an empty field keeps the answers file's reference
        (env/file/keyring/generate); an empty required field is handed over empty so the engine's
        rule reports it as missing.
        """
        path = f"{self.SECTION}.{name}"
        ref = self.prefilled_ref(name)
        if typed or force_typed:
            if provide:
                self.state.provide_secret(path, typed)
            return "prompt"
        if ref is not None and ref != "prompt":
            if provide:
                self.state.forget_secret(path)
            return ref
        if required:
            if provide:
                self.state.provide_secret(path, "")
            return "prompt"
        if provide:
            self.state.forget_secret(path)
        return None

    def show_secret_notes(self) -> None:
        """Under each secret field: where its value comes from when nothing is typed (never the value)."""
        for spec in self.specs():
            if spec.secret:
                base = spec.name.removeprefix("confirm_")
                self.show_ref_note(spec.name, pair_of=base if base != spec.name else None)

    def show_ref_note(self, name: str, *, pair_of: str | None = None) -> None:
        """`pair_of`: the field this one confirms; no note when both come from the same place."""
        ref = self.prefilled_ref(name)
        field = self.fields().get(f"{self.SECTION}.{name}")
        if field is None:
            return
        if ref is None or ref == "prompt" or (pair_of is not None and ref == self.prefilled_ref(pair_of)):
            field.set_note("")
        elif ref == "generate":
            field.set_note("generated when applied (answers file); type to choose one")
        else:
            # "from file:" leads the path, which is never broken (a line of its own when long).
            kind, _, where = describe_secret_ref(ref).partition(":")
            field.set_note([[f"from {kind} (type to replace):", where]] if where else f"from {kind}; type to replace")

    def typed_secrets_digest(self) -> str:
        """A keyed digest of the typed secret fields (memory only), to tell whether they changed."""
        import hashlib

        typed = [w.value for w in self.query(Input) if w.password]
        if not any(typed):
            return ""
        return hashlib.blake2b("\0".join(typed).encode(), key=self.state.digest_key).hexdigest()

    # ------------------------------------------------------------------ findings

    def fields(self) -> dict[str, Field]:
        return {f.path: f for f in self.query(Field)}

    def field_for_path(self, path: str) -> Field | None:
        fields = self.fields()
        while path:
            if path in fields:
                return fields[path]
            path = path.rpartition(".")[0]
        return None

    def validate_form(self) -> tuple[Section | None, list[Finding]]:
        return self.state.validate_form(self.SECTION, self.read_form())

    def show_findings(self, findings: Iterable[Finding]) -> None:
        """Each error or warning under the field it names (in the operator's words); the rest at the
        top of the form."""
        from mabs_wizard.screens.words import on_screen

        fields = self.fields()
        for field in fields.values():
            field.set_error(None)
        shown: dict[str, str] = {}
        general: list[str] = []
        for finding in sorted(findings, key=lambda f: f.level != "error"):
            if finding.level == "pass":
                continue
            finding = on_screen(finding)
            target = self.field_for_path(finding.field) if finding.field != self.SECTION else None
            text = finding.message + (f" → {finding.remedy}" if finding.remedy else "")
            if target is None:
                general.append(f"{MARKS[finding.level]} {text}")
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
        self._judged = True
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

    # ------------------------------------------------------------------ judged again while typing

    @on(Input.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Any) -> None:
        if not self._judged or not self.is_mounted:
            return
        # What the operator just changed no longer carries the old verdict; the whole form is
        # judged again once typing pauses, off the UI thread (rules may read files).
        for node in event.control.ancestors_with_self:
            if isinstance(node, Field):
                node.set_error(None)
                break
        if self._rejudge_timer is not None:
            self._rejudge_timer.stop()
        self._rejudge_timer = self.set_timer(REJUDGE_DELAY, self._rejudge_later, name="rejudge")

    def _rejudge_later(self) -> None:
        self._rejudge_timer = None
        values = self.read_form()
        self.run_worker(lambda: self._rejudge(values), thread=True, exclusive=True, group=f"judge-{self.KEY}")

    def _rejudge(self, values: dict[str, Any]) -> None:
        _, findings = self.state.validate_form(self.SECTION, values)
        self.app.call_from_thread(self.show_findings, findings)

    def draft_sections(self) -> dict[str, Section]:
        from pydantic import ValidationError

        from mabs_wizard.answers.models import SECTIONS

        try:
            return {self.SECTION: SECTIONS[self.SECTION].model_validate(self.read_form())}
        except ValidationError:
            return {}


def _pair(name: str, typed: Mapping[str, bool]) -> bool:
    """Whether either field of a secret and its confirmation was typed: then both are typed values."""
    base = name.removeprefix("confirm_")
    return typed.get(base, False) or typed.get(f"confirm_{base}", False)

