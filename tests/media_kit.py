"""Helpers for the media tests: build spanned ZIP sets on the fly, copy the Inno fixtures, and check
that nothing was left behind."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from mabs_wizard.errors import InputError
from mabs_wizard.media import extract
from mabs_wizard.media.record import RECORD_NAME
from mabs_wizard.media.zipwriter import Member, directory, sha256sums_text, write_spanned_zip

INSTALLER = "MicrosoftAzureBackupServerInstaller.exe"
STEM = INSTALLER[:-4]
STUB = b"MZ" + b"\0" * 62 + b"test stub".ljust(960, b"\0")
INNO_FIXTURES = Path(__file__).parent / "fixtures" / "inno"
INNO_SETS = ("is5.5.9-span-none", "is6.0.2-span-lzma2", "is5.5.9-single-none", "is6.2.0-span-lzma2")
INNO_TOO_NEW = "is6.3.1-span-lzma2-tiny"  # built by Inno Setup 6.3.1: innoextract 1.9 cannot read it


def part(folder: Path, n: int) -> Path:
    return folder / (INSTALLER if n == 0 else f"{STEM}-{n}.bin")


def random_members(rng: random.Random, total: int) -> list[Member]:
    """A small MABS-like tree of random files summing to ``total`` bytes (top-level Setup.exe)."""
    shares = [("Setup.exe", 0.1), ("MARSAgent/MARSAgentInstaller.exe", 0.3), ("SQLSVR/x64/sql.msi", 0.45),
              ("SQLSVR/setup.dat", 0.15)]
    sizes = [int(total * s) for _p, s in shares]
    sizes[0] += total - sum(sizes)
    members = [directory("MARSAgent/"), directory("SQLSVR/"), directory("SQLSVR/x64/")]
    for (path, _s), size in zip(shares, sizes):
        members.append(Member(path, size, rng.randbytes(size)))
    members.append(Member("Docs/readme.txt", 12, b"hello reader"))
    return members


def build_set(folder: Path, members: Sequence[Member], *, parts: int = 8, sums: bool = True, zip64: bool = False,
              stub: bytes = STUB) -> list[Path]:
    """Write a spanned ZIP set (+ SHA256SUMS) and return its part paths, .exe first."""
    records = write_spanned_zip(folder, members, parts=parts, stub=stub, durable=False, zip64=zip64)
    if sums:
        (folder / "SHA256SUMS").write_text(sha256sums_text(records))
    return [folder / name for name, _size, _digest in records]


def expected_tree(members: Sequence[Member]) -> dict[str, str]:
    return {m.name: hashlib.sha256(m.content).hexdigest() for m in members  # type: ignore[arg-type]
            if isinstance(m.name, str) and not m.name.endswith("/")}


def tree_digests(root: Path, algorithm: str = "sha256") -> dict[str, str]:
    """Every extracted file's digest (hex), the completion record aside (see ``record_files``)."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if relative != RECORD_NAME:
                found[relative] = hashlib.new(algorithm, path.read_bytes()).hexdigest()
    return found


def record_files(root: Path) -> dict[str, str]:
    """The completion record's files and digests ("sha256:<hex>", "sha1:<hex>"), as written by the
    extraction that made ``root``."""
    record = json.loads((root / RECORD_NAME).read_text())
    return {f["path"]: f["digest"] for f in record["files"]}


def prefixed(digests: dict[str, str], algorithm: str = "sha256") -> dict[str, str]:
    return {path: f"{algorithm}:{digest}" for path, digest in digests.items()}


def inodes(root: Path) -> dict[str, tuple[int, int, int]]:
    """Each file's (inode, mtime_ns, ctime_ns): any rewrite, replacement or rename changes it."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            st = (Path(folder) / name).lstat()
            found[(Path(folder) / name).relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    return found


def copy_inno(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(INNO_FIXTURES / name, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def payload_digests() -> dict[str, str]:
    sums = {}
    for line in (INNO_FIXTURES / "payload.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.removeprefix("./")] = digest
    return sums


def leftovers(parent: Path, name: str) -> list[str]:
    """Anything in ``parent`` belonging to an extraction into ``parent / name`` (the folder, staging)."""
    return sorted(p.name for p in parent.iterdir() if p.name == name or p.name.startswith(f".{name}."))


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))


def innoextract_running(mentioning: Path) -> bool:
    """Is any innoextract process working on a path under ``mentioning``? (reads /proc; no procps)"""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended meanwhile
        if any(a.endswith(b"innoextract") for a in args) and str(mentioning).encode() in b" ".join(args):
            return True
    return False


def assert_refused(media: Path, dest: Path, *needles: str) -> InputError:
    """Extraction must fail with InputError mentioning every needle, and leave nothing behind."""
    before = sorted(p.name for p in dest.parent.iterdir())
    with pytest.raises(InputError) as caught:
        extract(media, dest)
    text = "\n".join([str(caught.value), *caught.value.lines()])
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
    assert not dest.exists()
    assert leftovers(dest.parent, dest.name) == []
    assert sorted(p.name for p in dest.parent.iterdir()) == before
    return caught.value
