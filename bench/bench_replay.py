"""Replay of the demo kit vs the import floor, measured side by side in the same run.

Floor: `python -c "import pydantic, ruamel.yaml, cryptography, keyring"` (what any replay must load).
Replay: `python -m mabs_wizard replay KIT --output OUT` on the 30 MB demo kit, including its media
extraction, the keyring round trips on a real Secret Service, and the deliberate KDF cost.
Goal (issue 6): replay median within 2x of the floor median.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 7


def timed(cmd: list[str], before=None) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(RUNS):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    from mabs_wizard.demo import make_demo_kit
    from tests.keyring_service import applied_env, running_secret_service

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp, running_secret_service(Path(tmp) / "keyring") as env, applied_env(env):
        kit = make_demo_kit(Path(tmp) / "kit")
        out = Path(tmp) / "out"

        def clean() -> None:
            shutil.rmtree(kit.parent / "extracted", ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

        floor = timed([sys.executable, "-c", "import pydantic, ruamel.yaml, cryptography, keyring"])
        replay = timed([sys.executable, "-m", "mabs_wizard", "replay", str(kit), "--output", str(out)], before=clean)
    f, r = statistics.median(floor), statistics.median(replay)
    print(f"{'what':44} {'median':>8} {'min':>8}")
    print(f"{'floor: import pydantic, ruamel, crypto, keyring':44} {f:8.3f} {min(floor):8.3f}")
    print(f"{'replay of the demo kit (30 MB media)':44} {r:8.3f} {min(replay):8.3f}")
    print(f"ratio replay/floor: {r / f:.2f}x (goal <= 2.0x)")


if __name__ == "__main__":
    main()
