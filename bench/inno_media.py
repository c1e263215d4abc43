"""A real Inno Setup installer of at least 256 MB, spanned over several .bin parts, for bench_media.py.

Built once with Inno Setup's own compiler (``innosetup-compiler@VERSION`` from npm) under wine, the
way tests/fixtures/inno/build-inno-fixture.sh builds the small fixtures, and cached OUTSIDE git:

    ~/.cache/mabs-wizard-bench/inno-6.2.0-288M/MicrosoftAzureBackupServerInstaller.exe + -1..-N.bin

(``MABS_WIZARD_BENCH_CACHE`` overrides the folder). The payload is shaped like the extracted MABS
folder (a top-level Setup.exe, nested folders, a few large files and many small ones), filled with
pseudo-random bytes from fixed seeds: already-compressed content, as the real payload (MSI, CAB,
EXE) mostly is. LZMA2 compression (Inno Setup's default method), non-solid, slices of 64 MB.

Needs wine with 32-bit support and npm (`make bench-deps` installs them with apt-get, as the shared
build script does). Usage: ``python bench/inno_media.py [--size 288M]`` prints the folder.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "6.2.0"  # the newest Inno Setup whose output innoextract 1.9 reads (tests/fixtures/inno/README.md)
SLICE = 64 * 10**6
INSTALLER = "MicrosoftAzureBackupServerInstaller"
CHUNK = 4 * 2**20

ISS = r"""
[Setup]
AppName=Demo Backup Server (bench media)
AppVersion=1.0.0
AppPublisher=Demo Corp
AppId={{6F1D3C2A-7B7E-4C55-9A51-0D1E2F3A4B5D}
DefaultDirName={autopf}\Demo Backup Server
OutputDir=out
OutputBaseFilename=%(installer)s
Compression=lzma2/fast
SolidCompression=no
DiskSpanning=yes
DiskSliceSize=%(slice)d
SlicesPerDisk=1
PrivilegesRequired=lowest
DisableProgramGroupPage=yes
TimeStampsInUTC=yes

[Files]
Source: "src\*"; DestDir: "{app}"; Flags: recursesubdirs
"""

# (path, share of the payload): the demo kit's layout (mabs_wizard/media/demo.py), plus many small files.
LAYOUT = (
    ("Setup.exe", 0.02), ("MARSAgent/MARSAgentInstaller.exe", 0.05), ("DPM2019/Setup/DPMSetup.msi", 0.10),
    ("DPM2019/Setup/Prerequisites/SqlPrereqs.cab", 0.04), ("DPM2019/Agents/DPMAgentInstaller_x64.exe", 0.04),
    ("DPM2019/Agents/DPMAgentInstaller_x86.exe", 0.03), ("SQLSVR2016/setup.exe", 0.01),
    ("SQLSVR2016/x64/setup/sql_engine_core_inst_msi/sql_engine_core_inst.msi", 0.22),
    ("SQLSVR2016/x64/setup/sqlsupport_msi/SqlSupport.msi", 0.06), ("SQLSVR2016/x64/setup/sql_rs/RSSetup.msi", 0.12),
    ("SSMS/SSMS-Setup-ENU.exe", 0.20), ("Redist/vcredist_x64.exe", 0.03),
    ("Redist/NDP472-KB4054530-x86-x64-AllOS-ENU.exe", 0.04),
)
SMALL_FILES = 400  # SQLSVR2016/resources/...: the real folder has thousands of small files


def cache_root() -> Path:
    return Path(os.environ.get("MABS_WIZARD_BENCH_CACHE", Path.home() / ".cache" / "mabs-wizard-bench"))


def media_folder(size: int) -> Path:
    return cache_root() / f"inno-{VERSION}-{size // 2**20}M"


def _run(*command: str, **kwargs: object) -> None:
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _ensure_tools() -> None:
    """wine (32-bit) and npm: `make bench-deps` installs them from Debian."""
    missing = [tool for tool in ("wine", "wineserver", "npm") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"{', '.join(missing)}: needed to build the bench's Inno Setup installer once; "
                         "`make bench-deps` installs them (wine with 32-bit support, npm)")


def _payload(src: Path, size: int) -> None:
    small_total = min(size // 50, SMALL_FILES * 64 * 2**10)
    budget = size - small_total
    sizes = [int(budget * share) for _path, share in LAYOUT]
    sizes[0] += budget - sum(sizes)
    items = list(zip((p for p, _s in LAYOUT), sizes))
    items += [(f"SQLSVR2016/resources/{i % 20:02}/res{i:04}.rll", small_total // SMALL_FILES) for i in range(SMALL_FILES)]
    for index, (path, length) in enumerate(items):
        target = src / path
        target.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(5000 + index)
        with open(target, "wb") as fh:
            left = length
            while left:
                n = min(CHUNK, left)
                fh.write(rng.randbytes(n))
                left -= n


def build(size: int) -> Path:
    """The cached installer folder, built first when missing."""
    folder = media_folder(size)
    if (folder / f"{INSTALLER}.exe").is_file() and (folder / "BUILT").is_file():
        return folder
    _ensure_tools()
    work = cache_root() / f"build-{VERSION}"
    work.mkdir(parents=True, exist_ok=True)
    iscc = work / "node" / "node_modules" / "innosetup-compiler" / "bin" / "ISCC.exe"
    if not iscc.is_file():
        _run("npm", "install", "--no-audit", "--no-fund", "--prefix", str(work / "node"), f"innosetup-compiler@{VERSION}")
    shutil.rmtree(work / "src", ignore_errors=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    print(f"bench: generating a {size // 2**20} MiB payload and compiling it with Inno Setup {VERSION} under wine "
          "(once; cached)", file=sys.stderr)
    _payload(work / "src", size)
    (work / "bench.iss").write_text(ISS % {"installer": INSTALLER, "slice": SLICE})
    env = {**os.environ, "WINEPREFIX": str(work / "prefix"), "WINEDEBUG": "-all", "WINEARCH": "win32",
           "WINEDLLOVERRIDES": "mscoree,mshtml="}
    _run("wine", str(iscc), "/Q", "bench.iss", cwd=work, env=env)
    subprocess.run(["wineserver", "-k"], env=env)
    shutil.rmtree(work / "prefix", ignore_errors=True)  # wine's own 0.6 GB: made again if ever needed
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(work / "out"), folder)
    shutil.rmtree(work / "src")
    (folder / "BUILT").write_text(f"Inno Setup {VERSION}, {size} bytes of payload, slices of {SLICE} bytes\n")
    return folder


def main() -> int:
    from bench_media import parse_size  # noqa: PLC0415 - same folder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("288M"))
    args = parser.parse_args()
    print(build(args.size))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
