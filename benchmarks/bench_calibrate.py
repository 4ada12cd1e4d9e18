"""Wall time of the shipped calibration on all recorded cycles (target: under 5 minutes).

    PYTHONPATH=. python benchmarks/bench_calibrate.py [--workers N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from negotiation_sim.calibration.abc import run_abc
from negotiation_sim.calibration.config import load_calibrate_config

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "calibrate_history.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    config = load_calibrate_config(CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_abc(config, Path(tmp), workers=args.workers)
        seconds = time.perf_counter() - start
    sims = int(result.generations["samples"].sum())
    print(f"{len(config.cycles)} cycles, {len(result.generations)} generations, {sims} particles "
          f"simulated ({sims * config.replications * len(config.cycles):,} runs), final epsilon "
          f"{result.generations['epsilon'].iloc[-1]:.3g}: {seconds:.1f} s "
          f"({'under' if seconds < 300 else 'OVER'} the 5-minute target)")


if __name__ == "__main__":
    main()
