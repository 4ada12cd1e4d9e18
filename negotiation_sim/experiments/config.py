"""What to run: a sweep config file (a scenario plus a ``[sweep]`` table), validated.

A sweep config is a scenario file with a ``[sweep]`` table, or a ``[sweep]`` table that
points at a scenario file (``scenario = "sma11.toml"``, relative to the config)::

    [sweep]
    name = "sweep_sma11"      # results go to results/<name>/ by default
    scenario = "sma11.toml"
    replications = 20         # runs per design point, each with its own seed
    seed = 2019               # base seed: run i gets draws.run_seeds(seed, [i])
    sampler = "grid"          # grid | random | lhs | sobol
    # n = 64                  # random/lhs: points; sobol: base samples (a power of 2)
    # chunk_size = 500        # runs per unit of work, whatever the worker count
                              # (default: 500 with the mesa engine, 5000 with faster ones)

    [sweep.parameters]
    "us.opening" = [4600.0, 5750.0]                       # explicit values
    "rok.bottom_line" = { low = 1150, high = 1250, step = 25 }   # a range (inclusive)
    "us.tactic.beta" = { low = 0.2, high = 2.0, n = 5, log = true }  # n values
    # with random/lhs/sobol: { low = 0.2, high = 2.0 } (+ log = true, integer = true)

Every problem is reported like a scenario problem: ``FILE: KEY: message; allowed: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..configfile import TopTable, read_toml
from ..errors import ScenarioError
from ..parameters import Parameter, parse_parameters, sweep_rules
from ..scenario import Scenario, from_dict, load_scenario
from . import samplers

# Runs per chunk when the config does not say: enough that per-chunk costs (messages,
# a part file) stay small next to the simulation; one chunk per engine call.
DEFAULT_CHUNK_SIZE = {"mesa": 500}
FAST_CHUNK_SIZE = 5000  # engines not listed above (vectorized: ~100x faster per run)
SWEEP_KEYS = ("name", "scenario", "replications", "seed", "sampler", "n", "second_order",
              "chunk_size", "parameters")
# Problems that mean a key path does not exist (as opposed to a bad value for a run).
_PATH_PROBLEMS = ("unknown", "no such item", "is not a table", "cannot replace")


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: the scenario, the parameters, the sampler and the seeds."""

    name: str
    source: str
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    sampler: str = "grid"
    n: int | None = None
    replications: int = 1
    seed: int = 0
    second_order: bool = True
    chunk_size: int | None = None  # None: the engine's default (``chunk_size_for``)
    resolved: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def n_points(self) -> int:
        return samplers.n_points(self.sampler, self.parameters, self.n, self.second_order)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    @property
    def parameter_paths(self) -> list[str]:
        return [p.name for p in self.parameters]

    def chunk_size_for(self, engine: str) -> int:
        """Runs per chunk: the config's, else the engine's default."""
        return self.chunk_size or DEFAULT_CHUNK_SIZE.get(engine, FAST_CHUNK_SIZE)

    def design(self) -> pd.DataFrame:
        """The design points (one row per point)."""
        return samplers.design(self.sampler, self.parameters, self.n,
                               samplers.sweep_rng(self.seed), self.second_order)


def load_sweep(path: str | Path) -> SweepConfig:
    """Read and validate a sweep config file; raise ``ScenarioError`` on bad input."""
    return sweep_from_dict(read_toml(path), str(path), base_dir=Path(path).parent)


def sweep_from_dict(raw: dict[str, Any], source: str = "<sweep>",
                    base_dir: Path | None = None) -> SweepConfig:
    """Validate a parsed sweep config (``[sweep]`` table plus scenario)."""
    top = TopTable(raw, "sweep", SWEEP_KEYS, source)
    table, problem = top.table, top.problem
    name = top.name()
    sampler = table.get("sampler", "grid")
    if sampler not in samplers.SAMPLERS:
        problem("sampler", f"{sampler!r} is not allowed; allowed: {', '.join(samplers.SAMPLERS)}")
    replications = top.integer("replications", 1, 1, 10**7)
    seed = top.integer("seed", 0, 0, 2**63 - 1)
    chunk_size = top.integer("chunk_size", None, 1, 10**7)
    n = top.integer("n", None, 1, 10**8)
    second_order = table.get("second_order", True)
    if not isinstance(second_order, bool):
        problem("second_order", f"{second_order!r} is not allowed; allowed: true, false")
    if sampler in ("random", "lhs", "sobol") and n is None and "n" not in table:
        problem("n", f"missing; allowed: an integer >= 1 (points for {sampler})")
    if sampler == "sobol" and n is not None and n & (n - 1):
        problem("n", f"{n} is not a power of 2; allowed: 1, 2, 4, 8, ... (Sobol' base samples)")
    if sampler == "grid" and "n" in table:
        problem("n", "is not used by the grid sampler; allowed: n with random, lhs, sobol")

    params = parse_parameters(table.get("parameters"), sweep_rules(sampler), lambda k, m: problem(
        f"parameters{'.' + k if k else ''}", m))
    scenario = _scenario(raw, table, source, base_dir, problem)
    if not top.problems and sampler in samplers.SAMPLERS:
        too_big = samplers.size_problem(
            samplers.n_points(sampler, params, n, bool(second_order)), replications or 1)
        if too_big:
            problem("parameters", too_big)
    top.raise_if_any()
    assert scenario is not None
    _check_paths(scenario, params, source)
    resolved_sweep = {
        "name": name, "sampler": sampler, "n": n, "replications": replications, "seed": seed,
        "second_order": second_order, "chunk_size": chunk_size,
        "scenario": table.get("scenario"),
        "parameters": {p.name: p.describe() for p in params},
    }
    return SweepConfig(
        name=name, source=source, scenario=scenario, parameters=tuple(params), sampler=sampler,
        n=n, replications=replications, seed=seed, second_order=second_order,
        chunk_size=chunk_size,
        resolved={"sweep": resolved_sweep, "scenario": scenario.resolved},
    )


def _scenario(raw: dict[str, Any], table: dict[str, Any], source: str, base_dir: Path | None,
              problem: Any) -> Scenario | None:
    ref = table.get("scenario")
    rest = {k: v for k, v in raw.items() if k != "sweep"}
    if ref is not None:
        if not isinstance(ref, str):
            problem("scenario", f"{ref!r} is not a path; allowed: a scenario file path "
                    "relative to this config")
            return None
        if rest:
            problem("scenario", "given, but this file also has scenario sections ("
                    f"{', '.join(rest)}); allowed: one or the other")
            return None
        return load_scenario((base_dir or Path(".")) / ref)
    if not rest:
        problem("scenario", "missing; allowed: scenario = \"file.toml\" in [sweep], or the "
                "scenario's own sections in this file")
        return None
    return from_dict(rest, source)


def _check_paths(scenario: Scenario, params: list[Parameter], source: str) -> None:
    """Reject parameter paths that are not scenario keys (bad values fail per run)."""
    problems = []
    for p in params:
        value = p.values[0] if p.values is not None else p.low
        try:
            scenario.with_overrides({p.name: value})
        except ScenarioError as exc:
            for key, message in exc.problems:
                if message.startswith(_PATH_PROBLEMS):
                    problems.append((f"sweep.parameters.{p.name}",
                                     f"not a scenario key ({key}: {message})"))
                    break
    if problems:
        raise ScenarioError(problems, source)
