"""Target facts: a real probe of this host, and facts files with clear errors."""

from __future__ import annotations

import json
import re
import os
import platform
import shutil
import subprocess
import sys

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.facts import load_facts, probe_local
from mabs_wizard.steps.prerequisites import check_prerequisites
from mabs_wizard.answers.models import PrerequisitesAnswers


def test_probe_reports_this_host_for_real():
    facts = probe_local()
    assert facts.os_family == "linux" and facts.cpu_cores == os.cpu_count()
    assert facts.os_version == platform.release()
    root = facts.volume_of("/")
    assert root is not None and abs(root.free_bytes - shutil.disk_usage("/").free) < 512 * 2**20
    assert facts.ram_bytes > 2**30 and not facts.domain_joined
    # ... and the OS rule then fails honestly, pointing at the way out.
    errors = [f for f in check_prerequisites(PrerequisitesAnswers(), facts) if f.level == "error"]
    assert [f.code for f in errors] == ["prereq.os-windows", "prereq.domain-joined"]
    assert facts.os_name in errors[0].message


def test_replay_without_facts_file_fails_on_the_os_rule(tmp_path):
    from mabs_wizard.demo import make_demo_kit

    kit = make_demo_kit(tmp_path / "kit", media_bytes=2**20)
    kit.write_text(re.sub(r"  facts_file: .*\n", "", kit.read_text()))
    result = subprocess.run([sys.executable, "-m", "mabs_wizard", "validate", str(kit)], capture_output=True, text=True)
    assert result.returncode == 2
    assert re.search(rf"^{re.escape(str(kit))}:8:1: prerequisites: this host runs .*; MABS installs only on Windows Server", result.stderr, re.M)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "facts.json:1:2: invalid JSON"),
        ('{"version": 1}', "computer_name: Field required"),
        ('{"version": 1, "computer_name": "X", "domain_joined": true, "os_family": "windows", "os_name": "W",'
         ' "os_version": "10.0.17763", "cpu_cores": 0, "ram_bytes": 1}', "cpu_cores: Input should be greater than or equal to 1"),
        ("\xff", "not UTF-8"),
    ],
)
def test_bad_facts_files(tmp_path, content, message):
    path = tmp_path / "facts.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_facts(path)
    assert any(message in line for line in info.value.lines()), info.value.lines()


def test_collect_script_emits_every_field_of_the_model():
    """The PowerShell collector cannot run here; at least it must name every field the model has."""
    from mabs_wizard.facts import Roles, TargetFacts, Volume
    from mabs_wizard.assets import path

    text = path("facts", "collect-facts.ps1").read_text()
    for model in (TargetFacts, Volume, Roles):
        for name in model.model_fields:
            assert f"{name} =" in text, f"collect-facts.ps1 does not set {model.__name__}.{name}"
    json.loads(json.dumps({}))
