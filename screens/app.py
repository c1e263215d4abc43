"""The wizard application: pages in the seed's order over one `WizardState`, and its factory.

`create_app(...)` builds a fully determined app (answers file, facts, clock, output folder, secrets),
which is what the Pilot tests, the snapshot tests and the CLI all use.

Start-up paints the first page with Textual alone; the engine (pydantic models, the flow) and the
answers file are loaded by a worker right after, and Next waits for them if pressed before.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.widgets import ContentSwitcher

from mabs_wizard.assets import path as asset_path
from mabs_wizard.errors import EXIT_CANCELLED, EXIT_INVALID, EXIT_OK, WizardError
from mabs_wizard.screens.frame import Frame
from mabs_wizard.screens.navigation import (
    BY_KEY,
    ORDER,
    SCREENS,
    SETUP_STEPS,
    ScreenSpec,
)
from mabs_wizard.screens.state import Clock, WizardState, default_output_dir, utc_now

if TYPE_CHECKING:
    from mabs_wizard.answers.models import Section
    from mabs_wizard.events import CancelToken
    from mabs_wizard.facts import TargetFacts
    from mabs_wizard.resolver import Secrets
    from mabs_wizard.screens.page import WizardPage
    from mabs_wizard.secret_store import PasswordRequest

PREMOUNT_DELAY = 0.1  # seconds after a page is shown before the next one is built
PRELOAD = ("mabs_wizard.media", "mabs_wizard.vault", "mabs_wizard.passphrase", "mabs_wizard.connectivity",
           "mabs_wizard.export", "mabs_wizard.secret_store", "mabs_wizard.answers.dump", "mabs_wizard.handover")
SAVED_ANSWERS_NAME = "answers.yaml"
Resume = Literal["ask", "yes", "no"]  # an unfinished session in the output folder: offer, take up, or ignore it


class WizardApp(App[int]):
    CSS_PATH = asset_path("wizard.tcss")
    TITLE = "MABS install wizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        # Quitting always asks first (and offers to save), like Cancel.
        Binding("ctrl+q", "request_quit", "Quit", priority=True, show=False),
        Binding("ctrl+c", "request_quit", "Quit", priority=True, show=False),
        # Served in a browser (mabs-wizard serve) Ctrl+Q may never reach the page: F10 does.
        Binding("f10", "request_quit", "Quit", priority=True, show=False),
        # Tab moves focus when the app reads the key, not when the field it was typed in hands it
        # on: keys that arrive together (auto-type from a password manager, a paste without
        # bracketed paste, xdotool) would otherwise all land in the first field, Tab included.
        Binding("tab", "focus_next", "Next field", priority=True, show=False),
        Binding("shift+tab", "focus_previous", "Previous field", priority=True, show=False),
    ]

    def __init__(self, state: WizardState, *, skip_answered: bool = False, cursor_blink: bool = True,
                 resume: Resume = "ask", debug: bool = False) -> None:
        super().__init__()
        self.state = state
        self.skip_answered = skip_answered
        self.cursor_blink = cursor_blink
        self.resume_mode = resume
        self.show_tracebacks = debug  # --debug: an unexpected error prints its traceback
        self.crash: BaseException | None = None  # an unexpected error that ended the app (exit 1)
        self.outcome_note = ""  # what the CLI prints after the app ends (where the session was saved)
        self.current: str | None = None
        self.cancel_token: CancelToken | None = None  # the work running now, if any (set by `track`)
        self.load_error: WizardError | None = None  # an answers file that cannot be read at all
        self._pages: dict[str, WizardPage] = {}
        self._answered: dict[str, bool] = {}
        self._loaded_flag = False
        self.pending_next: str | None = None  # Next pressed before the engine was loaded
        # Journal snapshots are numbered as taken and written in that order (see _write_session).
        self._journal_lock = threading.Lock()
        self._journal_taken = self._journal_written = 0
        self._baseline: Any = None  # the session as last saved (or as started): what quitting would not lose
        self._after_delivery: dict[str, Callable[[], None]] = {}  # download key -> what runs once it is done

    # ------------------------------------------------------------------ start-up

    def get_default_screen(self) -> Frame:
        # The frame is the app's own first screen (not pushed over an empty one): one screen to
        # compose, style and lay out before the first paint, as a hello-world app has.
        first = self.page_for(ORDER[0])
        first.display = True
        self.current = first.KEY
        return Frame(first)

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_painted)
        # A closed terminal or dropped SSH session (SIGHUP) or a polite kill (SIGTERM): the session is
        # journaled before the wizard goes, so `mabs-wizard run` resumes it where it was.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._signalled, sig)

    def on_unmount(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _signalled(self, sig: int) -> None:
        self.save_session()
        if self.cancel_token is not None:
            self.cancel_token.cancel()
        self.exit(128 + int(sig))

    def _fatal_error(self) -> None:
        """An unexpected exception: the answers so far are journaled, and the app ends with exit code 1
        and one paragraph (the CLI prints it; the traceback only with --debug)."""
        self.crash = self._exception
        with contextlib.suppress(Exception):  # the journal is best effort here: the error is what counts
            self.save_session()
        if self.show_tracebacks:
            super()._fatal_error()
            return
        self.bell()
        self._close_messages_no_wait()

    def _first_painted(self) -> None:
        page = self.page
        if page is not None:
            page.activate()
            page.focus_first()
        # Load the engine once the first frame has gone out: the terminal's writer thread must
        # not wait for the GIL behind pydantic building the answers models.
        self.set_timer(0.05, self.load_engine)

    @work(thread=True, exclusive=True, group="engine")
    def load_engine(self) -> None:
        try:
            self.state.load()
            import mabs_wizard.flow  # noqa: F401 - the rules and steps every page uses
        except WizardError as exc:
            self.call_from_thread(self._engine_failed, exc)
            return
        self.call_from_thread(self._engine_ready)
        self.preload()

    def preload(self) -> None:
        """Import the pages and the engine modules they use while the operator reads the first page,
        so no page change pays for a first import (certificates, HTTP, media backends)."""
        import importlib

        for spec in SCREENS:
            spec.load()
        for module in PRELOAD:
            try:
                importlib.import_module(module)
            except ImportError:  # an optional part missing here is reported where it is used
                continue

    def _engine_failed(self, exc: WizardError) -> None:
        self.load_error = exc
        self.exit(getattr(exc, "exit_code", EXIT_INVALID))

    def _engine_ready(self) -> None:
        found = self.state.session
        if found is not None and self.resume_mode != "no":
            if self.resume_mode == "yes":
                self._resume_chosen(True)
            else:
                from mabs_wizard.screens.dialogs import ResumeSession

                self.push_screen(ResumeSession(found, BY_KEY.get(found.page, BY_KEY[ORDER[0]]).title), self._resume_chosen)
            return
        self._start()

    def _resume_chosen(self, resume: bool | None) -> None:
        found = self.state.session
        if resume and found is not None:
            self.state.resume(found)
            self._start(found.page if found.page in BY_KEY else None)
            self.recognise_extraction()
        else:
            self._start()

    @work(thread=True, exclusive=True, group="recognise")
    def recognise_extraction(self) -> None:
        """A resumed session's finished extraction is recognised (its completion record verified, by
        size and time stamps), not redone: the work counts as done, as it was before the session dropped."""
        from mabs_wizard import flow, media
        from mabs_wizard.events import CancelToken, ignore

        ext = self.state.model("extraction")
        if ext is None or "extraction" in self.state.outcomes:
            return
        try:
            findings = media.check_destination(ext.source, ext.destination)  # type: ignore[attr-defined]
            if not any(f.code == "media.destination-extracted" for f in findings):
                return  # not (or not exactly) extracted: the extraction page does the work when reached
            outcome = flow.run_step("extraction", self.state.answers_so_far(), self.state.run_context(ignore, CancelToken()))
        except (WizardError, OSError):
            return
        self.call_from_thread(self._recognised, outcome)

    def _recognised(self, outcome: Any) -> None:
        self.state.outcomes.setdefault("extraction", outcome)
        page = self.page
        if page is not None and page.is_mounted:
            page.sync_frame()  # the rail ticks the extraction phase

    def _start(self, page: str | None = None) -> None:
        self._loaded_flag = True
        self._baseline = self.session_snapshot()  # quitting now would lose nothing
        if page is not None:
            self.show(page)
            self.pending_next = None
            return
        if self.state.prefill_problems:
            # Invalid parts of the answers file are not fatal here: those pages open with the raw
            # values and show the problems when Next is pressed. Say so once.
            self.notify(f"{len(self.state.prefill_problems)} problem(s) in the answers file; the pages concerned "
                        "will show them", severity="warning", timeout=6)
        first = self.next_key(None) or ORDER[0]
        if first != self.current:
            self.show(first)
        else:
            page = self.page
            if page is not None:
                page.refresh_view()
                if self.pending_next == page.KEY:
                    self.call_later(page.action_next)
            self.premount_after(first)
        self.pending_next = None

    @property
    def is_loaded(self) -> bool:
        return self._loaded_flag

    # ------------------------------------------------------------------ pages

    @property
    def page(self) -> WizardPage | None:
        return self._pages.get(self.current or "")

    def page_for(self, key: str) -> WizardPage:
        if key not in self._pages:
            page = BY_KEY[key].load()()
            page.display = False
            self._pages[key] = page
        return self._pages[key]

    def show(self, key: str) -> None:
        """Make `key` the page shown (mounting it first if needed); runs soon, on the UI loop."""
        self.call_later(self._show, key)

    def frame(self) -> Frame:
        return next(s for s in self.screen_stack if isinstance(s, Frame))

    async def _show(self, key: str) -> None:
        switcher = self.frame().query_one("#pages", ContentSwitcher)
        page = self.page_for(key)
        if not page.is_attached:
            await switcher.mount(page)
        self.current = key
        switcher.current = key
        page.activate()
        if isinstance(self.screen, Frame):
            page.focus_first()
        if self._loaded_flag:
            self.premount_after(key)
            self.save_session(background=True)  # every page change: a dropped session resumes here

    def premount_after(self, key: str) -> None:
        """Mount the page that Next will show, while the operator reads this one.

        On a timer rather than right after the refresh: the terminal writer thread must get the
        GIL to put this page on screen before the next one is built."""
        following = self.next_key(key)
        if following is None or following in self._pages:
            return

        async def mount() -> None:
            switcher = self.frame().query_one("#pages", ContentSwitcher)
            page = self.page_for(following)
            if not page.is_attached:
                await switcher.mount(page)

        self.set_timer(PREMOUNT_DELAY, mount)

    # ------------------------------------------------------------------ order

    def work_done(self, spec: ScreenSpec) -> bool:
        if spec.key == "extract_progress":
            return "extraction" in self.state.outcomes
        if spec.key == "apply":
            return all(step in self.state.outcomes for step in SETUP_STEPS)
        return False

    def needs_input(self, section: str) -> bool:
        """True when a section is missing, invalid, lacks a typed secret, or breaks a rule."""
        from mabs_wizard.findings import has_errors

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
        if not self._loaded_flag:
            return False
        if spec.kind == "work" and self.work_done(spec):
            return True
        if self.skip_answered and spec.kind != "always" and spec.group and self.answered(spec.group):
            return True
        return False

    def next_key(self, after: str | None) -> str | None:
        start = 0 if after is None else ORDER.index(after) + 1
        self._answered.clear()  # what is answered changes as pages commit
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

    def ask_store_password(self, request: PasswordRequest, token: CancelToken | None = None) -> str | None:
        """From a worker thread: the encrypted store's password, asked in a masked dialog (the
        engine's terminal prompt must never run under the TUI). None when the operator declines."""
        from mabs_wizard.screens.dialogs import StorePassword

        return self.ask_from_thread(StorePassword(request, blink=self.cursor_blink), token)  # type: ignore[no-any-return]

    def track(self, token: CancelToken | None) -> None:
        self.cancel_token = token

    # ------------------------------------------------------------------ the session journal

    def session_draft(self) -> dict[str, Any]:
        """The shown form's fields as they are now (even if they do not validate yet)."""
        page = self.page
        read = getattr(page, "read_form", None)
        if page is None or read is None or not self._loaded_flag or not page.is_mounted:
            return {}
        try:
            return {page.SECTION: read(provide=False)}  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a page half-built when the terminal went: keep what is committed
            return {}

    def session_snapshot(self) -> Any:
        from mabs_wizard import session

        return session.sections_data({**self.state.prefill, **self.state.sections, **self.session_draft()})

    def save_session(self, *, finished: bool = False, background: bool = False) -> Path | None:
        """Journal the session (every page change, Ctrl+S, a closed terminal, quitting); None before
        the engine is loaded (nothing answered yet). ``background``: written by a worker thread, so a
        page change does not wait for the disk (fsync)."""
        if not self._loaded_flag or self.current is None:
            return None
        from mabs_wizard import session

        snapshot = self.session_snapshot()
        record = session.Session(page=self.current, saved_at=self.state.clock(), sections=snapshot,
                                 answers_file=str(self.state.answers_path) if self.state.answers_path else None, finished=finished)
        self._baseline = snapshot
        path = session.journal_path(self.state.output_dir)
        self._journal_taken += 1
        taken = self._journal_taken
        if background:
            self.run_worker(lambda: self._write_session(record, taken), thread=True, group="journal")
            return path
        return self._write_session(record, taken)

    def _write_session(self, record: Any, taken: int) -> Path | None:
        """Write one journal snapshot, never over a newer one: a page change's write still on its
        way to the disk (fsync) when the terminal closes must not land after the closing save."""
        from mabs_wizard import session

        with self._journal_lock:
            if taken < self._journal_written:
                return session.journal_path(self.state.output_dir)
            try:
                written = session.save(self.state.output_dir, record)
            except OSError as exc:
                with contextlib.suppress(Exception):
                    self.notify(f"could not save the session: {exc}", severity="error", timeout=8)
                return None
            self._journal_written = taken
            return written

    def lose_nothing(self) -> bool:
        """Quitting now loses nothing: no work is running and nothing changed since start or the last save."""
        return self.cancel_token is None and (not self._loaded_flag or self.session_snapshot() == self._baseline)

    # ------------------------------------------------------------------ cancel, quit, save

    def request_cancel(self) -> None:
        """Esc or Cancel: quit at once when nothing would be lost (or the wizard has finished), else ask."""
        from mabs_wizard.screens.dialogs import ConfirmCancel

        if isinstance(self.screen, ConfirmCancel):
            return  # already asking
        if self.state.manifest is not None:
            self.exit(EXIT_OK)  # finished: the manifest is written, nothing is cancelled
            return
        if self.lose_nothing():
            self.quit_now(save=True)
            return
        self.push_screen(ConfirmCancel(running=self.cancel_token is not None, output_dir=self.state.output_dir), self._cancel_chosen)

    def action_request_quit(self) -> None:
        self.request_cancel()

    def _cancel_chosen(self, choice: str | None) -> None:
        if choice in (None, "stay"):
            return
        self.quit_now(save=choice == "save")

    def quit_now(self, *, save: bool = True) -> None:
        """Leave. Work running is stopped and cleaned up (exit 130: cancelled). Otherwise the wizard
        ends normally (exit 0); ``save``: the session is journaled first (what was typed since the last
        save included), to be resumed with `mabs-wizard run`."""
        cancelled = self.cancel_token is not None
        if cancelled:
            self.cancel_token.cancel()  # type: ignore[union-attr]
        answered = bool(self.state.sections) or (self._loaded_flag and self.session_snapshot() != self._baseline)
        saved = (self.save_session() if save else self._journal_if_any()) if answered else None
        if saved is not None:
            self.outcome_note = f"session saved: {saved}\nresume it with: mabs-wizard run --output {self.state.output_dir}"
        self.exit(EXIT_CANCELLED if cancelled else EXIT_OK)

    def _journal_if_any(self) -> Path | None:
        from mabs_wizard import session

        path = session.journal_path(self.state.output_dir)
        return path if path.exists() else None

    def default_answers_path(self) -> Path:
        return self.state.output_dir / SAVED_ANSWERS_NAME

    def request_save(self, extra: Mapping[str, Section] | None = None, *, then_quit: bool = False) -> None:
        from mabs_wizard.screens.dialogs import SaveAnswers

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            try:
                written = self.save_answers(path, extra)
            except (OSError, WizardError) as exc:
                self.notify(f"could not save answers: {exc}", severity="error", timeout=8)
                return
            self.notify(f"answers saved to {written}" + (" and sent to the browser" if self.is_web else ""), timeout=4)
            self.save_session()
            self.deliver(written, then=self.quit_now if then_quit else None)

        self.push_screen(SaveAnswers(self.default_answers_path()), chosen)

    # ------------------------------------------------------------------ files to the operator's browser

    def deliver(self, path: Path, *, then: Callable[[], None] | None = None) -> bool:
        """Served in a browser (mabs-wizard serve): also send `path` to it as a download (Textual's
        deliver_binary: a one-use link). `then` runs once the browser has the file, could not get
        it, or 30 s passed (a blocked popup never asks), so quitting right after saving does not
        cut the download. In a terminal: nothing to send; `then` runs at once. True if a download
        was started."""
        key = None
        if self.is_web:
            try:
                key = self.deliver_binary(path)
            except OSError as exc:  # written a moment ago; unreadable now (removed, permissions)
                self.notify(f"could not send {path.name} to the browser: {exc.strerror or exc}", severity="error")
        if key is None:
            if then is not None:
                then()
            return False
        if then is not None:
            self._after_delivery[key] = then
            self.set_timer(30, lambda: self._delivered(key))
        return True

    def _delivered(self, key: str) -> None:
        then = self._after_delivery.pop(key, None)
        if then is not None:
            then()

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        self._delivered(event.key)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        self.notify("the browser did not get the file; it is still on the server", severity="warning")
        self._delivered(event.key)

    def save_answers(self, path: Path, extra: Mapping[str, Section] | None = None, *, answers_model: Any = None) -> Path:
        """Write the answers known so far (secrets as references, 0600) via the engine."""
        from mabs_wizard.answers.dump import dump_answers

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
    resume: Resume = "ask",
    debug: bool = False,
) -> WizardApp:
    """A wizard over `answers_path` (partial is fine), fully determined by its arguments.

    The answers file is read when the app starts (after the first paint). One that cannot be read at
    all (missing, not YAML, not a mapping) ends the app with exit code 2 and `app.load_error` set;
    invalid sections are not fatal: their pages open with the raw values and show the problems.
    """
    state = WizardState(
        output_dir=Path(output_dir).resolve() if output_dir is not None else default_output_dir(),
        secrets=secrets,
        clock=clock or utc_now,
        facts_override=facts_override,
        store=store,
        answers_path=Path(answers_path).resolve() if answers_path is not None else None,
    )
    if host_is_windows is not None:
        state.host_is_windows = host_is_windows
    return WizardApp(state, skip_answered=skip_answered, cursor_blink=cursor_blink, resume=resume, debug=debug)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment
