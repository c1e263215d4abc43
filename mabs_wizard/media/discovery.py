"""Finding the installer set on disk and telling, by file name, what is wrong with it.

The MABS download is ``MicrosoftAzureBackupServerInstaller.exe`` plus ``-1.bin`` … ``-7.bin``. Every
problem that can be seen from names and sizes alone (a missing, duplicated, misnumbered, empty or
half-downloaded part; the wrong folder; no installer at all) is reported here, all at once, before
anything is read in bulk or written. What the content says (ZIP or Inno Setup) is read from the .exe's
first megabytes and the last part's tail.
"""

from __future__ import annotations

import re
from pathlib import Path

from mabs_wizard.errors import InputError
from mabs_wizard.media.integrity import SHA256SUMS
from mabs_wizard.media.models import MediaKind, MediaPart, MediaSet
from mabs_wizard.media.problems import refuse
from mabs_wizard.media.spanned import SpannedReader
from mabs_wizard.media.zipformat import LOCAL_SIG, find_eocd

KNOWN_INSTALLERS = (
    "MicrosoftAzureBackupServerInstaller.exe",
    "MicrosoftAzureBackupInstaller.exe",  # the name the docs use (reference S1)
)
EXPECTED = "MicrosoftAzureBackupServerInstaller.exe with its -1.bin … -7.bin parts"
INNO_MARKERS = (b"rDlPtS", b"Inno Setup Setup Data (")
SCAN_LIMIT = 64 * 2**20  # the .exe of a spanned set is a loader plus headers: markers sit early
SCAN_CHUNK = 2**20
UNFINISHED = (".crdownload", ".part", ".partial", ".download", ".tmp", ".!ut")

_COPY_SUFFIX = re.compile(r"^(?P<base>.+?)(?: ?\(\d+\)| - Copy(?: \(\d+\))?)$")


def discover(source: Path) -> MediaSet:
    """The installer set at ``source`` (a folder, the .exe, or one of its parts), or InputError."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: does not exist")
    if source.is_dir():
        installer = _pick_installer(source)
    elif source.suffix.lower() == ".exe":
        installer = source
    elif source.suffix.lower() == ".bin":
        installer = _installer_for_part(source)
    else:
        raise InputError(f"{source}: not an installer (.exe) or a folder holding one; expected {EXPECTED}")
    folder = installer.parent
    parts = [installer, *_find_parts(folder, installer)]
    sizes = [_size(p) for p in parts]
    empty = [f"{p.name}: is empty (0 bytes); download it again" for p, s in zip(parts, sizes) if s == 0]
    if empty:
        raise refuse(empty)
    kind = _detect_kind(parts)
    checksums = SHA256SUMS if (folder / SHA256SUMS).is_file() else None
    return MediaSet(
        folder=str(folder.absolute()),
        installer=installer.name,
        parts=tuple(MediaPart(name=p.name, size=s) for p, s in zip(parts, sizes)),
        total_size=sum(sizes),
        kind=kind,
        checksums_file=checksums,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from None


def _pick_installer(folder: Path) -> Path:
    try:
        files = [p for p in folder.iterdir() if p.is_file()]
    except OSError as exc:
        raise InputError(f"{folder}: cannot be listed: {exc.strerror}") from None
    exes = sorted(p for p in files if p.suffix.lower() == ".exe")
    spanned = [e for e in exes if _candidate_parts(folder, e)]
    known = [e for e in exes if e.name.casefold() in {k.casefold() for k in KNOWN_INSTALLERS}]
    for pool in (spanned, known):
        if len(pool) == 1:
            return pool[0]
        if len(pool) > 1:
            names = ", ".join(p.name for p in pool)
            raise InputError(f"{folder}: holds several installers ({names}); pass the .exe to use")
    if len(exes) == 1:
        return exes[0]  # content detection decides whether it is an installer at all
    orphans = sorted({m.group(1) for p in files if (m := re.match(r"^(.+)-\d+\.bin$", p.name, re.IGNORECASE))})
    if orphans:
        raise InputError(f"{folder}: has {orphans[0]}-1.bin … but not {orphans[0]}.exe: the installer .exe is missing")
    if exes:
        names = ", ".join(p.name for p in exes)
        raise InputError(f"{folder}: none of its .exe files ({names}) is the MABS installer; pass the .exe to use")
    raise InputError(f"{folder}: no installer here; expected {EXPECTED}")


def _installer_for_part(part: Path) -> Path:
    match = re.match(r"^(.+)-\d+\.bin$", part.name, re.IGNORECASE)
    if not match:
        raise InputError(f"{part}: not an installer part (expected NAME-N.bin beside NAME.exe)")
    installer = part.with_name(match.group(1) + ".exe")
    if not installer.is_file():
        raise InputError(f"{part}: its installer {installer.name} is missing from {part.parent}")
    return installer


def _candidate_parts(folder: Path, installer: Path) -> list[Path]:
    stem = installer.stem.casefold()
    found = []
    for path in folder.iterdir():
        name = path.name.casefold()
        if name.startswith(stem + "-") and (".bin" in name) and path.is_file():
            found.append(path)
    return found


def _find_parts(folder: Path, installer: Path) -> list[Path]:
    """The ``-N.bin`` parts in order; every naming problem reported by file name, all at once."""
    stem = installer.stem
    pattern = re.compile(rf"^{re.escape(stem.casefold())}-(\d+)\.bin$")
    numbered: dict[int, list[Path]] = {}
    problems: list[str] = []
    for path in sorted(_candidate_parts(folder, installer)):
        name = path.name
        lowered = name.casefold()
        unfinished = next((s for s in UNFINISHED if lowered.endswith(s)), None)
        if unfinished:
            problems.append(f"{name}: an unfinished download ({unfinished}); let it complete or download it again")
            continue
        match = pattern.match(lowered)
        if not match:
            copy = _COPY_SUFFIX.match(Path(name).stem)
            if copy and pattern.match(copy.group("base").casefold() + ".bin"):
                problems.append(f"{name}: looks like a second download of {copy.group('base')}.bin; keep one copy")
            else:
                problems.append(f"{name}: not a part name this installer uses (expected {stem}-N.bin)")
            continue
        number = int(match.group(1))
        canonical = f"{stem}-{number}.bin"
        if number == 0:
            problems.append(f"{name}: out of sequence: parts are numbered from 1 ({stem}-1.bin)")
            continue
        if name != canonical:
            problems.append(f"{name}: out of sequence or misnamed: expected exactly {canonical}")
            continue
        numbered.setdefault(number, []).append(path)
    for number, paths in sorted(numbered.items()):
        if len(paths) > 1:
            problems.append(f"{stem}-{number}.bin: duplicated ({', '.join(p.name for p in paths)})")
    if numbered:
        highest = max(numbered)
        for number in range(1, highest + 1):
            if number not in numbered:
                have = ", ".join(f"-{n}" for n in sorted(numbered))
                problems.append(f"{stem}-{number}.bin: is missing (found parts {have}; the set needs 1 to {highest})")
    if problems:
        raise refuse(problems)
    return [numbered[n][0] for n in sorted(numbered)]


def _detect_kind(parts: list[Path]) -> MediaKind:
    with SpannedReader(parts) as reader:
        for index in range(len(parts) - 1, -1, -1):
            if find_eocd(reader, reader.part_bounds(index)[1]) is not None:
                return "zip"  # the archive may end early (extra parts): extraction explains that
    head = _scan(parts[0])
    if any(marker in head for marker in INNO_MARKERS):
        return "inno"
    if LOCAL_SIG in head:
        return "zip"  # a ZIP whose end is missing: extraction names the part
    raise InputError(
        f"{parts[0]}: not a MABS installer (neither an Inno Setup installer nor a self-extracting ZIP); "
        f"expected {EXPECTED}"
    )


def _scan(path: Path) -> bytes:
    """The .exe's first SCAN_LIMIT bytes, reduced to the marker hits (memory stays small)."""
    hits = bytearray()
    tail = b""
    with open(path, "rb") as fh:
        read = 0
        while read < SCAN_LIMIT:
            chunk = fh.read(SCAN_CHUNK)
            if not chunk:
                break
            window = tail + chunk
            for marker in (*INNO_MARKERS, LOCAL_SIG):
                if marker in window:
                    hits += marker + b"\n"
            tail = chunk[-32:]
            read += len(chunk)
    return bytes(hits)
