"""The native backend: spanned ZIP media built on the fly, extracted byte-identical, and every kind of
hostile or damaged media refused with a message naming the file, leaving nothing behind."""

from __future__ import annotations

import random
import stat
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from mabs_wizard.errors import Cancelled, InputError
from mabs_wizard.events import CancelToken, Message, Progress
from mabs_wizard.media import check_destination, discover, extract
from mabs_wizard.media.staging import LOCK
from mabs_wizard.media.zipwriter import Member, deflated
from tests.media_kit import (
    INSTALLER,
    STEM,
    STUB,
    assert_refused,
    build_set,
    expected_tree,
    flip_byte,
    leftovers,
    part,
    random_members,
    tree_digests,
)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(5)


# -- round trips -----------------------------------------------------------------------------------
def test_small_spanned_set_extracts_byte_identical(tmp_path: Path, rng: random.Random) -> None:
    members = random_members(rng, 3 * 2**20)
    paths = build_set(tmp_path / "media", members)
    assert [p.name for p in paths] == [INSTALLER] + [f"{STEM}-{n}.bin" for n in range(1, 8)]
    events: list[object] = []
    result = extract(tmp_path / "media", tmp_path / "out", emit=events.append)
    assert tree_digests(tmp_path / "out") == expected_tree(members)
    assert result.backend == "zip"
    assert result.file_count == 5
    assert result.bytes_extracted == 3 * 2**20 + 12
    assert result.setup_exe_found and result.setup_exe_path == "Setup.exe"
    assert result.sha256sums_verified is True
    assert [p.name for p in result.parts] == [p.name for p in paths]
    assert [p.size for p in result.parts] == [p.stat().st_size for p in paths]
    sums = dict(line.split()[::-1] for line in (tmp_path / "media" / "SHA256SUMS").read_text().splitlines())
    assert {p.name: p.sha256 for p in result.parts} == sums
    assert result.destination == str(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "out"]  # no staging left
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total == result.bytes_extracted
    assert progress[-1].files_done == progress[-1].files_total == 5
    assert all(a.done <= b.done for a, b in zip(progress, progress[1:]))
    assert result.model_dump(mode="json")["parts"][0]["name"] == INSTALLER  # JSON-ready for the manifest


def test_without_sha256sums_result_says_none(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 100_000), sums=False)
    assert extract(tmp_path / "m", tmp_path / "out").sha256sums_verified is None


def test_part_missing_from_sha256sums_is_a_warning_and_not_verified(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 100_000))
    sums = tmp_path / "m" / "SHA256SUMS"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines() if "-3.bin" not in line))
    events: list[object] = []
    result = extract(tmp_path / "m", tmp_path / "out", emit=events.append)
    assert result.sha256sums_verified is False
    assert any(isinstance(e, Message) and e.level == "warning" and f"{STEM}-3.bin" in e.text for e in events)


def test_zip64_records_and_the_exe_given_directly(tmp_path: Path, rng: random.Random) -> None:
    members = random_members(rng, 200_000)
    build_set(tmp_path / "m", members, zip64=True, parts=3)
    result = extract(tmp_path / "m" / INSTALLER, tmp_path / "out")
    assert tree_digests(tmp_path / "out") == expected_tree(members)
    assert len(result.parts) == 3


def test_unadjusted_self_extractor_from_pythons_zipfile(tmp_path: Path, rng: random.Random) -> None:
    """A plain ZIP glued behind a stub (offsets relative to the ZIP, not the file) is read too."""
    media = tmp_path / "m"
    media.mkdir()
    plain = tmp_path / "plain.zip"
    payload = {"Setup.exe": rng.randbytes(70_000), "Sub/deflated.txt": b"text " * 5000}
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("Setup.exe", payload["Setup.exe"], compress_type=zipfile.ZIP_STORED)
        zf.writestr("Sub/deflated.txt", payload["Sub/deflated.txt"], compress_type=zipfile.ZIP_DEFLATED)
    stream = STUB + plain.read_bytes()
    cut = len(stream) // 2
    part(media, 0).write_bytes(stream[:cut])
    part(media, 1).write_bytes(stream[cut:])
    result = extract(media, tmp_path / "out")
    assert (tmp_path / "out" / "Setup.exe").read_bytes() == payload["Setup.exe"]
    assert (tmp_path / "out" / "Sub" / "deflated.txt").read_bytes() == payload["Sub/deflated.txt"]
    assert result.file_count == 2


def test_deflated_members_and_unicode_names(tmp_path: Path, rng: random.Random) -> None:
    text = ("Zeile über Zeile\n" * 4000).encode()
    members = [Member("Setup.exe", 10, b"0123456789"), deflated("Doks/Übersicht.txt", text),
               deflated("Doks/random.bin", rng.randbytes(300_000))]
    build_set(tmp_path / "m", members, parts=4)
    extract(tmp_path / "m", tmp_path / "out")
    assert (tmp_path / "out" / "Doks" / "Übersicht.txt").read_bytes() == text
    assert tree_digests(tmp_path / "out") == expected_tree(members)


def test_empty_destination_folder_is_accepted(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 50_000))
    (tmp_path / "out").mkdir()
    extract(tmp_path / "m", tmp_path / "out")
    assert (tmp_path / "out" / "Setup.exe").is_file()


def test_missing_parent_folders_are_created_and_removed_again_on_failure(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 50_000))
    extract(tmp_path / "m", tmp_path / "a" / "b" / "out")
    assert (tmp_path / "a" / "b" / "out" / "Setup.exe").is_file()
    flip_byte(part(tmp_path / "m", 2), 100)
    with pytest.raises(InputError):
        extract(tmp_path / "m", tmp_path / "x" / "y" / "out")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_200_mb_set_extracts_byte_identical(tmp_path: Path) -> None:
    rng = random.Random(200)
    members = [Member("Setup.exe", 2**20, rng.randbytes(2**20))]
    for i in range(10):
        members.append(Member(f"Payload/part{i:02}.cab", 20 * 2**20 - 2**17, rng.randbytes(20 * 2**20 - 2**17)))
    build_set(tmp_path / "m", members)
    assert sum(p.stat().st_size for p in (tmp_path / "m").iterdir()) > 200 * 10**6
    result = extract(tmp_path / "m", tmp_path / "out")
    assert tree_digests(tmp_path / "out") == expected_tree(members)
    assert result.sha256sums_verified is True


# -- hostile members: refused before anything is written --------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "'..'"),
        ("Docs/../../evil.txt", "'..'"),
        ("/tmp/evil.txt", "absolute path"),
        ("C:/Windows/evil.txt", "drive letter"),
        ("Docs\\..\\..\\evil.txt", "backslash"),
        ("Docs/file:stream", "':'"),
    ],
)
def test_escaping_names_areassert_refused(tmp_path: Path, rng: random.Random, name: str, reason: str) -> None:
    members = random_members(rng, 20_000) + [Member(name, 4, b"evil")]
    build_set(tmp_path / "m", members)
    error = assert_refused(tmp_path / "m", tmp_path / "out", INSTALLER, repr(name), reason)
    assert "evil.txt" not in {p.name for p in tmp_path.rglob("*") if "m" not in p.relative_to(tmp_path).parts[:1]}
    assert not Path("/tmp/evil.txt").exists()
    assert len(error.lines()) == 1


def test_symlink_member_isassert_refused(tmp_path: Path, rng: random.Random) -> None:
    link = Member("Docs/passwd", 11, b"/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
    build_set(tmp_path / "m", random_members(rng, 20_000) + [link])
    assert_refused(tmp_path / "m", tmp_path / "out", "'Docs/passwd'", "symbolic link")


def test_device_and_fifo_members_areassert_refused(tmp_path: Path, rng: random.Random) -> None:
    dev = Member("dev/sda", 0, b"", external_attr=(stat.S_IFBLK | 0o660) << 16)
    fifo = Member("pipe", 0, b"", external_attr=(stat.S_IFIFO | 0o660) << 16)
    build_set(tmp_path / "m", random_members(rng, 20_000) + [dev, fifo])
    error = assert_refused(tmp_path / "m", tmp_path / "out", "device file", "FIFO")
    assert len(error.lines()) == 2  # every problem reported at once


def test_case_insensitive_duplicates_areassert_refused(tmp_path: Path, rng: random.Random) -> None:
    members = random_members(rng, 20_000) + [Member("setup.EXE", 3, b"two")]
    build_set(tmp_path / "m", members)
    assert_refused(tmp_path / "m", tmp_path / "out", "'setup.EXE'", "duplicate of 'Setup.exe'")


def test_file_and_folder_with_one_name_areassert_refused(tmp_path: Path) -> None:
    members = [Member("Setup.exe", 1, b"x"), Member("Docs", 1, b"x"), Member("Docs/a.txt", 1, b"y")]
    build_set(tmp_path / "m", members, parts=2)
    assert_refused(tmp_path / "m", tmp_path / "out", "'Docs/a.txt'", "also a file")


def test_compression_bomb_ratio_isassert_refused(tmp_path: Path) -> None:
    bomb = deflated("Setup.exe", bytes(32 * 2**20))  # 32 MiB of zeros in ~32 KiB
    build_set(tmp_path / "m", [bomb], parts=2)
    assert_refused(tmp_path / "m", tmp_path / "out", "'Setup.exe'", "ZIP bomb", "exceeds 200:1")


def test_member_inflating_past_its_declared_size_is_stopped(tmp_path: Path) -> None:
    liar = deflated("Setup.exe", bytes(2 * 2**20))
    liar.declared_size = 1000  # the directory claims 1000 bytes; the stream holds 2 MiB
    build_set(tmp_path / "m", [liar], parts=2)
    assert_refused(tmp_path / "m", tmp_path / "out", "'Setup.exe'", "inflates beyond its declared 1000 bytes")


def test_overlapping_members_areassert_refused(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", [Member("Setup.exe", 5000, rng.randbytes(5000)), Member("b.bin", 10, b"0123456789")],
              parts=2, sums=False)
    # Point the second central entry at the first member's header: a classic overlap.
    stream = b"".join(p.read_bytes() for p in (part(tmp_path / "m", 0), part(tmp_path / "m", 1)))
    central = stream.rfind(b"PK\x01\x02")
    first_header = stream.find(b"PK\x03\x04")
    patched = bytearray(stream)
    patched[central + 42 : central + 46] = first_header.to_bytes(4, "little")
    cut = part(tmp_path / "m", 0).stat().st_size
    part(tmp_path / "m", 0).write_bytes(patched[:cut])
    part(tmp_path / "m", 1).write_bytes(patched[cut:])
    assert_refused(tmp_path / "m", tmp_path / "out", "overlaps")


def test_encrypted_member_isassert_refused(tmp_path: Path) -> None:
    build_set(tmp_path / "m", [Member("Setup.exe", 3, b"abc")], parts=2, sums=False)
    exe = part(tmp_path / "m", 0)
    data = bytearray(exe.read_bytes() + part(tmp_path / "m", 1).read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x01
    cut = exe.stat().st_size
    exe.write_bytes(data[:cut])
    part(tmp_path / "m", 1).write_bytes(data[cut:])
    assert_refused(tmp_path / "m", tmp_path / "out", "encrypted")


# -- damaged sets: the failing part is named ---------------------------------------------------------
def test_corrupt_byte_in_a_part_fails_its_crc(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 2 * 2**20), sums=False)
    victim = part(tmp_path / "m", 3)
    flip_byte(victim, victim.stat().st_size // 2)
    error = assert_refused(tmp_path / "m", tmp_path / "out", "CRC mismatch", "one of them is corrupt")
    assert victim.name in error.lines()[0]


def test_corrupt_byte_with_sha256sums_names_the_part(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 2 * 2**20))
    victim = part(tmp_path / "m", 5)
    flip_byte(victim, 1000)
    error = assert_refused(tmp_path / "m", tmp_path / "out", f"{victim.name}: SHA-256 does not match SHA256SUMS")
    assert error.lines() == [str(error)]


def test_corrupt_byte_outside_member_data_is_caught_by_sha256sums(tmp_path: Path, rng: random.Random) -> None:
    """A flipped byte in the stub is invisible to CRCs; SHA256SUMS still catches it."""
    build_set(tmp_path / "m", random_members(rng, 200_000))
    flip_byte(part(tmp_path / "m", 0), 200)
    assert_refused(tmp_path / "m", tmp_path / "out", f"{INSTALLER}: SHA-256 does not match SHA256SUMS")


def test_missing_middle_part_is_named_before_anything_is_read(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 200_000))
    part(tmp_path / "m", 4).unlink()
    assert_refused(tmp_path / "m", tmp_path / "out", f"{STEM}-4.bin: is missing")


def test_missing_last_part_is_diagnosed(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 200_000), sums=False)
    part(tmp_path / "m", 7).unlink()
    assert_refused(tmp_path / "m", tmp_path / "out", f"{STEM}-6.bin", "end of the archive is missing")


def test_missing_last_part_listed_in_sha256sums(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 200_000))
    part(tmp_path / "m", 7).unlink()
    assert_refused(tmp_path / "m", tmp_path / "out", f"lists {STEM}-7.bin, which is not in the folder", "SHA256SUMS:8")


def test_truncated_middle_part_is_named(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 2 * 2**20), sums=False)
    victim = part(tmp_path / "m", 3)
    with open(victim, "r+b") as fh:
        fh.truncate(victim.stat().st_size - 4096)
    error = assert_refused(tmp_path / "m", tmp_path / "out", "truncated", "4096 bytes shorter")
    assert error.lines()[0].startswith(f"{victim.name}: damaged or truncated")


def test_truncated_last_part_is_named(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 2 * 2**20), sums=False)
    victim = part(tmp_path / "m", 7)
    with open(victim, "r+b") as fh:
        fh.truncate(victim.stat().st_size - 10)
    assert_refused(tmp_path / "m", tmp_path / "out", victim.name, "truncated")


def test_extra_unknown_part_is_named(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 200_000))
    part(tmp_path / "m", 8).write_bytes(rng.randbytes(5000))
    assert_refused(tmp_path / "m", tmp_path / "out", f"{STEM}-8.bin: not part of this installer", f"ends in {STEM}-7.bin")


def test_part_swapped_for_another_downloads_part(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "a", random_members(rng, 400_000), sums=False)
    build_set(tmp_path / "b", random_members(rng, 400_000), sums=False)
    part(tmp_path / "a", 2).write_bytes(part(tmp_path / "b", 2).read_bytes())
    assert_refused(tmp_path / "a", tmp_path / "out", f"{STEM}-2.bin")


# -- destination -------------------------------------------------------------------------------------
def test_non_empty_destination_is_refused_and_kept(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 20_000))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="exists and is not empty"):
        extract(tmp_path / "m", tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_destination_that_is_a_file_or_symlink_isassert_refused(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 20_000))
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="not a folder"):
        extract(tmp_path / "m", tmp_path / "file")
    with pytest.raises(InputError, match="symbolic link"):
        extract(tmp_path / "m", tmp_path / "link")
    assert not (tmp_path / "elsewhere").exists()


def test_check_destination_reports_free_space_with_both_numbers(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 3 * 2**20))
    media = discover(tmp_path / "m")
    short = check_destination(media, tmp_path / "out", free_bytes=2 * 2**20)
    errors = [f for f in short if f.level == "error"]
    assert [f.code for f in errors] == ["media.free-space"]
    assert "only 2.0 MiB available" in errors[0].message and "needs 19.0 MiB free (the payload takes 3.0 MiB" in errors[0].message
    assert errors[0].field == "extraction.destination"
    fine = check_destination(tmp_path / "m", tmp_path / "out")
    assert all(f.level == "pass" for f in fine)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    assert "media.destination-unusable" in [f.code for f in check_destination(media, tmp_path / "out")]


def test_extract_refuses_early_when_the_disk_is_too_small(tmp_path: Path, rng: random.Random,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    build_set(tmp_path / "m", random_members(rng, 3 * 2**20))
    monkeypatch.setattr("mabs_wizard.media.destination.free_space", lambda _path: 1_000_000)
    assert_refused(tmp_path / "m", tmp_path / "out", "only 976.6 KiB available", "bytes)")


# -- cancel, stale staging, concurrency -----------------------------------------------------------------
def test_cancel_stops_within_a_second_and_cleans_up(tmp_path: Path) -> None:
    rng = random.Random(1)
    members = [Member(f"f{i}.bin", 8 * 2**20, rng.randbytes(8 * 2**20)) for i in range(8)]
    build_set(tmp_path / "m", members, sums=False)
    token = CancelToken()
    cancelled_at: list[float] = []

    def emit(event: object) -> None:
        if isinstance(event, Progress) and not token.cancelled:
            # Cancel from another thread, as the TUI's Cancel button does (joined, so the extraction
            # is certainly still running when the token is set).
            canceller = threading.Thread(target=lambda: (cancelled_at.append(time.monotonic()), token.cancel()))
            canceller.start()
            canceller.join()
            assert (tmp_path / "out").exists() is False and leftovers(tmp_path, "out")  # staging in use

    with pytest.raises(Cancelled):
        extract(tmp_path / "m", tmp_path / "out", emit=emit, cancel=token)
    assert time.monotonic() - cancelled_at[0] < 1.0
    assert leftovers(tmp_path, "out") == []


def test_stale_staging_from_a_killed_run_is_removed(tmp_path: Path, rng: random.Random) -> None:
    build_set(tmp_path / "m", random_members(rng, 20_000))
    stale = tmp_path / ".out.mabs-partial-99999-deadbeef"
    (stale / "tree" / "SQLSVR").mkdir(parents=True)
    (stale / "tree" / "SQLSVR" / "half.msi").write_bytes(b"half")
    (stale / LOCK).write_text("pid 99999\n")
    events: list[object] = []
    extract(tmp_path / "m", tmp_path / "out", emit=events.append)
    assert not stale.exists()
    assert any(isinstance(e, Message) and "leftovers of an interrupted extraction" in e.text for e in events)


def test_running_extraction_is_not_disturbed(tmp_path: Path, rng: random.Random) -> None:
    import fcntl
    import os

    build_set(tmp_path / "m", random_members(rng, 20_000))
    busy = tmp_path / ".out.mabs-partial-1-cafe"
    busy.mkdir()
    fd = os.open(busy / LOCK, os.O_RDWR | os.O_CREAT)
    os.write(fd, b"pid 4242\n")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(InputError, match=r"another extraction into it is running \(pid 4242\)"):
            extract(tmp_path / "m", tmp_path / "out")
        assert busy.exists()
    finally:
        os.close(fd)


def test_progress_is_throttled(tmp_path: Path) -> None:
    rng = random.Random(3)
    members = [Member(f"f{i:03}.bin", 2**18, rng.randbytes(2**18)) for i in range(200)]  # many small files
    build_set(tmp_path / "m", members, sums=False)
    events: list[object] = []
    started = time.monotonic()
    extract(tmp_path / "m", tmp_path / "out", emit=events.append)
    elapsed = time.monotonic() - started
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) <= elapsed * 10 + 3  # not per chunk, not per file
    assert progress[-1].files_done == 200 and progress[-1].done == 200 * 2**18


def test_crc32_is_what_zlib_says(tmp_path: Path) -> None:
    """Guard for the writer used by every test above: CRCs agree with zipfile's reading."""
    build_set(tmp_path / "m", [Member("Setup.exe", 100, bytes(range(100)))], parts=2)
    stream = b"".join(p.read_bytes() for p in sorted((tmp_path / "m").glob("Microsoft*"), key=lambda p: p.suffix))
    (tmp_path / "all.zip").write_bytes(stream)
    with zipfile.ZipFile(tmp_path / "all.zip") as zf:
        assert zf.testzip() is None
        assert zf.getinfo("Setup.exe").CRC == zlib.crc32(bytes(range(100)))
