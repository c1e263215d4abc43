"""The installed package: one namespace, every file shipped, and it works from anywhere.

Before: the wheel installed three top-level packages (`mabs_wizard`, `screens`, `assets`; another
distribution's `screens/app.py` silently replaced the wizard's), left out the facts collector, and
`schema --write` wrote into site-packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_one_namespace_with_every_file(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"mabs_wizard"}
    shipped = set(names)
    expected = [f"mabs_wizard/{p.relative_to(ROOT / 'mabs_wizard')}" for p in (ROOT / "mabs_wizard").rglob("*.py")]
    expected += [f"mabs_wizard/screens/{p.relative_to(ROOT / 'screens')}" for p in (ROOT / "screens").rglob("*.py")]
    expected += [f"mabs_wizard/assets/{p.relative_to(ROOT / 'assets')}" for p in (ROOT / "assets").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    missing = sorted(e for e in expected if "__pycache__" not in e and e not in shipped)
    assert not missing, f"not in the wheel: {missing}"
    assert "mabs_wizard/assets/facts/collect-facts.ps1" in shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mabs-wizard = mabs_wizard.cli:main" in text and "run = mabs_wizard.screens.cli:run" in text


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def _env(home: Path) -> dict[str, str]:
    # No OS keyring on this private bus-less environment: the encrypted file store, its password from the environment.
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "TERM": "xterm-256color",
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "MABS_WIZARD_STORE_PASSWORD": "wheel-test-store-password"}


def test_the_installed_wizard_runs_from_an_unrelated_folder(fresh_venv: Path, tmp_path: Path):
    exe = str(fresh_venv / "bin" / "mabs-wizard")
    env = _env(tmp_path)
    listed = subprocess.run([str(fresh_venv / "bin" / "python"), "-c",
                             "import mabs_wizard, mabs_wizard.screens, mabs_wizard.assets as a; print(a.path('wizard.tcss'))"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "site-packages/mabs_wizard/assets/wizard.tcss" in listed.stdout, listed.stderr
    done = subprocess.run([exe, "demo", "kit", "--media-mb", "2"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answers = tmp_path / "kit" / "answers.yaml"
    # This test is about the installed files, not the network: no probe of Microsoft's endpoints.
    answers.write_text(answers.read_text().replace("  check: true", "  check: false"))
    for argv in ([exe, "validate", "kit/answers.yaml"], [exe, "replay", "kit/answers.yaml", "--output", "out"]):
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
    assert (tmp_path / "out" / "install-manifest.json").is_file()
    # The data files ship: the facts collector is where the facts page says it is.
    schema = subprocess.run([exe, "schema", "facts", "--write"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert schema.returncode == 2 and "installed copy" in schema.stderr and "nothing written" in schema.stderr


def test_the_installed_wizard_paints_its_first_screen(fresh_venv: Path, tmp_path: Path):
    child = pexpect.spawn(str(fresh_venv / "bin" / "mabs-wizard"), ["run", "--output", str(tmp_path / "out")], cwd=str(tmp_path),
                          env=_env(tmp_path), dimensions=(24, 80), timeout=60, encoding="utf-8")
    try:
        child.expect("Extract installer")
        child.expect("Press Next to continue")
    finally:
        child.terminate(force=True)
