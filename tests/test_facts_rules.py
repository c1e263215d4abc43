"""The rules over Windows' real facts: memory as real servers report it, cores vs SMT threads, the
computer's domain, the OS language vs the admin's formats, unknown features, the scratch folder.

Sources: MicrosoftDocs/win32 desktop-src/CIMWin32Prov/win32-computersystem.md (TotalPhysicalMemory "may
not return an accurate value"; NumberOfLogicalProcessors), win32-processor.md (NumberOfCores),
win32-operatingsystem.md (OSLanguage 1033 en-US, 1055 Turkish), desktop-src/FileIO/file-attribute-constants.md
(FILE_ATTRIBUTE_* bits), MicrosoftDocs/azure-docs backup-azure-file-folder-backup-faq.yml (S21: the cache
folder may not be Encrypted, De-duplicated, Compressed, Sparse or a Reparse-Point), and
/shared/reference/windows-target-notes.md (real 8 GB servers show 8,084-8,185 MB).
"""

from __future__ import annotations

import pytest

from mabs_wizard.answers.models import InstallationAnswers, PrerequisitesAnswers
from mabs_wizard.facts import load_facts
from mabs_wizard.steps.installation import check_installation
from mabs_wizard.steps.prerequisites import check_prerequisites
from tests.factsdata import facts, fixture

MB = 2**20
GB = 2**30


def codes(findings, level="error"):
    return {f.code for f in findings if f.level == level}


def prereq(f, platform="on-premises"):
    return check_prerequisites(PrerequisitesAnswers(platform=platform), f)


# ------------------------------------------------------------------ memory


@pytest.mark.parametrize(
    "visible_mb, installed_mb, meets",
    [
        (8185, 8192, True),   # an 8 GB server as Windows reports it, installed memory known
        (8185, None, True),   # ... where Win32_PhysicalMemory could not be read
        (8084, None, True),   # the lowest figure seen on real 8 GB servers
        (8084, 8192, True),
        (3996, 4096, False),  # a 4 GB server
        (3996, None, False),
        (7680, None, False),  # a 7.5 GB VM is not an 8 GB server
    ],
)
def test_an_8_gb_server_meets_8_gb_however_windows_reports_it(visible_mb, installed_mb, meets):
    f = facts(memory_visible_bytes=visible_mb * MB, memory_installed_bytes=None if installed_mb is None else installed_mb * MB)
    findings = prereq(f)  # on-premises: 2 cores and 8 GB (S1)
    assert ("prereq.hardware" in codes(findings, "pass")) is meets, findings
    assert ("prereq.hardware" in codes(findings, "warning")) is not meets
    # judged on installed memory when known; said out loud when only the visible amount is
    assert ("prereq.memory" in codes(findings, "warning")) is (installed_mb is None)


def test_the_8185_mb_server_from_a_real_facts_file_passes_on_premises():
    findings = prereq(load_facts(fixture("v2-collector-ps51.json")))
    hardware = next(f for f in findings if f.code == "prereq.hardware")
    assert hardware.level == "pass" and hardware.message == "4 cores, 8.0 GB RAM"


# ------------------------------------------------------------------ cores


def test_cores_are_physical_cores_not_smt_threads():
    # Azure VM minimum: four cores (S1). Two cores with SMT show four logical processors.
    two_cores = prereq(facts(physical_cores=2, logical_processors=4, memory_installed_bytes=8 * GB), "azure-vm")
    assert "prereq.hardware" in codes(two_cores, "warning")
    assert "2 cores" in next(f for f in two_cores if f.code == "prereq.hardware").message
    four_cores = prereq(facts(physical_cores=4, logical_processors=8, memory_installed_bytes=8 * GB), "azure-vm")
    assert "prereq.hardware" in codes(four_cores, "pass")


def test_unknown_physical_cores_are_judged_on_logical_processors_with_a_warning():
    f = facts(physical_cores=None, logical_processors=8, memory_installed_bytes=8 * GB, unknown={"physical_cores": "Invalid class"})
    findings = prereq(f, "azure-vm")
    warning = next(x for x in findings if x.code == "prereq.cores")
    assert "Invalid class" in warning.message and "8 logical processors" in warning.message
    assert "prereq.hardware" in codes(findings, "pass")


# ------------------------------------------------------------------ domain


def test_local_administrator_on_a_domain_member_gets_the_computers_domain():
    """Collected by MABS01\\Administrator ($env:USERDOMAIN would say MABS01): the domain is CONTOSO."""
    from mabs_wizard.answers.loader import load_answers
    from mabs_wizard.demo import make_demo_kit
    from mabs_wizard.export.mabs_ini import render_ini
    from mabs_wizard.export.plan import plan_from_answers

    f = load_facts(fixture("v2-collector-ps51.json"))
    assert f.collected_by == "MABS01\\Administrator" and f.domain == "CONTOSO" and f.domain_dns == "contoso.com"
    findings = prereq(f)
    assert "prereq.domain-joined" in codes(findings, "pass") and "prereq.domain-name" not in codes(findings, "warning")
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        answers = load_answers(make_demo_kit(Path(tmp) / "kit", media_bytes=2**20))
    ini = render_ini(plan_from_answers(answers, computer_name=f.computer_name, domain=f.domain), None)
    assert "SQLMachineDomainName=CONTOSO" in ini and "SQLMachineDomainName=MABS01" not in ini


def test_unreadable_netbios_domain_is_a_warning_naming_the_dns_domain():
    f = facts(domain=None, domain_dns="contoso.com", unknown={"domain": "NetGetJoinInformation: Access is denied"})
    warning = next(x for x in prereq(f) if x.code == "prereq.domain-name")
    assert warning.level == "warning" and "contoso.com" in warning.message and "Access is denied" in warning.message
    assert "sql.admin_domain" in warning.remedy


# ------------------------------------------------------------------ OS language vs formats


def test_an_admin_with_turkish_formats_on_an_english_server_is_fine():
    f = facts(os_language="en-US", os_language_lcid=1033, format_culture="tr-TR")
    assert "prereq.os-language" not in codes(prereq(f)) | codes(prereq(f), "warning")


def test_a_turkish_server_is_refused_whatever_the_admins_formats():
    f = facts(os_language="tr-TR", os_language_lcid=1055, format_culture="en-US", ui_languages=["tr-TR"])
    error = next(x for x in prereq(f) if x.code == "prereq.os-language")
    assert error.level == "error" and "tr-TR (OSLanguage 1055)" in error.message


def test_unknown_os_language_is_a_warning_not_a_pass():
    f = facts(os_language=None, os_language_lcid=None, unknown={"os_language": "Win32_OperatingSystem.OSLanguage is empty"})
    warning = next(x for x in prereq(f) if x.code == "prereq.os-language")
    assert warning.level == "warning" and "could not tell" in warning.message and "OSLanguage is empty" in warning.message


# ------------------------------------------------------------------ features the collector could not query


def test_facts_collected_without_elevation_warn_about_each_unknown_and_never_pass_them():
    f = load_facts(fixture("v2-not-elevated-ps7.json"))
    findings = prereq(f) + check_installation(InstallationAnswers(scratch="C:\\MABS\\Scratch", planned_cloud_data_gb=100), f)
    warned = {x.code: x for x in findings if x.level == "warning"}
    for code in ("prereq.role-application-server", "prereq.role-cluster-node", "prereq.hyperv-powershell"):
        assert "could not tell" in warned[code].message and "in an elevated prompt" in warned[code].remedy
    assert "prereq.dedicated" not in codes(findings, "pass")  # not claimed while two roles are unknown
    scratch = [x for x in findings if x.code == "install.scratch-unknown"]
    assert len(scratch) == 2 and all("Access denied" in x.message for x in scratch)  # dedup and BitLocker of C:
    assert codes(findings) == set()


# ------------------------------------------------------------------ the scratch folder


def _scratch(attributes, exists=True, examined=None, volume_changes=None):
    path = "E:\\MABS\\Scratch"
    volume = {"mount": "E:", "label": "Backup", "kind": "fixed", "filesystem": "NTFS", "size_bytes": 500 * GB, "free_bytes": 400 * GB,
              "online": True, "dedup": False,
              "bitlocker": {"protection_status": "Off", "lock_status": "Unlocked", "volume_type": "Data", "auto_unlock": False,
                            "source": "Get-BitLockerVolume"}}
    volume.update(volume_changes or {})
    f = facts(volumes=[*facts().model_dump()["volumes"], volume],
              scratch=[{"path": path, "exists": exists, "examined": examined or path, "attributes": attributes}])
    return check_installation(InstallationAnswers(scratch=path, planned_cloud_data_gb=100), f)


@pytest.mark.parametrize(
    "attributes, shown",
    [
        (0x4010, "Encrypted"),     # Directory | Encrypted (EFS: cipher /e)
        (0x810, "Compressed"),     # Directory | Compressed (compact /c)
        (0x210, "SparseFile"),     # Directory | SparseFile
        (0x410, "ReparsePoint"),   # Directory | ReparsePoint (a junction or mount point)
        (0x4C10, "ReparsePoint, Compressed, Encrypted"),
    ],
)
def test_each_refused_attribute_of_the_scratch_folder_fails(attributes, shown):
    error = next(x for x in _scratch(attributes) if x.code == "install.scratch-attributes")
    assert error.level == "error" and error.field == "installation.scratch"
    assert f"E:\\MABS\\Scratch is {shown}; MARS refuses" in error.message and "(S" not in error.message  # sources in the docs, not on screen


def test_a_plain_scratch_folder_passes_without_noise():
    findings = _scratch(0x10)
    assert not [x for x in findings if x.code.startswith("install.scratch")], findings


def test_a_deduplicated_volume_fails():
    error = next(x for x in _scratch(0x10, volume_changes={"dedup": True}) if x.code == "install.scratch-attributes")
    assert "volume E: has data deduplication enabled" in error.message


def test_a_folder_to_be_created_inherits_compression_and_encryption_from_its_parent():
    findings = _scratch(0x810, exists=False, examined="E:\\MABS")
    error = next(x for x in findings if x.code == "install.scratch-attributes")
    assert "does not exist yet and would be created Compressed, like E:\\MABS" in error.message
    # sparseness is not inherited; a parent that is a reparse point is a warning (the folder lands behind it)
    assert not [x for x in _scratch(0x210, exists=False, examined="E:\\MABS") if x.code.startswith("install.scratch")]
    parent = next(x for x in _scratch(0x410, exists=False, examined="E:\\MABS") if x.code == "install.scratch-parent")
    assert parent.level == "warning" and "reparse point" in parent.message


def test_bitlocker_matters_only_where_it_keeps_the_cache_offline():
    locked = _scratch(0x10, volume_changes={"bitlocker": {"protection_status": "On", "lock_status": "Locked", "volume_type": "Data",
                                                          "auto_unlock": False, "source": "Get-BitLockerVolume"}})
    assert next(x for x in locked if x.code == "install.scratch-volume").level == "error"
    no_auto_unlock = _scratch(0x10, volume_changes={"bitlocker": {"protection_status": "On", "lock_status": "Unlocked",
                                                                  "volume_type": "Data", "auto_unlock": False,
                                                                  "source": "Get-BitLockerVolume"}})
    warning = next(x for x in no_auto_unlock if x.code == "install.scratch-bitlocker")
    assert warning.level == "warning" and "Enable-BitLockerAutoUnlock -MountPoint E:" in warning.remedy
    auto_unlock = _scratch(0x10, volume_changes={"bitlocker": {"protection_status": "On", "lock_status": "Unlocked",
                                                               "volume_type": "Data", "auto_unlock": True, "source": "Get-BitLockerVolume"}})
    assert not [x for x in auto_unlock if x.code.startswith("install.scratch")]


def test_a_scratch_folder_the_facts_do_not_cover_is_a_warning_with_the_command_to_collect_it():
    f = facts()
    findings = check_installation(InstallationAnswers(scratch="C:\\Other\\Scratch", planned_cloud_data_gb=100), f)
    warning = next(x for x in findings if x.code == "install.scratch-unknown")
    assert "hold no attributes for C:\\Other\\Scratch" in warning.message
    assert warning.remedy.endswith('-Path MABS01.json -ScratchPath C:\\Other\\Scratch')
    # the same path typed differently is the same folder on Windows
    assert not [x for x in check_installation(InstallationAnswers(scratch="c:/mabs/scratch/", planned_cloud_data_gb=100), f)
                if x.code.startswith("install.scratch")]


def test_unreadable_scratch_attributes_are_a_warning_with_windows_reason():
    f = facts(scratch=[{"path": "C:\\MABS\\Scratch", "exists": False, "attributes": None,
                        "reason": "neither C:\\MABS\\Scratch nor any folder above it exists"}])
    warning = next(x for x in check_installation(InstallationAnswers(scratch="C:\\MABS\\Scratch"), f) if x.code == "install.scratch-unknown")
    assert "could not be read: neither C:\\MABS\\Scratch" in warning.message
