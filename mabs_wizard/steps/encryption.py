"""Register Server: Encryption Setting (the backup encryption passphrase and where it is saved).

Rules: the passphrase's length and characters and its confirmation (``passphrase.check_passphrase``);
the save location exists, is writable, and is not somewhere MABS advises against
(``passphrase.check_save_location``). Work: the passphrase file (mode 0600) in the save location, the
passphrase in the secret store, and a salted verifier in the manifest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.secretref import PassphraseRef, SecretRef
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.answers.winpath import WindowsPath
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.events import Message
from mabs_wizard.findings import Finding
from mabs_wizard.steps.base import Sections, Step, checked, known

if TYPE_CHECKING:
    from concurrent.futures import Future


class EncryptionAnswers(Section):
    """Register Server: Encryption Setting."""

    passphrase: PassphraseRef = Field(title="Passphrase",
                                      description="backup encryption passphrase (ini SecurityPassphrase): 16 or more ASCII "
                                                  "characters, or generate")
    confirm_passphrase: SecretRef | None = Field(None, title="Confirm passphrase", description="must resolve to the same value when given")
    save_location: Annotated[LocalPath, Form(placeholder="existing folder, off the server")] = Field(
        title="Save location", description="existing folder (ideally off the server) where the passphrase file is written")
    target_save_location: Annotated[WindowsPath | None, Form(placeholder="e.g. C:\\MABSSetup\\Passphrase")] = Field(
        None, title="Target folder", description="existing folder on the target for the ini PassphraseSaveLocation")


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    from mabs_wizard.passphrase import check_passphrase, check_save_location
    from mabs_wizard.steps.installation import InstallationAnswers

    enc = sections["encryption"]
    out: list[Finding] = []
    if known(enc, "passphrase", "confirm_passphrase"):
        value = ctx.resolve("encryption.passphrase", enc.passphrase, out)
        confirm = ctx.resolve("encryption.confirm_passphrase", enc.confirm_passphrase, out)
        if value is not None:
            out += check_passphrase(value, confirm if enc.confirm_passphrase is not None else value)
    if known(enc, "save_location"):
        ext = sections.get("extraction")
        inst = sections.get("installation") or InstallationAnswers()
        out += check_save_location(
            enc.save_location,
            same_machine_as_target=ctx.facts_source == "probe",
            extraction_dir=getattr(ext, "destination", None),
            install_dirs=[inst.program_files, inst.database_files, inst.scratch],  # type: ignore[attr-defined]
        )
    return out


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    from mabs_wizard.passphrase import write_passphrase_file

    outcome = checked(STEP, sections, ctx)
    value = ctx.secrets.resolve("encryption.passphrase", sections["encryption"].passphrase)
    assert value is not None  # checked above: the passphrase reference is required
    vault_name = ctx.results.get("vault", {}).get("resource_name", "vault")
    path = write_passphrase_file(sections["encryption"].save_location, value, vault_name=vault_name,
                                 machine=ctx.facts.computer_name, now=ctx.now)
    outcome.result["passphrase_file"] = str(path)
    outcome.result["verifier"] = verifier(sections, ctx).result().model_dump(mode="json")
    ctx.emit(Message("encryption", "info", f"passphrase saved to {path} (mode 0600) and to the secret store"))
    return outcome


def verifier(sections: Sections, ctx: RunContext) -> Future[Any]:
    """The passphrase's salted verifier: a deliberate KDF cost, derived on its own thread."""
    def derive() -> Any:
        from mabs_wizard.passphrase import make_verifier

        return make_verifier(ctx.secrets.resolve("encryption.passphrase", sections["encryption"].passphrase) or "")

    return ctx.in_background("verifier", derive)


STEP = Step("encryption", "Encryption setting", EncryptionAnswers, check, apply)
