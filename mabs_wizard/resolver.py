"""Resolve secret references to values, in memory only.

Values live in a dict keyed by answers path ("security.password"); nothing here logs, prints or
raises with a value. The TUI hands typed values in with ``provide``; replay reads env/file/keyring.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from mabs_wizard.answers.secretref import AnyRef, EnvRef, FileRef, KeyringRef, describe_ref
from mabs_wizard.errors import InputError, SecretStoreError
from mabs_wizard.fsutil import is_private

MAX_SECRET_FILE = 4096


class Secrets:
    def __init__(
        self,
        *,
        provided: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        allow_prompt: bool = False,
        prompt: Callable[[str], str] | None = None,
    ) -> None:
        self._values: dict[str, str] = dict(provided or {})
        self._sources: dict[str, str] = {k: "prompt" for k in self._values}
        self._environ = os.environ if environ is None else environ
        self._allow_prompt = allow_prompt
        self._prompt = prompt

    def __repr__(self) -> str:  # never the values
        return f"Secrets(fields={sorted(self._values)})"

    def provide(self, field: str, value: str, source: str = "prompt") -> None:
        self._values[field] = value
        self._sources[field] = source

    def forget(self, field: str) -> None:
        self._values.pop(field, None)
        self._sources.pop(field, None)

    def has(self, field: str) -> bool:
        return field in self._values

    def source(self, field: str) -> str:
        return self._sources.get(field, "unresolved")

    def resolve(self, field: str, ref: AnyRef | None) -> str | None:
        """The value for ``field``; InputError (naming the field and the reference) if unavailable."""
        if ref is None:
            return None
        if field in self._values:
            return self._values[field]
        value, source = self._read(field, ref)
        self._values[field] = value
        self._sources[field] = source
        return value

    def _read(self, field: str, ref: AnyRef) -> tuple[str, str]:
        if isinstance(ref, EnvRef):
            if ref.env not in self._environ:
                raise InputError(f"{field}: environment variable {ref.env} is not set")
            return self._environ[ref.env], ref.describe()
        if isinstance(ref, FileRef):
            return _read_secret_file(field, ref.file), ref.describe()
        if isinstance(ref, KeyringRef):
            from mabs_wizard.secret_store import open_store

            try:
                return open_store("keyring").get(ref.keyring.service, ref.keyring.username), ref.describe()
            except SecretStoreError as exc:
                raise InputError(f"{field}: {describe_ref(ref)}: {exc}") from None
        if ref == "generate":
            from mabs_wizard.passphrase import generate_passphrase

            return generate_passphrase(), "generated"
        if ref == "prompt":
            if self._allow_prompt and self._prompt is not None:
                return self._prompt(field), "prompt"
            raise InputError(f"{field}: 'prompt' needs someone to type it; headless replay cannot ask "
                             "(use {env: NAME}, {file: PATH} or {keyring: ...}, or run the interactive wizard)")
        raise InputError(f"{field}: unsupported secret reference")


def _read_secret_file(field: str, path: Path) -> str:
    try:
        if not path.is_file():
            raise InputError(f"{field}: secret file {path} does not exist")
        if not is_private(path):
            mode = path.stat().st_mode & 0o777
            raise InputError(f"{field}: secret file {path} is readable by others (mode {mode:04o}); run chmod 600 on it")
        with path.open("rb") as fh:
            raw = fh.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise InputError(f"{field}: cannot read secret file {path} ({exc.strerror})") from None
    if len(raw) > MAX_SECRET_FILE:
        raise InputError(f"{field}: secret file {path} is larger than {MAX_SECRET_FILE} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{field}: secret file {path} is not UTF-8 text") from None
    # One value on the first line; only the line ending is stripped (spaces may be part of it).
    return text.split("\n", 1)[0].removesuffix("\r")
