"""The innoextract backend against the real binary and real Inno Setup installers (5.5.9 and 6.0.2,
spanned and single): byte-exact payloads, and every kind of damage caught although innoextract itself
exits 0 on some of them. Fixtures are copied to a temp folder first; the originals are never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from mabs_wizard.errors import Cancelled, WizardError
from mabs_wizard.events import CancelToken, Progress
from mabs_wizard.media import check_destination, discover, extract
from tests.media_kit import (
    assert_refused,
    INNO_FIXTURES,
    INNO_SETS,
    INSTALLER,
    STEM,
    copy_inno,
    flip_byte,
    innoextract_running,
    leftovers,
    payload_digests,
    tree_digests,
)

pytestmark = pytest.mark.skipif(shutil.which("innoextract") is None, reason="innoextract missing: run `make test`")


def _installer_digests(name: str) -> dict[str, str]:
    sums = {}
    for line in (INNO_FIXTURES / "installers.sha256").read_text().splitlines():
        digest, path = line.split()
        folder, file = path.split("/")
        if folder == name:
            sums[file] = digest
    return sums


@pytest.mark.parametrize("name", INNO_SETS)
def test_real_installers_extract_to_the_known_payload(tmp_path: Path, name: str) -> None:
    media = copy_inno(name, tmp_path)
    events: list[object] = []
    result = extract(media, tmp_path / "out", emit=events.append)
    assert tree_digests(tmp_path / "out") == payload_digests()
    assert result.backend == "innoextract"
    assert result.file_count == 5
    assert result.bytes_extracted == 300000 + 600000 + 400000 + 150000 + 61
    assert result.setup_exe_found and result.setup_exe_path == "Setup.exe"
    assert {p.name: p.sha256 for p in result.parts} == _installer_digests(name)
    assert result.parts[0].name == INSTALLER
    assert result.sha256sums_verified is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, "out"]
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].done == progress[-1].total == result.bytes_extracted
    assert progress[-1].files_done == 5
    assert any(e.current.startswith("verifying: ") for e in progress)  # the --test pass ran first


def test_discovery_recognises_inno_media(tmp_path: Path) -> None:
    media = discover(copy_inno("is6.0.2-span-lzma2", tmp_path))
    assert media.kind == "inno"
    assert [p.name for p in media.parts] == [INSTALLER] + [f"{STEM}-{n}.bin" for n in (1, 2, 3)]
    single = discover(copy_inno("is5.5.9-single-none", tmp_path) / INSTALLER)
    assert single.kind == "inno" and len(single.parts) == 1


def test_sha256sums_beside_inno_media_is_verified(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    (media / "SHA256SUMS").write_text("".join(f"{d}  {n}\n" for n, d in _installer_digests(media.name).items()))
    assert extract(media, tmp_path / "out").sha256sums_verified is True


def test_deleted_middle_slice_is_named_by_discovery(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    (media / f"{STEM}-2.bin").unlink()
    assert_refused(media, tmp_path / "out", f"{STEM}-2.bin: is missing")


def test_deleted_last_slice_is_named_from_innoextracts_error(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    (media / f"{STEM}-4.bin").unlink()
    assert_refused(media, tmp_path / "out", f"{STEM}-4.bin: is missing (the installer needs it)")


def test_truncated_slice_is_named_with_both_sizes(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    os.truncate(media / f"{STEM}-3.bin", 500000)
    assert_refused(media, tmp_path / "out", f"{STEM}-3.bin: truncated: 500000 bytes, the installer expects 600000")


@pytest.mark.parametrize(("name", "victim", "offset", "file"), [
    ("is5.5.9-span-none", 3, 300000, "app/SQLSVR/setup.dat"),
    ("is6.0.2-span-lzma2", 2, 700000, "app/MARSAgent/MARSAgentInstaller.exe"),
])
def test_corrupted_slice_fails_although_innoextract_would_extract_it(tmp_path: Path, name: str, victim: int,
                                                                     offset: int, file: str) -> None:
    media = copy_inno(name, tmp_path)
    flip_byte(media / f"{STEM}-{victim}.bin", offset)
    # The trap this backend exists for: plain `innoextract -e` exits 0 and writes the corrupt file.
    plain = subprocess.run(["innoextract", "-e", "-s", "-d", str(tmp_path / "plain"), str(media / INSTALLER)],
                           capture_output=True, text=True)
    assert plain.returncode == 0 and "Checksum mismatch" in plain.stderr
    shutil.rmtree(tmp_path / "plain")
    assert_refused(media, tmp_path / "out", f"checksum mismatch in {file}", f"{STEM}-{victim}.bin")


def test_corrupted_slice_is_pinned_by_sha256sums(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    (media / "SHA256SUMS").write_text("".join(f"{d}  {n}\n" for n, d in _installer_digests(media.name).items()))
    flip_byte(media / f"{STEM}-3.bin", 300000)
    error = assert_refused(media, tmp_path / "out", f"{STEM}-3.bin: SHA-256 does not match SHA256SUMS", "checksum mismatch")
    assert len(error.lines()) == 2


def test_extra_unknown_slice_isassert_refused(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    (media / f"{STEM}-5.bin").write_bytes(os.urandom(1000))
    assert_refused(media, tmp_path / "out", f"{STEM}-5.bin: not part of this installer")


def test_damaged_setup_header_isassert_refused(tmp_path: Path) -> None:
    media = copy_inno("is5.5.9-span-none", tmp_path)
    exe = media / INSTALLER
    data = exe.read_bytes()
    flip_byte(exe, data.rindex(b"Inno Setup Setup Data (") + 200)  # the real header, not the loader's string
    assert_refused(media, tmp_path / "out", INSTALLER, "damaged")


def test_unsupported_inno_version_isassert_refused(tmp_path: Path) -> None:
    media = tmp_path / "m"
    media.mkdir()
    (media / INSTALLER).write_bytes(b"MZ" + os.urandom(5000) + b"Inno Setup Setup Data (6.3.0) (u)" + os.urandom(5000))
    assert discover(media).kind == "inno"
    assert_refused(media, tmp_path / "out", f"{INSTALLER}: not a supported Inno Setup installer")


def test_missing_innoextract_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    media = copy_inno("is5.5.9-single-none", tmp_path)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(WizardError, match="innoextract is not installed.*apt-get install innoextract"):
        extract(media, tmp_path / "out")
    assert leftovers(tmp_path, "out") == []


def test_four_gb_rule_for_mabs_media(tmp_path: Path) -> None:
    media = discover(copy_inno("is5.5.9-span-none", tmp_path))
    short = check_destination(media, tmp_path / "out", free_bytes=3 * 2**30)
    [finding] = [f for f in short if f.level == "error"]
    assert finding.code == "media.free-space"
    assert "needs 4.0 GiB free (MABS needs at least 4 GB free" in finding.message
    assert "only 3.0 GiB available" in finding.message
    assert not [f for f in check_destination(media, tmp_path / "out", free_bytes=5 * 2**30) if f.level == "error"]


@pytest.mark.parametrize("phase", ["verifying: ", ""])
def test_cancel_during_either_pass_stops_innoextract_and_cleans_up(tmp_path: Path, phase: str) -> None:
    media = copy_inno("is6.0.2-span-lzma2", tmp_path)
    token = CancelToken()
    seen = threading.Event()

    def emit(event: object) -> None:
        if isinstance(event, Progress) and event.current.startswith(phase) and (phase or not
                                                                                 event.current.startswith("verifying")):
            token.cancel()
            seen.set()

    with pytest.raises(Cancelled):
        extract(media, tmp_path / "out", emit=emit, cancel=token)
    assert seen.is_set()
    assert leftovers(tmp_path, "out") == []
    assert not innoextract_running(tmp_path)
