"""The step rules as pure functions: every rule can fail, and says why in terms an operator uses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mabs_wizard.answers.models import InstallationAnswers, PrerequisitesAnswers, SqlAnswers
from mabs_wizard.answers.winpath import validate_windows_path
from mabs_wizard.facts import Volume
from mabs_wizard.steps.installation import check_installation, scratch_needed_bytes
from mabs_wizard.steps.prerequisites import check_prerequisites
from mabs_wizard.steps.security import check_password
from mabs_wizard.steps.sql import check_sql
from tests.factsdata import facts

GB = 1024**3


def codes(findings, level="error"):
    return {f.code for f in findings if f.level == level}


# ------------------------------------------------------------------ prerequisites


def test_compliant_azure_stack_a2_passes_every_prerequisite():
    findings = check_prerequisites(PrerequisitesAnswers(), facts())
    assert codes(findings) == set() and codes(findings, "warning") == set()
    assert {"prereq.os-version", "prereq.domain-joined", "prereq.hardware", "prereq.dotnet"} <= codes(findings, "pass")


def test_linux_host_fails_honestly_and_says_how_to_check_the_target():
    f = facts(os_family="linux", os_name="Debian GNU/Linux 12", os_version="6.1.0")
    findings = check_prerequisites(PrerequisitesAnswers(), f)
    assert codes(findings) >= {"prereq.os-windows"}
    assert "facts_file" in next(x for x in findings if x.code == "prereq.os-windows").remedy


@pytest.mark.parametrize(
    "change, code",
    [
        ({"domain_joined": False, "domain": None}, "prereq.domain-joined"),
        ({"roles": {"domain_controller": True}}, "prereq.role-domain-controller"),
        ({"roles": {"application_server": True}}, "prereq.role-application-server"),
        ({"roles": {"exchange_server": True}}, "prereq.role-exchange-server"),
        ({"roles": {"cluster_node": True}}, "prereq.role-cluster-node"),
        ({"roles": {"scom_management_server": True}}, "prereq.role-scom-management-server"),
        ({"server_core": True}, "prereq.server-core"),
        ({"os_version": "10.0.14393", "os_name": "Windows Server 2016 Datacenter"}, "prereq.os-version"),
        ({"os_name": "Microsoft Hyper-V Server 2019"}, "prereq.os-hyperv-server"),
        ({"dotnet_release": 378388}, "prereq.dotnet"),
        ({"dotnet_release": None}, "prereq.dotnet"),
        ({"powershell_version": "2.0"}, "prereq.powershell"),
        ({"os_language": "tr-TR"}, "prereq.os-language"),
        ({"architecture": "x86"}, "prereq.64-bit"),
    ],
)
def test_each_blocking_prerequisite(change, code):
    assert code in codes(check_prerequisites(PrerequisitesAnswers(), facts(**change)))


def test_windows_2016_is_fine_for_v3_but_not_v4():
    f = facts(os_version="10.0.14393", os_name="Windows Server 2016 Datacenter")
    assert "prereq.os-version" in codes(check_prerequisites(PrerequisitesAnswers(mabs_version="v4"), f))
    assert "prereq.os-version" in codes(check_prerequisites(PrerequisitesAnswers(mabs_version="v3"), f), "pass")


@pytest.mark.parametrize(
    "platform, cores, ram_gb, warns",
    [("azure-stack", 2, 3.5, False), ("azure-stack", 1, 3.5, True), ("azure-vm", 2, 8, True), ("on-premises", 2, 4, True), ("on-premises", 2, 8, False)],
)
def test_hardware_minimum_depends_on_platform(platform, cores, ram_gb, warns):
    findings = check_prerequisites(PrerequisitesAnswers(platform=platform), facts(physical_cores=cores, memory_installed_bytes=int(ram_gb * GB)))
    assert ("prereq.hardware" in codes(findings, "warning")) is warns
    assert "prereq.hardware" not in codes(findings)  # a recommendation, not a blocker


def test_warnings_do_not_block():
    findings = check_prerequisites(PrerequisitesAnswers(), facts(dotnet_release=394000, tls12_enabled=False, hyperv_powershell=False))
    assert codes(findings, "warning") == {"prereq.dotnet", "prereq.tls12", "prereq.hyperv-powershell"}
    assert codes(findings) == set()


# ------------------------------------------------------------------ SQL


@pytest.mark.parametrize("server", ["sql01", "sql01.contoso.com", "10.0.0.5", "MABS01X"])
def test_remote_sql_is_refused_with_the_reason(server):
    findings = check_sql(SqlAnswers(mode="existing", server=server, instance="MABSDB"), facts())
    remote = next(f for f in findings if f.code == "sql.remote")
    assert remote.field == "sql.server" and "local" in remote.message


@pytest.mark.parametrize("server", ["localhost", ".", "(local)", "MABS01", "mabs01.contoso.com"])
def test_local_names_are_accepted(server):
    sql_facts = facts(sql_instances=[{"name": "MABSDB", "version": "15.0.2000.5", "edition": "Standard Edition (64-bit)"}])
    findings = check_sql(SqlAnswers(mode="existing", server=server, instance="MABSDB"), sql_facts)
    assert codes(findings) == set(), findings


@pytest.mark.parametrize(
    "instance, version, edition, mabs, code",
    [
        ("MABS_DB", "15.0.2000.5", "Standard Edition (64-bit)", "v4", "sql.instance-underscore"),
        ("MSSQLSERVER", "15.0.2000.5", "Standard Edition (64-bit)", "v4", "sql.default-instance"),
        ("MABSDB", "14.0.1000.169", "Standard Edition (64-bit)", "v4", "sql.version"),
        ("MABSDB", "12.0.2000.8", "Standard Edition (64-bit)", "v3", "sql.version"),  # 2014 RTM: needs SP1
        ("MABSDB", "15.0.2000.5", "Express Edition (64-bit)", "v4", "sql.edition"),
    ],
)
def test_existing_instance_rules(instance, version, edition, mabs, code):
    f = facts(sql_instances=[{"name": instance, "version": version, "edition": edition}])
    assert code in codes(check_sql(SqlAnswers(mode="existing", instance=instance), f, mabs))


def test_existing_instance_must_exist_on_the_target():
    findings = check_sql(SqlAnswers(mode="existing", instance="NOPE"), facts())
    assert "sql.instance-missing" in codes(findings)


def test_sql_2014_sp1_is_fine_for_v3():
    f = facts(sql_instances=[{"name": "MABSDB", "version": "12.0.4100.1", "edition": "Enterprise Edition (64-bit)"}])
    assert codes(check_sql(SqlAnswers(mode="existing", instance="MABSDB"), f, "v3")) == set()


# ------------------------------------------------------------------ installation


def test_scratch_must_hold_five_percent_of_planned_cloud_data():
    assert scratch_needed_bytes(500) == 25 * GB
    small_d = [Volume(mount="C:", size_bytes=127 * GB, free_bytes=96 * GB), Volume(mount="D:", size_bytes=14 * GB, free_bytes=13 * GB)]
    inst = InstallationAnswers(scratch="D:\\Scratch", planned_cloud_data_gb=500)
    too_small = next(f for f in check_installation(inst, facts(volumes=[v.model_dump() for v in small_d])) if f.level == "error")
    assert too_small.field == "installation.scratch" and "13.00 GB free but needs 25.00 GB" in too_small.message
    ok = InstallationAnswers(scratch="D:\\Scratch", planned_cloud_data_gb=200)  # 10 GB
    assert codes(check_installation(ok, facts(volumes=[v.model_dump() for v in small_d]))) == set()


def test_needs_on_one_volume_add_up():
    c_only = [Volume(mount="C:", size_bytes=10 * GB, free_bytes=int(3.5 * GB))]  # 3 GB + 0.9 GB > 3.5 GB
    findings = check_installation(InstallationAnswers(), facts(volumes=[v.model_dump() for v in c_only]))
    assert "install.space" in codes(findings)


@pytest.mark.parametrize(
    "volume, code",
    [
        (Volume(mount="E:", kind="removable", size_bytes=64 * GB, free_bytes=60 * GB), "install.scratch-volume"),
        (Volume(mount="E:", online=False, size_bytes=64 * GB, free_bytes=60 * GB), "install.scratch-volume"),
        (Volume(mount="E:", dedup=True, size_bytes=64 * GB, free_bytes=60 * GB), "install.scratch-attributes"),
    ],
)
def test_scratch_volume_kind(volume, code):
    f = facts(volumes=[*facts().model_dump()["volumes"], volume.model_dump()])
    assert code in codes(check_installation(InstallationAnswers(scratch="E:\\Scratch"), f))


def test_scratch_on_a_network_share_and_missing_drive():
    assert "install.scratch-network" in codes(check_installation(InstallationAnswers(scratch="\\\\nas\\share\\scratch"), facts()))
    assert "install.no-volume" in codes(check_installation(InstallationAnswers(scratch="Q:\\Scratch"), facts()))


@pytest.mark.parametrize("bad", ["relative\\path", "/usr/local", "C:\\a|b", "C:\\CON\\x", "C:\\dir.\\x", "C:" + "\\x" * 140])
def test_windows_paths_are_validated_as_such(bad):
    with pytest.raises(ValidationError):
        InstallationAnswers(program_files=bad)


def test_forward_slashes_are_normalised():
    assert validate_windows_path("D:/MABS/Scratch/") == "D:\\MABS\\Scratch"


# ------------------------------------------------------------------ security


@pytest.mark.parametrize(
    "password, code",
    [
        ("Ab1!", "security.password-length"),
        ("alllowercase", "security.password-complexity"),
        ("NoDigitsOrSymbols", "security.password-complexity"),
        ("Microsoft!2026", "security.password-account"),
        ("xDPMR$MABS01x!1A", "security.password-account"),
        ("Mabs01Server!", "security.password-account"),
    ],
)
def test_security_password_rule(password, code):
    findings = check_password(password, password, "MABS01")
    assert code in codes(findings)
    assert all(password not in f.message for f in findings)  # never echo the password


def test_security_password_ok_and_mismatch():
    assert codes(check_password("Kx9!vRt2#pLq", "Kx9!vRt2#pLq", "MABS01")) == set()
    assert codes(check_password("Kx9!vRt2#pLq", "Kx9!vRt2#pLQ", "MABS01")) == {"security.password-mismatch"}
