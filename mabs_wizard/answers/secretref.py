"""References to secrets. An answers file never holds a secret value, only where to find it.

    password: {env: MABS_DPM_PASSWORD}
    password: {file: secrets/dpm-password.txt}        # must not be group/world readable
    password: {keyring: {service: mabs-wizard, username: dpm-account}}
    password: prompt                                  # TUI asks; replay refuses
    passphrase: generate                              # encryption passphrase only
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationInfo, field_validator

_HOW = "reference it instead: {env: NAME}, {file: PATH}, {keyring: {service: S, username: U}} or prompt"


class EnvRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="environment variable name")]

    def describe(self) -> str:
        return f"env:{self.env}"


class FileRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    file: Path = Field(description="file holding the secret (one line); must be mode 0600 or stricter")

    @field_validator("file")
    @classmethod
    def _relative_to_answers(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else Path(base) / value

    def describe(self) -> str:
        return f"file:{self.file}"


class KeyringName(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    service: Annotated[str, Field(min_length=1)]
    username: Annotated[str, Field(min_length=1)]


class KeyringRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    keyring: KeyringName

    def describe(self) -> str:
        return f"keyring:{self.keyring.service}/{self.keyring.username}"


def _refuse_literal(allowed: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in allowed:
            # Never echo the value: it is very likely the secret itself.
            raise ValueError(f"a secret may not be written literally in an answers file; {_HOW}"
                             + (" or generate" if "generate" in allowed else ""))
        return value

    return BeforeValidator(check)


def _tag(value: Any) -> str | None:
    # Pick the reference kind from its one key, so a wrong reference gets one clear message
    # instead of an error per union member.
    if isinstance(value, str):
        return value if value in ("prompt", "generate") else None
    if isinstance(value, dict):
        kinds = set(value) & {"env", "file", "keyring"}
        return kinds.pop() if len(kinds) == 1 else None
    for kind, model in (("env", EnvRef), ("file", FileRef), ("keyring", KeyringRef)):
        if isinstance(value, model):
            return kind
    return None


_REF_ERROR = "expected {env: NAME}, {file: PATH}, {keyring: {service: S, username: U}} or prompt"

SecretRef = Annotated[
    Union[
        Annotated[EnvRef, Tag("env")],
        Annotated[FileRef, Tag("file")],
        Annotated[KeyringRef, Tag("keyring")],
        Annotated[Literal["prompt"], Tag("prompt")],
    ],
    Discriminator(_tag, custom_error_type="secret_ref", custom_error_message=_REF_ERROR),
    _refuse_literal(("prompt",)),
    Field(description="where the secret comes from; never the secret itself"),
]

PassphraseRef = Annotated[
    Union[
        Annotated[EnvRef, Tag("env")],
        Annotated[FileRef, Tag("file")],
        Annotated[KeyringRef, Tag("keyring")],
        Annotated[Literal["prompt"], Tag("prompt")],
        Annotated[Literal["generate"], Tag("generate")],
    ],
    Discriminator(_tag, custom_error_type="secret_ref", custom_error_message=_REF_ERROR + " or generate"),
    _refuse_literal(("prompt", "generate")),
    Field(description="where the passphrase comes from, or `generate` for a fresh random one"),
]

AnyRef = Union[EnvRef, FileRef, KeyringRef, Literal["prompt", "generate"]]


def describe_ref(ref: AnyRef) -> str:
    return ref if isinstance(ref, str) else ref.describe()
