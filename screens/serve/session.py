"""One browser session: its own output folder, and a wizard process started clean.

textual-serve's ``AppService`` starts ``/bin/sh -c COMMAND`` with a copy of the server's whole
environment (``app_service.py``: ``_build_environment`` copies ``os.environ``). Here the child is
started without a shell (argv list, ``sys.executable``: no quoting to get wrong, whatever the paths
hold) and with only the variables listed in ``PASSED_ON`` plus the ones textual-serve's web driver
needs. A store password (``MABS_WIZARD_STORE_PASSWORD``), the server's token, cloud credentials or
anything else in the server's environment never reach a session: the wizard asks the encrypted
store's password in its masked dialog, in the browser.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from textual_serve.app_service import AppService

CHILD_MODULE = "mabs_wizard.screens.serve.child"

# Taken from the server's environment when set; each is a place or a setting, never a secret.
PASSED_ON = (
    "PATH",  # the tools steps run (innoextract for Inno Setup media)
    "HOME",  # default places: the encrypted store (~/.local/share/mabs-wizard), keyring's config file
    "LANG", "LC_ALL", "LC_CTYPE",  # text and file-name encoding, as in the operator's terminal
    "TERM",
    "TMPDIR",
    "XDG_DATA_HOME", "XDG_CONFIG_HOME",  # where the operator moved those default places
    # The OS keyring of the user running `serve`: the same store the TUI would use on this machine,
    # so `secret_store: auto` decides the same way (and `keyring` works at all). The bus address is a
    # socket path, not a credential: the bus authenticates the process by its uid.
    "DBUS_SESSION_BUS_ADDRESS",
    "PYTHON_KEYRING_BACKEND",  # the operator's choice of keyring backend
)

# Set by textual-serve for its web driver (app_service.py, _build_environment); kept from its result.
SET_BY_TEXTUAL_SERVE = ("TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION",
                        "COLUMNS", "ROWS")

STOP_TIMEOUT = 10.0  # seconds a session gets to quit before it is terminated, then killed


def child_environment(server_env: Mapping[str, str], served: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a session: listed variables of the server's, then textual-serve's own."""
    env = {name: server_env[name] for name in PASSED_ON if name in server_env}
    env.update({name: served[name] for name in SET_BY_TEXTUAL_SERVE if name in served})
    return env


def child_argv(output: Path, answers: Path | None) -> list[str]:
    argv = [sys.executable, "-m", CHILD_MODULE, "--output", str(output)]
    if answers is not None:
        argv += ["--answers", str(answers)]
    return argv


def new_session_folder(output: Path, now: datetime | None = None) -> Path:
    """A fresh folder under `output`, mode 0700, named by its start time plus a random part."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    output.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"session-{stamp}-", dir=output))


class SessionService(AppService):
    """textual-serve's app service, with the child started from an argv list and a clean environment."""

    def __init__(self, argv: Sequence[str], folder: Path, **kwargs: Any) -> None:
        # `command` is only shown (textual-serve logs it); nothing runs it through a shell.
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = list(argv)
        self.folder = folder

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        return child_environment(os.environ, super()._build_environment(width=width, height=height))

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """textual-serve's relay; then, whether the wizard said goodbye or died (killed, out of
        memory), the browser's side is closed too, so its place is freed and its page says so."""
        try:
            await super().run()
        finally:
            await self.remote_close()

    async def stop(self) -> None:
        """Ask the wizard to quit (textual-serve's "quit" meta); terminate, then kill, one that does not."""
        process = self._process
        try:
            await asyncio.wait_for(super().stop(), STOP_TIMEOUT)
            if process is not None:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            return
        except TimeoutError:
            self._task = None  # cancelled by the timeout; a second stop() must not await it again
        if process is None or process.returncode is not None:
            return
        for signal_it in (process.terminate, process.kill):
            try:
                signal_it()
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT / 2)
                return
            except TimeoutError:
                continue
