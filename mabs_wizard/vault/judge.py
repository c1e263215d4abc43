"""Judging parsed vault credentials: validity, age, certificate, and the path on the target.

Sources for the rules (read them before changing one):

* Azure/azure-powershell ``src/RecoveryServices/RecoveryServices/Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs``
  and ``Utilities/CertUtils.cs``: the certificate Az PowerShell made itself lives 48 h
  (``VaultCertificateExpiryInHoursForBackup = 48``, NotBefore ``UtcNow - 10 min``) and carries the
  Client Authentication EKU ("mandatory for the upload to be successful"); today the service makes
  the certificate, and no source says which EKUs that one carries.
* MicrosoftDocs/azure-docs ``articles/backup/backup-client-automation.md`` ("Registering using the
  PS Az module"): the certificate it shows is made with ``-NotBefore (Get-Date).AddHours(-24)``
  and ``-NotAfter (Get-Date).AddHours(48)``, so NotBefore is a day before the file exists.
* The file's age limits: current MARS FAQ "expire after 10 days", older DPM/MARS docs "48 hrs"
  (mabs-facts §3.5, §10.1); registration fails for a file on a network share (ID 34513, S32).
* The MABS unattended-setup ini's ``VaultCredentialFilePath``: no spaces (mabs-facts, V4 text).
  Azure's own file name ``{vault}_{ddd MMM dd yyyy}.VaultCredentials`` has spaces, so only the
  path on the target is judged for them, never the local file's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import PurePosixPath, PureWindowsPath

from mabs_wizard.findings import Finding, error, passed, warning
from mabs_wizard.vault.read import CLIENT_AUTH_OID, EXPECTED_VERSION, EXTENSION, CertificateInfo, VaultCredentials

WARN_AGE_HOURS = 48.0  # older DPM/MARS docs: "Vault credentials expire after 48 hrs"
DEFAULT_MAX_AGE_HOURS = 240.0  # current MARS FAQ: "expire after 10 days" (mabs-facts §10.1)
BACKUP_LIFETIME = timedelta(hours=48)  # CertUtils (+48 h) and backup-client-automation.md (AddHours(48))
LONGEST_BACKDATE = timedelta(hours=24)  # backup-client-automation.md: NotBefore AddHours(-24)
_SLACK = timedelta(minutes=15)  # clocks, and the seconds between the two Get-Date calls
_WIDEST_UTC_OFFSET = timedelta(hours=14)  # a local date can start 14 h before the same UTC date (UTC+14)
# "{vault}{subscriptionId}-{M-d-yyyy}-vaultcredentials" (CertUtils.GenerateCertFriendlyName; the name
# GetBackupCredentialsWithCertificate asks the service to give its certificate).
_NAME_DATE = re.compile(r"-(\d{1,2})-(\d{1,2})-(\d{4})-vaultcredentials$", re.IGNORECASE)


@dataclass(frozen=True)
class Issued:
    """When the file was made, as best its certificate tells, and from what."""

    at: datetime
    basis: str


def _named_day(cert: CertificateInfo) -> date | None:
    for name in (cert.friendly_name or "", cert.subject.removeprefix("CN=")):
        match = _NAME_DATE.search(name.strip())
        if match:
            month, day, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def issued(cert: CertificateInfo) -> Issued:
    """When the certificate (and so the file) was made: not simply NotBefore, which may be back-dated a day.

    A backup certificate lives 48 h from its creation in both shapes the sources show, whether
    NotBefore is 10 minutes back (CertUtils) or 24 hours back (the automation doc): for a validity
    of 48 to 72 hours, creation is NotAfter - 48 h. Otherwise NotBefore, raised to the earliest
    moment the date written into the certificate's name allows.
    """
    span = cert.not_after - cert.not_before
    if BACKUP_LIFETIME <= span <= BACKUP_LIFETIME + LONGEST_BACKDATE + _SLACK:
        return Issued(cert.not_after - BACKUP_LIFETIME, "expiry - 48 h, the lifetime of a backup vault certificate")
    moment, basis = cert.not_before, "the certificate's NotBefore"
    day = _named_day(cert)
    if day is not None:
        earliest = datetime.combine(day, time(), UTC) - _WIDEST_UTC_OFFSET
        if moment < earliest <= cert.not_after:
            moment, basis = earliest, f"the date {day.isoformat()} in the certificate's name"
    return Issued(moment, basis)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _is_network_path(path: str) -> bool:
    return path.startswith(("\\\\", "//")) or PureWindowsPath(path).drive.startswith("\\\\")


def check_vault(
    creds: VaultCredentials,
    *,
    now: datetime,
    target_path: str | None = None,
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS,
) -> list[Finding]:
    """Judge parsed credentials at ``now``: validity window, age, certificate, and the path on the target.

    ``target_path`` is where the file will be on the Windows target (the MABS ini / MARS command
    line): spaces and network shares are judged there only. Without it, only the local file's
    extension is looked at.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    file_field = "vault.credentials_file"
    cert = creds.certificate
    findings: list[Finding] = []
    window = f"valid from {_fmt(cert.not_before)} to {_fmt(cert.not_after)}, now {_fmt(now)}"
    fresh = "download a new file from the vault (Properties > Backup Credentials)"

    if now < cert.not_before:
        findings.append(
            error("vault.not-yet-valid", file_field, f"certificate is not valid yet: {window}",
                  "check the clock of this machine and of the target, or " + fresh)
        )
    elif now > cert.not_after:
        findings.append(error("vault.expired", file_field, f"certificate has expired: {window}", fresh))
    else:
        made = issued(cert)
        age = max(timedelta(0), now - made.at)
        hours = age.total_seconds() / 3600
        when = f"made about {_fmt(made.at)} by {made.basis}; {window}"
        if age > timedelta(hours=max_age_hours):
            findings.append(
                error("vault.too-old", file_field,
                      f"file is {hours:.0f} hours old, over the {max_age_hours:g}-hour limit ({when})", fresh)
            )
        elif age > timedelta(hours=WARN_AGE_HOURS):
            findings.append(
                warning("vault.older-than-48h", file_field,
                        f"file is {hours:.0f} hours old: current MARS accepts up to 10 days, older agents only 48 hours "
                        f"({when})", fresh)
            )
        else:
            findings.append(passed("vault.valid", file_field, f"vault credentials for {creds.resource_name} ({window})"))

    if not cert.client_auth_eku:
        # A warning, not an error: Az PowerShell's own certificates carry it (CertUtils), but no
        # source says the certificates the service makes today do, and the service accepts its own.
        findings.append(
            warning("vault.eku-missing", file_field,
                    f"certificate has no Client Authentication EKU ({CLIENT_AUTH_OID}); certificates Az PowerShell "
                    "made itself carried it, for those the service makes no source says",
                    "if registration fails with this file, " + fresh)
        )
    if not cert.has_private_key:
        findings.append(error("vault.no-private-key", file_field, "ManagementCert holds no private key", fresh))
    elif not cert.private_key_matches:
        findings.append(
            error("vault.key-mismatch", file_field, "the private key in ManagementCert does not match its certificate",
                  fresh)
        )
    if cert.key_type == "RSA" and (cert.key_size or 0) < 2048:
        findings.append(warning("vault.weak-key", file_field, f"certificate key is RSA {cert.key_size}, expected 2048"))
    if creds.version != EXPECTED_VERSION:
        findings.append(
            warning("vault.version", file_field,
                    f"file version {creds.version!r}, expected {EXPECTED_VERSION!r}; older MARS agents may not parse it",
                    "update the MARS agent or download a new file")
        )
    findings += _path_findings(creds, target_path)
    return findings


def _path_findings(creds: VaultCredentials, target_path: str | None) -> list[Finding]:
    findings: list[Finding] = []
    if target_path is not None:
        where_field, name = "vault.target_path", PureWindowsPath(target_path).name
        if " " in target_path:
            findings.append(
                warning("vault.path-spaces", where_field,
                        "path on the target contains spaces, which the MABS unattended-setup ini forbids",
                        "copy the file to a path without spaces (e.g. C:\\MABS\\vault.VaultCredentials) for unattended setup")
            )
        if _is_network_path(target_path):
            findings.append(
                warning("vault.network-path", where_field,
                        "path is on a network share; registration fails with ID 34513 for files on a network location",
                        "copy the file to a local folder on the target")
            )
    else:
        # The local name is usually the name on the target too; its spaces do not matter here.
        where_field, name = "vault.credentials_file", PurePosixPath(creds.source_path).name
    if not name.lower().endswith(EXTENSION.lower()):
        findings.append(
            warning("vault.extension", where_field, f"file name does not end in {EXTENSION}; MARS' file dialog looks for it")
        )
    return findings


def status_of(findings: list[Finding]) -> str:
    if any(f.level == "error" for f in findings):
        return "invalid"
    if any(f.level == "warning" for f in findings):
        return "usable with warnings"
    return "valid"
