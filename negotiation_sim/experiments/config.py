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

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..configfile import TopTable, read_toml
from ..errors import ScenarioError
from ..scenario import Scenario, from_dict, load_scenario
from . import samplers
from .samplers import Parameter

# Runs per chunk when the config does not say: enough that per-chunk costs (messages,
# a part file) stay small next to the simulation; one chunk per engine call.
DEFAULT_CHUNK_SIZE = {"mesa": 500}
FAST_CHUNK_SIZE = 5000  # engines not listed above (vectorized: ~100x faster per run)
SPEC_KEYS = ("values", "low", "high", "step", "n", "log", "integer")
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
        return [p.path for p in self.parameters]

    def chunk_size_for(self, engine: str) -> int:
        """Runs per chunk: the config's, else the engine's default."""
        return self.chunk_size or DEFAULT_CHUNK_SIZE.get(engine, FAST_CHUNK_SIZE)

    def design(self) -> pd.DataFrame:
        """The design points (one row per point)."""
        return samplers.design(self.sampler, self.parameters, self.n, self.seed,
                               self.second_order)


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

    params = _parameters(table.get("parameters"), sampler, problem)
    scenario = _scenario(raw, table, source, base_dir, problem)
    top.raise_if_any()
    assert scenario is not None
    _check_paths(scenario, params, source)
    resolved_sweep = {
        "name": name, "sampler": sampler, "n": n, "replications": replications, "seed": seed,
        "second_order": second_order, "chunk_size": chunk_size,
        "scenario": table.get("scenario"),
        "parameters": {p.path: p.describe() for p in params},
    }
    return SweepConfig(
        name=name, source=source, scenario=scenario, parameters=tuple(params), sampler=sampler,
        n=n, replications=replications, seed=seed, second_order=second_order,
        chunk_size=chunk_size,
        resolved={"sweep": resolved_sweep, "scenario": scenario.resolved},
    )


def _flatten(node: Any, prefix: str) -> list[tuple[str, Any]]:
    """Dotted paths of parameter specs; nested tables (us.opening unquoted) are walked."""
    if isinstance(node, dict) and node and not (set(node) & set(SPEC_KEYS)):
        out: list[tuple[str, Any]] = []
        for key, value in node.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, node)]


def _parameters(raw: Any, sampler: str, problem: Any) -> list[Parameter]:
    if not isinstance(raw, dict) or not raw:
        problem("parameters", "missing or empty; allowed: a [sweep.parameters] table of "
                "\"dotted.key\" = [values] or { low, high[, step | n][, log][, integer] }")
        return []
    params = []
    for path, spec in _flatten(raw, ""):
        param = _parameter(path, spec, sampler, lambda msg, p=path: problem(
            f"parameters.{p}", msg))
        if param is not None:
            params.append(param)
    return params


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parameter(path: str, spec: Any, sampler: str, problem: Any) -> Parameter | None:
    allowed = ("allowed: a list of values, { low, high, step }, { low, high, n }"
               + (", or { low, high } bounds" if sampler != "grid" else ""))
    if isinstance(spec, list):
        spec = {"values": spec}
    elif not isinstance(spec, dict):
        spec = {"values": [spec]}  # a single value: every run uses it
    for key in spec:
        if key not in SPEC_KEYS:
            problem(f"unknown key {key!r}; allowed: {', '.join(SPEC_KEYS)}")
            return None
    log, integer = spec.get("log", False), spec.get("integer", False)
    if not isinstance(log, bool) or not isinstance(integer, bool):
        problem("log and integer must be true or false; allowed: true, false")
        return None
    if "values" in spec:
        values = spec["values"]
        if set(spec) - {"values"}:
            problem(f"values cannot be combined with other keys; {allowed}")
            return None
        if not isinstance(values, list) or not values or any(
                isinstance(v, dict | list) for v in values):
            problem(f"{values!r} is not a list of values; {allowed}")
            return None
        return Parameter(path, values=tuple(values))
    low, high = spec.get("low"), spec.get("high")
    if not (_number(low) and _number(high)) or low > high:
        problem(f"needs numbers low <= high (got low={low!r}, high={high!r}); {allowed}")
        return None
    if log and low <= 0:
        problem(f"log = true needs low > 0 (got {low!r}); allowed: 0 < low <= high")
        return None
    step, n = spec.get("step"), spec.get("n")
    if step is not None and n is not None:
        problem(f"give step or n, not both; {allowed}")
        return None
    if step is not None:
        if not _number(step) or step <= 0 or log:
            problem(f"step {step!r} is not allowed; allowed: a number > 0 (without log)")
            return None
        values = discrete_values(low, high, step=step)
    elif n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            problem(f"n {n!r} is not allowed; allowed: an integer >= 1")
            return None
        values = discrete_values(low, high, n=n, log=log)
    else:
        if sampler == "grid":
            problem(f"bounds alone cannot make a grid; {allowed}")
            return None
        if integer and math.ceil(low) > math.floor(high):
            problem(f"no integer lies in [{low!r}, {high!r}]; allowed: bounds around an integer")
            return None
        return Parameter(path, low=float(low), high=float(high), log=log, integer=integer)
    if integer:
        values = tuple(sorted({int(round(v)) for v in values}))
    return Parameter(path, values=values)


def discrete_values(low: float, high: float, step: float | None = None, n: int | None = None,
                    log: bool = False) -> tuple[float, ...]:
    return samplers.discrete_range(float(low), float(high), step, n, log)


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
            scenario.with_overrides({p.path: value})
        except ScenarioError as exc:
            for key, message in exc.problems:
                if message.startswith(_PATH_PROBLEMS):
                    problems.append((f"sweep.parameters.{p.path}",
                                     f"not a scenario key ({key}: {message})"))
                    break
    if problems:
        raise ScenarioError(problems, source)
