"""The completion record: what a finished extraction holds, written into the folder it describes.

``.mabs-wizard-extraction.json`` is written into the staging tree after every file is finished, so
the rename that publishes the folder publishes the record with it: a destination holding a record
holds everything the record lists. It names the media (installer, each part's name, size and
SHA-256), each file's path, size and digest, the folders, the tool and backend versions, and a
SHA-256 over the file list (``content_sha256``: the same media always gives the same value, so a
manifest can tell two extractions are identical without listing them).

A file's digest is its SHA-256 (``sha256:<hex>``), or for Inno Setup media the installer's own SHA-1
of the file (``sha1:<hex>``), which innoextract checked the written bytes against (see finisher.py).
A later run with the same media and destination verifies the folder against it instead of
extracting again: the same files and folders, no more, no less; every size; and each file's digest
when its stat (device, inode, mtime, ctime) differs from the record's, or for every file (and the
media's parts) on request (``full``). The quick check is git's index check: a file whose
ctime is unchanged has not been written since (no user can set ctime back), so its recorded digest
stands; anything touched is hashed. Any difference is refused, naming the file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mabs_wizard.errors import InputError
from mabs_wizard.events import CancelToken
from mabs_wizard.fsutil import atomic_write_bytes
from mabs_wizard.media.finisher import READ_CHUNK, algorithm_of, file_digest
from mabs_wizard.media.models import Backend, MediaKind, MediaSet, PartRecord, VerifyMode, format_bytes
from mabs_wizard.media.problems import refuse

RECORD_NAME = ".mabs-wizard-extraction.json"
FORMAT = "mabs-wizard/extraction-record/1"
MAX_RECORD = 64 * 2**20
HASHERS = 2
REMEDY = "nothing was changed: choose another destination, or remove the folder to extract again"


class RecordedFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str  # relative, "/"-separated
    size: int
    # "sha256:<hex>", or "sha1:<hex>": an Inno Setup installer's own checksum of the file
    digest: str = Field(pattern=r"^(sha256:[0-9a-f]{64}|sha1:[0-9a-f]{40})$")
    stat: tuple[int, int, int, int]  # device, inode, mtime_ns, ctime_ns when the record was written


class RecordedMedia(BaseModel):
    model_config = ConfigDict(frozen=True)

    installer: str
    kind: MediaKind
    parts: list[PartRecord]
    sha256sums_verified: bool | None


class RecordedTool(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    backend: Backend
    backend_version: str | None


class CompletionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: str
    completed_at: datetime
    tool: RecordedTool
    media: RecordedMedia
    setup_exe: str | None
    bytes: int
    folders: list[str]
    files: list[RecordedFile]
    content_sha256: str
    warnings: list[str] = []


@dataclass(frozen=True)
class Verification:
    record: CompletionRecord
    mode: VerifyMode
    hashed: int  # files whose digest was computed (the rest stood on their unchanged stat)


def content_digest(files: Iterable[tuple[str, int, str]]) -> str:
    digest = hashlib.sha256()
    for path, size, its_digest in sorted(files):
        digest.update(f"{path}\0{size}\0{its_digest}\n".encode())
    return digest.hexdigest()


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def build_record(root: Path, media: MediaSet, parts: list[PartRecord], *, backend: Backend,
                 backend_version: str | None, digests: dict[str, tuple[int, str]], setup_exe: str | None,
                 sha256sums_verified: bool | None, warnings: list[str]) -> CompletionRecord:
    """The record for the finished tree at ``root`` (its files' stats taken now, after the last write)."""
    from mabs_wizard import __version__

    files = []
    for path, (size, digest) in sorted(digests.items()):
        files.append(RecordedFile(path=path, size=size, digest=digest, stat=_stat_key(os.lstat(root / path))))
    folders = sorted(Path(d, n).relative_to(root).as_posix()
                     for d, dirs, _files in os.walk(root) for n in dirs)
    return CompletionRecord(
        format=FORMAT,
        completed_at=datetime.now(timezone.utc),
        tool=RecordedTool(name="mabs-wizard", version=__version__, backend=backend, backend_version=backend_version),
        media=RecordedMedia(installer=media.installer, kind=media.kind, parts=parts,
                            sha256sums_verified=sha256sums_verified),
        setup_exe=setup_exe,
        bytes=sum(size for size, _ in digests.values()),
        folders=folders,
        files=files,
        content_sha256=content_digest((p, s, d) for p, (s, d) in digests.items()),
        warnings=warnings,
    )


def write_record(root: Path, record: CompletionRecord) -> None:
    """Write the record into ``root`` atomically (fsync'd)."""
    atomic_write_bytes(root / RECORD_NAME, record.model_dump_json(indent=1).encode() + b"\n", mode=0o644)


def has_record(destination: Path) -> bool:
    return (destination / RECORD_NAME).is_file() and not destination.is_symlink()


def read_record(destination: Path) -> CompletionRecord | None:
    """The record in ``destination``; None when there is none; InputError when damaged."""
    path = destination / RECORD_NAME
    if destination.is_symlink() or not path.is_file() or path.is_symlink():
        return None
    damaged = f"{path}: the completion record of an earlier extraction is damaged"
    try:
        if path.stat().st_size > MAX_RECORD:
            raise InputError(f"{damaged} (too large); {REMEDY}")
        data = path.read_bytes()
        record = CompletionRecord.model_validate_json(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}; {REMEDY}") from None
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "its text"
        raise InputError(f"{damaged} ({where}: {exc.errors()[0]['msg']}); {REMEDY}") from None
    if record.format != FORMAT:
        raise InputError(f"{path}: a completion record in a format this version does not read ({record.format}); {REMEDY}")
    if record.content_sha256 != content_digest((f.path, f.size, f.digest) for f in record.files):
        raise InputError(f"{damaged} (its file list does not match its content_sha256: edited?); {REMEDY}")
    return record


def media_differences(destination: Path, record: CompletionRecord, media: MediaSet,
                      expected: dict[str, str] | None) -> list[str]:
    """Why the record is not of ``media`` (names and sizes; digests against SHA256SUMS when present)."""
    where = f"{destination}: was extracted from other media"
    was = record.media
    if was.installer != media.installer or was.kind != media.kind:
        return [f"{where} ({was.installer}, {was.kind}; now {media.installer}, {media.kind}); {REMEDY}"]
    problems = []
    then = {p.name: p for p in was.parts}
    now = {p.name: p.size for p in media.parts}
    for name, size in now.items():
        if name not in then:
            problems.append(f"{where}: {name} was not part of it; {REMEDY}")
        elif then[name].size != size:
            problems.append(f"{where}: {name} was {then[name].size} bytes, is {size} now; {REMEDY}")
        elif expected and name in expected and expected[name] != then[name].sha256:
            problems.append(f"{where}: {name} had SHA-256 {then[name].sha256[:12]}…, SHA256SUMS lists "
                            f"{expected[name][:12]}… now; {REMEDY}")
    problems += [f"{where}: {name} was part of it and is missing now; {REMEDY}" for name in then if name not in now]
    return problems


def verify_destination(destination: Path, media: MediaSet, *, expected: dict[str, str] | None = None,
                       mode: VerifyMode = "quick", cancel: CancelToken | None = None) -> Verification | None:
    """Verify ``destination`` against its completion record; None when it has none.

    Raises InputError naming every difference (media, files or folders changed, added or removed).
    """
    found = read_record(destination)
    if found is None:
        return None
    record = found
    problems = media_differences(destination, record, media, expected)
    if problems:
        raise refuse(problems)
    files, folders, odd = _walk(destination)
    wanted = {f.path: f for f in record.files}
    problems += [f"{destination / p}: {why}" for p, why in odd]
    problems += [f"{destination / p}: missing (extracted {wanted[p].size} bytes)" for p in sorted(wanted) if p not in files]
    problems += [f"{destination / p}: added after the extraction" for p in sorted(files) if p not in wanted]
    problems += [f"{destination / p}/: folder missing" for p in record.folders if p not in folders]
    problems += [f"{destination / p}/: folder added after the extraction" for p in sorted(folders - set(record.folders))]
    to_hash: list[RecordedFile] = []
    for path, st in files.items():
        entry = wanted.get(path)
        if entry is None:
            continue
        if st.st_size != entry.size:
            problems.append(f"{destination / path}: changed ({entry.size} bytes when extracted, {st.st_size} now)")
        elif mode == "full" or _stat_key(st) != entry.stat:
            to_hash.append(entry)
    if not problems:
        problems += _hash_differences(destination, to_hash, cancel)
    if not problems and mode == "full":
        problems += _part_differences(destination, record, media, cancel)
    if problems:
        raise refuse([*problems, f"{destination}: differs from its completion record ({len(problems)} "
                                 f"difference{'s' if len(problems) > 1 else ''}); {REMEDY}"])
    return Verification(record, mode, len(to_hash))


def _walk(root: Path) -> tuple[dict[str, os.stat_result], set[str], list[tuple[str, str]]]:
    files: dict[str, os.stat_result] = {}
    folders: set[str] = set()
    odd: list[tuple[str, str]] = []
    for folder, dirs, names in os.walk(root):
        base = Path(folder)
        for name in list(dirs):
            path = base / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                odd.append((relative, "a symbolic link where the extraction made a folder or nothing"))
                dirs.remove(name)
            else:
                folders.add(relative)
        for name in names:
            path = base / name
            relative = path.relative_to(root).as_posix()
            if relative == RECORD_NAME:
                continue
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                odd.append((relative, "not a regular file (a link or a special file)"))
            else:
                files[relative] = st
    return files, folders, sorted(odd)


def _hash_differences(root: Path, entries: list[RecordedFile], cancel: CancelToken | None) -> list[str]:
    def check(entry: RecordedFile) -> str | None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        fd = os.open(root / entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            size, digest = file_digest(fd, bytearray(READ_CHUNK), algorithm_of(entry.digest))
        finally:
            os.close(fd)
        if digest != entry.digest or size != entry.size:
            return f"{root / entry.path}: changed since the extraction (same size, different {_name(entry.digest)})"
        return None

    with ThreadPoolExecutor(HASHERS) as pool:  # hashlib releases the GIL: two files at once
        return [p for p in pool.map(check, entries) if p]


def _name(digest: str) -> str:
    return {"sha256": "SHA-256", "sha1": "SHA-1"}.get(digest.partition(":")[0], "digest")


def _part_differences(destination: Path, record: CompletionRecord, media: MediaSet,
                      cancel: CancelToken | None) -> list[str]:
    from mabs_wizard.media.integrity import hash_parts

    digests = hash_parts(media.paths, None, cancel)
    then = {p.name: p.sha256 for p in record.media.parts}
    return [f"{destination}: was extracted from other media: {p.name} had SHA-256 {then[p.name][:12]}…, "
            f"has {d[:12]}… now; {REMEDY}" for p, d in zip(media.parts, digests) if then.get(p.name) != d]


def describe(verification: Verification) -> str:
    record = verification.record
    if verification.mode == "full":
        how = "full: every file's digest and the media's"
    elif verification.hashed:
        how = f"quick: every file's size, and the digest of the {verification.hashed} touched since"
    else:
        how = "quick: every file's size; none touched since"
    return f"{len(record.files)} files, {format_bytes(record.bytes)}; {how}"
