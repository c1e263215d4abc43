"""Exports of the demo manifest (and a proxy/Windows variant): golden files, the ini's 17 keys and
its comment syntax, the command lines, the PowerShell script's structure (read from a real
PowerShell parse tree, see test_powershell_grammar.py), and no secret in any export made without
secrets.

Regenerate the golden files with ``UPDATE_GOLDEN=1 pytest tests/test_export.py`` and read the diff.
"""

from __future__ import annotations

import configparser
import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.export import DEFAULT_NAMES, FORMATS, encode, missing_secrets, render, required_secrets, secrets_needed
from mabs_wizard.export.mabs_ini import INI_KEYS
from mabs_wizard.manifest import Manifest
from tests.export_support import replayed_demo_manifest

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"

# Known secret values for the tests; none may show up in an export made without them.
SECRETS = {
    "sql.admin_password": "Sql-Adm1n-Pa55!",
    "security.password": "Dpm-Acct-Pa55-7x!",
    "encryption.passphrase": "correct horse battery staple 42",
    "proxy.password": "Pr0xy%Pa55^&word",
}


def demo() -> dict[str, Any]:
    """The manifest a replay of the demo kit writes (tests/export_support.py)."""
    return replayed_demo_manifest()


def _record(field: str) -> dict[str, str]:
    return {
        "store": "keyring",
        "service": "mabs-wizard",
        "username": f"MABS01/{field}",
        "backend": "keyring.backends.SecretService.Keyring",
        "fingerprint": "scrypt$AAAAAAAAAAAAAAAAAAAAAA==$0000000000000000",
        "source": "prompt",
    }


def proxy_variant() -> dict[str, Any]:
    """The wizard run on the target itself (Windows paths), MABS V3, existing SQL, an authenticating proxy."""
    m = demo()
    m["extraction"]["settings"]["destination"] = "C:\\MABS Setup"
    m["prerequisites"]["settings"]["mabs_version"] = "v3"
    m["sql"]["settings"].update({"mode": "existing", "instance": "MABSSQL", "admin_user": "mabs-admin", "admin_domain": "CONTOSO",
                                 "admin_password": _record("sql.admin_password")})
    m["installation"]["settings"]["company_name"] = "Contoso O'Brien & Partners"
    m["updates"]["settings"]["microsoft_update"] = False
    m["proxy"]["settings"].update({"use_proxy": True, "host": "proxy.contoso.local", "port": 8080, "username": "CONTOSO\\svc-mabs",
                                   "password": _record("proxy.password")})
    m["vault"]["settings"]["target_path"] = "C:\\MABSSetup\\contoso-mabs-vault.VaultCredentials"
    m["encryption"]["settings"]["target_save_location"] = "\\\\FS01\\MABS-Passphrase"
    return m


def without_sql_password() -> dict[str, Any]:
    """The demo kit replayed as if its answers had no sql.admin_password (the field is optional)."""
    m = demo()
    m["sql"]["settings"]["admin_password"] = None
    return m


VARIANTS = {"demo": demo, "proxy": proxy_variant}


def test_fixture_validates_against_the_manifest_model() -> None:
    Manifest.model_validate(demo())
    Manifest.model_validate(proxy_variant())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(variant: str, fmt: str) -> None:
    text = render(VARIANTS[variant](), fmt)
    golden = GOLDEN / f"{variant}-{DEFAULT_NAMES[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; if intended, UPDATE_GOLDEN=1 and review"


def test_render_accepts_model_or_dict() -> None:
    m = demo()
    for fmt in FORMATS:
        assert render(Manifest.model_validate(m), fmt) == render(m, fmt)


# --- mabs-ini ------------------------------------------------------------------------------


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keep the keys' case: setup's keys are case-sensitive in the doc
    parser.read_string(text)
    return parser


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("secrets", [None, SECRETS])
def test_ini_has_exactly_the_17_keys(variant: str, secrets: dict[str, str] | None) -> None:
    ini = _ini(render(VARIANTS[variant](), "mabs-ini", secrets=secrets))
    assert ini.sections() == ["OPTIONS"]
    assert tuple(ini["OPTIONS"]) == INI_KEYS
    assert len(INI_KEYS) == 17


def test_ini_values_of_the_demo() -> None:
    opts = _ini(render(demo(), "mabs-ini"))["OPTIONS"]
    assert opts["UseExistingSQL"] == "0"  # sql.mode new
    assert opts["SQLInstanceName"] == "MSDPM2012" and opts["ReportingInstanceName"] == "SSRS"
    assert opts["SQLMachineDomainName"] == opts["ReportingMachineDomainName"] == "CONTOSO"  # from the facts
    assert opts["VaultCredentialFilePath"] == r"C:\MABSSetup\contoso-mabs-vault.VaultCredentials"
    assert opts["PassphraseSaveLocation"] == r"C:\MABSSetup\Passphrase"
    for key, field in (("SqlAccountPassword", "security.password"), ("SecurityPassphrase", "encryption.passphrase"),
                       ("SQLMachinePassword", "sql.admin_password"), ("ReportingMachinePassword", "sql.admin_password")):
        assert opts[key] == f"<secret not exported: {field}>"


def test_ini_with_secrets_holds_them_at_their_keys() -> None:
    text = render(proxy_variant(), "mabs-ini", secrets=SECRETS)
    opts = _ini(text)["OPTIONS"]
    assert opts["UseExistingSQL"] == "1"
    assert opts["SQLMachinePassword"] == opts["ReportingMachinePassword"] == SECRETS["sql.admin_password"]
    assert opts["SqlAccountPassword"] == SECRETS["security.password"]
    assert opts["SecurityPassphrase"] == SECRETS["encryption.passphrase"]
    assert "THIS FILE HOLDS SECRETS" in text
    assert SECRETS["proxy.password"] not in text  # the ini has no proxy keys


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("secrets", [None, SECRETS])
def test_ini_notes_use_only_the_documented_comment_syntax(variant: str, secrets: dict[str, str] | None) -> None:
    """Notes are lines starting with # inside [OPTIONS], as the DPM unattended-install doc documents
    them ("Lines beginning with the hash (#) are commented out", MicrosoftDocs/SystemCenterDocs
    SystemCenterDocs/dpm/install-dpm.md); no document gives ';' a meaning in these files."""
    text = render(VARIANTS[variant](), "mabs-ini", secrets=secrets)
    lines = text.splitlines()
    assert lines[0] == "[OPTIONS]"
    assert not [line for line in lines if line.lstrip().startswith(";")]
    notes = [line for line in lines[1:] if not re.match(r"^[A-Za-z]+=", line)]
    assert len(notes) > 10 and all(line.startswith("#") for line in notes), notes
    # A reader that knows only '#' as a comment finds exactly the 17 keys and nothing else: a note
    # that were not a comment would be a key or a parse error here.
    parser = configparser.ConfigParser(interpolation=None, strict=True, comment_prefixes=("#",), inline_comment_prefixes=None)
    parser.optionxform = str
    parser.read_string(text)
    assert tuple(parser["OPTIONS"]) == INI_KEYS


def test_ini_setup_command_line() -> None:
    lines = render(demo(), "mabs-ini").splitlines()
    assert ("#   start /wait <extracted folder>\\Setup.exe /i /f <extracted folder>\\MABSSetup.ini "
            "/l <extracted folder>\\MABSSetup.log") in lines
    # A folder with a space: quoted, and `start` given an empty title (else it takes the path as one).
    lines = render(proxy_variant(), "mabs-ini").splitlines()
    assert '#   start "" /wait "C:\\MABS Setup\\Setup.exe" /i /f "C:\\MABS Setup\\MABSSetup.ini" /l "C:\\MABS Setup\\MABSSetup.log"' in lines
    m = demo()
    m["extraction"]["settings"]["destination"] = "C:\\MABS"
    assert "#   start /wait C:\\MABS\\Setup.exe /i /f C:\\MABS\\MABSSetup.ini /l C:\\MABS\\MABSSetup.log" in render(m, "mabs-ini").splitlines()


def test_v4_pre_steps_only_for_v4() -> None:
    v4, v3 = render(demo(), "mabs-ini"), render(proxy_variant(), "mabs-ini")
    for text in (v4, render(demo(), "ps1")):
        assert "Microsoft-Hyper-V-Management-PowerShell" in text
    assert '#   mkdir "C:\\Program Files\\Microsoft Azure Recovery Services Agent"' in v4.splitlines()
    for text in (v3, render(proxy_variant(), "ps1")):
        assert "dism" not in text.lower() and "Hyper-V" not in text


def test_vault_target_with_a_space_is_refused() -> None:
    m = demo()
    m["vault"]["settings"]["target_path"] = "C:\\MABS Setup\\vault.VaultCredentials"
    for fmt in ("mabs-ini", "ps1"):
        with pytest.raises(InputError, match="contains a space.*without spaces"):
            render(m, fmt)
    render(m, "mars-cmd")  # the MARS command line does not use it


@pytest.mark.parametrize(("section", "field", "words"), [("vault", "target_path", "vault.target_path is not set"),
                                                          ("encryption", "target_save_location", "encryption.target_save_location is not set")])
def test_missing_target_paths_are_refused(section: str, field: str, words: str) -> None:
    m = demo()
    m[section]["settings"][field] = None
    with pytest.raises(InputError, match=words):
        render(m, "mabs-ini")


def test_line_breaks_cannot_inject_ini_keys() -> None:
    m = demo()
    m["installation"]["settings"]["company_name"] = "Contoso\nSecurityPassphrase=owned"
    with pytest.raises(InputError, match="installation.company_name: contains a line break"):
        render(m, "mabs-ini")


@pytest.mark.parametrize(("value", "words"), [("two\nlines", "line break"), (" padded ", "space")])
def test_unfit_secret_values_are_refused_without_echo(value: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as err:
        render(demo(), "mabs-ini", secrets={"security.password": value})
    assert value.strip() not in str(err.value)


def test_invalid_manifest_is_input_error() -> None:
    m = demo()
    del m["vault"]
    with pytest.raises(InputError):
        render(m, "mabs-ini")
    with pytest.raises(InputError, match="unknown export format"):
        render(demo(), "bat")


# --- mars-cmd ------------------------------------------------------------------------------


def _command_line(text: str) -> str:
    return next(line for line in text.splitlines() if "MARSAgentInstaller.exe" in line and not line.startswith("rem"))


def test_mars_cmd_without_proxy() -> None:
    line = _command_line(render(demo(), "mars-cmd"))
    assert line == ('"%SETUP_FOLDER%\\MARSAgent\\MARSAgentInstaller.exe" /q /nu /m '
                    '/p:"C:\\Program Files\\Microsoft Azure Recovery Services Agent" /s:"C:\\MABS\\Scratch"')


def test_mars_cmd_with_proxy_reads_the_password_at_run_time() -> None:
    text = render(proxy_variant(), "mars-cmd")
    line = _command_line(text)
    assert " /m " not in line  # no Microsoft Update opt-in in this variant
    assert line.endswith('/ph proxy.contoso.local /po 8080 /pu CONTOSO\\svc-mabs /pw "%MABS_WIZARD_PROXY_PASSWORD%"')
    assert "if not defined MABS_WIZARD_PROXY_PASSWORD (" in text
    assert 'set "SETUP_FOLDER=C:\\MABS Setup"' in text


def test_mars_cmd_with_secrets_escapes_for_cmd() -> None:
    text = render(proxy_variant(), "mars-cmd", secrets=SECRETS)
    assert _command_line(text).endswith('/pw "Pr0xy%%Pa55^&word"')  # % doubled, quoted (^ and & are literal inside quotes)
    assert "THIS FILE HOLDS THE PROXY PASSWORD" in text


def test_mars_cmd_refuses_a_double_quote() -> None:
    m = proxy_variant()
    m["proxy"]["settings"]["username"] = 'svc"mabs'
    with pytest.raises(InputError, match="proxy.username: contains a double quote"):
        render(m, "mars-cmd")
    with pytest.raises(InputError, match="double quote") as err:
        render(proxy_variant(), "mars-cmd", secrets={"proxy.password": 'a"b-Secret'})
    assert "a\"b-Secret" not in str(err.value)


# --- ps1 -----------------------------------------------------------------------------------
# Structure read from a real PowerShell parse tree (tree-sitter-pwsh, test_powershell_grammar.py):
# each command with its parameters, the function it is in and the if blocks around it.

# Parameter sets Microsoft documents; a call must stay inside one set. Set-DPMCloudSubscriptionSetting:
# MicrosoftDocs/systemcenter-docs-powershell systemcenter-cmdlets/SystemCenter2016/DataProtectionManager/
# v1/Set-DPMCloudSubscriptionSetting.md (read in its copy Taojunshen/systemcenter-docs-psprocessing
# sc-cmdlets/...); Set-OBMachineSetting: its help (S9) and backup-client-automation.md (-SecurityPin);
# Start-OBRegistration: backup-client-automation.md.
DPM_COMMON = {"DPMServerName", "SubscriptionSetting"}
DPM_SETS = [{"Commit"}, {"StagingAreaPath"}, {"EncryptionPassphrase"}, {"NoProxy"}, {"NoThrottle"},
            {"ProxyServer", "ProxyPort", "ProxyUsername", "ProxyPassword"}]
OB_SETS = [{"EncryptionPassphrase", "SecurityPin"}, {"NoProxy"}, {"NoThrottle"},
           {"ProxyServer", "ProxyPort", "ProxyUsername", "ProxyPassword"}]
# Windows PowerShell 5.1 cmdlets and the agent's/DPM's the script may call; anything else must be
# a function the script defines (a misspelt cmdlet fails here, not on the server).
KNOWN = {"ConvertFrom-Json", "ConvertTo-Json", "ConvertTo-SecureString", "Get-Command", "Get-Content", "Get-ItemProperty",
         "Get-WindowsOptionalFeature", "Import-Clixml", "Import-Module", "Join-Path", "New-Item", "New-Object", "Out-Null", "Read-Host",
         "Remove-Item", "Select-Object", "Set-Content", "Set-StrictMode", "Split-Path", "Start-Process", "Test-Path",
         "Where-Object", "Write-Host", "Write-Warning", "Set-OBMachineSetting", "Start-OBRegistration",
         "Get-DPMCloudSubscriptionSetting", "Set-DPMCloudSubscriptionSetting"}
# What changes the server (or the script's record of what it did).
CHANGING = {"New-Item", "Start-Process", "Set-OBMachineSetting", "Set-DPMCloudSubscriptionSetting", "Start-OBRegistration",
            "Save-State", "Set-Content", "Remove-Item", "Import-DpmCmdlets"}


def _script(variant: str) -> tuple[str, Any, list[Any]]:
    from tests.test_powershell_grammar import commands, parse

    text = render(VARIANTS[variant](), "ps1")
    tree = parse(text)
    return text, tree, commands(tree)


def _named(cmds: list[Any], name: str) -> list[Any]:
    return [c for c in cmds if c.name == name]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_calls_known_commands_with_documented_parameters(variant: str) -> None:
    from tests.test_powershell_grammar import functions

    _, tree, cmds = _script(variant)
    defined = functions(tree)
    assert {"Read-Secret", "Resolve-Secret", "Stop-Input", "Import-DpmCmdlets"} <= defined
    unknown = sorted({c.name for c in cmds} - KNOWN - defined)
    assert not unknown, unknown
    for call in _named(cmds, "Set-DPMCloudSubscriptionSetting"):
        own = set(call.parameters) - DPM_COMMON
        assert DPM_COMMON <= set(call.parameters), call.parameters
        assert sum(own <= s for s in DPM_SETS) == 1 and own, f"not one documented parameter set: {call.parameters}"
    for call in _named(cmds, "Set-OBMachineSetting"):
        assert sum(set(call.parameters) <= s for s in OB_SETS) == 1, call.parameters
    for call in _named(cmds, "Start-OBRegistration"):
        assert set(call.parameters) == {"VaultCredentials", "Confirm"}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_prompts_only_in_an_interactive_session(variant: str) -> None:
    """No Read-Host is reachable unless [Environment]::UserInteractive, no -NonInteractive (the
    host's or the script's) and no value from a parameter, the environment or the secrets file."""
    from tests.test_powershell_grammar import assignments, text_of

    _, tree, cmds = _script(variant)
    read_hosts = _named(cmds, "Read-Host")
    assert read_hosts and all(c.function == "Read-Secret" and "AsSecureString" in c.parameters for c in read_hosts)
    prompts = _named(cmds, "Read-Secret")
    assert prompts and all(c.function == "Resolve-Secret" and "$CanPrompt" in c.guards() for c in prompts)
    [can_prompt] = assignments(tree, "$CanPrompt")
    for part in ("[Environment]::UserInteractive", "-not $NonInteractive", "-not (Test-HostNonInteractive)"):
        assert part in can_prompt
    # Resolve-Secret returns a parameter, environment or file value before it reaches the prompt.
    [resolve] = [n for n in _walk_nodes(tree.root_node) if n.type == "function_statement" and "Resolve-Secret" in text_of(n).split("{")[0]]
    body = text_of(resolve)
    assert body.index("$Bound.ContainsKey") < body.index("GetEnvironmentVariable") < body.index("$FileSecrets") < body.index("if ($CanPrompt)")
    [host_check] = [n for n in _walk_nodes(tree.root_node) if n.type == "function_statement" and "Test-HostNonInteractive" in text_of(n).split("{")[0]]
    assert "GetCommandLineArgs" in text_of(host_check) and "'^[-/]non'" in text_of(host_check)


def _walk_nodes(node: Any) -> Any:
    yield node
    for child in node.children:
        yield from _walk_nodes(child)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_stops_before_changing_anything_when_input_is_missing(variant: str) -> None:
    from tests.test_powershell_grammar import text_of

    _, tree, cmds = _script(variant)
    top = [c for c in cmds if c.function is None]
    stops = _named(top, "Stop-Input")
    assert stops
    last_stop = max(stops, key=lambda c: c.start)
    assert "$Problems.ToArray()" in text_of(last_stop.node)
    changes = [c for c in top if c.name in CHANGING]
    assert changes and last_stop.start < min(c.start for c in changes), "something changes before the input check"
    assert "WriteAllText" in text_of(tree.root_node)[last_stop.start:]  # the ini copy too, after it
    resolves = _named(cmds, "Resolve-Secret")
    assert resolves and all(c.start < last_stop.start for c in resolves)
    # Stop-Input ends the script with exit code 2; a missing secret is named with its three sources.
    [stop_fn] = [n for n in _walk_nodes(tree.root_node) if n.type == "function_statement" and "Stop-Input" in text_of(n).split("{")[0]]
    assert "exit 2" in text_of(stop_fn)
    missing = [n for n in _walk_nodes(tree.root_node) if n.type == "if_statement" and text_of(n.named_children[0]) == "$null -eq $value"]
    assert len(missing) == 1
    message = text_of(missing[0].named_children[1])
    assert "Missing secret ${field}" in message and "$($spec.Parameter)" in message and "$($spec.Env)" in message


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_child_processes_inherit_no_secret_variable(variant: str) -> None:
    """Secrets given as environment variables are removed from the script's environment before it
    starts any program (dism, MARSAgentInstaller, setup), read or not."""
    from mabs_wizard.export.plan import plan_from_manifest
    from mabs_wizard.export.ps1 import PIN_ENV, secret_inputs
    from tests.test_powershell_grammar import text_of

    text, tree, cmds = _script(variant)
    clear = [n for n in _walk_nodes(tree.root_node) if n.type == "foreach_statement" and "SetEnvironmentVariable($spec.Env, $null" in text_of(n)]
    assert len(clear) == 1 and "$SecretSpecs.Values" in text_of(clear[0])
    first_program = min(c.start for c in _named(cmds, "Start-Process"))
    assert clear[0].start_byte < first_program
    for i in secret_inputs(plan_from_manifest(VARIANTS[variant]())):
        assert f"Env = '{i.env}'" in text  # every secret's variable is in the specs the loop clears
    assert text.index(f"SetEnvironmentVariable('{PIN_ENV}', $null") < first_program


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_checks_before_each_step(variant: str) -> None:
    """Safe to run again: nothing changes unconditionally, and each step has its own check."""
    from tests.test_powershell_grammar import assignments, text_of

    text, tree, cmds = _script(variant)
    unguarded = [c.name for c in cmds if c.function is None and c.name in CHANGING and not c.guards()]
    assert not unguarded, unguarded
    setup = [c for c in _named(cmds, "Start-Process") if "$SetupExe" in text_of(c.node)]
    assert len(setup) == 1 and "$NeedSetup" in setup[0].guards()
    assert assignments(tree, "$NeedSetup") == ["-not $MabsInstalled"] and assignments(tree, "$MabsInstalled") == ["Test-MabsInstalled"]
    # What "installed" and "registered" mean is read from the registry Microsoft documents.
    assert "'HKLM:\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\Setup'" in text and "-Name 'InstallPath'" in text
    assert "'HKLM:\\SOFTWARE\\Microsoft\\Windows Azure Backup\\Config'" in text and "'ServiceResourceName'" in text
    [register] = _named(cmds, "Start-OBRegistration")
    assert register.guards() == ["-not $Registered"]
    for call in _named(cmds, "Set-DPMCloudSubscriptionSetting"):
        assert "$NeedSettings" in call.guards()
    assert any("$State.settings -ne $SettingsWanted" in a for a in assignments(tree, "$NeedSettings"))
    installer = [c for c in _named(cmds, "Start-Process") if "$MarsInstaller" in text_of(c.node)]
    dism = [c for c in _named(cmds, "Start-Process") if "dism.exe" in text_of(c.node)]
    if VARIANTS[variant]()["proxy"]["settings"]["use_proxy"]:
        assert len(installer) == 1 and installer[0].guards()[:2] == ["<else_clause>", "$NeedSetup"]
    else:
        assert not installer
    if VARIANTS[variant]()["prerequisites"]["settings"]["mabs_version"] == "v4":
        assert len(dism) == 1 and dism[0].guards() == ["$featuresOff.Count -gt 0", "$NeedSetup"]
    else:
        assert not dism


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_sets_the_server_the_dpm_way_and_commits_last(variant: str) -> None:
    """backup-dpm-automation.md: Get-DPMCloudSubscriptionSetting, Set-DPMCloudSubscriptionSetting with
    -NoProxy or -ProxyServer..., -StagingAreaPath, -EncryptionPassphrase, then -Commit; after
    Start-OBRegistration -VaultCredentials when the script registers the server itself."""
    from tests.test_powershell_grammar import text_of

    _, _, cmds = _script(variant)
    settings = [c for c in cmds if "$NeedSettings" in c.guards() and c.function is None]
    names = [c.name for c in settings]
    assert names[0] == "Import-DpmCmdlets" and names[1] == "Get-DPMCloudSubscriptionSetting"
    sets = _named(settings, "Set-DPMCloudSubscriptionSetting")
    commits = [c for c in sets if "Commit" in c.parameters]
    assert len(commits) == 1 and commits[0] is sets[-1], "-Commit must come after every other setting"
    assert names.index("Save-State") > names.index("Set-DPMCloudSubscriptionSetting") and settings[-1].name == "Save-State"
    assert settings[-1].start > commits[0].start
    [passphrase] = [c for c in sets if "EncryptionPassphrase" in c.parameters]
    assert passphrase.guards()[-2:] == ["$NeedPassphrase", "$NeedSettings"]
    assert "@pin" in text_of(passphrase.node)  # the Security PIN, where the cmdlet takes one
    [register] = _named(cmds, "Start-OBRegistration")
    assert register.start < passphrase.start
    proxy = VARIANTS[variant]()["proxy"]["settings"]
    proxy_sets = [c for c in sets if "ProxyServer" in c.parameters]
    no_proxy = [c for c in sets if "NoProxy" in c.parameters]
    if proxy["use_proxy"]:
        assert len(proxy_sets) == 1 and not no_proxy
        assert {"ProxyUsername", "ProxyPassword"} <= set(proxy_sets[0].parameters) if proxy["username"] else True
    else:
        assert len(no_proxy) == 1 and not proxy_sets


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_uses_agent_only_cmdlets_only_before_setup(variant: str) -> None:
    """Set-OBMachineSetting is the standalone agent's (backup-client-automation.md): only while MABS
    is not installed yet, before setup; never for the passphrase on a MABS server."""
    from tests.test_powershell_grammar import text_of

    _, _, cmds = _script(variant)
    [setup] = [c for c in _named(cmds, "Start-Process") if "$SetupExe" in text_of(c.node)]
    agent = _named(cmds, "Set-OBMachineSetting")
    if VARIANTS[variant]()["proxy"]["settings"]["use_proxy"]:
        assert len(agent) == 1 and agent[0].start < setup.start and "$NeedSetup" in agent[0].guards()
        assert "ProxyServer" in agent[0].parameters
    else:
        assert not agent


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ps1_documents_every_parameter_and_secret_source(variant: str) -> None:
    from mabs_wizard.export.plan import plan_from_manifest
    from mabs_wizard.export.ps1 import PIN_ENV, SECRETS_FILE_ENV, secret_inputs
    from tests.test_powershell_grammar import text_of

    text, tree, _ = _script(variant)
    params = [text_of(n) for n in _walk_nodes(tree.root_node) if n.type == "script_parameter" and n.parent and n.parent.parent
              and n.parent.parent.type == "param_block" and n.parent.parent.parent == tree.root_node]
    names = [re.search(r"\$(\w+)", p).group(1) for p in params]  # type: ignore[union-attr]
    assert "NonInteractive" in names and "SecretsFile" in names and "SecurityPin" in names
    help_block = text[text.index("<#"):text.index("#>")]
    for name in names:
        assert f".PARAMETER {name}\n" in help_block, name
    inputs = secret_inputs(plan_from_manifest(VARIANTS[variant]()))
    assert [i.parameter for i in inputs] == names[: len(inputs)]
    for i in inputs:
        assert any(p.startswith("[securestring]") and p.endswith(f"${i.parameter}") for p in params)
        assert i.env in help_block and f"'{i.field}'" in help_block
    assert PIN_ENV in help_block and SECRETS_FILE_ENV in help_block
    assert "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File .\\Install-MABS.ps1" in help_block
    assert ("proxy.password" in [i.field for i in inputs]) == bool(VARIANTS[variant]()["proxy"]["settings"]["username"])


def test_ps1_staging_area_is_set_and_created_when_planned() -> None:
    import dataclasses

    from mabs_wizard.export.plan import plan_from_manifest
    from mabs_wizard.export.ps1 import render_ps1
    from tests.test_powershell_grammar import commands, parse

    text = render_ps1(dataclasses.replace(plan_from_manifest(demo()), staging_area="D:\\MABS Staging\\O'Brien"))
    assert "[string] $StagingAreaPath = 'D:\\MABS Staging\\O''Brien'," in text
    cmds = commands(parse(text))
    [staging] = [c for c in cmds if "StagingAreaPath" in c.parameters]
    assert staging.guards() == ["$StagingAreaPath", "$NeedSettings"]
    [create] = [c for c in _named(cmds, "New-Item") if c.start > staging.start - 400 and c.start < staging.start]
    assert create.guards()[0] == "-not (Test-Path -LiteralPath $StagingAreaPath -PathType Container)"
    assert "[string] $StagingAreaPath," in render(demo(), "ps1")  # no plan value: the parameter, empty


def test_ps1_embedded_ini_has_tokens_not_secrets() -> None:
    text = render(proxy_variant(), "ps1", secrets=SECRETS)  # given secrets anyway: still none embedded
    for value in SECRETS.values():
        assert value not in text
    body = re.search(r"@'\n(.*?)\n'@", text, flags=re.S)
    assert body is not None
    opts = _ini(body.group(1))["OPTIONS"]
    assert tuple(opts) == INI_KEYS
    assert opts["SqlAccountPassword"] == "@@SECRET:security.password@@"
    assert opts["CompanyName"] == "Contoso O'Brien & Partners"  # a single-quoted here-string needs no escaping


def test_ps1_proxy_values_and_installer_switches() -> None:
    with_proxy = render(proxy_variant(), "ps1")
    assert "$ProxyServer      = 'http://proxy.contoso.local'" in with_proxy
    assert "'/ph', 'proxy.contoso.local', '/po', '8080', '/pu', 'CONTOSO\\svc-mabs'" in with_proxy
    assert "'/pw'" not in with_proxy  # the password never goes on a command line
    assert "$SetupFolder      = 'C:\\MABS Setup'" in with_proxy
    assert "$SetupFolder      = $PSScriptRoot" in render(demo(), "ps1")


def test_ps1_quotes_single_quotes_in_paths() -> None:
    m = demo()
    m["vault"]["settings"]["target_path"] = "C:\\O'Brien\\vault.VaultCredentials"
    assert "$VaultCredentials = 'C:\\O''Brien\\vault.VaultCredentials'" in render(m, "ps1")


# --- secrets never leak into exports made without them --------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_no_secret_in_any_export_without_secrets(variant: str) -> None:
    m = VARIANTS[variant]()
    for fmt in FORMATS:
        without = render(m, fmt)
        for value in SECRETS.values():
            assert value not in without
            assert value.replace("%", "%%") not in without
        # ...while the same export made with them does hold them, so the check above can fail.
        if secrets_needed(m, fmt):
            with_secrets = render(m, fmt, secrets=SECRETS)
            needed = [f for f in secrets_needed(m, fmt)]
            assert any(SECRETS[f] in with_secrets or SECRETS[f].replace("%", "%%") in with_secrets for f in needed)


def test_secrets_needed_per_format() -> None:
    assert sorted(secrets_needed(demo(), "mabs-ini")) == ["encryption.passphrase", "security.password", "sql.admin_password"]
    assert all(record is not None for record in secrets_needed(demo(), "mabs-ini").values())  # the demo kit gives all three
    assert secrets_needed(without_sql_password(), "mabs-ini")["sql.admin_password"] is None
    assert secrets_needed(demo(), "mars-cmd") == {}  # no proxy
    assert list(secrets_needed(proxy_variant(), "mars-cmd")) == ["proxy.password"]
    assert secrets_needed(proxy_variant(), "ps1") == {}


def test_required_secrets_make_a_complete_export() -> None:
    """The engine's answer to "which answers fields does a complete export need" (the TUI's SQL page
    and replay ask for these): exactly what leaves no placeholder, for plans from a manifest or answers."""
    from mabs_wizard.export.plan import plan_from_answers, plan_from_manifest
    from mabs_wizard.flow import answers_from_sections

    plan = plan_from_manifest(demo())
    ini_fields = required_secrets("mabs-ini", plan)
    assert ini_fields == ("sql.admin_password", "security.password", "encryption.passphrase")
    complete = render(demo(), "mabs-ini", secrets={f: SECRETS[f] for f in ini_fields})
    assert "<secret not exported" not in complete
    for left_out in ini_fields:  # each one is needed: without it a placeholder stays
        partial = render(demo(), "mabs-ini", secrets={f: SECRETS[f] for f in ini_fields if f != left_out})
        assert f"<secret not exported: {left_out}>" in partial
    assert required_secrets("mars-cmd", plan) == () and required_secrets("ps1", plan) == ()
    assert required_secrets("mars-cmd", plan_from_manifest(proxy_variant())) == ("proxy.password",)
    no_user = proxy_variant()
    no_user["proxy"]["settings"].update({"username": None, "password": None})
    assert required_secrets("mars-cmd", plan_from_manifest(no_user)) == ()
    assert "/pw" not in _command_line(render(no_user, "mars-cmd"))
    from mabs_wizard.answers.models import ProxyAnswers

    early = plan_from_answers(answers_from_sections({"proxy": ProxyAnswers(use_proxy=True, host="p", port=3128, username="svc")}),
                              computer_name="MABS01", domain=None)
    assert required_secrets("mars-cmd", early) == ("proxy.password",)
    assert missing_secrets(demo(), "mabs-ini") == []
    assert missing_secrets(without_sql_password(), "mabs-ini") == ["sql.admin_password"]
    assert missing_secrets(proxy_variant(), "mabs-ini") == [] and missing_secrets(proxy_variant(), "mars-cmd") == []
    with pytest.raises(InputError, match="unknown export format"):
        required_secrets("bat", plan)


# --- bytes on disk ---------------------------------------------------------------------------


def test_encode_crlf_and_bom() -> None:
    text = render(demo(), "ps1")
    data = encode("ps1", text)
    assert data.startswith(b"\xef\xbb\xbf#Requires") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    ini = encode("mabs-ini", render(demo(), "mabs-ini"))
    assert not ini.startswith(b"\xef\xbb\xbf") and ini.count(b"\r\n") == render(demo(), "mabs-ini").count("\n")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(ini.decode("utf-8"))
    assert tuple(parser["OPTIONS"]) == INI_KEYS


def test_variants_do_not_share_state() -> None:
    a = demo()
    b = copy.deepcopy(a)
    render(a, "ps1")
    assert a == b  # render never mutates its input


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_plan_from_answers_is_the_plan_from_the_manifest_made_of_them(variant: str) -> None:
    """The TUI previews commands from answers before any manifest exists: same plan, no secrets."""
    import dataclasses

    from mabs_wizard.answers.models import SECTIONS
    from mabs_wizard.export.plan import plan_from_answers, plan_from_manifest
    from mabs_wizard.flow import answers_from_sections
    from mabs_wizard.manifest import secret_fields

    m = VARIANTS[variant]()
    sections = {}
    for name, model in SECTIONS.items():
        if name == "secret_store":
            continue
        data = {k: v for k, v in m[name]["settings"].items() if v is not None}
        for secret in set(secret_fields(model)) & set(data):
            data[secret] = {"env": "UNUSED"}  # the answers hold a reference where the manifest holds a record
        sections[name] = model.model_validate(data)
    from_manifest = plan_from_manifest(m)
    from_answers = plan_from_answers(answers_from_sections(sections), computer_name=m["facts"]["computer_name"],
                                     domain=m["facts"]["domain"], finished_at=from_manifest.finished_at)
    assert dataclasses.replace(from_manifest, secret_records={}) == dataclasses.replace(from_answers, secret_records={})
    assert set(from_answers.secret_records) == set(from_manifest.secret_records)
    assert not any(from_answers.secret_records.values())  # nothing is recorded before the run


def test_plan_from_answers_takes_defaults_for_sections_not_answered_yet() -> None:
    from mabs_wizard.answers.models import ProxyAnswers
    from mabs_wizard.export.mars_cmd import installer_switches
    from mabs_wizard.export.plan import MABS_DEFAULT_PROGRAM_FILES, plan_from_answers
    from mabs_wizard.flow import answers_from_sections

    proxy = ProxyAnswers(use_proxy=True, host="proxy.contoso.local", port=3128, username="svc")
    plan = plan_from_answers(answers_from_sections({"proxy": proxy}), computer_name="MABS01", domain=None)
    assert plan.program_files == MABS_DEFAULT_PROGRAM_FILES and plan.sql_instance == "MSDPM2012"
    assert plan.setup_folder is None and plan.vault_target is None  # required fields: not invented
    switches = installer_switches(plan, for_cmd=False)
    assert switches[:2] == ["/q", "/nu"] and "/s:" in " ".join(switches)  # the model's default scratch
    assert switches[-6:] == ["/ph", "proxy.contoso.local", "/po", "3128", "/pu", "svc"]
