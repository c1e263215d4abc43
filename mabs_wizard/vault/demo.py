"""Fresh, realistic ``.VaultCredentials`` files for the demo kit and the tests.

By default, what Az PowerShell's ``Get-AzRecoveryServicesVaultSettingsFile -Backup`` wrote when it
made the certificate itself (Azure/azure-powershell
``src/RecoveryServices/RecoveryServices/Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs`` with
``Utilities/CertUtils.cs``; mabs-facts §3.1, §3.3, §3.4): a self-signed ``CN=Windows Azure Tools``
RSA-2048 certificate with the Client Authentication EKU, valid from now − 10 min to now + 48 h,
friendly name ``{vault}{subscription}-{M-d-yyyy}-vaultcredentials`` stored NUL-terminated as
Windows stores it, packed with its private key into a PFX with no password, base64-encoded into
DataContract XML (UTF-8 without BOM, indented, CRLF line ends as .NET's XmlWriter writes them on
Windows) with ``AadAudience`` nil, named ``{vault}_{ddd MMM dd yyyy}.VaultCredentials``.
Overrides give the other shapes (the tests name their sources): ``aad_audience=...``,
``client_auth_eku=False``, ``subject_cn=...``, ``friendly_name=...``, ``not_before_offset=...``.

One difference, stated honestly: Windows encrypts the PFX bags with the empty password, while
``cryptography`` refuses an empty encryption password, so the demo PFX has a plain key bag under an
empty-password MAC. Both load the same way (``load_pkcs12(data, None)``); the tests also feed the
parser an empty-password 3DES PFX made by ``openssl`` to cover the Windows shape.

Files made here expire (that is the point): generate them at run time, never commit one.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from mabs_wizard.fsutil import atomic_write_bytes
from mabs_wizard.vault.read import CLIENT_AUTH_OID, DC_NAMESPACE, ELEMENTS, ROOT_BACKUP, XSI_NAMESPACE

SUBJECT_CN = "Windows Azure Tools"
AGENT_LINKS = (
    "WABUpdateKBLink,http://go.microsoft.com/fwlink/p/?LinkId=229525;"
    "StorageQuotaPurchaseLink,http://go.microsoft.com/fwlink/?LinkId=205490;"
    "WebPortalLink,http://go.microsoft.com/fwlink/?LinkId=817353;"
    "WABprivacyStatement,http://go.microsoft.com/fwlink/?LinkId=221308"
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SNAKE = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): name for name in ELEMENTS}
_SNAKE["tenant_id"] = "AadTenantId"
_SNAKE["private_endpoint_state"] = "PrivateEndpointStateForBackup"
_SPECIAL = {"omit", "pfx_password", "client_auth_eku", "key_size", "root_element", "namespace", "include_private_key",
            "key_pem", "serial_number", "subject_cn", "friendly_name"}


def az_file_name(vault_name: str, now: datetime) -> str:
    # C#'s "{1:ddd MMM dd yyyy}" under an English culture; strftime's %a/%b would follow the locale.
    day = _DAYS[now.weekday()]
    return f"{vault_name}_{day} {_MONTHS[now.month - 1]} {now.day:02d} {now.year}.VaultCredentials"


def _pfx(
    vault_name: str,
    subscription_id: str,
    now: datetime,
    not_before: datetime,
    not_after: datetime,
    *,
    key_size: int,
    client_auth_eku: bool,
    password: bytes | None,
    include_private_key: bool,
    key_pem: bytes | None = None,
    serial_number: int | None = None,
    subject_cn: str = SUBJECT_CN,
    friendly_name: str | None = None,
) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    # A given key and serial make the certificate reproducible (PKCS#1 v1.5 signatures are
    # deterministic): tests with a fixed clock get a fixed thumbprint without committing a file that expires.
    key = (
        serialization.load_pem_private_key(key_pem, None)
        if key_pem is not None
        else rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number if serial_number is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=False,
        )
    )
    if client_auth_eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(CLIENT_AUTH_OID)]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    # Friendly name as Az PowerShell sets it (CertUtils.GenerateCertFriendlyName):
    # "{vaultName}{subscriptionId}-{M-d-yyyy}-vaultcredentials", with the NUL Windows keeps at its end
    # (CERT_FRIENDLY_NAME_PROP_ID is a NUL-terminated string, exported as it is).
    if friendly_name is None:
        friendly_name = f"{vault_name}{subscription_id}-{now.month}-{now.day}-{now.year}-vaultcredentials\x00"
    friendly = friendly_name.encode()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        friendly, key if include_private_key else None, cert, None, encryption
    )


def _xml(values: dict[str, str | None], root: str, namespace: str) -> bytes:
    nl = "\r\n"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<{root} xmlns:i="{XSI_NAMESPACE}"',
        f'  xmlns="{namespace}">',
    ]
    for element, value in values.items():
        if value is None:
            lines.append(f'  <{element} i:nil="true" />')
        else:
            lines.append(f"  <{element}>{escape(value)}</{element}>")
    lines.append(f"</{root}>")
    return nl.join(lines).encode("utf-8")  # no BOM: XmlWriterSettings { Encoding = UTF8 (no BOM) }


def write_demo_vault_credentials(
    path: Path,
    *,
    vault_name: str = "contoso-mabs-vault",
    now: datetime | None = None,
    valid_hours: float = 48,
    not_before_offset: timedelta = timedelta(minutes=-10),
    **overrides: Any,
) -> Path:
    """Write a fresh, realistic vault-credentials file at ``path`` (a folder: Azure's file name in it).

    ``overrides``: element values by snake_case name (``resource_name="x"``, ``aad_audience=None``
    for ``i:nil``), plus ``omit`` (element names to leave out), ``pfx_password`` (bytes: a
    password-protected PFX), ``client_auth_eku`` (bool), ``key_size`` (int), ``root_element``,
    ``namespace``, ``include_private_key`` (bool), ``subject_cn`` and ``friendly_name`` (str), and
    ``key_pem`` (bytes) with ``serial_number`` (int) for a reproducible certificate.
    """
    unknown = set(overrides) - set(_SNAKE) - _SPECIAL
    if unknown:
        raise TypeError(f"unknown vault override(s): {', '.join(sorted(unknown))}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    not_before = now + not_before_offset
    not_after = now + timedelta(hours=valid_hours)
    subscription_id = str(overrides.get("subscription_id") or uuid.uuid4())

    values: dict[str, str | None] = {
        "Version": "2.0",
        "SubscriptionId": subscription_id,
        "ResourceType": "Vaults",
        "ResourceName": vault_name,
        "ManagementCert": "",  # filled below
        "ResourceId": str(secrets.randbelow(9 * 10**15) + 10**15),
        "ResourceGroup": "contoso-backup-rg",
        "Location": "westeurope",
        "ProviderNamespace": "Microsoft.RecoveryServices",
        "AadAuthority": "https://login.windows.net",
        "AadTenantId": str(uuid.uuid4()),
        "AadAudience": None,
        "ServicePrincipalClientId": str(uuid.uuid4()),
        # Az's AzureManagementEndpointAudience (ActiveDirectoryServiceEndpointResourceId, public cloud).
        "IdMgmtRestEndpoint": "https://management.core.windows.net/",
        "AgentLinks": AGENT_LINKS,
        "PrivateEndpointStateForBackup": None,
    }
    for key, value in overrides.items():
        if key in _SNAKE:
            values[_SNAKE[key]] = None if value is None else str(value)
    if "management_cert" not in overrides:
        pfx = _pfx(
            values["ResourceName"] or vault_name,
            subscription_id,
            now,
            not_before,
            not_after,
            key_size=int(overrides.get("key_size", 2048)),
            client_auth_eku=bool(overrides.get("client_auth_eku", True)),
            password=overrides.get("pfx_password"),
            include_private_key=bool(overrides.get("include_private_key", True)),
            key_pem=overrides.get("key_pem"),
            serial_number=overrides.get("serial_number"),
            subject_cn=str(overrides.get("subject_cn", SUBJECT_CN)),
            friendly_name=overrides.get("friendly_name"),
        )
        values["ManagementCert"] = base64.b64encode(pfx).decode("ascii")
    omit: Iterable[str] = overrides.get("omit", ())
    for element in omit:
        values.pop(element, None)

    data = _xml(values, overrides.get("root_element", ROOT_BACKUP), overrides.get("namespace", DC_NAMESPACE))
    target = Path(path)
    if target.is_dir():
        target = target / az_file_name(vault_name, now)
    return atomic_write_bytes(target, data)
