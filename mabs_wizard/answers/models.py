"""The answers file: one section per step of the MABS flow, under a versioned root.

Each section's model is declared once, in its step's module (``mabs_wizard/steps/<section>.py``),
with its rules and its form metadata; this module assembles them into the file's root model and
adds the one section that is not a MABS screen (``secret_store``). Everything else derives from
these models: the loader, the JSON Schema (`mabs-wizard schema answers`), the manifest, the TUI's
forms and summary, the exports' plan.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.steps.encryption import EncryptionAnswers
from mabs_wizard.steps.extraction import ExtractionAnswers
from mabs_wizard.steps.installation import InstallationAnswers
from mabs_wizard.steps.prerequisites import PrerequisitesAnswers
from mabs_wizard.steps.proxy import DEFAULT_ENDPOINTS, ProxyAnswers
from mabs_wizard.steps.security import SecurityAnswers
from mabs_wizard.steps.sql import SqlAnswers
from mabs_wizard.steps.updates import UpdatesAnswers
from mabs_wizard.steps.vault import VaultAnswers

ANSWERS_VERSION = 1

__all__ = [
    "ANSWERS_VERSION",
    "DEFAULT_ENDPOINTS",
    "SECTIONS",
    "Answers",
    "EncryptionAnswers",
    "ExtractionAnswers",
    "InstallationAnswers",
    "PrerequisitesAnswers",
    "ProxyAnswers",
    "SecretStoreAnswers",
    "Section",
    "SecurityAnswers",
    "SqlAnswers",
    "UpdatesAnswers",
    "VaultAnswers",
]


class SecretStoreAnswers(Section):
    """Where secrets are kept (not a MABS screen: the wizard's own choice, reported in the manifest)."""

    kind: Literal["auto", "keyring", "file"] = Field("auto", title="Secret store",
                                                     description="auto: a secure OS keyring if usable, else the encrypted file")
    file: Annotated[LocalPath | None, Form(hidden=True)] = Field(
        None, title="Encrypted store file", description="encrypted store path (kind file, or auto without a keyring)")
    service: Annotated[str, Form(hidden=True)] = Field(
        "mabs-wizard", min_length=1, title="Keyring service", description="keyring service name for the secrets the wizard stores")


class Answers(BaseModel):
    """A complete answers file, version 1."""

    model_config = ConfigDict(extra="forbid", title="mabs-wizard answers", validate_default=True)

    version: Literal[1] = Field(description="answers file format version")
    extraction: ExtractionAnswers
    prerequisites: PrerequisitesAnswers = Field(default_factory=PrerequisitesAnswers)
    sql: SqlAnswers = Field(default_factory=SqlAnswers)
    installation: InstallationAnswers = Field(default_factory=InstallationAnswers)
    security: SecurityAnswers
    updates: UpdatesAnswers = Field(default_factory=UpdatesAnswers)
    proxy: ProxyAnswers = Field(default_factory=ProxyAnswers)
    vault: VaultAnswers
    encryption: EncryptionAnswers
    secret_store: SecretStoreAnswers = Field(default_factory=SecretStoreAnswers)


# Section name -> model, in the order of the seed's flow (the TUI, replay and schema all use this).
SECTIONS: dict[str, type[Section]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Answers.model_fields.items()
    if name != "version"
}
