"""Register Server: Vault Identification (the .VaultCredentials file downloaded from the vault).

Rules: the file parses as Azure writes it, its certificate is valid now and not too old, and the path
it will have on the target suits the unattended setup's ini (``vault.check_vault``). Work: none
beyond the check; the parsed details go into the manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from mabs_wizard.answers.localpath import LocalPath
from mabs_wizard.answers.section import Form, Section
from mabs_wizard.answers.winpath import WindowsPath
from mabs_wizard.context import CheckContext, RunContext, StepOutcome
from mabs_wizard.errors import InputError
from mabs_wizard.findings import Finding, error, warning
from mabs_wizard.steps.base import Sections, Step, checked, known


class VaultAnswers(Section):
    """Register Server: Vault Identification."""

    credentials_file: Annotated[LocalPath, Form(placeholder="….VaultCredentials")] = Field(
        title="Vault credentials", description="the .VaultCredentials file downloaded from the Recovery Services vault")
    target_path: Annotated[WindowsPath | None, Form(placeholder="e.g. C:\\MABSSetup\\vault.VaultCredentials")] = Field(
        None, title="Path on target",
        description="where that file will be on the target (ini VaultCredentialFilePath: full path, no spaces)")
    max_age_hours: Annotated[float, Field(gt=0, le=240), Form(hidden=True)] = Field(
        240, title="Maximum age (hours)", description="refuse files older than this (current MARS: 10 days; older agents: 48 h)")


def check(sections: Sections, ctx: CheckContext) -> list[Finding]:
    from mabs_wizard.vault import check_vault

    va = sections["vault"]
    if not known(va, "credentials_file"):
        return []
    try:
        creds = credentials(ctx, va.credentials_file)
    except InputError as exc:
        return [error("vault.parse", "vault.credentials_file", str(exc))]
    target = va.target_path if known(va, "target_path") else None
    out = check_vault(creds, now=ctx.now, target_path=target, max_age_hours=va.max_age_hours if known(va, "max_age_hours") else 240)
    if known(va, "target_path") and va.target_path is None:
        out.append(warning("vault.target-path", "vault.target_path", "no target path: the ini's VaultCredentialFilePath will be a placeholder",
                           "fill in {vault.target_path}: where the file will be on the server (no spaces)"))
    return out


def credentials(ctx: CheckContext, path: Path) -> Any:
    """Parsed once per (file, version) and context: loading the PKCS#12 inside costs ~40 ms each time."""
    from mabs_wizard.vault import parse_vault_credentials

    try:
        st = path.stat()
    except OSError:
        return parse_vault_credentials(path)  # let the parser report the missing file
    return ctx.memoised(("vault", str(path), st.st_mtime_ns, st.st_size), lambda: parse_vault_credentials(path))


def apply(sections: Sections, ctx: RunContext) -> StepOutcome:
    outcome = checked(STEP, sections, ctx)
    outcome.result = credentials(ctx, sections["vault"].credentials_file).model_dump(mode="json")
    return outcome


STEP = Step("vault", "Vault identification", VaultAnswers, check, apply)
