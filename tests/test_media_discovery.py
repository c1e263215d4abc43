"""Discovery: every naming problem reported by file name, all at once, before anything is read in bulk;
and SHA256SUMS parsing with line numbers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.media import discover
from mabs_wizard.media.integrity import parse_sha256sums
from tests.media_kit import INSTALLER, STEM, build_set, copy_inno, part, random_members


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    build_set(folder, random_members(random.Random(7), 64_000))
    return folder


def _problems(source: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        discover(source)
    return caught.value.lines()


def test_finds_the_set_from_folder_exe_or_part(media: Path) -> None:
    for source in (media, media / INSTALLER, part(media, 3)):
        found = discover(source)
        assert found.installer == INSTALLER
        assert [p.name for p in found.parts] == [INSTALLER] + [f"{STEM}-{n}.bin" for n in range(1, 8)]
        assert found.total_size == sum(p.stat().st_size for p in media.iterdir() if p.name != "SHA256SUMS")
        assert found.kind == "zip"
        assert found.checksums_file == "SHA256SUMS"
        assert found.folder == str(media)


def test_missing_parts_are_each_named(media: Path) -> None:
    part(media, 2).unlink()
    part(media, 5).unlink()
    problems = _problems(media)
    assert problems == [
        f"{STEM}-2.bin: is missing (found parts -1, -3, -4, -6, -7; the set needs 1 to 7)",
        f"{STEM}-5.bin: is missing (found parts -1, -3, -4, -6, -7; the set needs 1 to 7)",
    ]


def test_browser_duplicate_download_is_named(media: Path) -> None:
    (media / f"{STEM}-3 (1).bin").write_bytes(part(media, 3).read_bytes())
    assert _problems(media) == [f"{STEM}-3 (1).bin: looks like a second download of {STEM}-3.bin; keep one copy"]


def test_out_of_sequence_and_misnamed_parts(media: Path) -> None:
    (media / f"{STEM}-0.bin").write_bytes(b"x")
    (media / f"{STEM}-03.bin").write_bytes(b"x")
    (media / f"{STEM}-4.BIN").write_bytes(b"x")
    problems = _problems(media)
    assert f"{STEM}-0.bin: out of sequence: parts are numbered from 1 ({STEM}-1.bin)" in problems
    assert f"{STEM}-03.bin: out of sequence or misnamed: expected exactly {STEM}-3.bin" in problems
    assert f"{STEM}-4.BIN: out of sequence or misnamed: expected exactly {STEM}-4.bin" in problems
    assert len(problems) == 3


def test_zero_length_part_is_named(media: Path) -> None:
    part(media, 6).write_bytes(b"")
    assert _problems(media) == [f"{STEM}-6.bin: is empty (0 bytes); download it again"]


def test_unfinished_download_is_named(media: Path) -> None:
    part(media, 7).rename(media / f"{STEM}-7.bin.crdownload")
    assert f"{STEM}-7.bin.crdownload: an unfinished download (.crdownload); let it complete or download it again" in _problems(media)


def test_wrong_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert _problems(tmp_path) == [
        f"{tmp_path}: no installer here; expected MicrosoftAzureBackupServerInstaller.exe with its -1.bin … -7.bin parts"]
    assert _problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: does not exist"]
    assert "not an installer (.exe) or a folder" in _problems(tmp_path / "notes.txt")[0]


def test_parts_without_their_exe(media: Path) -> None:
    (media / INSTALLER).unlink()
    assert _problems(media) == [f"{media}: has {STEM}-1.bin … but not {INSTALLER}: the installer .exe is missing"]
    assert _problems(part(media, 2)) == [f"{part(media, 2)}: its installer {INSTALLER} is missing from {media}"]


def test_unrelated_exe(tmp_path: Path) -> None:
    (tmp_path / "putty.exe").write_bytes(b"MZ" + bytes(range(256)) * 100)
    [problem] = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'putty.exe'}: not a MABS installer (neither an Inno Setup installer nor a self-extracting ZIP)")


def test_several_installers_need_a_choice(media: Path, tmp_path: Path) -> None:
    other = tmp_path / "media" / "OtherInstaller.exe"
    other.write_bytes(b"MZ")
    (tmp_path / "media" / "OtherInstaller-1.bin").write_bytes(b"x")
    assert "holds several installers (MicrosoftAzureBackupServerInstaller.exe, OtherInstaller.exe)" in _problems(media)[0]
    assert discover(media / INSTALLER).installer == INSTALLER  # naming the .exe resolves it


def test_inno_fixture_discovery(tmp_path: Path) -> None:
    found = discover(copy_inno("is5.5.9-span-none", tmp_path))
    assert found.kind == "inno" and len(found.parts) == 5 and found.checksums_file is None


def test_sha256sums_formats_and_line_numbers(tmp_path: Path) -> None:
    sums = tmp_path / "SHA256SUMS"
    digest = "ab" * 32
    sums.write_text(f"# comment\n{digest}  a.bin\n{digest.upper()} *./b.bin\nSHA256 (c.bin) = {digest}\n\n")
    assert {k: v[0] for k, v in parse_sha256sums(sums).items()} == {"a.bin": digest, "b.bin": digest, "c.bin": digest}
    sums.write_text(f"{digest}  a.bin\nnot a line\n{digest}  a.bin\n")
    with pytest.raises(InputError) as caught:
        parse_sha256sums(sums)
    assert caught.value.lines() == [
        f"{sums}:2: not a SHA-256 checksum line (expected '<64 hex digits>  <file name>')",
        f"{sums}:3: a.bin is listed twice (first on line 1)",
    ]
    sums.write_bytes(b"\xff\xfe binary")
    with pytest.raises(InputError, match="not a text file"):
        parse_sha256sums(sums)


def test_malformed_sha256sums_is_reported_at_extraction(media: Path, tmp_path: Path) -> None:
    from mabs_wizard.media import extract

    (media / "SHA256SUMS").write_text("garbage\n")
    with pytest.raises(InputError, match=r"SHA256SUMS:1: not a SHA-256 checksum line"):
        extract(media, tmp_path / "out")
    assert not (tmp_path / "out").exists()
