"""Benchmark: native extraction of spanned media against `unzip -q` and `cp`, in the same run.

    .venv/bin/python bench/bench_media.py [SIZE] [--rss-sizes 1G,4G] [--repeat 3] [--strict] [--keep]

SIZE (default 1G) is the payload of the demo-style media (stored, random members, 8 parts). The
baselines work on the same bytes as ONE file (the parts concatenated): `cp` is the floor (the bytes
must be read and written once), `unzip -q` the tool one would otherwise use. Every extraction runs in
a child process that reports its own peak RSS (VmHWM); the RSS check repeats the durable extraction at
each of --rss-sizes to show memory stays flat as the media grows. Times are the best of --repeat
runs (the page cache is warm for every contender; `sync` between runs, untimed).

Goals (issue 5): throughput >= 4x unzip's, within 5x of cp's time, peak RSS < 100 MB and within
+-10 MB between 1 GiB and 4 GiB. --strict exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "media"
sys.path.insert(0, str(ROOT))

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
print(json.dumps({"seconds": seconds, "files": result.file_count, "bytes": result.bytes_extracted, "rss": hwm}))
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
    rss_bytes: int
    files: int


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 1G, 512M, 4GiB)")
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def sync() -> None:
    os.sync()


def clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    sync()


def child(code: str, *args: str) -> dict[str, float]:
    """Run a Python child; return the JSON line it prints."""
    done = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed with exit {done.returncode}")
    return json.loads(done.stdout)


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def run_extract(media: Path, out: Path, durable: bool) -> Run:
    clear(out)
    data = child(EXTRACT_CHILD, str(media), str(out), "durable" if durable else "fast")
    return Run(data["seconds"], int(data["rss"]), int(data["files"]))


def make_media(folder: Path, size: int) -> tuple[MediaSet, float]:
    clear(folder)
    started = time.perf_counter()
    media = make_demo_media(folder, total_bytes=size, seed=1)
    return media, time.perf_counter() - started


def concatenate(media: MediaSet, target: Path) -> None:
    with open(target, "wb") as out:
        for path in media.paths:
            with open(path, "rb") as part:
                shutil.copyfileobj(part, out, 4 * 2**20)


def rate(size: int, seconds: float) -> str:
    return f"{format_bytes(size / seconds)}/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=parse_size, default=parse_size("1G"))
    parser.add_argument("--rss-sizes", default="1G,4G", help="payload sizes for the RSS check ('' to skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--keep", action="store_true", help=f"keep {WORK.relative_to(ROOT)} afterwards")
    args = parser.parse_args()
    rss_sizes = [parse_size(s) for s in args.rss_sizes.split(",") if s.strip()]
    for tool in ("cp", "unzip", "sync"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed for the baselines (make bench installs unzip)")

    WORK.mkdir(parents=True, exist_ok=True)
    need = 3 * args.size + (2 * max(rss_sizes) if rss_sizes else 0)
    free = shutil.disk_usage(WORK).free
    if free < need:
        raise SystemExit(f"{WORK}: needs about {format_bytes(need)} free, has {format_bytes(free)}")

    try:
        media, generated = make_media(WORK / "set", args.size)
        whole = WORK / "whole.zip"
        concatenate(media, whole)
        sync()
        out = WORK / "out"
        cp_runs, fast_runs, durable_runs, cp_sync_runs = [], [], [], []
        for _ in range(args.repeat):  # interleaved, so background noise hits every contender alike
            clear(out)
            cp_runs.append(timed(["cp", str(whole), str(out)]))
            clear(out)
            cp_sync_runs.append(timed(["sh", "-c", f'cp "{whole}" "{out}" && sync']))
            fast_runs.append(run_extract(media.paths[0].parent, out, durable=False))
            durable_runs.append(run_extract(media.paths[0].parent, out, durable=True))
        clear(out)
        unzip_s = timed(["unzip", "-q", str(whole), "-d", str(out)])
        clear(out)
        zipfile_s = child(ZIPFILE_CHILD, str(whole), str(out))["seconds"]
        clear(out)

        cp_s = min(cp_runs)
        cp_sync_s = min(cp_sync_runs)
        fast = min(fast_runs, key=lambda r: r.seconds)
        durable = min(durable_runs, key=lambda r: r.seconds)

        rss: dict[int, int] = {}
        for size in rss_sizes:
            if size == args.size:
                rss[size] = max(r.rss_bytes for r in durable_runs)
                continue
            other, _ = make_media(WORK / "rss-set", size)
            rss[size] = run_extract(other.paths[0].parent, out, durable=True).rss_bytes
            clear(out)
            clear(WORK / "rss-set")
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)

    size = args.size
    print(f"media bench: {format_bytes(size)} payload, {fast.files} stored files, in {len(media.parts)} parts "
          f"({media.installer} + {len(media.parts) - 1} .bin); generated in {generated:.1f} s")
    print(f"best of {args.repeat} (unzip and zipfile: one run); page cache warm; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    print()
    rows = [
        ("cp whole.zip (floor)", cp_s),
        ("unzip -q whole.zip", unzip_s),
        ("python zipfile.extractall", zipfile_s),
        ("mabs-wizard extract (no fsync)", fast.seconds),
        ("cp whole.zip && sync", cp_sync_s),
        ("mabs-wizard extract (durable)", durable.seconds),
    ]
    print(f"  {'method':34} {'time':>8} {'throughput':>12} {'x unzip speed':>14} {'x cp time':>10}")
    for name, seconds in rows:
        print(f"  {name:34} {seconds:7.2f}s {rate(size, seconds):>12} {unzip_s / seconds:13.1f}x {seconds / cp_s:9.1f}x")
    print()
    if rss:
        cells = "   ".join(f"{format_bytes(s)} media: {b / 1e6:.1f} MB" for s, b in rss.items())
        print(f"  peak RSS of the extraction child: {cells}")
        print()

    speedup = unzip_s / fast.seconds
    cp_factor = fast.seconds / cp_s
    goals = [
        ("throughput >= 4x unzip's (no fsync, as unzip)", f"{speedup:.1f}x", speedup >= 4),
        ("within 5x of cp's time (no fsync, as cp)", f"{cp_factor:.1f}x", cp_factor <= 5),
    ]
    if rss:
        peak = max(rss.values())
        goals.append(("peak RSS < 100 MB", f"{peak / 1e6:.1f} MB", peak < 100e6))
        if len(rss) > 1:
            spread = max(rss.values()) - min(rss.values())
            goals.append((f"RSS flat (+-10 MB) across {', '.join(format_bytes(s) for s in rss)}",
                          f"{spread / 1e6:+.1f} MB", spread <= 10e6))
    missed = 0
    for label, value, ok in goals:
        print(f"  goal: {label:48} {value:>10}  {'PASS' if ok else 'MISS'}")
        missed += not ok
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
