"""The innoextract backend against the real binary and real Inno Setup installers (5.5.9, 6.0.2 and
6.2.0, spanned and single; 6.3.1, which innoextract 1.9 cannot read): byte-exact payloads in one
extracting pass, every kind of damage caught although innoextract itself exits 0 on some of them, and
a too-new installer refused for what it is. Fixtures (tests/fixtures/inno/README.md: how they were
built) are copied to a temp folder first; the originals are never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from mabs_wizard.errors import Cancelled, InputError, WizardError
from mabs_wizard.events import CancelToken, Progress
from mabs_wizard.media import check_destination, discover, extract
from tests.media_kit import (
    INNO_FIXTURES,
    INNO_SETS,
    INNO_TOO_NEW,
    INSTALLER,
    STEM,
    assert_refused,
    copy_inno,
    flip_byte,
    innoextract_running,
    leftovers,
    payload_digests,
    tree_digests,
)


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
    assert all(a.done <= b.done for a, b in zip(progress, progress[1:]))  # one pass: the bar never restarts
    assert (result.files_written, result.files_resumed, result.reused) == (5, 0, False)


def test_one_extracting_pass_after_the_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """innoextract runs as `--version` (which release), `--list` (headers only), then ONE `--extract`:
    no `--test` pass decompressing everything a second time. Counted by a wrapper that logs each
    invocation and runs the real innoextract."""
    media = copy_inno("is6.0.2-span-lzma2", tmp_path)
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "innoextract"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\necho \"$*\" >> {log}\nexec {shutil.which('innoextract')} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    extract(media, tmp_path / "out")
    modes = [next(a for a in line.split() if a in ("--version", "--list", "--extract", "--test"))
             for line in log.read_text().splitlines()]
    assert modes == ["--version", "--list", "--extract"]
    assert tree_digests(tmp_path / "out") == payload_digests()


def test_installer_built_by_inno_setup_6_3_1_is_refused_for_what_it_is(tmp_path: Path) -> None:
    """A real installer built by Inno Setup 6.3.1 (header "Inno Setup Setup Data (6.3.0)"): innoextract
    1.9 fails on it with "Stream error while parsing setup headers", which this backend used to report
    as damage ("download it again": 3 GB for nothing). Now: one line with the version found, the
    newest this innoextract reads, and the installer's own command for the Windows target (Inno
    Setup's documented /DIR= and /SILENT, jrsoftware.org/ishelp "Setup Command Line Parameters")."""
    media = copy_inno(INNO_TOO_NEW, tmp_path)
    plain = subprocess.run(["innoextract", "--list", str(media / INSTALLER)], capture_output=True, text=True)
    assert plain.returncode != 0 and "Unexpected setup data version: 6.3.0" in plain.stderr  # the real shape
    error = assert_refused(media, tmp_path / "out",
                           f"{INSTALLER}: built by Inno Setup 6.3 or later",
                           'its setup header says "Inno Setup Setup Data (6.3.0)"',
                           'innoextract 1.9 on this host reads setup headers up to "Inno Setup Setup Data (6.1.0)"',
                           "(Inno Setup 6.1.0 to 6.2.2)",
                           f'{INSTALLER} /DIR="C:\\MABS-Extracted" /SILENT')
    assert error.lines() == [str(error)]  # one message
    assert "damaged" not in str(error) and "download it again" not in str(error)
    # The pre-flight (the TUI's Next, replay's checks) says the same before anything runs.
    with pytest.raises(InputError) as caught:
        check_destination(media, tmp_path / "out")
    assert str(caught.value) == str(error)


def test_innoextracts_own_words_about_a_too_new_installer_are_translated_too(tmp_path: Path) -> None:
    """Where the header cannot be read first (a loader this reader does not know), innoextract's
    answer is what is left: its "Unexpected setup data version" means a newer Inno Setup, not damage."""
    from mabs_wizard.media.innobackend import _lines, _note, _problems, _Transcript

    media = discover(copy_inno(INNO_TOO_NEW, tmp_path))
    plain = subprocess.run(["innoextract", "--color=0", "--list", str(media.installer_path)], capture_output=True, text=True)
    transcript = _Transcript()
    for line in _lines(plain.stdout + "\n" + plain.stderr):
        _note(transcript, line)
    [problem] = _problems(media, transcript, None, (1, 9))
    assert problem.startswith(f"{INSTALLER}: built by Inno Setup 6.3 or later")
    assert 'says "Inno Setup Setup Data (6.3.0)"' in problem and "/SILENT" in problem and "damaged" not in problem


@pytest.mark.parametrize(("name", "version"), [
    ("is5.5.9-span-none", (5, 5, 7)), ("is6.0.2-span-lzma2", (6, 0, 0)), ("is6.2.0-span-lzma2", (6, 1, 0)),
    (INNO_TOO_NEW, (6, 3, 0)),
])
def test_setup_header_version_is_read_from_the_loaders_offset_table(name: str, version: tuple[int, int, int]) -> None:
    from mabs_wizard.media.innoversion import read_setup_version

    found = read_setup_version(INNO_FIXTURES / name / INSTALLER)
    assert found is not None and found.numbers == version
    assert found.signature.startswith(f"Inno Setup Setup Data ({'.'.join(map(str, version))})")


def test_offset_table_with_a_bad_crc_is_not_believed(tmp_path: Path) -> None:
    from mabs_wizard.media.innoversion import TABLE_MAGIC, read_setup_version

    exe = tmp_path / INSTALLER
    data = bytearray((INNO_FIXTURES / INNO_TOO_NEW / INSTALLER).read_bytes())
    at = data.index(TABLE_MAGIC)
    data[at + 32] ^= 0x01  # the header offset, covered by the table's CRC-32
    exe.write_bytes(bytes(data))
    assert read_setup_version(exe) is None


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


def test_cancel_during_the_extraction_stops_innoextract_and_cleans_up(tmp_path: Path) -> None:
    media = copy_inno("is6.0.2-span-lzma2", tmp_path)
    token = CancelToken()
    seen = threading.Event()

    def emit(event: object) -> None:
        if isinstance(event, Progress) and event.current:
            token.cancel()
            seen.set()

    with pytest.raises(Cancelled):
        extract(media, tmp_path / "out", emit=emit, cancel=token)
    assert seen.is_set()
    assert leftovers(tmp_path, "out") == []
    assert not innoextract_running(tmp_path)
