"""Demo media: shaped like the real download, random and incompressible, fast, and a valid ZIP for
other tools too (coreutils sha256sum and Info-ZIP unzip check it here)."""

from __future__ import annotations

import subprocess
import time
import zlib
from pathlib import Path

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.media import extract, make_demo_media
from tests.media_kit import INSTALLER, STEM, leftovers


def test_demo_media_has_the_shape_of_the_real_download(tmp_path: Path) -> None:
    started = time.perf_counter()
    media = make_demo_media(tmp_path / "kit")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, f"30 MB demo media took {elapsed:.2f} s"
    names = sorted(p.name for p in (tmp_path / "kit").iterdir())
    assert names == sorted([INSTALLER, "SHA256SUMS"] + [f"{STEM}-{n}.bin" for n in range(1, 8)])
    assert media.kind == "zip" and len(media.parts) == 8 and media.checksums_file == "SHA256SUMS"
    assert (tmp_path / "kit" / INSTALLER).read_bytes()[:2] == b"MZ"
    assert 30 * 2**20 < media.total_size < 31 * 2**20
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "kit", capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 8


def test_demo_media_extracts_with_setup_exe_and_random_content(tmp_path: Path) -> None:
    make_demo_media(tmp_path / "kit", total_bytes=4 * 2**20, seed=3)
    result = extract(tmp_path / "kit", tmp_path / "out")
    assert result.setup_exe_found and result.setup_exe_path == "Setup.exe"
    assert result.sha256sums_verified is True
    assert result.bytes_extracted == 4 * 2**20
    nested = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and len(p.relative_to(tmp_path / "out").parts) >= 4]
    assert nested, "the payload should have nested folders"
    sample = (tmp_path / "out" / "SSMS" / "SSMS-Setup-ENU.exe").read_bytes()
    assert len(zlib.compress(sample, 6)) > 0.99 * len(sample)  # incompressible
    assert "not a program" in (tmp_path / "out" / "Docs" / "readme.txt").read_text()


def test_concatenated_demo_media_is_a_zip_for_unzip(tmp_path: Path) -> None:
    media = make_demo_media(tmp_path / "kit", total_bytes=2 * 2**20, seed=1)
    whole = tmp_path / "whole.zip"
    with open(whole, "wb") as out:
        for path in media.paths:
            out.write(path.read_bytes())
    tested = subprocess.run(["unzip", "-t", str(whole)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout


def test_seed_makes_media_reproducible_and_sizes_and_parts_are_settable(tmp_path: Path) -> None:
    one = make_demo_media(tmp_path / "a", total_bytes=1_000_000, parts=3, seed=42)
    two = make_demo_media(tmp_path / "b", total_bytes=1_000_000, parts=3, seed=42)
    assert (tmp_path / "a" / "SHA256SUMS").read_text() == (tmp_path / "b" / "SHA256SUMS").read_text()
    assert [p.name for p in one.parts] == [INSTALLER, f"{STEM}-1.bin", f"{STEM}-2.bin"]
    other = make_demo_media(tmp_path / "c", total_bytes=1_000_000, parts=3, seed=43)
    assert [p.name for p in other.parts] == [p.name for p in two.parts]
    assert (tmp_path / "c" / "SHA256SUMS").read_text() != (tmp_path / "a" / "SHA256SUMS").read_text()


def test_regenerating_into_the_same_folder_replaces_the_set(tmp_path: Path) -> None:
    make_demo_media(tmp_path / "kit", total_bytes=500_000, parts=8, seed=1)
    media = make_demo_media(tmp_path / "kit", total_bytes=500_000, parts=4, seed=2)
    assert len(media.parts) == 4
    assert not (tmp_path / "kit" / f"{STEM}-5.bin").exists()
    assert extract(tmp_path / "kit", tmp_path / "out").sha256sums_verified is True
    assert leftovers(tmp_path, "out") == ["out"]
    assert not [p for p in (tmp_path / "kit").iterdir() if p.name.startswith(".")]  # no temp files left


def test_refuses_to_overwrite_a_real_installer(tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / INSTALLER).write_bytes(b"MZ real installer")
    with pytest.raises(InputError, match="is not a demo installer"):
        make_demo_media(tmp_path / "kit")
    assert (tmp_path / "kit" / INSTALLER).read_bytes() == b"MZ real installer"
