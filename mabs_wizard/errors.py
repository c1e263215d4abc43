"""Exceptions that map to the CLI's exit codes (see README: 0 done, 2 invalid input, 3 not
connected, 130 cancelled, 1 anything else)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_NOT_CONNECTED = 3
EXIT_CANCELLED = 130


class WizardError(Exception):
    """A failure the operator must see as one clear paragraph (exit 1), never a traceback."""

    exit_code = EXIT_FAILED


class InputError(WizardError):
    """Bad input: an answers file, media set, vault file, path or option (exit 2).

    ``problems`` holds one line per problem, already formatted ``FILE:LINE:COL: field: message``
    where a position is known, so every problem is reported at once.
    """

    exit_code = EXIT_INVALID

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [str(self)]


class Cancelled(WizardError):
    """The operator (Ctrl+C, SIGTERM, the TUI's Cancel) stopped long work (exit 130)."""

    exit_code = EXIT_CANCELLED


class SecretStoreError(WizardError):
    """The secret store cannot be used (locked, insecure backend, wrong password, tampered file):
    the operator can fix it, so it is not a bug (exit 2, like other invalid input)."""

    exit_code = EXIT_INVALID
