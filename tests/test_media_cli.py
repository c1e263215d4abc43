"""`mabs-wizard extract` as a real subprocess: exit codes 0 / 2 / 130, signals mid-extraction, a full
destination, a rerun after a SIGKILL resuming (keeping nothing it cannot prove), and a rerun on a
finished destination reusing it."""

from __future__ import annotations

import fcntl
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mabs_wizard.media.models import ExtractionResult
from mabs_wizard.media.zipwriter import Member
from tests.media_kit import INSTALLER, build_set, expected_tree, flip_byte, leftovers, part, random_members, tree_digests

CLI = str(Path(sys.executable).with_name("mabs-wizard"))
ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "extract", *map(str, args)], capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    build_set(folder, random_members(random.Random(11), 2 * 2**20))
    return folder


def test_exit_0_with_summary_and_progress(media: Path, tmp_path: Path) -> None:
    done = run_cli(media, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "Extracted 5 files (2.0 MiB) from MicrosoftAzureBackupServerInstaller.exe and 7 .bin part(s)" in done.stdout
    assert "SHA256SUMS verified" in done.stdout
    assert "Setup.exe is a Windows program: it is not run on this host" in done.stdout
    assert "extraction: 100.0%" in done.stderr and "5/5 files" in done.stderr
    assert (tmp_path / "out" / "Setup.exe").is_file()


def test_json_output_is_the_extraction_result(media: Path, tmp_path: Path) -> None:
    done = run_cli(media, tmp_path / "out", "--json")
    assert done.returncode == 0, done.stderr
    result = ExtractionResult.model_validate_json(done.stdout)
    assert result.file_count == 5 and result.backend == "zip" and result.setup_exe_path == "Setup.exe"
    assert len(result.parts) == 8 and all(len(p.sha256) == 64 for p in result.parts)


@pytest.mark.parametrize("damage", ["missing-source", "non-empty-destination", "corrupt-part", "missing-part", "zip-slip"])
def test_exit_2_for_invalid_media_or_destination(media: Path, tmp_path: Path, damage: str) -> None:
    source, dest = media, tmp_path / "out"
    expected = {
        "missing-source": "does not exist",
        "non-empty-destination": "exists and is not empty",
        "corrupt-part": "SHA-256 does not match SHA256SUMS",
        "missing-part": "-4.bin: is missing",
        "zip-slip": "'..' in the path would escape the destination",
    }[damage]
    if damage == "missing-source":
        source = tmp_path / "nowhere"
    elif damage == "non-empty-destination":
        dest.mkdir()
        (dest / "mine.txt").write_text("keep")
    elif damage == "corrupt-part":
        flip_byte(part(media, 2), 5000)
    elif damage == "missing-part":
        part(media, 4).unlink()
    elif damage == "zip-slip":
        build_set(media, [Member("Setup.exe", 1, b"x"), Member("../../evil.txt", 4, b"evil")])
    done = run_cli(source, dest)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    if damage == "non-empty-destination":
        assert [p.name for p in dest.iterdir()] == ["mine.txt"]
    else:
        assert not dest.exists()
    assert [n for n in leftovers(tmp_path, "out") if n != "out"] == []
    assert not (tmp_path.parent / "evil.txt").exists()


def test_full_filesystem_is_exit_2_and_leaves_nothing(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes writes past 1 MiB fail (EFBIG) as a full disk would (ENOSPC)."""
    rng = random.Random(2)
    build_set(tmp_path / "media", [Member("Setup.exe", 100, rng.randbytes(100)),
                                   Member("Big/sql.msi", 3 * 2**20, rng.randbytes(3 * 2**20))])

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    done = run_cli(tmp_path / "media", tmp_path / "out", preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert "ran out of space (or hit a file size limit) while writing Big/sql.msi" in done.stderr
    assert leftovers(tmp_path, "out") == []


def _fill(write_fd: int) -> None:
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 4096)
    os.set_blocking(write_fd, False)
    try:
        while True:
            os.write(write_fd, b"." * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_fd, True)


def _wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_extraction_exits_130_and_cleans_staging(tmp_path: Path, sig: signal.Signals) -> None:
    rng = random.Random(4)
    build_set(tmp_path / "media", [Member("Setup.exe", 8 * 2**20, rng.randbytes(8 * 2**20))], sums=False)
    # A full stderr pipe stops the CLI at its first progress line, inside the extraction, until we read.
    read_fd, write_fd = os.pipe()
    _fill(write_fd)
    child = subprocess.Popen([CLI, "extract", str(tmp_path / "media"), str(tmp_path / "out")],
                             stdout=subprocess.PIPE, stderr=write_fd)
    os.close(write_fd)
    try:
        # Once staging exists the child is inside the extraction, and cannot get past its first
        # progress line until the pipe is drained: the signal lands mid-extraction whatever the timing.
        _wait_for(lambda: any((tmp_path / name / "tree").is_dir() for name in leftovers(tmp_path, "out")))
        assert not (tmp_path / "out").exists()
        child.send_signal(sig)
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_fd, 65536), b"")))
        reader.start()
        code = child.wait(timeout=30)
        reader.join()
    finally:
        if child.poll() is None:
            child.kill()
        os.close(read_fd)
    assert code == 130
    assert b"cancelled" in b"".join(chunks)
    assert leftovers(tmp_path, "out") == []


CHILD = """
import signal, sys, time
from pathlib import Path
from mabs_wizard.errors import Cancelled
from mabs_wizard.events import CancelToken, Progress
from mabs_wizard.media import extract
from mabs_wizard.media.cancel import cancel_on_signals

token = CancelToken()
state = {"events": 0}

def emit(event):
    if not isinstance(event, Progress) or token.cancelled:
        return
    state["events"] += 1
    if state["events"] == 1:
        time.sleep(0.15)  # test harness: let the meter's interval pass so the next event lands mid-file
        return
    print("PAUSED", event.done, event.current, flush=True)
    while not token.cancelled:  # test harness: hold the extraction here until a signal arrives
        time.sleep(0.01)

with cancel_on_signals(token):
    try:
        extract(Path(sys.argv[1]), Path(sys.argv[2]), emit=emit, cancel=token)
    except Cancelled:
        sys.exit(130)
print("FINISHED", flush=True)
"""


def _paused_child(tmp_path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "media"), str(tmp_path / "out")],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("PAUSED"), line
    _done, done_bytes, current = line.split(maxsplit=2)
    assert int(done_bytes) > 0 and current.strip() == "Setup.exe"
    return child


@pytest.fixture
def big_media(tmp_path: Path) -> list[Member]:
    rng = random.Random(9)
    members = [Member("Setup.exe", 12 * 2**20, rng.randbytes(12 * 2**20)), Member("Docs/readme.txt", 5, b"hello")]
    build_set(tmp_path / "media", members)
    return members


def test_sigint_mid_file_cancels_and_cleans(tmp_path: Path, big_media: list[Member]) -> None:
    child = _paused_child(tmp_path)
    [staging] = leftovers(tmp_path, "out")
    partial = tmp_path / staging / "tree" / "Setup.exe"
    assert 0 < partial.stat().st_size < 12 * 2**20  # really mid-file
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 130
    assert leftovers(tmp_path, "out") == []
    rerun = run_cli(tmp_path / "media", tmp_path / "out")
    assert rerun.returncode == 0, rerun.stderr
    assert tree_digests(tmp_path / "out") == expected_tree(big_media)


def test_sigkill_mid_file_then_rerun_resumes_without_the_partial_file(tmp_path: Path, big_media: list[Member]) -> None:
    child = _paused_child(tmp_path)
    child.kill()
    assert child.wait(timeout=30) == -signal.SIGKILL
    [staging] = leftovers(tmp_path, "out")  # a killed process cannot clean up: the next run must
    assert staging.startswith(".out.mabs-partial-") and not (tmp_path / "out").exists()
    partial = tmp_path / staging / "tree" / "Setup.exe"
    assert 0 < partial.stat().st_size < 12 * 2**20
    rerun = run_cli(tmp_path / "media", tmp_path / "out")
    assert rerun.returncode == 0, rerun.stderr
    # The half-written Setup.exe is in no journal line: it is extracted again, not trusted for existing.
    assert f"resuming the interrupted extraction in {staging}: 0 of 2 files (0 B) to keep" in rerun.stderr
    assert leftovers(tmp_path, "out") == ["out"]
    assert tree_digests(tmp_path / "out") == expected_tree(big_media)


def test_rerun_on_a_finished_destination_reuses_it(tmp_path: Path, big_media: list[Member]) -> None:
    first = run_cli(tmp_path / "media", tmp_path / "out", "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli(tmp_path / "media", tmp_path / "out", "--json")
    assert again.returncode == 0, again.stderr
    one, two = ExtractionResult.model_validate_json(first.stdout), ExtractionResult.model_validate_json(again.stdout)
    assert (one.reused, one.files_written) == (False, 2) and (two.reused, two.files_written) == (True, 0)
    assert two.content_sha256 == one.content_sha256 and two.parts == one.parts
    assert "already extracted, verified" in again.stderr
    full = run_cli(tmp_path / "media", tmp_path / "out", "--verify")
    assert full.returncode == 0, full.stderr
    assert "Already extracted, verified (every file's digest and the media's SHA-256)" in full.stdout


def test_exe_given_directly_and_help(media: Path, tmp_path: Path) -> None:
    assert run_cli(media / INSTALLER, tmp_path / "out").returncode == 0
    helped = subprocess.run([CLI, "extract", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "never run on this host" in helped.stdout


INNO_CHILD = """
import sys, time
from pathlib import Path
from mabs_wizard.events import CancelToken, Progress
from mabs_wizard.media import extract

def emit(event):
    if isinstance(event, Progress) and event.current:
        print("PAUSED", event.current, flush=True)
        while True:  # test harness: hold the extraction pass here until killed
            time.sleep(0.01)

extract(Path(sys.argv[1]), Path(sys.argv[2]), emit=emit, cancel=CancelToken())
"""


def test_sigkill_during_inno_extraction_then_rerun_completes(tmp_path: Path) -> None:
    from tests.media_kit import copy_inno, innoextract_running, payload_digests

    media = copy_inno("is5.5.9-span-none", tmp_path)
    child = subprocess.Popen([sys.executable, "-c", INNO_CHILD, str(media), str(tmp_path / "out")],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None
    assert child.stdout.readline().startswith("PAUSED")
    child.kill()
    child.wait(timeout=30)
    [staging] = leftovers(tmp_path, "out")
    assert staging.startswith(".out.mabs-partial-")
    # innoextract was started with a parent-death signal: it must not outlive the killed wizard.
    _wait_for(lambda: not innoextract_running(tmp_path))
    rerun = run_cli(media, tmp_path / "out")
    assert rerun.returncode == 0, rerun.stderr
    assert leftovers(tmp_path, "out") == ["out"]
    assert tree_digests(tmp_path / "out") == payload_digests()
