"""ABC-SMC over the recorded cycles with pyabc, on the fast engine.

* **Parameter space.** pyabc works on the unit cube: parameter ``x<i>`` is uniform on
  [0, 1] a priori and ``Parameter.from_unit`` maps it to the config's prior (uniform on
  ``[low, high]``, log-uniform with ``log``), so the prior is exactly the config's.
* **Simulator.** One particle runs every cycle ``replications`` times in one engine batch,
  with the same run seeds for every particle (common random numbers); the cycle's missing
  facts are drawn from their priors with a generator seeded by those seeds, so they are
  common to all particles too. The simulator is therefore deterministic per particle.
* **Hierarchy.** With ``[calibrate.hierarchy]`` the named parameters take, in every run,
  the shared mean plus the spread times a per-cycle standard normal drawn from the run
  seeds (``hierarchy.py``): each cycle's runs integrate over the cycle-level variation.
* **Distance.** The confidence-weighted mean, over cycles, of a per-cycle score of the
  runs against the record, in scaled units ``timing / s_t`` and ``change / s_c`` (timing in
  gap months, negative before expiry; a run without agreement keeps the change at 0); a
  cycle whose agreement month the record lacks (observed timing NaN) adds its change term
  only. ``distance = "mae"``: the runs' mean absolute error ``|timing - G| / s_t +
  |change - X| / s_c``; epsilon 1 = one timing scale (3 months) or one change scale (2
  points) off on average. It can only grow with the runs' spread, so it would drive a
  hierarchy's spread to 0. ``distance = "crps"``: the continuous ranked probability score
  of the runs' empirical distribution, ``mean|x - y| - mean|x_i - x_j| / 2`` per outcome,
  a proper scoring rule: lowest, over cycles, for a predictive as wide as the record's
  scatter, so a spread is rewarded only as far as the cycles differ.
* **Seeds and resume.** Every evaluation seeds numpy's global generator (pyabc's only
  hook) from (seed, generation, evaluation index), and a generation keeps the first
  ``population`` accepted evaluations in index order (``sampler.IndexOrderSampler``): the
  posterior depends on the seed alone, not on ``--workers`` or ``--scheduler``. The SQLite
  history is written after every generation, so a killed run loses at most the generation
  in progress and the same command continues from the last stored one, to the same
  posterior as an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import simulate_batch
from ..errors import UsageError
from ..parameters import Parameter, cycle_overrides
from ..tuning.loss import common_seeds, simulated_metrics
from .config import CalCycle, CalibrateConfig
from .hierarchy import Hierarchy, apply_effects, cycle_effects

RUN_FILE = "abc_run.json"


def unit_names(parameters: tuple[Parameter, ...]) -> list[str]:
    return [f"x{i}" for i in range(len(parameters))]


def to_values(parameters: tuple[Parameter, ...], unit: dict[str, Any]) -> dict[str, Any]:
    """Unit-cube coordinates (scalars or arrays) to parameter values by each prior."""
    return {p.name: p.from_unit(np.asarray(unit[f"x{i}"], dtype=np.float64))
            for i, p in enumerate(parameters)}


def missing_draws(cycle: CalCycle, seeds: np.ndarray) -> dict[str, np.ndarray]:
    """One draw of each missing fact per run, from its prior, seeded by the run seeds."""
    if not cycle.missing:
        return {}
    rng = np.random.default_rng(np.random.SeedSequence([int(s) for s in seeds[:4]]
                                                       + [len(seeds), 7]))
    return {p.name: p.from_unit(rng.random(len(seeds))) for p in cycle.missing}


def simulate_cycle(cycle: CalCycle, parameters: tuple[Parameter, ...],
                   values: dict[str, Any], seeds: np.ndarray,
                   engine: str = "fast", hierarchy: Hierarchy | None = None) -> pd.DataFrame:
    """Per-run timing and change of one cycle; ``values`` scalars or one per run.

    With a ``hierarchy`` (and its spread in ``values``) the named parameters vary by run
    around their shared value (``hierarchy.apply_effects``).
    """
    n = len(seeds)
    if hierarchy is not None:
        values = apply_effects(hierarchy, values, cycle_effects(seeds, cycle.name))
    values = {k: v for k, v in values.items() if any(p.name == k for p in parameters)}
    per_run = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()
               for k, v in values.items()}
    per_run.update(missing_draws(cycle, seeds))
    scenario = cycle.cycle.scenario
    overrides = cycle_overrides(scenario, tuple(parameters) + cycle.missing, per_run)
    frame = pd.DataFrame({k: np.broadcast_to(v, (n,)) for k, v in overrides.items()})
    return simulated_metrics(simulate_batch(scenario, frame, seeds, engine=engine))


@dataclass
class Simulator:
    """pyabc's model: a unit-cube particle to each cycle's simulated timing and change."""

    config: CalibrateConfig

    def __call__(self, particle: dict[str, float]) -> dict[str, np.ndarray]:
        seeds = common_seeds(self.config.seed, self.config.replications)
        values = to_values(self.config.top_parameters, dict(particle))
        out = {}
        for cycle in self.config.cycles:
            metrics = simulate_cycle(cycle, self.config.parameters, values, seeds,
                                     hierarchy=self.config.hierarchy)
            out[f"{cycle.name}:timing"] = metrics["gap_months"].to_numpy()
            out[f"{cycle.name}:change"] = metrics["change_pct"].to_numpy()
        return out


@dataclass
class Distance:
    """Confidence-weighted mean absolute scaled error (see the module docstring)."""

    config: CalibrateConfig

    def __call__(self, x: dict[str, Any], x0: dict[str, Any]) -> float:
        total, weights = 0.0, 0.0
        for cycle in self.config.cycles:
            change = np.asarray(x[f"{cycle.name}:change"])
            timing = np.asarray(x[f"{cycle.name}:timing"])
            obs_change, obs_timing = x0[f"{cycle.name}:change"], x0[f"{cycle.name}:timing"]
            timed = np.isfinite(obs_timing)  # NaN: the record lacks the month
            if self.config.distance == "crps":
                err = crps(change / self.config.change_scale,
                           obs_change / self.config.change_scale)
                if timed:
                    err += crps(timing / self.config.timing_scale,
                                obs_timing / self.config.timing_scale)
            else:
                runs = np.abs(change - obs_change) / self.config.change_scale
                if timed:
                    runs = runs + np.abs(timing - obs_timing) / self.config.timing_scale
                err = float(np.mean(runs))
            total += cycle.weight * err
            weights += cycle.weight
        return total / weights


def crps(x: np.ndarray, y: float) -> float:
    """CRPS of the runs' empirical distribution at ``y``: ``E|X - y| - E|X - X'| / 2``.

    ``sum_ij |x_i - x_j| = 2 sum_k (2k - n - 1) x_(k)`` over the sorted runs (k = 1..n);
    the score is 0 only when every run equals ``y``.
    """
    s = np.sort(np.asarray(x, dtype=np.float64))
    n = len(s)
    pairs = 2.0 * float(np.sum((2.0 * np.arange(1, n + 1) - n - 1) * s)) / (n * n)
    return float(np.mean(np.abs(s - y))) - 0.5 * pairs


def observed_stats(config: CalibrateConfig) -> dict[str, float]:
    out = {}
    for cycle in config.cycles:
        out[f"{cycle.name}:timing"] = float(cycle.cycle.observed["gap_months"])
        out[f"{cycle.name}:change"] = float(cycle.cycle.observed["change_pct"])
    return out


def make_sampler(seed: int, workers: int, scheduler: str | None) -> Any:
    """The index-order sampler on this process, a local process pool or a Dask cluster."""
    from .sampler import IndexOrderSampler

    return IndexOrderSampler(seed, workers=workers, scheduler=scheduler)


@dataclass(frozen=True)
class AbcResult:
    """The last generation's particles (parameter values and normalised weights)."""

    samples: pd.DataFrame  # one column per parameter, natural units
    weights: np.ndarray
    generations: pd.DataFrame  # t, epsilon, samples, particles, acceptance
    seconds: float


def run_abc(config: CalibrateConfig, out: Path, seed: int | None = None, workers: int = 1,
            scheduler: str | None = None, generations: int | None = None,
            log: Callable[[str], None] | None = None,
            epsilon: float | None = None) -> AbcResult:
    """Run (or continue) ABC-SMC with its SQLite history in ``out/abc.db``.

    ``epsilon`` fixes the acceptance threshold of every generation instead of pyabc's
    median of the previous generation's distances; ``math.inf`` accepts every particle,
    so one generation is a sample of the prior (a check of the machinery).
    """
    import pyabc

    seed = config.seed if seed is None else seed
    out.mkdir(parents=True, exist_ok=True)
    db_path = (out / "abc.db").resolve()
    db = f"sqlite:///{db_path}"
    run_file = out / RUN_FILE
    fingerprint = f"{config.fingerprint()}-{seed}"
    if epsilon is not None:
        fingerprint += f"-epsilon{epsilon}"
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", 0.0, 1.0)
                                  for n in unit_names(config.top_parameters)})
    abc = pyabc.ABCSMC(Simulator(config), prior, Distance(config),
                       population_size=config.population,
                       eps=None if epsilon is None else pyabc.ConstantEpsilon(epsilon),
                       sampler=make_sampler(seed, workers, scheduler))
    done = 0
    if run_file.exists() and db_path.exists():
        stored = json.loads(run_file.read_text())
        if stored.get("fingerprint") != fingerprint:
            raise UsageError(f"--out {out}: holds a calibration made with another config or "
                             "seed; allowed: the same config and --seed, or a new --out")
        history = abc.load(db, stored["run_id"])
        done = history.max_t + 1
    else:
        for stale in (db_path, run_file):
            stale.unlink(missing_ok=True)
        history = abc.new(db, observed_stats(config))
        run_file.write_text(json.dumps({"fingerprint": fingerprint, "run_id": history.id}))
    remaining = (config.generations if generations is None else generations) - done
    start = time.perf_counter()
    sampler = abc.sampler
    sampler.progress, sampler.generations, sampler.first = log, done + remaining, done
    sampler._started = start
    if remaining > 0:
        if log:
            log(f"calibrate: resuming {db_path}: {done} generation(s) stored, {remaining} "
                f"more of {config.population} particles" if done else
                f"calibrate: {remaining} generation(s) of {config.population} particles")
        history = abc.run(max_nr_populations=remaining,
                          min_acceptance_rate=config.min_acceptance,
                          max_walltime=None if config.max_seconds is None
                          else timedelta(seconds=config.max_seconds))
    return read_result(config, history, time.perf_counter() - start)


def read_result(config: CalibrateConfig, history: Any, seconds: float = 0.0) -> AbcResult:
    unit, weights = history.get_distribution(m=0, t=history.max_t)
    values = to_values(config.top_parameters, {c: unit[c].to_numpy() for c in unit.columns})
    samples = pd.DataFrame({k: np.asarray(v, dtype=np.float64) for k, v in values.items()})
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    nr = history.get_nr_particles_per_population()
    pops["particles"] = [int(nr.get(t, 0)) for t in pops["t"]]
    pops["acceptance"] = pops["particles"] / pops["samples"].where(pops["samples"] > 0, 1)
    gens = pops[["t", "epsilon", "samples", "particles", "acceptance"]]
    return AbcResult(samples, np.asarray(weights, dtype=np.float64) / np.sum(weights),
                     gens, seconds)


def setup_progress() -> None:
    """pyabc's own progress lines (generation, epsilon, acceptance, timing) on stderr."""
    logging.getLogger("ABC").setLevel(logging.INFO)
