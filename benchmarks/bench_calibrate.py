"""Wall time and peak memory of the shipped calibration on all its cycles, and a repeat.

    PYTHONPATH=. python benchmarks/bench_calibrate.py [--config FILE] [--workers N]

Runs the whole command ``negotiation-sim calibrate configs/calibrate_history.toml`` (main
posterior, second-seed check, posterior predictive, report and figures) in a child process,
timed, with its peak resident memory; then the same command again with the same seed
(``--no-seed-check``: the main posterior only) and checks that both posteriors are equal
bit for bit. Target (issue 14): the whole command under 5 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibrate_history.toml"
TARGET_SECONDS = 300.0


def timed_calibrate(config: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Run ``calibrate`` in a child process: (wall seconds, peak RSS in MiB of that child)."""
    cmd = [sys.executable, "-m", "negotiation_sim", "calibrate", str(config), "--out",
           str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    pid = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    _, stderr = pid.communicate()
    seconds = time.perf_counter() - start
    if pid.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({pid.returncode}):\n{stderr[-2000:]}")
    # The largest child waited for so far: the first call measures this child alone.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib / 1024.0


def same_posterior(a: Path, b: Path) -> bool:
    import pandas as pd

    left = pd.read_parquet(a / "posterior.parquet")
    right = pd.read_parquet(b / "posterior.parquet")
    return left.shape == right.shape and bool((left.to_numpy() == right.to_numpy()).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    raw = tomllib.loads(args.config.read_text(encoding="utf-8"))["calibrate"]
    cycles = [c["name"] for c in raw["cycles"]]
    workers = ["--workers", str(args.workers)] if args.workers > 1 else []
    with tempfile.TemporaryDirectory() as tmp:
        whole, peak = timed_calibrate(args.config, Path(tmp) / "a", workers)
        repeat, _ = timed_calibrate(args.config, Path(tmp) / "b", ["--no-seed-check", *workers])
        equal = same_posterior(Path(tmp) / "a", Path(tmp) / "b")
        generations = (Path(tmp) / "a" / "generations.csv").read_text().count("\n") - 1
    print(f"bench_calibrate {datetime.date.today()}, {os.cpu_count()} cores, "
          f"{args.config.name}: {len(cycles)} cycles ({', '.join(cycles)}), seed "
          f"{raw['seed']}, population {raw['population']}, {generations} generations")
    print(f"{'measure':<44} {'value':>12}")
    print(f"{'whole calibrate command (s)':<44} {whole:>12.1f}")
    print(f"{'peak memory of the command (MiB)':<44} {peak:>12.0f}")
    print(f"{'repeat, main posterior only (s)':<44} {repeat:>12.1f}")
    print(f"{'same seed, same posterior':<44} {'yes' if equal else 'NO':>12}")
    print(f"{'under the 5-minute target':<44} {'yes' if whole < TARGET_SECONDS else 'NO':>12}")
    if not equal:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
