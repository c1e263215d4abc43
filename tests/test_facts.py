"""Target facts: a real probe of this host, and facts files as Windows really writes them.

The files in tests/fixtures/facts/ follow MicrosoftDocs/PowerShell-Docs
`reference/5.1/Microsoft.PowerShell.Core/About/about_Character_Encoding.md` (how Windows PowerShell 5.1,
PowerShell 7 and cmd.exe encode what they write) and the ConvertTo-Json layouts of 5.1 and 7; their
README says which is which.
"""

from __future__ import annotations

import codecs
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mabs_wizard.answers.models import PrerequisitesAnswers
from mabs_wizard.errors import InputError
from mabs_wizard.facts import collect_command, load_facts, probe_local
from mabs_wizard.steps.prerequisites import check_prerequisites
from tests.factsdata import fixture

COMMAND = "powershell -NoProfile -ExecutionPolicy Bypass -File collect-facts.ps1 -Path MABS01.json"


def codes(findings, level="error"):
    return {f.code for f in findings if f.level == level}


# ------------------------------------------------------------------ the local probe


def test_probe_reports_this_host_for_real():
    facts = probe_local()
    assert facts.os_family == "linux" and facts.logical_processors == os.cpu_count()
    assert facts.physical_cores is None or 1 <= facts.physical_cores <= os.cpu_count()
    assert facts.os_version == platform.release()
    root = facts.volume_of("/")
    assert root is not None and abs(root.free_bytes - shutil.disk_usage("/").free) < 512 * 2**20
    assert facts.memory_visible_bytes > 2**30 and not facts.domain_joined
    # ... and the OS rule then fails honestly, pointing at the way out.
    errors = [f for f in check_prerequisites(PrerequisitesAnswers(), facts) if f.level == "error"]
    assert [f.code for f in errors] == ["prereq.os-windows", "prereq.domain-joined"]
    assert facts.os_name in errors[0].message and "collect-facts.ps1 -Path" in errors[0].remedy


def test_replay_without_facts_file_fails_on_the_os_rule(tmp_path):
    from mabs_wizard.demo import make_demo_kit

    kit = make_demo_kit(tmp_path / "kit", media_bytes=2**20)
    kit.write_text(re.sub(r"  facts_file: .*\n", "", kit.read_text()))
    result = subprocess.run([sys.executable, "-m", "mabs_wizard", "validate", str(kit)], capture_output=True, text=True)
    assert result.returncode == 2
    assert re.search(rf"^{re.escape(str(kit))}:8:1: prerequisites: this host runs .*; MABS installs only on Windows Server", result.stderr, re.M)


# ------------------------------------------------------------------ encodings Windows writes


@pytest.mark.parametrize(
    "name",
    [
        "v2-collector-ps51.json",  # collect-facts.ps1 -Path in 5.1: UTF-8, no BOM, 5.1 layout
        "v2-collector-ps7.json",  # the same in PowerShell 7: UTF-8, no BOM, Json.NET layout
        "v2-ps51-redirect.json",  # 5.1 '>' / Out-File: UTF-16 LE + BOM, CRLF
        "v2-ps51-outfile-utf8.json",  # 5.1 Out-File -Encoding UTF8: UTF-8 + BOM
        "v2-ps51-outfile-bigendianunicode.json",  # 5.1 Out-File -Encoding BigEndianUnicode: UTF-16 BE + BOM
    ],
)
def test_every_encoding_windows_writes_reads_the_same_facts(name):
    facts = load_facts(fixture(name))
    assert facts.computer_name == "MABS01" and facts.domain == "CONTOSO"
    # the non-ASCII volume label survives each encoding (and 5.1's \u0026 escape of '&')
    assert facts.volume_of("E:\\").label == "Datentr\u00e4ger & Sicherung"
    assert facts.memory_visible_bytes == 8185 * 2**20 and facts.physical_cores == 4


def test_the_fixtures_really_are_the_encodings_they_claim():
    """Guards the test above: the bytes differ in exactly the ways about_Character_Encoding describes."""
    assert fixture("v2-ps51-redirect.json").read_bytes().startswith(codecs.BOM_UTF16_LE + b"{\x00\r\x00\n\x00")
    assert fixture("v2-ps51-outfile-utf8.json").read_bytes().startswith(codecs.BOM_UTF8 + b"{\r\n")
    assert fixture("v2-ps51-outfile-bigendianunicode.json").read_bytes().startswith(codecs.BOM_UTF16_BE + b"\x00{")
    for name in ("v2-collector-ps51.json", "v2-collector-ps7.json"):
        raw = fixture(name).read_bytes()
        assert raw.startswith(b"{\r\n") and "Datentr\u00e4ger".encode() in raw
    assert b"Datentr\x84ger" in fixture("v1-cmd-redirect-cp850.json").read_bytes()  # cp850: 0x84 is a-umlaut


def test_cmd_exe_redirect_in_the_oem_code_page_is_refused_naming_it():
    path = fixture("v1-cmd-redirect-cp850.json")
    with pytest.raises(InputError) as info:
        load_facts(path)
    (line,) = info.value.lines()
    assert line.startswith(f"{path}: facts file looks like an OEM code page such as 850 or 437, as cmd.exe's '>' writes it")
    assert "byte 0x84 at line 30, column 43 is not UTF-8" in line
    assert line.endswith(f"collect the facts again on the target with: {collect_command(path.name)} "
                         "(the script writes UTF-8 itself; do not redirect its output)")


@pytest.mark.parametrize(
    "encode, named",
    [
        (lambda t: t.encode("utf-16-le"), "is UTF-16 LE without a byte-order mark"),
        (lambda t: t.encode("utf-16-be"), "is UTF-16 BE without a byte-order mark"),
        (lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"), "is encoded as UTF-32 LE"),  # 5.1 -Encoding UTF32
        (lambda t: t.encode("cp1252"), "looks like an ANSI code page such as 1252, as Windows PowerShell's Set-Content writes it"),
        (lambda t: b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), "holds binary data"),
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le")[:-1], "starts with a UTF-16 LE byte-order mark but byte"),
    ],
)
def test_other_encodings_are_refused_naming_what_they_look_like(tmp_path, encode, named):
    text = fixture("v2-collector-ps7.json").read_text(encoding="utf-8")
    path = tmp_path / "MABS01.json"
    path.write_bytes(encode(text))
    with pytest.raises(InputError) as info:
        load_facts(path)
    (line,) = info.value.lines()
    assert line.startswith(f"{path}: facts file ") and named in line, line
    assert COMMAND in line


@pytest.mark.parametrize(
    "content, message",
    [
        (b"{", "facts.json:1:2: invalid JSON"),
        (b"", "facts file is empty"),
        (b"[1, 2]", "not a facts file (a JSON list, where an object is expected)"),
        (b'{"version": 1}', "computer_name: Field required"),
        (b'{"version": 3, "computer_name": "X"}', "version: facts file version 3 is not one this wizard reads (1 or 2)"),
        (b'{"version": 1, "computer_name": "X", "domain_joined": true, "os_family": "windows", "os_name": "W",'
         b' "os_version": "10.0.17763", "cpu_cores": 0, "ram_bytes": 1}', "cpu_cores: Input should be greater than or equal to 1"),
        (b'{"version": 2, "computer_name": "X", "domain_joined": true, "os_family": "windows", "os_name": "W",'
         b' "os_version": "10.0.17763", "memory_visible_bytes": 1}', "physical_cores and logical_processors are both null"),
        (b'{"version": 2, "computer_name": "X", "domain_joined": true, "os_family": "windows", "os_name": "W",'
         b' "os_version": "10.0.17763", "memory_visible_bytes": 1, "logical_processors": 2, "unknown": {"typo": "x"}}', "unknown.typo"),
    ],
)
def test_bad_facts_files(tmp_path, content, message):
    path = tmp_path / "facts.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_facts(path)
    assert any(message in line for line in info.value.lines()), info.value.lines()


def test_missing_facts_file_says_how_to_collect_it(tmp_path):
    with pytest.raises(InputError) as info:
        load_facts(tmp_path / "MABS01.json")
    assert str(info.value) == f"{tmp_path / 'MABS01.json'}: no such facts file; collect it on the target with: {COMMAND}"


# ------------------------------------------------------------------ version 1 files


def test_version_1_from_the_old_usage_line_loads_without_its_wrong_facts():
    """The first collector run by the local Administrator on a domain member, redirected with 5.1's '>'."""
    facts = load_facts(fixture("v1-ps51-redirect.json"))
    assert facts.upgraded_from == 1
    assert facts.domain is None and facts.domain_joined  # $env:USERDOMAIN was the computer's own name
    assert facts.os_language is None and facts.format_culture == "de-DE"  # Get-Culture is not the OS language
    assert facts.physical_cores is None and facts.logical_processors == 8
    assert facts.hyperv_powershell is None and facts.roles.application_server is None  # v1 said false when it could not ask
    findings = check_prerequisites(PrerequisitesAnswers(platform="on-premises"), facts)
    warned = codes(findings, "warning")
    assert {"prereq.facts-version", "prereq.domain-name", "prereq.os-language", "prereq.cores", "prereq.memory",
            "prereq.role-application-server", "prereq.hyperv-powershell"} <= warned
    assert codes(findings) == set()  # nothing v1 got wrong becomes a blocking error
    # 8,084 MB visible on an 8 GB server still meets "8 GB" on premises
    assert "prereq.hardware" in codes(findings, "pass")
    assert all(COMMAND in f.remedy for f in findings if f.code in ("prereq.facts-version", "prereq.domain-name"))


def test_version_1_keeps_a_domain_other_than_the_computer_name_but_calls_it_unverified():
    from mabs_wizard.facts import FactsV1

    v1 = FactsV1(computer_name="MABS01", domain="CONTOSO", domain_joined=True, os_family="windows", os_name="Windows Server 2019 Datacenter",
                 os_version="10.0.17763", cpu_cores=2, ram_bytes=8 * 2**30)
    facts = v1.upgrade()
    assert facts.domain == "CONTOSO"
    warning = next(f for f in check_prerequisites(PrerequisitesAnswers(), facts) if f.code == "prereq.domain-name")
    assert "CONTOSO is unverified" in warning.message and "$env:USERDOMAIN" in warning.message


# ------------------------------------------------------------------ through the CLI


def _kit_with_facts(tmp_path: Path, raw: bytes) -> Path:
    from mabs_wizard.demo import make_demo_kit

    kit = make_demo_kit(tmp_path / "kit", media_bytes=2**20)
    (kit.parent / "facts" / "MABS01.json").write_bytes(raw)
    return kit


def test_validate_reads_a_utf16_facts_file(secret_service, tmp_path):
    kit = _kit_with_facts(tmp_path, fixture("v2-ps51-redirect.json").read_bytes())
    result = subprocess.run([sys.executable, "-m", "mabs_wizard", "validate", str(kit)], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "joined to domain CONTOSO" in result.stdout and "4 cores, 8.0 GB RAM" in result.stdout


def test_validate_refuses_a_cp850_facts_file_with_the_answers_position(tmp_path):
    kit = _kit_with_facts(tmp_path, fixture("v1-cmd-redirect-cp850.json").read_bytes())
    result = subprocess.run([sys.executable, "-m", "mabs_wizard", "validate", str(kit)], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    facts_path = kit.parent / "facts" / "MABS01.json"
    assert re.search(rf"^{re.escape(str(kit))}:9:\d+: prerequisites\.facts_file: {re.escape(str(facts_path))}: facts file looks like "
                     r"an OEM code page such as 850 or 437, as cmd\.exe's '>' writes it .* collect the facts again on the target with: "
                     + re.escape(COMMAND), result.stderr, re.M), result.stderr


def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * 2_000_001)
    with pytest.raises(InputError, match="facts file larger than 2 MB; not a facts file"):
        load_facts(path)
