"""The wheel, built once per test session, and the package as it installs (for the tests that check
the installed layout: one namespace, every file shipped, the import contracts)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the sources: setuptools builds in ./build and never removes a stale file
    # there, so a build in the checkout could ship a module that no longer exists.
    source = tmp_path_factory.mktemp("source") / "mabs-wizard"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                                                  "demo-kit", ".pytest_cache", "snapshot_report.html"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("mabs_wizard-*.whl")
    return built


@pytest.fixture(scope="session")
def installed_tree(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's files laid out as pip installs them (no dependencies: they are this venv's)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return target
