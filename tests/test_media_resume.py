"""Resume after a crash: a real child process extracting real media is SIGKILLed part-way (by this
process, with the real signal), then a second run keeps what the journal and a re-check of size and
SHA-256 prove and extracts only the rest. Counted, never timed: the result's counters, the journal's
lines, and each kept file's inode, mtime and ctime (unchanged: the file was not written again)."""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mabs_wizard.events import Message
from mabs_wizard.media import extract
from mabs_wizard.media.journal import JOURNAL_NAME, read_journal
from mabs_wizard.media.zipwriter import Member
from tests.media_kit import (
    STEM,
    build_set,
    copy_inno,
    expected_tree,
    flip_byte,
    innoextract_running,
    inodes,
    leftovers,
    payload_digests,
    prefixed,
    record_files,
    tree_digests,
)

ROOT = Path(__file__).resolve().parent.parent

# The child extracts for real. Its emit hook is the test harness: each progress event waits 0.12 s
# (so the meter, which sends at most one event per 0.1 s, reports every file boundary), and once
# WANT files are done and journaled it says so and holds the extraction there until it is killed.
CHILD = """
import sys, time
from pathlib import Path
from mabs_wizard.events import Progress
from mabs_wizard.media import extract
from mabs_wizard.media.journal import JOURNAL_NAME, read_journal

source, dest, want = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

def journaled():
    for staging in dest.parent.glob(f".{dest.name}.mabs-partial-*"):
        state = read_journal(staging / JOURNAL_NAME)
        if state is not None:
            return len(state.files)
    return 0

def emit(event):
    if not isinstance(event, Progress):
        return
    if event.files_done >= want:
        while journaled() < want:  # the finisher journals a file after its fsync, behind the writer
            time.sleep(0.01)
        print("PAUSED", event.files_done, journaled(), flush=True)
        while True:  # held inside the extraction until SIGKILL
            time.sleep(1)
    time.sleep(0.12)

extract(source, dest, emit=emit)
print("FINISHED", flush=True)
"""


def kill_midway(source: Path, dest: Path, want: int) -> Path:
    """Run the child until ``want`` files are journaled, SIGKILL it, return its staging folder."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(source), str(dest), str(want)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None
    try:
        ready, _w, _x = select.select([child.stdout], [], [], 120)
        assert ready, "the child never reached the files it was to stop after"
        line = child.stdout.readline()
        assert line.startswith("PAUSED"), line
        assert line.split()[2] == str(want)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    [staging] = [dest.parent / n for n in leftovers(dest.parent, dest.name)]
    assert staging.name.startswith(f".{dest.name}.mabs-partial-") and not dest.exists()
    return staging


@pytest.fixture
def zip_media(tmp_path: Path) -> list[Member]:
    rng = random.Random(21)
    members = [Member("Setup.exe", 300_000, rng.randbytes(300_000))]
    members += [Member(f"Payload/cab{i:02}.cab", 700_000 + i, rng.randbytes(700_000 + i)) for i in range(9)]
    build_set(tmp_path / "media", members)  # the parts cut across the members
    return members


def test_sigkill_mid_spanned_zip_then_rerun_extracts_only_the_rest(tmp_path: Path, zip_media: list[Member]) -> None:
    dest = tmp_path / "out"
    staging = kill_midway(tmp_path / "media", dest, want=4)
    state = read_journal(staging / JOURNAL_NAME)
    assert state is not None and len(state.files) == 4
    kept_before = {p: v for p, v in inodes(staging / "tree").items() if p in state.files}
    assert len(kept_before) == 4
    parts_journaled = len(state.parts)
    assert parts_journaled >= 1  # the parts hashed before the kill: their SHA-256 are not computed again

    events: list[object] = []
    result = extract(tmp_path / "media", dest, emit=events.append)
    assert (result.files_resumed, result.files_written, result.file_count) == (4, 6, 10)
    assert not result.reused
    assert tree_digests(dest) == expected_tree(zip_media)
    assert record_files(dest) == prefixed(expected_tree(zip_media))
    # The kept files are the very files the killed run wrote: same inode, mtime and ctime.
    after = inodes(dest)
    assert {p: after[p] for p in kept_before} == kept_before
    text = [e.text for e in events if isinstance(e, Message)]
    assert any(f"resuming the interrupted extraction in {staging.name}: 4 of 10 files" in t
               and f"{parts_journaled} part(s)' SHA-256 carried over" in t for t in text), text
    # Same digests as a clean extraction of the same media, and nothing left beside the destination.
    clean = extract(tmp_path / "media", tmp_path / "clean")
    assert clean.files_written == 10 and clean.files_resumed == 0
    assert clean.content_sha256 == result.content_sha256
    assert [p.sha256 for p in clean.parts] == [p.sha256 for p in result.parts]
    assert leftovers(tmp_path, "out") == ["out"]


def test_a_kept_file_changed_after_the_crash_is_extracted_again(tmp_path: Path, zip_media: list[Member]) -> None:
    """Never trust a file for existing, nor for being in the journal: the re-check catches it."""
    dest = tmp_path / "out"
    staging = kill_midway(tmp_path / "media", dest, want=3)
    state = read_journal(staging / JOURNAL_NAME)
    assert state is not None
    victim = sorted(state.files)[1]
    flip_byte(staging / "tree" / victim, 1000)  # same size, other bytes
    before = inodes(staging / "tree")[victim]
    events: list[object] = []
    result = extract(tmp_path / "media", dest, emit=events.append)
    assert (result.files_resumed, result.files_written) == (2, 8)
    assert tree_digests(dest) == expected_tree(zip_media)
    assert inodes(dest)[victim] != before  # written again
    assert any(isinstance(e, Message) and e.level == "warning" and f"failed the re-check of their size and digest ({victim})"
               in e.text for e in events)


def test_a_kept_inno_file_changed_after_the_crash_is_extracted_by_a_second_innoextract_run(tmp_path: Path) -> None:
    media = copy_inno("is6.0.2-span-lzma2", tmp_path)
    dest = tmp_path / "out"
    staging = kill_midway(media, dest, want=2)
    _wait_gone(tmp_path)
    flip_byte(staging / "tree" / "app" / "Setup.exe", 5)
    events: list[object] = []
    result = extract(media, dest, emit=events.append)
    assert (result.files_resumed, result.files_written) == (1, 4)
    assert tree_digests(dest) == payload_digests()
    assert any(isinstance(e, Message) and "(Setup.exe): extracted again" in e.text for e in events)


def test_part_replaced_after_the_crash_is_hashed_again(tmp_path: Path, zip_media: list[Member]) -> None:
    """A journaled part digest stands only for the same, untouched file: after a copy over it (new
    ctime) the part is read and hashed again, and SHA256SUMS still catches a bad replacement."""
    dest = tmp_path / "out"
    staging = kill_midway(tmp_path / "media", dest, want=4)
    state = read_journal(staging / JOURNAL_NAME)
    assert state is not None and f"{STEM}-1.bin" in state.parts
    first = tmp_path / "media" / f"{STEM}-1.bin"
    data = bytearray(first.read_bytes())
    data[10] ^= 0xFF
    first.write_bytes(bytes(data))  # corrupt: a re-download gone wrong
    with pytest.raises(Exception, match=f"{STEM}-1.bin: SHA-256 does not match SHA256SUMS"):
        extract(tmp_path / "media", dest)
    assert leftovers(tmp_path, "out") == []  # damaged media: the staging folder is not kept


def test_journal_of_other_media_is_not_resumed(tmp_path: Path, zip_media: list[Member]) -> None:
    dest = tmp_path / "out"
    staging = kill_midway(tmp_path / "media", dest, want=3)
    rng = random.Random(99)
    other = [Member("Setup.exe", 5000, rng.randbytes(5000)), Member("Payload/cab00.cab", 700_000, rng.randbytes(700_000))]
    shutil.rmtree(tmp_path / "media")
    build_set(tmp_path / "media", other)
    events: list[object] = []
    result = extract(tmp_path / "media", dest, emit=events.append)
    assert (result.files_resumed, result.files_written) == (0, 2)
    assert tree_digests(dest) == expected_tree(other)
    assert any(isinstance(e, Message) and f"removed {staging.name}: leftovers of an interrupted extraction "
               "(not resumable: made for other media" in e.text for e in events)


def test_sigkill_mid_inno_extraction_then_rerun_extracts_only_the_rest(tmp_path: Path) -> None:
    """Inno media: the rerun asks innoextract for the missing files only (--include per file). Files
    the killed run's innoextract finished on disk but the journal does not vouch for are extracted
    again, not trusted for existing."""
    media = copy_inno("is5.5.9-span-none", tmp_path)
    dest = tmp_path / "out"
    staging = kill_midway(media, dest, want=2)
    _wait_gone(tmp_path)  # innoextract runs with a parent-death signal: it dies with the wizard
    app = staging / "tree" / "app"
    state = read_journal(staging / JOURNAL_NAME)
    assert state is not None and sorted(state.files) == ["MARSAgent/MARSAgentInstaller.exe", "Setup.exe"]
    before = inodes(app)
    assert set(before) >= set(state.files)

    events: list[object] = []
    result = extract(media, dest, emit=events.append)
    assert (result.files_resumed, result.files_written, result.file_count) == (2, 3, 5)
    assert tree_digests(dest) == payload_digests()
    after = inodes(dest)
    assert {p: after[p] for p in state.files} == {p: before[p] for p in state.files}  # kept, not rewritten
    assert all(after[p] != before[p] for p in before if p not in state.files)  # the rest written again
    assert any(isinstance(e, Message) and "2 of 5 files" in e.text and "innoextract --include" in e.text
               for e in events)
    # Inno media: each file's digest is the installer's own SHA-1 of it, which the bytes match.
    assert record_files(dest) == prefixed(tree_digests(dest, "sha1"), "sha1")
    assert leftovers(tmp_path, "out") == ["out"]


def _wait_gone(folder: Path) -> bool:
    import time

    deadline = time.monotonic() + 20
    while innoextract_running(folder):
        assert time.monotonic() < deadline, "innoextract outlived the killed wizard"
        time.sleep(0.01)
    return True


def test_journal_lines_are_whole_json_and_a_torn_tail_is_ignored(tmp_path: Path, zip_media: list[Member]) -> None:
    """A crash can cut the last line short: the reader drops it and keeps the rest."""
    staging = kill_midway(tmp_path / "media", tmp_path / "out", want=3)
    journal = staging / JOURNAL_NAME
    lines = journal.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    with open(journal, "ab") as fh:
        fh.write(b'{"file": "Payload/cab08.cab", "size": 7000')  # torn
    state = read_journal(journal)
    assert state is not None and len(state.files) == 3
    os.sync()
    result = extract(tmp_path / "media", tmp_path / "out")
    assert (result.files_resumed, result.files_written) == (3, 7)


def test_a_journal_line_in_a_digest_this_version_does_not_compute_is_not_trusted(tmp_path: Path,
                                                                                   zip_media: list[Member]) -> None:
    staging = kill_midway(tmp_path / "media", tmp_path / "out", want=3)
    journal = staging / JOURNAL_NAME
    lines = journal.read_text().splitlines(keepends=True)
    first_file = next(i for i, line in enumerate(lines) if '"file"' in line)
    item = json.loads(lines[first_file])
    lines[first_file] = json.dumps({**item, "digest": "md5:" + "0" * 32}) + "\n"
    journal.write_text("".join(lines))
    result = extract(tmp_path / "media", tmp_path / "out")
    assert (result.files_resumed, result.files_written) == (2, 8)
    assert tree_digests(tmp_path / "out") == expected_tree(zip_media)

