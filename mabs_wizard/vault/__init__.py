"""`.VaultCredentials` files: read them safely (:mod:`.read`) and judge them (:mod:`.judge`).

    creds = parse_vault_credentials(path)             # InputError, one line, for anything else
    findings = check_vault(creds, now=now, target_path=r"C:\\MABS\\vault.VaultCredentials")
    status_of(findings)                               # "valid" | "usable with warnings" | "invalid"

Realistic files for the demo kit and the tests come from :mod:`mabs_wizard.vault.demo` (imported
on its own: reading and judging never need it).
"""

from mabs_wizard.vault.judge import DEFAULT_MAX_AGE_HOURS, WARN_AGE_HOURS, Issued, check_vault, issued, status_of
from mabs_wizard.vault.read import (
    AZ_MODELS_NAMESPACE,
    CLIENT_AUTH_OID,
    DC_NAMESPACE,
    DEFAULT_MAX_BYTES,
    ELEMENTS,
    EXPECTED_VERSION,
    EXTENSION,
    REQUIRED,
    ROOT_BACKUP,
    ROOT_SITE_RECOVERY,
    XSI_NAMESPACE,
    AgentLink,
    CertificateInfo,
    VaultCredentials,
    parse_vault_credentials,
)

__all__ = [
    "AZ_MODELS_NAMESPACE",
    "CLIENT_AUTH_OID",
    "DC_NAMESPACE",
    "DEFAULT_MAX_AGE_HOURS",
    "DEFAULT_MAX_BYTES",
    "ELEMENTS",
    "EXPECTED_VERSION",
    "EXTENSION",
    "REQUIRED",
    "ROOT_BACKUP",
    "ROOT_SITE_RECOVERY",
    "WARN_AGE_HOURS",
    "XSI_NAMESPACE",
    "AgentLink",
    "CertificateInfo",
    "Issued",
    "VaultCredentials",
    "check_vault",
    "issued",
    "parse_vault_credentials",
    "status_of",
]
