"""Replay of the demo kit vs the import floor, measured side by side in the same run.

Floor: `python -c "import pydantic, ruamel.yaml, cryptography, keyring"` (issue 6's baseline).
Needed imports: what a replay cannot avoid importing: pydantic's BaseModel (the floor's `import
pydantic` is lazy and builds nothing), ruamel.yaml, defusedxml, keyring's Secret Service backend
(the floor's `import keyring` loads no backend), cryptography's x509 and PKCS#12 (the floor's
`import cryptography` loads no OpenSSL binding).
Replay's modules: the above plus the wizard's own modules and models, loaded but doing nothing.
Replay: `python -m mabs_wizard replay KIT --output OUT` on the 30 MB demo kit, including its media
extraction, the keyring round trips on a real Secret Service, and the deliberate KDF cost. Its CPU
time (user + sys) is shown beside the wall time: on a machine with N cores no schedule can finish
in less than CPU / N.
Goal (issue 6): replay median within 2x of the floor median.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 9
FLOOR = "import pydantic, ruamel.yaml, cryptography, keyring"
NEEDED = ("from pydantic import BaseModel; import ruamel.yaml, defusedxml.ElementTree; "
          "import keyring.backends.SecretService; from cryptography import x509; "
          "from cryptography.hazmat.primitives.serialization import pkcs12")
# Every module a replay of the demo kit loads (its models built), doing no work.
LOADED = ("import mabs_wizard.cli, mabs_wizard.commands.replay, mabs_wizard.replay, mabs_wizard.vault, "
          "mabs_wizard.passphrase, mabs_wizard.media.extraction, mabs_wizard.connectivity.check, "
          "mabs_wizard.secret_store.secret_service")


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one run."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime


def main() -> None:
    from mabs_wizard.demo import make_demo_kit
    from tests.keyring_service import applied_env, running_secret_service

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp, running_secret_service(Path(tmp) / "keyring") as env, applied_env(env):
        kit = make_demo_kit(Path(tmp) / "kit")
        out = Path(tmp) / "out"

        def clean() -> None:
            shutil.rmtree(kit.parent / "extracted", ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

        commands = {
            "floor: import pydantic, ruamel, crypto, keyring": [sys.executable, "-c", FLOOR],
            "imports a replay needs (no work)": [sys.executable, "-c", NEEDED],
            "replay's own modules loaded (no work)": [sys.executable, "-c", LOADED],
            "replay of the demo kit (30 MB media)": [sys.executable, "-m", "mabs_wizard", "replay", str(kit), "--output", str(out)],
        }
        rows: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
        # Interleaved, so the slow and fast spells of a shared VM fall on every command alike.
        for _ in range(RUNS):
            for name, cmd in commands.items():
                clean()
                wall, cpu = run_once(cmd)
                rows[name][0].append(wall)
                rows[name][1].append(cpu)
    floor = statistics.median(rows["floor: import pydantic, ruamel, crypto, keyring"][0])
    print(f"{'what':44} {'median':>8} {'min':>8} {'cpu':>8} {'/floor':>7}")
    for name, (walls, cpus) in rows.items():
        median = statistics.median(walls)
        print(f"{name:44} {median:8.3f} {min(walls):8.3f} {statistics.median(cpus):8.3f} {median / floor:6.2f}x")
    replay_wall, replay_cpu = (statistics.median(v) for v in rows["replay of the demo kit (30 MB media)"])
    cores = os.cpu_count() or 1
    print(f"ratio replay/floor: {replay_wall / floor:.2f}x (goal <= 2.0x); replay CPU {replay_cpu:.3f} s on {cores} "
          f"cores: no schedule below {replay_cpu / cores:.3f} s = {replay_cpu / cores / floor:.2f}x")


if __name__ == "__main__":
    main()
