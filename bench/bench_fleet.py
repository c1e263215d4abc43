"""fleet validate of 200 hosts vs its baseline, and its memory at 20 and 200 hosts, in the same run.

Baseline (issue 14): `ansible-inventory -i INV --list` of the same 200-host inventory plus one
single-host `mabs-wizard validate` of the template: what the fleet cannot avoid (Ansible reading the
inventory) and what one host costs on its own. Goal: fleet validate's median <= 1.5x the baseline's.

Memory: the peak RSS of the fleet validate process itself (ru_maxrss of RUSAGE_SELF, in KiB on Linux;
ansible-inventory is a separate process and not counted), for an inventory of 20 and of 200 hosts.
Goal: within 20 MB of each other (flat in the number of hosts).

Each host has its own facts file and overrides (its facts file and SQL instance), as a real fleet does.
Runs are interleaved (a shared VM has slow spells).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 5
BIN = Path(sys.executable).parent
MEASURE = """
import resource, sys
from mabs_wizard.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as fh:
    fh.write(f"{code} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""


def make_fleet(kit: Path, hosts: int) -> Path:
    base = json.loads((kit / "facts" / "MABS01.json").read_text())
    lines = ["# bench fleet", "mabs_servers:", "  hosts:"]
    for i in range(1, hosts + 1):
        name = f"MABS{i:03d}"
        facts = kit / "facts" / f"{name}.json"
        if not facts.exists():
            facts.write_text(json.dumps({**base, "computer_name": name}, indent=2))
        lines += [f"    mabs{i:03d}:", f"      ansible_host: 10.1.{i // 250}.{i % 250}", "      mabs_wizard:",
                  "        prerequisites:", f"          facts_file: facts/{name}.json", "        sql:", f"          instance: DB{i:03d}"]
    inventory = kit / f"inventory-{hosts}.yml"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def peak_kib(template: Path, inventory: Path, tmp: Path) -> int:
    report = tmp / "rss.txt"
    subprocess.run([sys.executable, "-c", MEASURE, str(report), "fleet", "validate", str(template), "-i", str(inventory)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    code, kib = report.read_text().split()
    assert code in ("0", "None"), f"fleet validate failed (exit {code})"
    return int(kib)


def main() -> None:
    from mabs_wizard.demo import make_demo_kit

    with tempfile.TemporaryDirectory(prefix="mw-bench-fleet-") as tmp_name:
        tmp = Path(tmp_name)
        template = make_demo_kit(tmp / "kit", media_bytes=2 * 2**20)
        inv200, inv20 = make_fleet(template.parent, 200), make_fleet(template.parent, 20)
        wizard = [sys.executable, "-m", "mabs_wizard"]
        inventory_cmd = [str(BIN / "ansible-inventory"), "-i", str(inv200), "--list"]
        single_cmd = [*wizard, "validate", str(template)]
        fleet_cmd = [*wizard, "fleet", "validate", str(template), "-i", str(inv200)]
        for cmd in (inventory_cmd, single_cmd, fleet_cmd):  # warm the caches once, and fail early
            wall(cmd)
        samples: dict[str, list[float]] = {"inventory": [], "single": [], "fleet": []}
        memory: dict[int, list[int]] = {20: [], 200: []}
        for _ in range(RUNS):
            samples["inventory"].append(wall(inventory_cmd))
            samples["single"].append(wall(single_cmd))
            samples["fleet"].append(wall(fleet_cmd))
            memory[20].append(peak_kib(template, inv20, tmp))
            memory[200].append(peak_kib(template, inv200, tmp))

    med = {k: statistics.median(v) for k, v in samples.items()}
    baseline = med["inventory"] + med["single"]
    ratio = med["fleet"] / baseline
    print(f"ansible-inventory --list, 200 hosts    {med['inventory'] * 1000:7.0f} ms")
    print(f"mabs-wizard validate, 1 host           {med['single'] * 1000:7.0f} ms")
    print(f"baseline (sum)                         {baseline * 1000:7.0f} ms")
    print(f"mabs-wizard fleet validate, 200 hosts  {med['fleet'] * 1000:7.0f} ms  = {ratio:.2f}x baseline (goal <= 1.5x)")
    peak20, peak200 = (statistics.median(memory[n]) / 1024 for n in (20, 200))
    print(f"fleet validate peak RSS, 20 hosts      {peak20:7.1f} MiB")
    print(f"fleet validate peak RSS, 200 hosts     {peak200:7.1f} MiB  (+{peak200 - peak20:.1f} MiB; goal within 20 MB)")
    if ratio > 1.5 or (peak200 - peak20) * 2**20 > 20e6:
        print("GOAL MISSED")
        sys.exit(1)


if __name__ == "__main__":
    main()
