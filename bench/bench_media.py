"""Benchmark: the wizard's extraction beside its baselines, in the same run, runs interleaved.

    .venv/bin/python bench/bench_media.py [SIZE] [--rss-sizes 1G,4G] [--repeat 3] [--inno-size 288M]
                                          [--only zip,resume,rss,inno] [--strict] [--keep]

zip     SIZE (default 1G) of demo-style media (stored random members, 8 parts). Baselines on the same
        bytes as ONE file (the parts concatenated): `cp` (the floor: read and write once), `cp && sync`
        (the floor, durable), `unzip -q` and Python's zipfile (what one would otherwise use).
resume  SIZE of spanned ZIP media in 64 files (and, with inno, the Inno installer below); a child
        extracting it (durable) is SIGKILLed once half the bytes are written; the re-run (which keeps
        what the journal and a re-check prove) is timed against a full durable extraction of the same
        media.
rss     the durable extraction's peak RSS (the child's own VmHWM) at each of --rss-sizes.
inno    a real Inno Setup 6.2.0 installer of --inno-size (at least 256 MB) spanned over several .bin
        parts, built once with wine and the npm compiler (bench/inno_media.py, cached outside git in
        ~/.cache/mabs-wizard-bench); baselines `innoextract -e` and `innoextract -e && sync`.

Every extraction runs in a child process; times are the best of --repeat (page cache warm for every
contender; `sync` between runs, untimed). CPU seconds (user + sys of the child and its children) are
shown beside: on a shared 2-core machine, other work stretches wall times, not CPU times.

Goals: issue 5 (throughput >= 4x unzip's, within 5x of cp's time, peak RSS < 100 MB and flat within
10 MB between 1 GiB and 4 GiB) and issue 13 (durable ZIP extraction <= 1.2x `cp && sync`; Inno
extraction <= 1.15x a bare `innoextract -e`; a re-run after a kill at 50% <= 0.6x a full extraction).
--strict exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "media"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mabs_wizard.media import make_demo_media  # noqa: E402
from mabs_wizard.media.models import MediaSet, format_bytes  # noqa: E402

# Peak RSS is the child's own VmHWM (the high-water mark of its address space). wait4()'s
# ru_maxrss would overstate it: Linux folds the parent's peak into a child's maxrss at exec (the
# child briefly runs in the parent's address space), and this parent holds more than the child.
EXTRACT_CHILD = """
import json, re, sys, time
from pathlib import Path
from mabs_wizard.media import extract
started = time.perf_counter()
result = extract(Path(sys.argv[1]), Path(sys.argv[2]), durable=sys.argv[3] == "durable")
seconds = time.perf_counter() - started
hwm = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
print(json.dumps({"seconds": seconds, "files": result.file_count, "bytes": result.bytes_extracted, "rss": hwm,
                  "resumed": result.files_resumed, "written": result.files_written}))
"""

# Extracts until half the bytes are written and every finished file is in the journal, then says so
# and waits inside the extraction for its SIGKILL.
KILL_CHILD = """
import sys, time
from pathlib import Path
from mabs_wizard.events import Progress
from mabs_wizard.media import extract
from mabs_wizard.media.journal import JOURNAL_NAME, read_journal
source, dest = Path(sys.argv[1]), Path(sys.argv[2])

def journaled():
    for staging in dest.parent.glob(f".{dest.name}.mabs-partial-*"):
        state = read_journal(staging / JOURNAL_NAME)
        if state is not None:
            return len(state.files)
    return 0

def emit(event):
    if isinstance(event, Progress) and event.total and event.done * 2 >= event.total:
        while journaled() < event.files_done:
            time.sleep(0.01)
        print("KILLME", event.done, event.total, event.files_done, flush=True)
        while True:
            time.sleep(1)

extract(source, dest, emit=emit)
"""

ZIPFILE_CHILD = """
import json, sys, time, zipfile
started = time.perf_counter()
with zipfile.ZipFile(sys.argv[1]) as zf:
    zf.extractall(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


@dataclass
class Run:
    seconds: float
    cpu: float = 0.0
    rss_bytes: int = 0
    files: int = 0
    resumed: int = 0
    written: int = 0


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 1G, 512M, 4GiB)")
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    os.sync()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> Run:
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return Run(time.perf_counter() - started, _children_cpu() - cpu)


def child(code: str, *args: str) -> tuple[dict[str, float], float]:
    """Run a Python child; the JSON line it prints, and its CPU seconds."""
    cpu = _children_cpu()
    done = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed with exit {done.returncode}")
    return json.loads(done.stdout), _children_cpu() - cpu


def run_extract(media: Path, out: Path, durable: bool = True, *, keep_staging: bool = False) -> Run:
    if not keep_staging:
        clear(out)
    data, cpu = child(EXTRACT_CHILD, str(media), str(out), "durable" if durable else "fast")
    return Run(data["seconds"], cpu, int(data["rss"]), int(data["files"]), int(data["resumed"]), int(data["written"]))


def kill_at_half(media: Path, out: Path) -> tuple[int, int]:
    """A durable extraction SIGKILLed once half the bytes are written; (bytes done, files done)."""
    clear(out)
    proc = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(media), str(out)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert proc.stdout is not None
    try:
        ready, _w, _x = select.select([proc.stdout], [], [], 600)
        line = proc.stdout.readline() if ready else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    if not line.startswith("KILLME"):
        raise SystemExit(f"the extraction to kill did not reach 50%: {line!r}")
    _word, done, _total, files = line.split()
    return int(done), int(files)


def make_media(folder: Path, size: int) -> tuple[MediaSet, float]:
    clear(folder)
    started = time.perf_counter()
    media = make_demo_media(folder, total_bytes=size, seed=1)
    return media, time.perf_counter() - started


def make_many_files_media(folder: Path, size: int, files: int = 64) -> Path:
    """Spanned ZIP media of ``files`` random members (a kill at 50% then loses at most one file)."""
    from mabs_wizard.fsutil import atomic_write_text
    from mabs_wizard.media.demo import INSTALLER, STUB
    from mabs_wizard.media.zipwriter import Member, sha256sums_text, write_spanned_zip

    clear(folder)
    folder.mkdir(parents=True)
    each = size // files

    def chunks(seed: int, n: int):  # noqa: ANN202 - a generator
        rng = random.Random(seed)
        left = n
        while left:
            step = min(4 * 2**20, left)
            yield rng.randbytes(step)
            left -= step

    members = [Member("Setup.exe" if i == 0 else f"Payload/part{i:03}.cab", each,
                      lambda i=i: chunks(7000 + i, each)) for i in range(files)]
    records = write_spanned_zip(folder, members, installer=INSTALLER, parts=8, stub=STUB)
    atomic_write_text(folder / "SHA256SUMS", sha256sums_text(records), mode=0o644)
    return folder


def concatenate(media: MediaSet, target: Path) -> None:
    with open(target, "wb") as out:
        for path in media.paths:
            with open(path, "rb") as part:
                shutil.copyfileobj(part, out, 4 * 2**20)


def rate(size: int, seconds: float) -> str:
    return f"{format_bytes(size / seconds)}/s"


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def table(title: str, size: int, rows: list[tuple[str, Run]], base: Run, base_name: str) -> None:
    print(title)
    print(f"  {'method':40} {'time':>8} {'CPU':>7} {'throughput':>12} {'x ' + base_name:>14}")
    for name, run in rows:
        print(f"  {name:40} {run.seconds:7.2f}s {run.cpu:6.2f}s {rate(size, run.seconds):>12} "
              f"{run.seconds / base.seconds:13.2f}x")
    print()


Goal = tuple[str, str, bool]


def bench_zip(size: int, repeat: int, rss_sizes: list[int]) -> tuple[list[Goal], dict[int, int]]:
    media, generated = make_media(WORK / "set", size)
    whole = WORK / "whole.zip"
    concatenate(media, whole)
    os.sync()
    out = WORK / "out"
    cp_runs, cp_sync_runs, fast_runs, durable_runs = [], [], [], []
    for _ in range(repeat):  # interleaved, so background noise hits every contender alike
        clear(out)
        cp_runs.append(timed(["cp", str(whole), str(out)]))
        clear(out)
        cp_sync_runs.append(timed(["sh", "-c", f'cp "{whole}" "{out}" && sync']))
        fast_runs.append(run_extract(media.paths[0].parent, out, durable=False))
        durable_runs.append(run_extract(media.paths[0].parent, out, durable=True))
    clear(out)
    unzip = timed(["unzip", "-q", str(whole), "-d", str(out)])
    clear(out)
    data, cpu = child(ZIPFILE_CHILD, str(whole), str(out))
    zipfile_run = Run(data["seconds"], cpu)
    clear(out)
    cp, cp_sync, fast, durable = best(cp_runs), best(cp_sync_runs), best(fast_runs), best(durable_runs)
    print(f"zip: {format_bytes(size)} payload, {fast.files} stored files, in {len(media.parts)} parts "
          f"({media.installer} + {len(media.parts) - 1} .bin); generated in {generated:.1f} s; best of {repeat} "
          f"(unzip, zipfile: one run)")
    table("", size, [("cp whole.zip (floor)", cp), ("unzip -q whole.zip", unzip),
                     ("python zipfile.extractall", zipfile_run), ("mabs-wizard extract (no fsync)", fast),
                     ("cp whole.zip && sync (durable floor)", cp_sync), ("mabs-wizard extract (durable)", durable)],
          cp, "cp time")
    rss = {size: max(r.rss_bytes for r in durable_runs)} if size in rss_sizes else {}
    clear(WORK / "set")
    clear(whole)
    speedup = unzip.seconds / fast.seconds
    goals = [
        ("throughput >= 4x unzip's (no fsync, as unzip)", f"{speedup:.1f}x", speedup >= 4),
        ("within 5x of cp's time (no fsync, as cp)", f"{fast.seconds / cp.seconds:.1f}x", fast.seconds <= 5 * cp.seconds),
        ("durable <= 1.2x cp && sync", f"{durable.seconds / cp_sync.seconds:.2f}x", durable.seconds <= 1.2 * cp_sync.seconds),
    ]
    return goals, rss


def bench_resume(media: Path, size: int, repeat: int, what: str) -> list[Goal]:
    """A full durable extraction, then one SIGKILLed at 50% of the bytes and its re-run, ``repeat`` times."""
    out = WORK / "resume-out"
    full_runs, rerun_runs, kept = [], [], []
    for _ in range(repeat):
        full_runs.append(run_extract(media, out))
        _done, files = kill_at_half(media, out)
        rerun = run_extract(media, out, keep_staging=True)
        assert rerun.resumed == files and rerun.resumed + rerun.written == rerun.files, rerun
        rerun_runs.append(rerun)
        kept.append(files)
    clear(out)
    full, rerun = best(full_runs), best(rerun_runs)
    print(f"resume ({what}): {full.files} files; killed (SIGKILL) at 50% of the bytes, the re-run kept "
          f"{min(kept)}-{max(kept)} files (size and digest re-checked) and extracted the rest; best of {repeat}")
    table("", size, [("full durable extraction", full), ("re-run after the kill", rerun)], full, "full")
    return [(f"{what}: re-run after a kill at 50% <= 0.6x a full extraction", f"{rerun.seconds / full.seconds:.2f}x",
             rerun.seconds <= 0.6 * full.seconds)]


def bench_rss(rss_sizes: list[int], known: dict[int, int]) -> list[Goal]:
    rss = dict(known)
    out = WORK / "out"
    for size in rss_sizes:
        if size in rss:
            continue
        other, _ = make_media(WORK / "rss-set", size)
        rss[size] = run_extract(other.paths[0].parent, out).rss_bytes
        clear(out)
        clear(WORK / "rss-set")
    cells = "   ".join(f"{format_bytes(s)} media: {b / 1e6:.1f} MB" for s, b in sorted(rss.items()))
    print(f"rss: peak RSS of the durable extraction child: {cells}")
    print()
    peak = max(rss.values())
    goals = [("peak RSS < 100 MB", f"{peak / 1e6:.1f} MB", peak < 100e6)]
    if len(rss) > 1:
        spread = peak - min(rss.values())
        goals.append((f"RSS flat (+-10 MB) across {', '.join(format_bytes(s) for s in sorted(rss))}",
                      f"{spread / 1e6:+.1f} MB", spread <= 10e6))
    return goals


def bench_inno(size: int, repeat: int) -> list[Goal]:
    from inno_media import build

    folder = build(size)
    exe = folder / "MicrosoftAzureBackupServerInstaller.exe"
    parts = sorted(p for p in folder.iterdir() if p.name.startswith("MicrosoftAzure"))
    total = sum(p.stat().st_size for p in parts)
    bare, bare_sync, fast, durable = [], [], [], []
    out = WORK / "inno-out"
    for _ in range(repeat):
        clear(out)
        bare.append(timed(["innoextract", "-s", "-e", "-d", str(out), str(exe)]))
        clear(out)
        bare_sync.append(timed(["sh", "-c", f'innoextract -s -e -d "{out}" "{exe}" && sync']))
        fast.append(run_extract(folder, out, durable=False))
        durable.append(run_extract(folder, out, durable=True))
    clear(out)
    b, bs, f, d = best(bare), best(bare_sync), best(fast), best(durable)
    print(f"inno: Inno Setup 6.2.0 installer, {format_bytes(total)} in {len(parts)} parts ({parts[0].name} + "
          f"{len(parts) - 1} .bin), {d.files} files ({folder}); best of {repeat}")
    table("", total, [("innoextract -e (bare)", b), ("mabs-wizard extract (no fsync)", f),
                      ("innoextract -e && sync", bs), ("mabs-wizard extract (durable)", d)], b, "bare")
    return [
        ("inno (durable) <= 1.15x a bare innoextract -e", f"{d.seconds / b.seconds:.2f}x", d.seconds <= 1.15 * b.seconds),
        ("inno, like for like: no fsync vs innoextract -e", f"{f.seconds / b.seconds:.2f}x", f.seconds <= 1.15 * b.seconds),
        ("inno, like for like: durable vs innoextract -e && sync", f"{d.seconds / bs.seconds:.2f}x",
         d.seconds <= 1.15 * bs.seconds),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=parse_size, default=parse_size("1G"))
    parser.add_argument("--rss-sizes", default="1G,4G", help="payload sizes for the RSS check ('' to skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--inno-size", type=parse_size, default=parse_size("288M"))
    parser.add_argument("--only", default="zip,resume,rss,inno", help="sections to run (comma-separated)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--keep", action="store_true", help=f"keep {WORK.relative_to(ROOT)} afterwards")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    rss_sizes = [parse_size(s) for s in args.rss_sizes.split(",") if s.strip()] if "rss" in only else []
    for tool in ("cp", "unzip", "sync", "innoextract"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed for the baselines (make bench installs it)")
    if args.inno_size < 256 * 2**20 and "inno" in only:
        raise SystemExit("--inno-size: the goal is for installers of at least 256 MB")

    WORK.mkdir(parents=True, exist_ok=True)
    need = 3 * args.size + (2 * max(rss_sizes) if rss_sizes else 0)
    free = shutil.disk_usage(WORK).free
    if free < need:
        raise SystemExit(f"{WORK}: needs about {format_bytes(need)} free, has {format_bytes(free)}")
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the start; page cache warm for every contender")
    print()
    goals: list[Goal] = []
    try:
        rss: dict[int, int] = {}
        if "zip" in only:
            zip_goals, rss = bench_zip(args.size, args.repeat, rss_sizes)
            goals += zip_goals
        if "resume" in only:
            media = make_many_files_media(WORK / "resume-set", args.size)
            goals += bench_resume(media, args.size, args.repeat, f"spanned ZIP, {format_bytes(args.size)}")
            clear(media)
            if "inno" in only:
                from inno_media import build

                installer = build(args.inno_size)
                goals += bench_resume(installer, args.inno_size, args.repeat, "Inno Setup 6.2.0")
        if rss_sizes:
            goals += bench_rss(rss_sizes, rss)
        if "inno" in only:
            goals += bench_inno(args.inno_size, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    missed = 0
    for label, value, ok in goals:
        print(f"  goal: {label:56} {value:>10}  {'PASS' if ok else 'MISS'}")
        missed += not ok
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
