"""Vault credentials: the real format, the checks, and a hostile corpus that never gets through."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

from mabs_wizard.errors import InputError
from mabs_wizard.pkcs12_guard import _oid
from mabs_wizard.vault import (
    DC_NAMESPACE,
    ELEMENTS,
    WARN_AGE_HOURS,
    check_vault,
    issued,
    parse_vault_credentials,
    status_of,
)
from mabs_wizard.vault.demo import az_file_name, write_demo_vault_credentials

# ------------------------------------------------------------------------------------------
# Audit hook: records every file open and socket connect while armed. Python raises these
# events for open(), os.open(), socket.connect() and urllib, whatever library does the I/O.

_AUDIT: list[tuple[str, tuple]] | None = None


def _audit_hook(event: str, args: tuple) -> None:
    if _AUDIT is not None and event in ("open", "socket.connect", "urllib.Request", "socket.getaddrinfo"):
        _AUDIT.append((event, args))


sys.addaudithook(_audit_hook)


@contextmanager
def audited() -> Iterator[list[tuple[str, tuple]]]:
    global _AUDIT
    _AUDIT = []
    try:
        yield _AUDIT
    finally:
        _AUDIT = None


def one_line_error(path: Path, parse: Callable[[], object] | None = None) -> str:
    with pytest.raises(InputError) as info:
        (parse or (lambda: parse_vault_credentials(path)))()
    message = str(info.value)
    assert "\n" not in message
    assert info.value.lines() == [message]
    assert message.startswith(str(path))
    assert "Traceback" not in message
    return message


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def fresh(tmp_path: Path, now: datetime) -> Path:
    return write_demo_vault_credentials(tmp_path / "contoso.VaultCredentials", now=now)


# ------------------------------------------------------------------------------------------
# The real format


def test_fresh_demo_file_parses_to_the_values_in_it(fresh: Path, now: datetime) -> None:
    creds = parse_vault_credentials(fresh)
    text = fresh.read_text(encoding="utf-8")
    assert creds.version == "2.0" and creds.resource_type == "Vaults"
    assert creds.resource_name == "contoso-mabs-vault"
    assert f"<SubscriptionId>{creds.subscription_id}</SubscriptionId>" in text
    assert f"<AadTenantId>{creds.tenant_id}</AadTenantId>" in text
    assert f"<ResourceId>{creds.resource_id}</ResourceId>" in text
    assert creds.aad_audience is None and creds.private_endpoint_state is None  # i:nil
    assert [link.name for link in creds.agent_links] == [
        "WABUpdateKBLink", "StorageQuotaPurchaseLink", "WebPortalLink", "WABprivacyStatement",
    ]
    cert = creds.certificate
    assert cert.subject == cert.issuer == "CN=Windows Azure Tools"
    assert cert.key_type == "RSA" and cert.key_size == 2048
    assert cert.client_auth_eku and cert.has_private_key and cert.private_key_matches
    assert abs(cert.not_before - (now - timedelta(minutes=10))) < timedelta(seconds=2)
    assert abs(cert.not_after - (now + timedelta(hours=48))) < timedelta(seconds=2)
    # Thumbprint = SHA-1 of the DER certificate, uppercase hex: recompute it independently.
    blob = re.search(r"<ManagementCert>(.*)</ManagementCert>", text).group(1)  # type: ignore[union-attr]
    loaded = pkcs12.load_pkcs12(base64.b64decode(blob), None)
    assert cert.thumbprint == loaded.cert.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    assert re.fullmatch(r"[0-9A-F]{40}", cert.thumbprint)
    assert cert.friendly_name and cert.friendly_name.startswith(f"contoso-mabs-vault{creds.subscription_id}-")


def test_fresh_file_passes_every_check(fresh: Path, now: datetime) -> None:
    findings = check_vault(parse_vault_credentials(fresh), now=now, target_path=r"C:\MABS\contoso.VaultCredentials")
    assert [f.level for f in findings] == ["pass"]
    assert findings[0].code == "vault.valid" and findings[0].field == "vault.credentials_file"


def test_demo_file_has_the_datacontract_shape(fresh: Path) -> None:
    raw = fresh.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>\r\n<RSBackupVaultAADCreds ')  # no BOM
    assert f'xmlns="{DC_NAMESPACE}"'.encode() in raw
    order = [m.group(1) for m in re.finditer(rb"^  <(\w+)", raw, re.M)]
    assert [o.decode() for o in order] == list(ELEMENTS)
    assert b'<AadAudience i:nil="true" />' in raw
    assert oct(fresh.stat().st_mode & 0o777) == oct(0o600)


def test_directory_target_uses_the_az_powershell_file_name(tmp_path: Path) -> None:
    moment = datetime(2016, 4, 10, 12, 0, tzinfo=UTC)
    assert az_file_name("testvault", moment) == "testvault_Sun Apr 10 2016.VaultCredentials"  # mabs-facts §3.4
    written = write_demo_vault_credentials(tmp_path, vault_name="testvault")
    assert written.parent == tmp_path
    assert re.fullmatch(r"testvault_(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d{4}\.VaultCredentials", written.name)
    assert parse_vault_credentials(written).resource_name == "testvault"


@pytest.mark.parametrize("cert_pbe", ["PBE-SHA1-3DES", "PBE-SHA1-RC2-40"])
def test_windows_style_pfx_encrypted_with_the_empty_password_is_read(tmp_path: Path, fresh: Path, cert_pbe: str) -> None:
    # Windows exports the PFX with its bags encrypted under the empty password (3DES for the key;
    # 3DES or, on older Windows, RC2-40 for the certificate); cryptography cannot write that,
    # openssl can (Debian package: openssl).
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to build a Windows-style PFX"
    blob = re.search(r"<ManagementCert>(.*)</ManagementCert>", fresh.read_text()).group(1)  # type: ignore[union-attr]
    plain = tmp_path / "plain.pfx"
    plain.write_bytes(base64.b64decode(blob))
    pem = tmp_path / "both.pem"
    subprocess.run([openssl, "pkcs12", "-in", plain, "-passin", "pass:", "-nodes", "-out", pem], check=True,
                   capture_output=True)
    legacy = tmp_path / "windows.pfx"
    subprocess.run(
        [openssl, "pkcs12", "-export", "-in", pem, "-passout", "pass:", "-keypbe", "PBE-SHA1-3DES",
         "-certpbe", cert_pbe, "-macalg", "sha1", "-legacy", "-out", legacy],
        check=True, capture_output=True,
    )
    info = subprocess.run([openssl, "pkcs12", "-info", "-in", legacy, "-passin", "pass:", "-noout", "-legacy"],
                          capture_output=True, text=True)
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info.stdout + info.stderr  # really encrypted
    target = write_demo_vault_credentials(
        tmp_path / "win.VaultCredentials", management_cert=base64.b64encode(legacy.read_bytes()).decode()
    )
    cert = parse_vault_credentials(target).certificate
    assert cert.has_private_key and cert.private_key_matches and cert.client_auth_eku


# ------------------------------------------------------------------------------------------
# Validity


def test_expired_file_is_an_error_with_both_times(tmp_path: Path, now: datetime) -> None:
    path = write_demo_vault_credentials(tmp_path / "old.VaultCredentials", now=now - timedelta(days=3))
    creds = parse_vault_credentials(path)
    errors = [f for f in check_vault(creds, now=now) if f.level == "error"]
    assert [f.code for f in errors] == ["vault.expired"]
    message = errors[0].message
    assert creds.certificate.not_before.strftime("%Y-%m-%d %H:%M:%S UTC") in message
    assert creds.certificate.not_after.strftime("%Y-%m-%d %H:%M:%S UTC") in message
    assert "\n" not in message


def test_not_yet_valid_file_is_an_error_with_both_times(tmp_path: Path, now: datetime) -> None:
    path = write_demo_vault_credentials(
        tmp_path / "future.VaultCredentials", now=now + timedelta(hours=5), not_before_offset=timedelta(0)
    )
    creds = parse_vault_credentials(path)
    errors = [f for f in check_vault(creds, now=now) if f.level == "error"]
    assert [f.code for f in errors] == ["vault.not-yet-valid"]
    assert creds.certificate.not_before.strftime("%Y-%m-%d %H:%M:%S UTC") in errors[0].message
    assert creds.certificate.not_after.strftime("%Y-%m-%d %H:%M:%S UTC") in errors[0].message


def test_age_rules_follow_the_10_day_vs_48_hour_conflict(tmp_path: Path, now: datetime) -> None:
    # A file whose certificate lives longer than 48 h (the portal's 10-day files): warn after 48 h,
    # refuse after max_age_hours (default 240 = 10 days, mabs-facts §10.1).
    path = write_demo_vault_credentials(tmp_path / "long.VaultCredentials", now=now, valid_hours=24 * 14)
    creds = parse_vault_credentials(path)
    codes = lambda later, **kw: {f.code for f in check_vault(creds, now=now + later, **kw) if f.level != "pass"}  # noqa: E731
    assert codes(timedelta(hours=47)) == set()
    assert codes(timedelta(hours=50)) == {"vault.older-than-48h"}
    assert codes(timedelta(hours=241)) == {"vault.too-old"}
    assert codes(timedelta(hours=50), max_age_hours=48) == {"vault.too-old"}  # an older agent's limit


def test_missing_private_key_is_an_error(tmp_path: Path, now: datetime) -> None:
    no_key = parse_vault_credentials(write_demo_vault_credentials(tmp_path / "b.VaultCredentials", include_private_key=False))
    assert not no_key.certificate.has_private_key
    findings = check_vault(no_key, now=now)
    assert "vault.no-private-key" in {f.code for f in findings if f.level == "error"}
    assert status_of(findings) == "invalid"


def test_missing_client_auth_eku_is_a_warning_not_an_error(tmp_path: Path, now: datetime) -> None:
    # Azure/azure-powershell src/RecoveryServices/RecoveryServices/Utilities/CertUtils.cs adds the
    # Client Authentication EKU to the certificates Az PowerShell made itself ("mandatory for the
    # upload to be successful"); for the certificates the service makes today
    # (Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs, VaultCertificates.Create) no source says.
    no_eku = parse_vault_credentials(write_demo_vault_credentials(tmp_path / "a.VaultCredentials", client_auth_eku=False))
    assert not no_eku.certificate.client_auth_eku
    findings = check_vault(no_eku, now=now, target_path=r"C:\MABS\a.VaultCredentials")
    assert [(f.level, f.code) for f in findings if f.level != "pass"] == [("warning", "vault.eku-missing")]
    assert "1.3.6.1.5.5.7.3.2" in findings[-1].message
    assert status_of(findings) == "usable with warnings"
    with_eku = parse_vault_credentials(write_demo_vault_credentials(tmp_path / "b.VaultCredentials"))
    assert "vault.eku-missing" not in {f.code for f in check_vault(with_eku, now=now)}


def test_path_findings_for_unattended_setup(fresh: Path, now: datetime) -> None:
    creds = parse_vault_credentials(fresh)
    by_code = lambda target: {f.code: f for f in check_vault(creds, now=now, target_path=target)}  # noqa: E731
    spaces = by_code(r"C:\Users\Admin\Downloads\vault_Sun Apr 10 2016.VaultCredentials")["vault.path-spaces"]
    assert spaces.level == "warning" and spaces.field == "vault.target_path"
    assert by_code(r"\\fileserver\share\v.VaultCredentials")["vault.network-path"].level == "warning"
    assert by_code(r"C:\MABS\v.xml")["vault.extension"].level == "warning"
    assert "vault.path-spaces" not in by_code(r"C:\MABS\contoso.VaultCredentials")


def test_spaces_in_the_local_file_name_are_fine(tmp_path: Path, now: datetime) -> None:
    # Azure's own name for the file has spaces: "{vault}_{ddd MMM dd yyyy}.VaultCredentials"
    # (GetAzureRMRecoveryServicesVaultSettingsFile.cs); only the path on the target goes into the ini.
    downloads = tmp_path / "Downloads folder"
    downloads.mkdir()
    written = write_demo_vault_credentials(downloads, vault_name="contoso-mabs-vault")  # a folder: Azure's name
    assert re.search(r"_\w{3} \w{3} \d\d \d{4}\.VaultCredentials$", written.name) and " " in written.name
    creds = parse_vault_credentials(written)
    local_only = check_vault(creds, now=now)
    assert [f.code for f in local_only] == ["vault.valid"]
    on_target = check_vault(creds, now=now, target_path=r"C:\MABS\contoso.VaultCredentials")
    assert [f.code for f in on_target] == ["vault.valid"]
    spaced_target = {f.code: f for f in check_vault(creds, now=now, target_path=r"C:\MABS Setup\v.VaultCredentials")}
    assert spaced_target["vault.path-spaces"].field == "vault.target_path"
    assert "on the target" in spaced_target["vault.path-spaces"].message


# ------------------------------------------------------------------------------------------
# The two shapes Azure writes, and how old a file is


SOURCE = "Azure/azure-powershell src/RecoveryServices/RecoveryServices/Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs"


def test_older_shape_certificate_made_by_az_powershell(tmp_path: Path, now: datetime) -> None:
    # SOURCE, .NET Framework path (GetAzureRMRecoveryServicesVaultBackupCredentials): CertUtils.
    # CreateSelfSignedCertificate(48, ...) -> CN=Windows Azure Tools, RSA 2048, Client Authentication
    # EKU, valid UtcNow-10 min .. UtcNow+48 h; GenerateVaultCredsForBackup sets no AadAudience (i:nil).
    path = write_demo_vault_credentials(tmp_path / "old-shape.VaultCredentials", now=now)
    assert b'<AadAudience i:nil="true" />' in path.read_bytes()
    creds = parse_vault_credentials(path)
    cert = creds.certificate
    assert creds.aad_audience is None
    assert cert.subject == "CN=Windows Azure Tools" and cert.client_auth_eku and cert.key_size == 2048
    assert cert.not_after - cert.not_before == timedelta(hours=48, minutes=10)
    findings = check_vault(creds, now=now, target_path=r"C:\MABS\v.VaultCredentials")
    assert [f.code for f in findings] == ["vault.valid"]


def test_service_made_certificate_with_aad_audience(tmp_path: Path, now: datetime) -> None:
    # SOURCE, current path (GetBackupCredentialsWithCertificate): the service makes the certificate
    # (VaultCertificates.Create with the name "CN={vault}{subscription}-{M-d-yyyy}-vaultcredentials";
    # ManagementCert = VaultCertificateResponse.Properties.Certificate) and AadAudience is filled,
    # "https://RecoveryServiceVault/{location}/{vault}/{resourceId}" when the service leaves it empty.
    # What the service puts into its certificate is not in the source (the name Az asks for is longer
    # than the 64 characters a CN may hold): here a subject of its own and no EKU extension at all,
    # the least it may carry.
    sub, rid = "11111111-2222-3333-4444-555555555555", 4711000000000001
    audience = f"https://RecoveryServiceVault/westeurope/contoso-mabs-vault/{rid}"
    path = write_demo_vault_credentials(
        tmp_path / "service-shape.VaultCredentials", now=now, subscription_id=sub, resource_id=rid, aad_audience=audience,
        client_auth_eku=False, subject_cn="contoso-mabs-vault service certificate",
    )
    assert f"<AadAudience>{audience}</AadAudience>".encode() in path.read_bytes()
    creds = parse_vault_credentials(path)
    assert creds.aad_audience == audience and creds.resource_id == rid
    assert not creds.certificate.client_auth_eku and creds.certificate.subject == "CN=contoso-mabs-vault service certificate"
    findings = check_vault(creds, now=now, target_path=r"C:\MABS\v.VaultCredentials")
    assert [(f.level, f.code) for f in findings] == [("pass", "vault.valid"), ("warning", "vault.eku-missing")]
    assert status_of(findings) == "usable with warnings"  # registration is not blocked on a guess


def test_certificate_back_dated_24_hours_is_not_a_day_old(tmp_path: Path, now: datetime) -> None:
    # MicrosoftDocs/azure-docs articles/backup/backup-client-automation.md, "Registering using the PS Az
    # module": New-SelfSignedCertificate ... -FriendlyName 'test-vaultcredentials' -subject "Windows Azure
    # Tools" -NotAfter $(Get-Date).AddHours(48) -NotBefore $(Get-Date).AddHours(-24) -TextExtension
    # @("2.5.29.37={text}1.3.6.1.5.5.7.3.2"), then Get-AzRecoveryServicesVaultSettingsFile -Certificate.
    made = now - timedelta(hours=30)
    path = write_demo_vault_credentials(tmp_path / "doc.VaultCredentials", now=made, valid_hours=48,
                                        not_before_offset=timedelta(hours=-24), friendly_name="test-vaultcredentials\x00")
    creds = parse_vault_credentials(path)
    cert = creds.certificate
    assert now - cert.not_before > timedelta(hours=WARN_AGE_HOURS)  # by NotBefore alone: 54 h, "older than 48 h"
    assert abs(issued(cert).at - made) < timedelta(seconds=2) and "48 h" in issued(cert).basis
    assert [f.code for f in check_vault(creds, now=now)] == ["vault.valid"]
    assert [f.code for f in check_vault(creds, now=made)] == ["vault.valid"]  # fresh, not "24 hours old"
    # 47 h after it was made it is still valid and under 48 h old; then the certificate expires.
    assert [f.code for f in check_vault(creds, now=made + timedelta(hours=47))] == ["vault.valid"]
    assert [f.code for f in check_vault(creds, now=made + timedelta(hours=49))] == ["vault.expired"]


def test_longer_lived_certificates_are_aged_from_not_before_or_the_date_in_their_name(tmp_path: Path, now: datetime) -> None:
    # A certificate living 14 days has no known lifetime to count back from: NotBefore, unless the
    # "{vault}{subscription}-{M-d-yyyy}-vaultcredentials" name (CertUtils.GenerateCertFriendlyName)
    # proves it was made later than that. Back-dated 5 days here, made today.
    made = now - timedelta(hours=3)
    plain = parse_vault_credentials(write_demo_vault_credentials(
        tmp_path / "a.VaultCredentials", now=made, valid_hours=24 * 14, not_before_offset=timedelta(days=-5),
        friendly_name="no-date-here\x00"))
    assert issued(plain.certificate).at == plain.certificate.not_before
    assert {f.code for f in check_vault(plain, now=now)} == {"vault.older-than-48h"}
    dated = parse_vault_credentials(write_demo_vault_credentials(
        tmp_path / "b.VaultCredentials", now=made, valid_hours=24 * 14, not_before_offset=timedelta(days=-5)))
    assert dated.certificate.friendly_name.endswith(f"-{made.month}-{made.day}-{made.year}-vaultcredentials")
    when = issued(dated.certificate)
    assert "in the certificate's name" in when.basis and now - when.at < timedelta(hours=WARN_AGE_HOURS)
    assert [f.code for f in check_vault(dated, now=now)] == ["vault.valid"]


def test_friendly_name_is_shown_without_the_nul_windows_stores(tmp_path: Path, fresh: Path) -> None:
    import json

    blob = re.search(r"<ManagementCert>(.*)</ManagementCert>", fresh.read_text()).group(1)  # type: ignore[union-attr]
    raw = pkcs12.load_pkcs12(base64.b64decode(blob), None).cert.friendly_name  # type: ignore[union-attr]
    assert raw is not None and raw.endswith(b"-vaultcredentials\x00")  # as Windows exports it
    name = parse_vault_credentials(fresh).certificate.friendly_name
    assert name == raw[:-1].decode() and "\x00" not in name and "\\x00" not in name
    document = json.loads(run_cli("vault", "inspect", "--json", str(fresh)).stdout)
    assert document["certificate"]["friendly_name"] == name


# ------------------------------------------------------------------------------------------
# Hostile corpus


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True))


def oid(dotted: str) -> bytes:
    return _der(0x06, _oid(dotted))


def octet(data: bytes) -> bytes:
    return _der(0x04, data)


def explicit0(data: bytes) -> bytes:
    return _der(0xA0, data)


DATA = "1.2.840.113549.1.7.1"


def pfx(auth_safe: bytes, mac_iterations: int | None = 2048) -> bytes:
    mac = (
        seq(seq(seq(oid("1.3.14.3.2.26"), _der(0x05, b"")), octet(b"\0" * 20)), octet(b"saltsalt"), integer(mac_iterations))
        if mac_iterations is not None
        else b""
    )
    return seq(integer(3), seq(oid(DATA), explicit0(octet(auth_safe))), mac)


def shrouded_bag(algorithm: bytes) -> bytes:
    return seq(oid("1.2.840.113549.1.12.10.1.2"), explicit0(seq(algorithm, octet(b"x" * 48))))


def with_bags(*bags: bytes) -> bytes:
    return seq(seq(oid(DATA), explicit0(octet(seq(*bags)))))


PBE_3DES = "1.2.840.113549.1.12.1.3"
SCRYPT_PBES2 = seq(
    oid("1.2.840.113549.1.5.13"),
    seq(
        seq(oid("1.3.6.1.4.1.11591.4.11"), seq(octet(b"s" * 16), integer(2**20), integer(8), integer(1))),
        seq(oid("2.16.840.1.101.3.4.1.42"), octet(b"i" * 16)),
    ),
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _xml_with(body: str, root: str = "RSBackupVaultAADCreds", ns: str = DC_NAMESPACE, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<{root} xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns="{ns}">{body}</{root}>'
    ).encode()


BILLION_LAUGHS = """<!DOCTYPE RSBackupVaultAADCreds [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
"""

# name -> (how to make the file in tmp_path, expected reason fragment)
Maker = Callable[[Path], Path]


def _bytes(data: bytes) -> Maker:
    def make(tmp: Path) -> Path:
        target = tmp / "hostile.VaultCredentials"
        target.write_bytes(data)
        return target

    return make


def _demo(**overrides: object) -> Maker:
    return lambda tmp: write_demo_vault_credentials(tmp / "hostile.VaultCredentials", **overrides)


def _huge(tmp: Path) -> Path:
    target = tmp / "huge.VaultCredentials"
    with target.open("wb") as fh:
        fh.write(b"<?xml version='1.0'?><RSBackupVaultAADCreds>")
        fh.truncate(20 * 1024 * 1024)
    return target


def _fifo(tmp: Path) -> Path:
    target = tmp / "pipe.VaultCredentials"
    os.mkfifo(target)
    return target


def _duplicate(tmp: Path) -> Path:
    target = write_demo_vault_credentials(tmp / "dup.VaultCredentials")
    text = target.read_text().replace("<Location>", "<ResourceName>second</ResourceName><Location>", 1)
    target.write_text(text)
    return target


CORPUS: dict[str, tuple[Maker, str]] = {
    "binary junk": (_bytes(b"\x00\x01\x02binary\xff\xfe junk"), "not well-formed XML"),
    "plain text": (_bytes(b"hello, this is not XML at all\n"), "not well-formed XML"),
    "truncated XML": (_bytes(_xml_with("<Version>2.0</Version>")[:-30]), "not well-formed XML"),
    "empty": (_bytes(b""), "file is empty"),
    "whitespace only": (_bytes(b"  \r\n\t\n"), "file is empty"),
    "20 MB": (_huge, "is 20,971,520 bytes"),
    "FIFO": (_fifo, "not a regular file"),
    "billion laughs": (_bytes(_xml_with("<Version>&lol9;</Version>", prolog=BILLION_LAUGHS)), "DOCTYPE"),
    "bad base64": (_demo(management_cert="MIIK!!not*base64??"), "ManagementCert: not valid base64"),
    "base64 of junk": (_demo(management_cert=b64(b"this is not a certificate")), "not a PKCS#12"),
    "PFX with a password": (_demo(pfx_password=b"hunter2-but-longer"), "does not open with an empty password"),
    "PFX asking for 2^31 MAC iterations": (
        _demo(management_cert=b64(pfx(with_bags(), mac_iterations=2**31 - 1))), "key-derivation iterations"
    ),
    "PFX with 1,200 costly bags": (
        _demo(management_cert=b64(pfx(with_bags(*[shrouded_bag(seq(oid(PBE_3DES), seq(octet(b"s" * 8), integer(900))))] * 1200)))),
        "key-derivation iterations",
    ),
    "PFX with scrypt PBES2": (_demo(management_cert=b64(pfx(with_bags(shrouded_bag(SCRYPT_PBES2))))), "scrypt"),
    "missing ResourceName": (_demo(omit=["ResourceName"]), "missing or empty: ResourceName"),
    "nil ResourceName": (_demo(resource_name=None), "missing or empty: ResourceName"),
    "missing ManagementCert": (_demo(omit=["ManagementCert"]), "ManagementCert"),
    "Site Recovery variant": (_demo(root_element="RSVaultAsrCreds"), "Site Recovery"),
    "wrong root element": (_demo(root_element="PublishData"), "root element is <PublishData>"),
    "legacy ACS file": (_demo(root_element="VaultCreds"), "legacy"),
    "Az models namespace": (
        _demo(namespace="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Commands.AzureBackup.Models"),
        "namespace",
    ),
    "no namespace": (_demo(namespace=""), "namespace"),
    "duplicate element": (_duplicate, "ResourceName: appears more than once"),
    "terminal escape in a field": (_demo(resource_group="rg\u009b31mred"), "ResourceGroup: contains control characters"),
    "vault name with a slash": (_demo(resource_name="../../etc"), "ResourceName: not a Recovery Services vault name"),
    "subscription not a GUID": (_demo(subscription_id="not-a-guid"), "SubscriptionId: not a GUID"),
    "ResourceId not a number": (_demo(resource_id="12ab"), "ResourceId: not an integer"),
    "wrong ResourceType": (_demo(resource_type="storageAccounts"), "ResourceType"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_corpus_is_rejected_with_one_clear_line(case: str, tmp_path: Path) -> None:
    make, reason = CORPUS[case]
    path = make(tmp_path)
    started = time.perf_counter()
    message = one_line_error(path)
    assert reason in message, message
    assert time.perf_counter() - started < 5  # nothing here is allowed to grind


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "file not found" in one_line_error(tmp_path / "nope.VaultCredentials")
    assert "is a directory" in one_line_error(tmp_path)
    assert "not a regular file" in one_line_error(Path("/dev/zero"))  # would never end if read


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = _huge(tmp_path)
    with audited() as events:
        message = one_line_error(path)
    assert "limit 1,000,000" in message
    assert [str(args[0]) for event, args in events if event == "open"] == [str(path)]


def test_xxe_to_a_local_file_never_opens_it(tmp_path: Path) -> None:
    canary = tmp_path / "canary-secret.txt"
    canary.write_text("TOP-SECRET-CANARY")
    for prolog, body in (
        (f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{canary}">]>\n', "<ResourceName>&x;</ResourceName>"),
        (f'<!DOCTYPE r SYSTEM "file://{canary}">\n', "<ResourceName>x</ResourceName>"),
        (f'<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{canary}"> %p;]>\n', "<ResourceName>x</ResourceName>"),
    ):
        path = tmp_path / "xxe.VaultCredentials"
        path.write_bytes(_xml_with(body, prolog=prolog))
        with audited() as events:
            message = one_line_error(path)
        assert "DOCTYPE" in message
        assert "TOP-SECRET-CANARY" not in message
        touched = [args for _event, args in events if str(canary) in repr(args)]
        assert touched == [], touched
        assert not [e for e, _ in events if e.startswith(("socket", "urllib"))]


def test_xxe_to_a_url_never_connects(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        path = tmp_path / "xxe-http.VaultCredentials"
        path.write_bytes(
            _xml_with("<ResourceName>&x;</ResourceName>",
                      prolog=f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/steal">]>\n')
        )
        with audited() as events:
            assert "DOCTYPE" in one_line_error(path)
        assert not [e for e, _ in events if e.startswith(("socket", "urllib"))]
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()


def test_parsing_a_good_file_opens_only_that_file(fresh: Path) -> None:
    with audited() as events:
        parse_vault_credentials(fresh)
    paths = {str(args[0]) for event, args in events if event == "open"}
    assert {p for p in paths if not p.endswith((".py", ".pyc", ".so")) and "/proc/" not in p and "site-packages" not in p} <= {str(fresh)}
    assert not [e for e, _ in events if e.startswith(("socket", "urllib"))]


# ------------------------------------------------------------------------------------------
# The CLI


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mabs_wizard", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_inspect_prints_the_facts_and_never_the_key(fresh: Path) -> None:
    result = run_cli("vault", "inspect", str(fresh))
    assert result.returncode == 0, result.stderr
    creds = parse_vault_credentials(fresh)
    out = result.stdout
    for expected in (creds.resource_name, creds.subscription_id, creds.resource_group, creds.location,
                     creds.tenant_id, creds.certificate.thumbprint, "Status:"):
        assert expected in out
    blob = re.search(r"<ManagementCert>(.*)</ManagementCert>", fresh.read_text()).group(1)  # type: ignore[union-attr]
    for chunk in (blob[i : i + 24] for i in range(0, len(blob) - 24, 24)):
        assert chunk not in out
    assert "PRIVATE KEY" not in out and "PRIVATE KEY" not in result.stderr


def test_inspect_json(fresh: Path) -> None:
    import json

    result = run_cli("vault", "inspect", "--json", str(fresh))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "valid"
    assert document["vault"]["name"] == "contoso-mabs-vault"
    assert re.fullmatch(r"[0-9A-F]{40}", document["certificate"]["thumbprint"])
    assert "ManagementCert" not in result.stdout and "PRIVATE KEY" not in result.stdout
    blob = re.search(r"<ManagementCert>(.*)</ManagementCert>", fresh.read_text()).group(1)  # type: ignore[union-attr]
    assert blob[100:140] not in result.stdout


def test_inspect_expired_exits_2_with_the_reason(tmp_path: Path, now: datetime) -> None:
    path = write_demo_vault_credentials(tmp_path / "old.VaultCredentials", now=now - timedelta(days=3))
    result = run_cli("vault", "inspect", str(path))
    assert result.returncode == 2
    assert "Status:" in result.stdout and "invalid" in result.stdout
    assert "certificate has expired" in result.stdout


def test_inspect_hostile_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.VaultCredentials"
    path.write_bytes(_xml_with("<Version>&lol9;</Version>", prolog=BILLION_LAUGHS))
    result = run_cli("vault", "inspect", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "DOCTYPE" in lines[0]
    assert "Traceback" not in result.stderr


def _one_json_object(stdout: str) -> dict:
    """stdout holds exactly one JSON object and nothing else (raw_decode stops after the first)."""
    import json

    document, end = json.JSONDecoder().raw_decode(stdout)
    assert stdout[end:].strip() == "", stdout[end:]
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda tmp: _bytes(_xml_with("<Version>&lol9;</Version>", prolog=BILLION_LAUGHS))(tmp), "DOCTYPE"),
        (lambda tmp: tmp / "missing.VaultCredentials", "file not found"),
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: _demo(management_cert="MIIK!!not*base64??")(tmp), "ManagementCert: not valid base64"),
        (lambda tmp: _demo(root_element="RSVaultAsrCreds")(tmp), "Site Recovery"),
    ],
)
def test_inspect_json_refusal_is_one_json_object_and_exit_2(tmp_path: Path, make, words: str) -> None:
    path = make(tmp_path)
    result = run_cli("vault", "inspect", "--json", str(path))
    assert result.returncode == 2
    document = _one_json_object(result.stdout)
    assert document["file"] == str(path) and document["status"] == "refused"
    assert len(document["problems"]) == 1 and words in document["problems"][0]
    assert document["problems"][0].startswith(str(path))
    assert "Traceback" not in result.stderr and words in result.stderr  # the reason on stderr too


def test_inspect_json_bad_option_value_is_still_one_json_object(fresh: Path) -> None:
    for value in ("0", "241", "ten", "nan"):
        result = run_cli("vault", "inspect", "--json", "--max-age-hours", value, str(fresh))
        assert result.returncode == 2, value
        document = _one_json_object(result.stdout)
        assert document["status"] == "refused" and "--max-age-hours" in document["problems"][0]
    ok = run_cli("vault", "inspect", "--json", "--max-age-hours", "48", str(fresh))
    assert ok.returncode == 0 and _one_json_object(ok.stdout)["status"] == "valid"


def test_inspect_json_invalid_file_is_one_json_object_and_exit_2(tmp_path: Path, now: datetime) -> None:
    path = write_demo_vault_credentials(tmp_path / "old.VaultCredentials", now=now - timedelta(days=3))
    result = run_cli("vault", "inspect", "--json", str(path))
    assert result.returncode == 2
    document = _one_json_object(result.stdout)
    assert document["status"] == "invalid"
    assert [f["code"] for f in document["findings"] if f["level"] == "error"] == ["vault.expired"]
    assert "certificate has expired" in result.stderr


def test_inspect_json_warnings_exit_0_and_name_the_aad_audience(tmp_path: Path, now: datetime) -> None:
    audience = "https://RecoveryServiceVault/westeurope/contoso-mabs-vault/4711000000000001"
    path = write_demo_vault_credentials(tmp_path / "svc.VaultCredentials", now=now, resource_id=4711000000000001,
                                        aad_audience=audience, client_auth_eku=False)
    result = run_cli("vault", "inspect", "--json", "--target-path", r"C:\MABS Setup\svc.VaultCredentials", str(path))
    assert result.returncode == 0, result.stderr
    document = _one_json_object(result.stdout)
    assert document["status"] == "usable with warnings" and document["vault"]["aad_audience"] == audience
    assert {f["code"] for f in document["findings"] if f["level"] == "warning"} == {"vault.eku-missing", "vault.path-spaces"}
