"""A finished extraction is recognised, verified and reused; a destination that differs is refused.

No second extraction is proven by counting, never by timing: the result's counters, innoextract's
invocations (none on a reuse), and every file's inode, mtime and ctime, which any rewrite, replace or
rename would change.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.events import Message
from mabs_wizard.media import check_destination, discover, extract
from mabs_wizard.media.record import RECORD_NAME
from mabs_wizard.media.zipwriter import Member
from tests.media_kit import (
    STEM,
    build_set,
    copy_inno,
    expected_tree,
    flip_byte,
    inodes,
    leftovers,
    part,
    payload_digests,
    prefixed,
    random_members,
    record_files,
    tree_digests,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def done(tmp_path: Path) -> tuple[Path, Path, list[Member]]:
    """Media and a destination the first run extracted into."""
    members = random_members(random.Random(31), 2 * 2**20) + [Member("Empty/", 0, b"")]
    build_set(tmp_path / "media", members)
    first = extract(tmp_path / "media", tmp_path / "out")
    assert (first.reused, first.files_written) == (False, 5)
    return tmp_path / "media", tmp_path / "out", members


def test_second_run_reuses_the_destination_without_writing(done: tuple[Path, Path, list[Member]]) -> None:
    media, dest, members = done
    before = inodes(dest)
    record_before = (dest / RECORD_NAME).read_bytes()
    events: list[object] = []
    again = extract(media, dest, emit=events.append)
    assert (again.reused, again.verified, again.files_written, again.files_resumed) == (True, "quick", 0, 0)
    assert inodes(dest) == before  # not one file (nor the record) written, replaced or renamed
    assert (dest / RECORD_NAME).read_bytes() == record_before
    assert tree_digests(dest) == expected_tree(members)
    [said] = [e.text for e in events if isinstance(e, Message) and e.level == "pass"]
    # The quick check hashed nothing: each file's stat survived the rename that published the folder.
    assert "already extracted, verified (5 files, 2.0 MiB; quick: every file's size; none touched since)" in said
    assert again.file_count == 5 and again.setup_exe_path == "Setup.exe" and again.sha256sums_verified is True


def test_the_record_lists_media_files_and_tool(done: tuple[Path, Path, list[Member]]) -> None:
    media, dest, members = done
    record = json.loads((dest / RECORD_NAME).read_text())
    assert record["tool"]["name"] == "mabs-wizard" and record["tool"]["backend"] == "zip"
    assert [p["name"] for p in record["media"]["parts"]] == [p.name for p in discover(media).parts]
    sums = dict(line.split()[::-1] for line in (media / "SHA256SUMS").read_text().splitlines())
    assert {p["name"]: p["sha256"] for p in record["media"]["parts"]} == sums
    assert record_files(dest) == prefixed(expected_tree(members))
    assert {f["path"]: f["size"] for f in record["files"]} == {m.name: m.size for m in members if not m.name.endswith("/")}
    assert "Empty" in record["folders"] and "SQLSVR/x64" in record["folders"]
    assert (dest / RECORD_NAME).stat().st_mode & 0o777 == 0o644


def test_check_destination_passes_a_verified_extraction(done: tuple[Path, Path, list[Member]]) -> None:
    """What the TUI's Next on the destination page and replay's checks see after an extraction: a pass
    (reused), not "exists and is not empty"."""
    media, dest, _members = done
    [finding] = check_destination(media, dest)
    assert (finding.level, finding.code) == ("pass", "media.destination-extracted")
    assert "already extracted from this media, verified" in finding.message and "will be reused" in finding.message


def test_flow_check_after_extraction_passes(done: tuple[Path, Path, list[Member]]) -> None:
    """Back, then Next again: the engine's own rule for the extraction step, on the same answers."""
    from mabs_wizard import flow
    from mabs_wizard.answers.models import ExtractionAnswers
    from mabs_wizard.facts import probe_local
    from mabs_wizard.resolver import Secrets

    media, dest, _members = done
    now = datetime.now(timezone.utc)
    ctx = flow.CheckContext(facts=probe_local(now), facts_source="probe", facts_path=None, secrets=Secrets(), now=now)
    findings = flow.check_step("extraction", {"extraction": ExtractionAnswers(source=media, destination=dest)}, ctx)
    assert [f.level for f in findings] == ["pass", "pass"], findings


def _change(dest: Path, how: str) -> tuple[str, str]:
    """Change the finished destination one way; what the refusal must say."""
    if how == "changed-same-size":
        flip_byte(dest / "SQLSVR" / "setup.dat", 100)
        return "SQLSVR/setup.dat", "changed since the extraction (same size, different SHA-256)"
    if how == "changed-size":
        with open(dest / "Setup.exe", "ab") as fh:
            fh.write(b"!")
        return "Setup.exe", "changed ("
    if how == "added":
        (dest / "SQLSVR" / "extra.msi").write_bytes(b"x")
        return "SQLSVR/extra.msi", "added after the extraction"
    if how == "removed":
        (dest / "MARSAgent" / "MARSAgentInstaller.exe").unlink()
        return "MARSAgent/MARSAgentInstaller.exe", "missing (extracted"
    if how == "folder-added":
        (dest / "Logs").mkdir()
        return "Logs/", "folder added after the extraction"
    if how == "folder-removed":
        (dest / "Empty").rmdir()
        return "Empty/", "folder missing"
    if how == "symlink":
        (dest / "Docs" / "readme.txt").unlink()
        (dest / "Docs" / "readme.txt").symlink_to("/etc/hostname")
        return "Docs/readme.txt", "not a regular file"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["changed-same-size", "changed-size", "added", "removed", "folder-added",
                                 "folder-removed", "symlink"])
def test_a_destination_that_differs_is_refused_naming_the_difference(done: tuple[Path, Path, list[Member]],
                                                                      how: str) -> None:
    media, dest, _members = done
    name, says = _change(dest, how)
    before = inodes(dest)
    with pytest.raises(InputError) as caught:
        extract(media, dest)
    text = "\n".join(caught.value.lines())
    assert f"{dest / name.rstrip('/')}{'/' if name.endswith('/') else ''}: {says}" in text, text
    assert str(caught.value).startswith(str(dest / name.rstrip("/")))  # the headline names it
    assert "choose another destination, or remove the folder to extract again" in text
    assert inodes(dest) == before and leftovers(dest.parent, dest.name) == [dest.name]  # nothing touched
    errors = [f for f in check_destination(media, dest) if f.level == "error"]
    assert errors and any(str(dest / name.rstrip("/")) in f.message for f in errors)


def test_a_file_touched_but_not_changed_is_hashed_and_accepted(done: tuple[Path, Path, list[Member]]) -> None:
    media, dest, _members = done
    os.utime(dest / "Setup.exe", (1, 1))  # new mtime and ctime, same bytes
    events: list[object] = []
    assert extract(media, dest, emit=events.append).reused
    assert any(isinstance(e, Message) and "the digest of the 1 touched since" in e.text for e in events)


def test_full_verification_hashes_files_and_media(done: tuple[Path, Path, list[Member]]) -> None:
    """A part corrupted after the extraction, same size, no SHA256SUMS to compare with: the quick check
    (names and sizes of the parts) cannot see it; the full one names the part."""
    media, dest, _members = done
    (media / "SHA256SUMS").unlink()
    flip_byte(part(media, 3), 10)
    assert extract(media, dest).reused
    with pytest.raises(InputError, match=f"was extracted from other media: {STEM}-3.bin had SHA-256"):
        extract(media, dest, verify="full")


def test_sha256sums_that_disagree_with_the_record_are_refused(done: tuple[Path, Path, list[Member]]) -> None:
    media, dest, _members = done
    sums = media / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    digest, name = lines[2].split()
    lines[2] = f"{'0' * 64}  {name}"
    sums.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=f"{name} had SHA-256 {digest[:12]}…, SHA256SUMS lists 000000000000…"):
        extract(media, dest)


def test_other_media_is_refused(done: tuple[Path, Path, list[Member]], tmp_path: Path) -> None:
    _media, dest, _members = done
    build_set(tmp_path / "other", random_members(random.Random(77), 3 * 2**20), parts=3)
    with pytest.raises(InputError, match="was extracted from other media"):
        extract(tmp_path / "other", dest)


@pytest.mark.parametrize("damage", ["not-json", "edited-list", "unknown-digest"])
def test_a_damaged_record_is_refused(done: tuple[Path, Path, list[Member]], damage: str) -> None:
    media, dest, _members = done
    record = dest / RECORD_NAME
    if damage == "not-json":
        record.write_text("{ nope")
    else:
        data = json.loads(record.read_text())
        if damage == "edited-list":
            data["files"][0]["size"] += 1
        else:
            data["files"][0]["digest"] = "md5:" + "0" * 32
        record.write_text(json.dumps(data))
    with pytest.raises(InputError, match="completion record of an earlier extraction is damaged"):
        extract(media, dest)


def test_inno_media_reused_without_running_innoextract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    media = copy_inno("is6.2.0-span-lzma2", tmp_path)
    first = extract(media, tmp_path / "out")
    assert tree_digests(tmp_path / "out") == payload_digests()
    # Each file's digest is the installer's own SHA-1 (innoextract checked the bytes against it).
    listed = subprocess.run(["innoextract", "-l", "-s", "--list-checksums", str(media / "MicrosoftAzureBackupServerInstaller.exe")],
                            capture_output=True, text=True, check=True).stdout
    installer_sha1 = {line.split()[2].removeprefix("app/"): "sha1:" + line.split()[1] for line in listed.splitlines()}
    assert record_files(tmp_path / "out") == installer_sha1 == prefixed(tree_digests(tmp_path / "out", "sha1"), "sha1")
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "innoextract"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\necho \"$*\" >> {log}\nexec {shutil.which('innoextract')} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    before = inodes(tmp_path / "out")
    again = extract(media, tmp_path / "out")
    assert again.reused and again.backend == "innoextract" and again.content_sha256 == first.content_sha256
    assert not log.exists()  # innoextract was not run at all
    assert inodes(tmp_path / "out") == before


def test_replay_twice_on_the_demo_kit_extracts_once(secret_service: dict[str, str], tmp_path: Path) -> None:
    """The same answers replayed twice: the second run reuses the extraction (counted in the manifest
    and by every file's inode, mtime and ctime) and the manifests agree but for times and the
    run's own counters."""
    from mabs_wizard.demo import make_demo_kit
    from mabs_wizard.manifest import MANIFEST_NAME

    kit = make_demo_kit(tmp_path / "kit", media_bytes=2 * 2**20)

    def replay(out: str) -> dict[str, object]:
        done = subprocess.run([sys.executable, "-m", "mabs_wizard", "replay", str(kit), "--output", str(tmp_path / out)],
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        return json.loads((tmp_path / out / MANIFEST_NAME).read_text())

    one = replay("out1")
    extracted = tmp_path / "kit" / "extracted"
    before = inodes(extracted)
    two = replay("out2")
    assert inodes(extracted) == before
    first, second = one["extraction"]["result"], two["extraction"]["result"]  # type: ignore[index]
    assert (first["reused"], first["files_written"]) == (False, first["file_count"])
    assert (second["reused"], second["verified"], second["files_written"]) == (True, "quick", 0)
    run_fields = {"duration_s", "reused", "verified", "files_written"}
    assert {k: v for k, v in first.items() if k not in run_fields} == {k: v for k, v in second.items() if k not in run_fields}
