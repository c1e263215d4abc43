"""The wizard application: screens in the seed's order over one `WizardState`, and its factory.

`create_app(...)` builds a fully determined app (answers file, facts, clock, output folder, secrets),
which is what the Pilot tests, the snapshot tests and the CLI all use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from mabs_wizard.answers.models import Section
from mabs_wizard.errors import EXIT_CANCELLED, EXIT_OK, WizardError
from mabs_wizard.facts import TargetFacts
from mabs_wizard.findings import has_errors
from mabs_wizard.resolver import Secrets
from screens.navigation import BY_KEY, ORDER, SCREENS, SETUP_STEPS, ScreenSpec
from screens.state import Clock, WizardState, default_output_dir, utc_now

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
SAVED_ANSWERS_NAME = "answers.yaml"


class WizardApp(App[int]):
    CSS_PATH = ASSETS_DIR / "wizard.tcss"
    TITLE = "MABS install wizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        # Quitting always asks first (and offers to save), like Cancel.
        Binding("ctrl+q", "request_quit", "Quit", priority=True, show=False),
        Binding("ctrl+c", "request_quit", "Quit", priority=True, show=False),
    ]

    def __init__(self, state: WizardState, *, skip_answered: bool = False, cursor_blink: bool = True) -> None:
        super().__init__()
        self.state = state
        self.skip_answered = skip_answered
        self.cursor_blink = cursor_blink
        self.current: str | None = None
        self.cancel_token: Any = None  # the CancelToken of the work running now, if any
        self._built: dict[str, Any] = {}
        self._answered: dict[str, bool] = {}

    # ------------------------------------------------------------------ screens

    def on_mount(self) -> None:
        if self.state.prefill_problems:
            # Invalid parts of the answers file are not fatal here: those screens open with the raw
            # values and show the problems when Next is pressed. Say so once.
            self.notify(f"{len(self.state.prefill_problems)} problem(s) in the answers file; the screens concerned "
                        "will show them", severity="warning", timeout=6)
        first = self.next_key(None) or ORDER[0]
        self.show(first)

    def screen_for(self, key: str) -> Any:
        if key not in self._built:
            screen = BY_KEY[key].load()()
            self._built[key] = screen
            self.install_screen(screen, name=key)
        return self._built[key]

    def show(self, key: str) -> None:
        screen = self.screen_for(key)
        first = self.current is None
        self.current = key
        if first:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)

    # ------------------------------------------------------------------ order

    def work_done(self, spec: ScreenSpec) -> bool:
        if spec.key == "extract_progress":
            return "extraction" in self.state.outcomes
        if spec.key == "apply":
            return all(step in self.state.outcomes for step in SETUP_STEPS)
        return False

    def needs_input(self, section: str) -> bool:
        """True when a section is missing, invalid, lacks a typed secret, or breaks a rule."""
        model = self.state.model(section)
        if model is None or self.state.missing_secrets(section):
            return True
        try:
            ctx = self.state.check_context()
        except WizardError:
            return True
        return has_errors(self.state.check(section, self.state.known_sections(), ctx))

    def answered(self, group: str) -> bool:
        if group not in self._answered:
            self._answered[group] = not self.needs_input(group)
        return self._answered[group]

    def skipped(self, spec: ScreenSpec) -> bool:
        if spec.kind == "work" and self.work_done(spec):
            return True
        if self.skip_answered and spec.kind != "always" and spec.group and self.answered(spec.group):
            return True
        return False

    def next_key(self, after: str | None) -> str | None:
        start = 0 if after is None else ORDER.index(after) + 1
        self._answered.clear()  # what is answered changes as screens commit
        for spec in SCREENS[start:]:
            if not self.skipped(spec):
                return spec.key
        return None

    def back_key(self, before: str) -> str | None:
        for spec in reversed(SCREENS[: ORDER.index(before)]):
            if spec.kind != "work":  # finished work is not undone by going back
                return spec.key
        return None

    def go_next(self, after: str) -> None:
        key = self.next_key(after)
        if key is None:
            self.exit(EXIT_OK)
        else:
            self.show(key)

    def go_back(self, before: str) -> None:
        key = self.back_key(before)
        if key is not None:
            self.show(key)

    # ------------------------------------------------------------------ asking from workers

    def ask_from_thread(self, screen: Any, token: Any = None) -> Any:
        """Push a dialog from a thread worker and wait for its result (None if cancelled/exiting)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def answered(result: Any) -> None:
            box["result"] = result
            done.set()

        self.call_from_thread(self.push_screen, screen, answered)
        while not done.wait(0.1):
            if (token is not None and token.cancelled) or not self.is_running:
                return None
        return box.get("result")

    def ensure_store(self, token: Any = None) -> None:
        """Open the secret store before work that needs it (runs in a worker thread).

        A usable OS keyring is used silently; otherwise the encrypted file store's password is
        asked in a masked dialog (the engine's terminal prompt must never run under the TUI).
        """
        from mabs_wizard.answers.models import SecretStoreAnswers
        from mabs_wizard.errors import Cancelled, SecretStoreError
        from mabs_wizard.secret_store import open_store
        from mabs_wizard.secret_store.file_store import default_path
        from screens.dialogs import StorePassword

        if self.state.store is not None:
            return
        conf = self.state.model("secret_store")
        if not isinstance(conf, SecretStoreAnswers):
            conf = SecretStoreAnswers()
        try:
            self.state.store = open_store(conf.kind, file_path=conf.file)
            return
        except SecretStoreError as exc:
            if conf.kind == "keyring":
                raise
            reason = str(exc)
        path = conf.file or default_path()
        error = ""
        for _attempt in range(3):
            password = self.ask_from_thread(
                StorePassword(path, new=not path.exists(), reason=reason, error=error, blink=self.cursor_blink), token)
            if password is None:
                raise Cancelled("no password given for the encrypted secret store")
            try:
                self.state.store = open_store(conf.kind, file_path=conf.file, password=password)
                return
            except SecretStoreError as exc:
                error = str(exc)
        raise SecretStoreError(error or "the encrypted secret store could not be opened")

    # ------------------------------------------------------------------ cancel, quit, save

    def request_cancel(self) -> None:
        from screens.dialogs import ConfirmCancel

        detail = "Work in progress will be stopped and cleaned up." if self.cancel_token is not None else ""
        self.push_screen(ConfirmCancel(detail), self._cancel_chosen)

    def action_request_quit(self) -> None:
        from screens.dialogs import ConfirmCancel

        if isinstance(self.screen, ConfirmCancel):
            return  # already asking
        self.request_cancel()

    def _cancel_chosen(self, choice: str | None) -> None:
        if choice in (None, "stay"):
            return
        if choice == "save":
            self.request_save(self._current_drafts(), then_quit=True)
            return
        self.quit_now()

    def quit_now(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()
        self.exit(EXIT_CANCELLED)

    def _current_drafts(self) -> dict[str, Section]:
        screen = self._built.get(self.current or "")
        return screen.draft_sections() if screen is not None else {}

    def default_answers_path(self) -> Path:
        return self.state.output_dir / SAVED_ANSWERS_NAME

    def request_save(self, extra: Mapping[str, Section] | None = None, *, then_quit: bool = False) -> None:
        from screens.dialogs import SaveAnswers

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            try:
                written = self.save_answers(path, extra)
            except (OSError, WizardError) as exc:
                self.notify(f"could not save answers: {exc}", severity="error", timeout=8)
                return
            self.notify(f"answers saved to {written}", timeout=4)
            if then_quit:
                self.quit_now()

        self.push_screen(SaveAnswers(self.default_answers_path()), chosen)

    def save_answers(self, path: Path, extra: Mapping[str, Section] | None = None, *, answers_model: Any = None) -> Path:
        """Write the answers known so far (secrets as references, 0600) via the engine."""
        from mabs_wizard.flow import dump_answers

        path.parent.mkdir(parents=True, exist_ok=True)
        source = answers_model if answers_model is not None else self.state.sections_for_save(extra)
        written = dump_answers(source, path)
        self.state.saved_answers = Path(written)
        return Path(written)


def create_app(
    answers_path: Path | str | None = None,
    *,
    facts_override: TargetFacts | None = None,
    clock: Clock | None = None,
    output_dir: Path | str | None = None,
    secrets: Secrets | None = None,
    skip_answered: bool = False,
    store: Any = None,
    cursor_blink: bool = True,
    host_is_windows: bool | None = None,
) -> WizardApp:
    """A wizard over `answers_path` (partial is fine), fully determined by its arguments.

    Raises InputError when the answers file cannot be read at all (not YAML, not a mapping); invalid
    sections are not fatal: their screens open with the raw values and show the problems.
    """
    from mabs_wizard.answers.loader import load_partial

    state = WizardState(
        output_dir=Path(output_dir).resolve() if output_dir is not None else default_output_dir(),
        secrets=secrets if secrets is not None else Secrets(environ=os.environ),
        clock=clock or utc_now,
        facts_override=facts_override,
        store=store,
    )
    if host_is_windows is not None:
        state.host_is_windows = host_is_windows
    if answers_path is not None:
        path = Path(answers_path).resolve()
        state.answers_path = path
        state.prefill, state.prefill_problems = load_partial(path)
    return WizardApp(state, skip_answered=skip_answered, cursor_blink=cursor_blink)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment
