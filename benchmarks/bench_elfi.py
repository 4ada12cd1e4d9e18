"""ELFI against pyabc on the shipped calibration problem: why the project uses pyabc.

    # ELFI 0.8.8 pins matplotlib 3.8 and pulls GPy: a throwaway environment
    python3 -m venv /tmp/elfi_venv && /tmp/elfi_venv/bin/pip install elfi -e .
    /tmp/elfi_venv/bin/python benchmarks/bench_elfi.py [--population 50] [--generations 3]

Runs the same problem both ways on this machine, in this process, and prints a table:
pyabc ABC-SMC through ``negotiation_sim.calibration.run_abc`` (one particle per engine
call, the project's seeded sampler) and ELFI's adaptive-quantile ABC-SMC
(``elfi.AdaptiveThresholdSMC`` when available, else ``elfi.SMC`` with 0.5 quantiles) with
a simulator that runs a whole batch of particles (``batch_size``) in one engine call per
cycle: every particle's replications are rows of one batch, with the same replication
seeds for every particle (common random numbers; the cycle effects and missing facts,
drawn from a batch's seeds, then differ from particle to particle, as they would not in
pyabc's per-particle runs). Both use the project's distance
(``calibration.abc.Distance``) on the cycles' timing and change. Reported: wall time, the
number of simulated particles, the final threshold and the posterior medians.
Not part of the test suite (ELFI is not a dependency).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def elfi_run(config, population: int, generations: int, seed: int):
    import elfi

    from negotiation_sim.calibration.abc import Distance, observed_stats, simulate_cycle, to_values
    from negotiation_sim.tuning.loss import common_seeds

    top = config.top_parameters  # the shared parameters (and the hierarchy's spread)
    names = [f"x{i}" for i in range(len(top))]
    seeds = common_seeds(config.seed, config.replications)
    keys = [f"{c.name}:{what}" for c in config.cycles for what in ("timing", "change")]
    r = config.replications
    calls = {"particles": 0}

    def simulator(*unit, batch_size=1, random_state=None):
        b = len(np.atleast_1d(unit[0]))
        calls["particles"] += b
        values = to_values(top, {n: np.repeat(np.atleast_1d(u), r)
                                 for n, u in zip(names, unit, strict=True)})
        out = np.empty((b, len(keys), r))
        for i, cycle in enumerate(config.cycles):
            metrics = simulate_cycle(cycle, config.parameters, values, np.tile(seeds, b),
                                     hierarchy=config.hierarchy)
            out[:, 2 * i] = metrics["gap_months"].to_numpy().reshape(b, r)
            out[:, 2 * i + 1] = metrics["change_pct"].to_numpy().reshape(b, r)
        return out

    distance = Distance(config)
    observed_record = observed_stats(config)

    def discrepancy(simulated, observed=None):
        return np.array([distance({k: row[j] for j, k in enumerate(keys)}, observed_record)
                         for row in simulated])

    model = elfi.ElfiModel()
    priors = [elfi.Prior("uniform", 0, 1, model=model, name=n) for n in names]
    dummy = np.zeros((1, len(keys), r))
    sim = elfi.Simulator(simulator, *priors, observed=dummy, name="sim", model=model)
    d = elfi.Discrepancy(discrepancy, sim, name="d", model=model)
    start = time.perf_counter()
    smc = elfi.SMC(d, batch_size=population, seed=seed)
    result = smc.sample(population, quantiles=[1.0] + [0.5] * (generations - 1))
    seconds = time.perf_counter() - start
    samples = {n: result.samples[n] for n in names}
    medians = {p.name: float(np.median(p.from_unit(np.asarray(samples[n]))))
               for n, p in zip(names, top, strict=True)}
    return seconds, calls["particles"], float(result.threshold), medians


def pyabc_run(config, population: int, generations: int, seed: int):
    from negotiation_sim.calibration.abc import run_abc
    from negotiation_sim.calibration.report import weighted_quantiles

    config = replace(config, population=population, generations=generations)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = run_abc(config, Path(folder), seed=seed)
        seconds = time.perf_counter() - start
    gens = result.generations
    medians = {p.name: float(weighted_quantiles(result.samples[p.name].to_numpy(),
                                                result.weights, [0.5])[0])
               for p in config.top_parameters}
    return seconds, int(gens["samples"].sum()), float(gens["epsilon"].iloc[-1]), medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs/calibrate_history.toml"))
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    from negotiation_sim.calibration.config import load_calibrate_config

    config = load_calibrate_config(args.config)
    rows = [("pyabc", *pyabc_run(config, args.population, args.generations, args.seed)),
            ("ELFI", *elfi_run(config, args.population, args.generations, args.seed))]
    names = [p.name for p in config.top_parameters]
    print(f"{args.config}: {len(config.cycles)} cycles, {config.replications} replications, "
          f"population {args.population}, {args.generations} generations")
    print("| method | seconds | particles simulated | final threshold | "
          + " | ".join(f"median {n}" for n in names) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(names))
    for method, seconds, particles, threshold, medians in rows:
        print(f"| {method} | {seconds:.1f} | {particles:,} | {threshold:.3g} | "
              + " | ".join(f"{medians[n]:.3g}" for n in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
