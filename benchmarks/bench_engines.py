"""Both engines on sma11-sized batches: runs/s, peak memory, and the speed ratio.

    python benchmarks/bench_engines.py [--sizes 1000 10000 100000] [--mesa-max 10000]
        [--scenarios sma11-off sma11 election_race sma11-3issue sma11-3issue-proportional]

Scenarios: a shipped config's name, or NAME-off for it with the two-level game switched off
(no [opinion], no [ratification], no elections, foresight 0: the model before those
mechanisms existed), or NAME-3issue for it with three issues negotiated: the first-year
amount, the term (1 to the stated term, at least 1-6 years) and the escalator number
(0-6 %, the stated rule; a budget-linked rule for a flat one), both sides choosing packages
by the trade-off (NAME-3issue-proportional: by the proportional rule).

Every measurement runs in a fresh subprocess (so one measurement's heap cannot inflate
another's): it loads ``configs/sma11.toml``, warms the engine up on a small batch, then
times ``simulate_batch`` on N runs (seeds 0..N-1, traces off; best of ``--repeats`` for
the fast engine). runs/s is given per second of wall-clock time and per second of the
process's CPU time; the second is less disturbed by other load on a shared machine.
Peak memory is the rise of the process's peak resident set size during the first timed
call (it counts numpy and Arrow buffers alike), shown next to the size of the outcome
table the call returns, which grows with N by nature; what the engine needs beyond its
result is flat in N because it runs in chunks. The Mesa engine is measured on the
smaller sizes only. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


def load(name: str):
    """A shipped scenario by name; ``NAME-off``: with the two-level game switched off."""
    from negotiation_sim.scenario import from_dict, load_scenario

    if "-3issue" in name:
        base, _, choice = name.partition("-3issue")
        stated = load_scenario(CONFIGS / f"{base}.toml")
        term = stated.term_years
        table = stated.resolved["new_agreement"]
        return load_scenario(CONFIGS / f"{base}.toml", {
            "new_agreement.term_years_range": [1, max(term, 6)],
            "new_agreement.escalator": "budget" if table["escalator"] == "none"
            else table["escalator"],
            "new_agreement.escalator_pct_range": [0.0, 6.0],
            "us.package_choice": choice.removeprefix("-") or "tradeoff",
            "rok.package_choice": choice.removeprefix("-") or "tradeoff"})
    base = name.removesuffix("-off")
    scenario = load_scenario(CONFIGS / f"{base}.toml")
    if base == name:
        return scenario
    raw = {k: v for k, v in scenario.resolved.items() if k not in ("opinion", "ratification")}
    raw["events"] = [e for e in raw["events"] if e["type"] != "election"]
    for side in ("us", "rok"):
        raw[side] = {**raw[side], "foresight": 0.0}
    return from_dict(raw, name)


def measure(engine: str, n: int, repeats: int, name: str = "sma11") -> dict[str, float | str]:
    """Time and memory of one engine on ``n`` runs of a scenario (run in a subprocess)."""
    import numpy as np

    from negotiation_sim.engine import simulate_batch

    scenario = load(name)
    seeds = np.arange(n, dtype=np.int64)
    simulate_batch(scenario, None, seeds[: min(n, 500)], engine=engine)  # warm-up
    before = _max_rss_mb()
    wall = cpu = float("inf")
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        table = simulate_batch(scenario, None, seeds, engine=engine)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        if i == 0:
            peak = _max_rss_mb() - before
            table_mb = table.memory_usage(index=True, deep=True).sum() / 2**20
        del table
    return {"scenario": name, "engine": engine, "runs": n, "seconds": wall,
            "runs_per_s": n / wall,
            "cpu_runs_per_s": n / cpu, "peak_mb": peak, "table_mb": table_mb}


def _max_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_subprocess(engine: str, n: int, repeats: int, name: str) -> dict[str, float | str]:
    cmd = [sys.executable, __file__, "--measure", engine, str(n), "--repeats", str(repeats),
           "--scenarios", name]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(r: dict, ratio: str) -> str:
    return (f"| {r['scenario']} | {r['runs']:,} | {r['engine']} | {r['seconds']:.3f} "
            f"| {r['runs_per_s']:,.0f} "
            f"| {r['cpu_runs_per_s']:,.0f} | {r['peak_mb']:.1f} | {r['table_mb']:.1f} "
            f"| {ratio} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--mesa-max", type=int, default=10_000,
                        help="largest batch also run on the Mesa engine (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="fast engine: best of R")
    parser.add_argument("--scenarios", nargs="+",
                        default=["sma11-off", "sma11", "election_race", "sma11-3issue",
                                 "sma11-3issue-proportional"],
                        help="shipped configs by name; NAME-off switches the two-level game "
                        "off; NAME-3issue negotiates amount, term and escalator")
    parser.add_argument("--measure", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        engine, n = args.measure[0], int(args.measure[1])
        print(json.dumps(measure(engine, n, args.repeats if engine == "fast" else 1,
                                 args.scenarios[0])))
        return 0

    import mesa
    import numpy

    print(f"traces off; Python {platform.python_version()}, Mesa {mesa.__version__}, "
          f"numpy {numpy.__version__}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    print()
    print("| scenario | runs | engine | seconds | runs/s | runs/s of CPU time | peak memory MB "
          "| outcome table MB | fast / mesa |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for name in args.scenarios:
        for n in args.sizes:
            fast = run_in_subprocess("fast", n, args.repeats, name)
            if n <= args.mesa_max:
                mesa_row = run_in_subprocess("mesa", n, 1, name)
                print(row(mesa_row, ""))
                print(row(fast, f"{fast['runs_per_s'] / mesa_row['runs_per_s']:.0f}x"),
                      flush=True)
            else:
                print(row(fast, ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
