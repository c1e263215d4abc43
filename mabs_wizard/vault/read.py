"""Reading `.VaultCredentials` files: the real format, parsed safely.

The file (mabs-facts §3.1) is DataContract XML, root ``RSBackupVaultAADCreds`` in the namespace
``http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common``,
one text element per field, ``i:nil="true"`` for nulls. ``ManagementCert`` is base64 of a PKCS#12
holding the certificate *and its private key*, exported with an empty password. Two shapes exist
in the field (Azure/azure-powershell
``src/RecoveryServices/RecoveryServices/Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs``):
today the service makes the certificate (``ManagementCert`` is the service's
``VaultCertificateResponse.Properties.Certificate``) and ``AadAudience`` is filled
(``https://RecoveryServiceVault/{location}/{vault}/{resourceId}``); the older path built a
self-signed ``CN=Windows Azure Tools`` certificate itself (``Utilities/CertUtils.cs``: RSA 2048,
Client Authentication EKU, valid from -10 min to +48 h) and left ``AadAudience`` out (``i:nil``).

The file comes from a download folder, so it is treated as hostile:

* it must be a regular file no larger than ``max_bytes``; the size is checked before reading and the
  read itself stops at ``max_bytes + 1`` bytes (a file growing under us, /dev/zero);
* the XML goes through defusedxml with DTDs forbidden, so DOCTYPE, entities, external entities
  (XXE) and billion-laughs are refused before any expansion, and no file or URL is ever opened;
* every text field is checked for control characters (they would reach the terminal in
  ``vault inspect``) and for its expected shape (GUIDs, the vault-name rule, an integer id);
* the PFX is sized up by :mod:`mabs_wizard.pkcs12_guard` before OpenSSL opens it.

Every rejection is one :class:`InputError` line, ``FILE[:LINE:COL]: reason``. The private key is
loaded only to confirm it exists and matches the certificate, then dropped; nothing derived from it
is kept.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from mabs_wizard.errors import InputError

DC_NAMESPACE = "http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common"
# Az PowerShell serialises with this namespace first and then string-replaces it, because "a bug in
# the DPM UI ... is looking for a particular namespace" (mabs-facts §3.1): DPM/MABS refuses it.
AZ_MODELS_NAMESPACE = "http://schemas.datacontract.org/2004/07/Microsoft.Azure.Commands.AzureBackup.Models"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
ROOT_BACKUP = "RSBackupVaultAADCreds"
ROOT_SITE_RECOVERY = "RSVaultAsrCreds"
LEGACY_ROOTS = {"VaultCreds", "ASRVaultCreds", "BackupVaultCreds"}
EXPECTED_VERSION = "2.0"
EXTENSION = ".VaultCredentials"
CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2"
DEFAULT_MAX_BYTES = 1_000_000  # real files are ~3-5 KB; the PFX dominates

# Element order of the data contract (mabs-facts §3.1); also the order the demo writer uses.
ELEMENTS = (
    "Version",
    "SubscriptionId",
    "ResourceType",
    "ResourceName",
    "ManagementCert",
    "ResourceId",
    "ResourceGroup",
    "Location",
    "ProviderNamespace",
    "AadAuthority",
    "AadTenantId",
    "AadAudience",
    "ServicePrincipalClientId",
    "IdMgmtRestEndpoint",
    "AgentLinks",
    "PrivateEndpointStateForBackup",
)
REQUIRED = (
    "Version",
    "SubscriptionId",
    "ResourceType",
    "ResourceName",
    "ManagementCert",
    "ResourceId",
    "ResourceGroup",
    "Location",
    "AadAuthority",
    "AadTenantId",
    "ServicePrincipalClientId",
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Recovery Services vault names: 2-50 characters, letters, digits and hyphens, starting with a letter.
_VAULT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,49}")
_LOCATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ]{0,39}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AgentLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: str


class CertificateInfo(BaseModel):
    """What the management certificate says; never the key itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    issuer: str
    thumbprint: str  # SHA-1 of the DER certificate, uppercase hex, as Windows shows it
    serial_number: str
    not_before: datetime
    not_after: datetime
    key_type: str
    key_size: int | None
    client_auth_eku: bool
    has_private_key: bool
    private_key_matches: bool
    friendly_name: str | None = None


class VaultCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    subscription_id: str
    resource_type: str
    resource_name: str
    resource_group: str
    location: str
    tenant_id: str
    resource_id: int
    aad_authority: str
    aad_audience: str | None = None
    service_principal_client_id: str
    provider_namespace: str | None = None
    id_mgmt_rest_endpoint: str | None = None
    private_endpoint_state: str | None = None
    agent_links: list[AgentLink] = []
    source_path: Path
    certificate: CertificateInfo

    @property
    def vault_name(self) -> str:
        return self.resource_name


# --------------------------------------------------------------------------------------------
# Reading


def _fail(path: Path, reason: str, position: tuple[int, int] | None = None) -> InputError:
    where = f"{path}:{position[0]}:{position[1]}" if position else str(path)
    line = f"{where}: {reason}"
    return InputError(line, [line])


def _read_capped(path: Path, max_bytes: int) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO someone planted must not block; regular files ignore it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory, not a vault credentials file") from None
    except PermissionError:
        raise _fail(path, "permission denied") from None
    except OSError as exc:
        raise _fail(path, f"cannot open ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _fail(path, "is a directory, not a vault credentials file")
        if not stat.S_ISREG(info.st_mode):
            raise _fail(path, "is not a regular file (device, FIFO or socket)")
        if info.st_size > max_bytes:
            raise _fail(path, f"is {info.st_size:,} bytes; a vault credentials file is a few KB (limit {max_bytes:,})")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(65536, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise _fail(path, f"cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _fail(path, f"grew past {max_bytes:,} bytes while being read")
    return data


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _root_problem(ns: str, name: str) -> str | None:
    if name == ROOT_SITE_RECOVERY:
        return (
            "this is a Site Recovery vault credentials file (RSVaultAsrCreds), the wrong kind for MABS/MARS; "
            "download the Backup credentials (vault > Properties > Backup Credentials)"
        )
    if name in LEGACY_ROOTS:
        return f"legacy ACS-era vault credentials ({name}) are not accepted by current MARS; download a fresh file"
    if name != ROOT_BACKUP:
        return f"root element is <{name}>, not <{ROOT_BACKUP}>: not a backup vault credentials file"
    if ns == AZ_MODELS_NAMESPACE:
        return (
            f"namespace is {ns!r}; MABS/DPM only accepts {DC_NAMESPACE!r} (Az PowerShell rewrites it; "
            "was this file produced by another tool?)"
        )
    if ns != DC_NAMESPACE:
        return f"root element has namespace {ns or '(none)'!r}, expected {DC_NAMESPACE!r}"
    return None


def _fields(path: Path, root: Any) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for child in root:
        ns, name = _local(child.tag)
        if ns != DC_NAMESPACE:
            continue  # foreign elements are not part of the contract
        if name in values:
            raise _fail(path, f"{name}: appears more than once")
        if len(child):
            raise _fail(path, f"{name}: must hold text, not nested elements")
        if child.get(f"{{{XSI_NAMESPACE}}}nil") == "true":
            values[name] = None
            continue
        text = (child.text or "").strip()
        if name != "ManagementCert" and _CONTROL.search(text):
            raise _fail(path, f"{name}: contains control characters")
        values[name] = text
    return values


def _required(path: Path, values: dict[str, str | None]) -> None:
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise _fail(path, f"missing or empty: {', '.join(missing)}")


def _check_shapes(path: Path, values: dict[str, str | None]) -> int:
    for name in ("SubscriptionId", "AadTenantId", "ServicePrincipalClientId"):
        if not _GUID.fullmatch(values[name] or ""):
            raise _fail(path, f"{name}: not a GUID")
    if (values["ResourceType"] or "").lower() != "vaults":
        raise _fail(path, f"ResourceType: is {values['ResourceType']!r}, expected 'Vaults'")
    if not _VAULT_NAME.fullmatch(values["ResourceName"] or ""):
        raise _fail(path, "ResourceName: not a Recovery Services vault name (2-50 letters, digits, hyphens)")
    if not _LOCATION.fullmatch(values["Location"] or ""):
        raise _fail(path, "Location: not an Azure region name")
    if len(values["ResourceGroup"] or "") > 90:
        raise _fail(path, "ResourceGroup: longer than 90 characters")
    raw_id = values["ResourceId"] or ""
    if not re.fullmatch(r"-?[0-9]{1,19}", raw_id):
        raise _fail(path, "ResourceId: not an integer")
    resource_id = int(raw_id)
    if not -(2**63) <= resource_id < 2**63:
        raise _fail(path, "ResourceId: out of range for a 64-bit integer")
    return resource_id


def _agent_links(raw: str | None) -> list[AgentLink]:
    # "Name,url;Name,url;..." - MARS only shows these, so malformed pieces are skipped, not fatal.
    links: list[AgentLink] = []
    for piece in (raw or "").split(";"):
        name, sep, url = piece.partition(",")
        if sep and name.strip() and url.strip():
            links.append(AgentLink(name=name.strip(), url=url.strip()))
    return links


def _printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _certificate(path: Path, encoded: str) -> CertificateInfo:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    from mabs_wizard.pkcs12_guard import NotDer, TooCostly, check_pfx

    compact = "".join(encoded.split())
    try:
        der = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(path, "ManagementCert: not valid base64") from None
    if not der:
        raise _fail(path, "ManagementCert: empty")
    try:
        check_pfx(der)
    except TooCostly as exc:
        raise _fail(path, f"ManagementCert: PKCS#12 refused: {exc}") from None
    except NotDer as exc:
        raise _fail(path, f"ManagementCert: not a PKCS#12 (PFX) certificate ({exc})") from None

    from cryptography.exceptions import UnsupportedAlgorithm

    bundle = None
    for password in (None, b""):
        try:
            bundle = pkcs12.load_pkcs12(der, password)
            break
        except UnsupportedAlgorithm:
            raise _fail(path, "ManagementCert: the PKCS#12 uses an algorithm this system cannot read") from None
        except (ValueError, TypeError):
            continue
    if bundle is None:
        raise _fail(
            path,
            "ManagementCert: the PKCS#12 does not open with an empty password (password-protected or damaged); "
            "files from the portal and Az PowerShell use none",
        )
    # With no private key, OpenSSL cannot tell which certificate is "the" one and lists them all as
    # additional certificates.
    holder = bundle.cert or (bundle.additional_certs[0] if len(bundle.additional_certs) == 1 else None)
    if holder is None:
        raise _fail(path, "ManagementCert: the PKCS#12 holds no certificate (or several and no key)")
    cert = holder.certificate
    try:
        public_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise _fail(path, "ManagementCert: the certificate's public key cannot be read") from None
    key = bundle.key
    # Windows keeps a certificate's friendly name as a NUL-terminated string (CERT_FRIENDLY_NAME_PROP_ID,
    # CertGetCertificateContextProperty) and writes the terminator into the PFX's friendlyName: not part of the name.
    friendly_raw = (holder.friendly_name or b"").rstrip(b"\x00")
    friendly = _printable(friendly_raw.decode("utf-8", "replace")) if friendly_raw else None
    has_key = key is not None
    matches = False
    if key is not None:
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        enc = serialization.Encoding.DER
        matches = key.public_key().public_bytes(enc, spki) == public_key.public_bytes(enc, spki)
    # Drop every reference to the private key now (Python cannot wipe memory, but nothing keeps it).
    del key, bundle, holder

    key_size: int | None
    if isinstance(public_key, rsa.RSAPublicKey):
        key_type, key_size = "RSA", public_key.key_size
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        key_type, key_size = f"EC {public_key.curve.name}", public_key.key_size
    elif isinstance(public_key, dsa.DSAPublicKey):
        key_type, key_size = "DSA", public_key.key_size
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        key_type, key_size = "Ed25519", 256
    elif isinstance(public_key, ed448.Ed448PublicKey):
        key_type, key_size = "Ed448", 456
    else:
        key_type, key_size = type(public_key).__name__, None
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        client_auth = any(oid.dotted_string == CLIENT_AUTH_OID for oid in eku)
    except x509.ExtensionNotFound:
        client_auth = False
    except ValueError:
        raise _fail(path, "ManagementCert: certificate extensions are malformed") from None
    try:
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    except ValueError:
        raise _fail(path, "ManagementCert: the certificate's names are malformed") from None
    return CertificateInfo(
        subject=_printable(subject),
        issuer=_printable(issuer),
        thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - Windows' thumbprint is SHA-1
        serial_number=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        key_size=key_size,
        client_auth_eku=client_auth,
        has_private_key=has_key,
        private_key_matches=matches,
        friendly_name=friendly,
    )


def parse_vault_credentials(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VaultCredentials:
    """Read and validate a backup ``.VaultCredentials`` file; InputError (one line) if it is not one."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    path = Path(path)
    data = _read_capped(path, max_bytes)
    if not data.strip():
        raise _fail(path, "file is empty")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        kind = type(exc).__name__
        reason = {
            "DTDForbidden": "contains a DOCTYPE; DTDs and entities are refused (vault files never have one)",
            "EntitiesForbidden": "declares XML entities; refused (vault files never have them)",
            "ExternalReferenceForbidden": "references an external resource; refused",
        }.get(kind, f"refused by the safe XML parser ({kind})")
        raise _fail(path, reason) from None
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        position = getattr(exc, "position", None)
        pos = (position[0], position[1] + 1) if position else None
        message = str(exc).split(":")[0] if str(exc) else "malformed"
        raise _fail(path, f"not a vault credentials file: not well-formed XML ({message})", pos) from None
    except LookupError:
        raise _fail(path, "not a vault credentials file: the XML declares an unknown encoding (vault files are UTF-8)") from None
    except (ValueError, UnicodeError) as exc:
        raise _fail(path, f"not a vault credentials file: unreadable XML ({type(exc).__name__})") from None

    ns, name = _local(root.tag)
    problem = _root_problem(ns, name)
    if problem:
        raise _fail(path, problem)
    values = _fields(path, root)
    _required(path, values)
    resource_id = _check_shapes(path, values)
    certificate = _certificate(path, values["ManagementCert"] or "")
    return VaultCredentials(
        version=values["Version"] or "",
        subscription_id=(values["SubscriptionId"] or "").lower(),
        resource_type=values["ResourceType"] or "",
        resource_name=values["ResourceName"] or "",
        resource_group=values["ResourceGroup"] or "",
        location=values["Location"] or "",
        tenant_id=(values["AadTenantId"] or "").lower(),
        resource_id=resource_id,
        aad_authority=values["AadAuthority"] or "",
        aad_audience=values.get("AadAudience"),
        service_principal_client_id=(values["ServicePrincipalClientId"] or "").lower(),
        provider_namespace=values.get("ProviderNamespace"),
        id_mgmt_rest_endpoint=values.get("IdMgmtRestEndpoint"),
        private_endpoint_state=values.get("PrivateEndpointStateForBackup"),
        agent_links=_agent_links(values.get("AgentLinks")),
        source_path=path,
        certificate=certificate,
    )
