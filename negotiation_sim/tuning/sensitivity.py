"""Which parameters drive the outcome: Sobol' indices with SALib.

A sensitivity config names a scenario and parameters with bounds (the same modes as a
tuning config, see ``params``)::

    [sensitivity]
    name = "sensitivity_sma11"
    scenario = "history/sma11.toml"   # relative to this file
    n = 256                 # Sobol' base samples (a power of 2)
    replications = 16       # runs per design point, the same seeds at every point
    seed = 11               # design scramble, run seeds and bootstrap
    bootstrap = 500         # resamples for the confidence intervals
    conf_level = 0.95
    second_order = false    # true adds S2 (and n (2D + 2) instead of n (D + 2) points)

    [sensitivity.parameters]
    "us.tactic.beta" = { low = 0.05, high = 5.0, log = true }

The design is the ``sobol`` sampler of ``experiments.samplers`` (SALib's Saltelli/Sobol'
design on the unit cube, mapped to each parameter's bounds by ``Parameter.from_unit``:
log-uniform for ``log = true``, each integer equally likely for ``integer = true``).
Every design point is run ``replications`` times with the same seeds (common random
numbers), so each point's outputs are a deterministic function of its parameters. Outputs per point:

* ``gap_share``: the share of runs ending in a gap (no agreement by the expiry month);
* ``gap_months``: mean gap months (censored at the horizon for runs without agreement);
* ``change_pct``: mean first-year change (0 for a run without agreement: the amount in
  force stays frozen).

First-order (S1) and total (ST) indices come from ``SALib.analyze.sobol`` with bootstrap
confidence intervals. An output that does not vary over the design has no indices (NaN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..configfile import TopTable, read_toml
from ..engine import DEFAULT_ENGINE
from ..experiments import samplers
from ..parameters import TUNED, Parameter, cycle_overrides, parse_parameters
from ..scenario import Scenario, load_scenario
from .config import Cycle, check_applies
from .loss import common_seeds

OUTPUTS = ("gap_share", "gap_months", "change_pct")
SENSITIVITY_KEYS = ("name", "scenario", "n", "replications", "seed", "bootstrap", "conf_level",
                    "second_order", "parameters")


@dataclass(frozen=True)
class SensitivityConfig:
    name: str
    source: str
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    n: int = 256
    replications: int = 16
    seed: int = 0
    bootstrap: int = 500
    conf_level: float = 0.95
    second_order: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def n_points(self) -> int:
        return samplers.n_points("sobol", self.parameters, self.n, self.second_order)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications


def load_sensitivity_config(path: str | Path) -> SensitivityConfig:
    """Read and validate a sensitivity config; raise ``ScenarioError`` on bad input."""
    source = str(path)
    raw = read_toml(path)
    top = TopTable(raw, "sensitivity", SENSITIVITY_KEYS, source)
    table, problem = top.table, top.problem
    name = top.name()
    n = top.integer("n", 256, 2, 2**20)
    if n & (n - 1):
        problem("n", f"{n} is not a power of 2; allowed: 2, 4, 8, ... (Sobol' base samples)")
    replications = top.integer("replications", 16, 1, 10**5)
    seed = top.integer("seed", 0, 0, 2**32 - 1)
    bootstrap = top.integer("bootstrap", 500, 10, 10**5)
    conf = table.get("conf_level", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 < conf < 1:
        problem("conf_level", f"{conf!r} is not allowed; allowed: a number in (0, 1)")
    second = table.get("second_order", False)
    if not isinstance(second, bool):
        problem("second_order", f"{second!r} is not allowed; allowed: true, false")
    params = parse_parameters(table.get("parameters"), TUNED, lambda k, m: problem(
        f"parameters{'.' + k if k else ''}", m))
    if len(params) == 1:
        problem("parameters", "one parameter; allowed: two or more (Sobol' indices share "
                "variance between parameters)")
    ref = table.get("scenario")
    if not isinstance(ref, str):
        problem("scenario", f"{ref!r} is not a path; allowed: a scenario file relative to "
                "this config")
    if not top.problems:
        d = len(params)
        too_big = samplers.size_problem(n * (2 * d + 2 if second else d + 2), replications)
        if too_big:
            problem("n", too_big)
    top.raise_if_any()
    scenario = load_scenario(Path(path).parent / ref)
    check_applies(tuple(params), [Cycle(scenario.name, scenario, {})], source,
                  "sensitivity.parameters")
    return SensitivityConfig(name, source, scenario, tuple(params), n, replications, seed,
                             bootstrap, float(conf), second, raw)


# --- indices (also used on test functions) -----------------------------------------


def indices(parameters: Sequence[Parameter], outputs: Mapping[str, np.ndarray], *,
            second_order: bool = False, bootstrap: int = 500, conf_level: float = 0.95,
            seed: int = 0) -> pd.DataFrame:
    """S1 and ST with bootstrap confidence half-widths, one row per (output, parameter)."""
    from SALib.analyze import sobol as sobol_analyze

    problem = samplers.salib_problem(parameters)
    rows = []
    for output, y in outputs.items():
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)) or float(np.var(y)) == 0.0:
            found = None
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                found = sobol_analyze.analyze(problem, y, calc_second_order=second_order,
                                              num_resamples=bootstrap, conf_level=conf_level,
                                              seed=seed)
        for j, p in enumerate(parameters):
            row = {"output": output, "parameter": p.name}
            for key in ("S1", "S1_conf", "ST", "ST_conf"):
                row[key] = math.nan if found is None else float(found[key][j])
            rows.append(row)
    return pd.DataFrame(rows, columns=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


# --- running the scenario over the design ------------------------------------------


def point_outputs(outcomes: pd.DataFrame, replications: int) -> dict[str, np.ndarray]:
    """Per design point (``replications`` consecutive runs each): the three outputs."""
    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    gap = outcomes["gap_months"].to_numpy(dtype=np.float64)
    change = np.where(agreed, outcomes["increase_pct"].to_numpy(dtype=np.float64), 0.0)
    shape = (-1, replications)
    return {"gap_share": (gap > 0).reshape(shape).mean(axis=1),
            "gap_months": gap.reshape(shape).mean(axis=1),
            "change_pct": change.reshape(shape).mean(axis=1)}


def _simulate_points(args: tuple) -> dict[str, np.ndarray]:
    scenario, parameters, points, replications, seed, engine = args
    from ..engine import simulate_batch

    values = {k: np.repeat(v, replications) for k, v in points.items()}
    overrides = pd.DataFrame(cycle_overrides(scenario, parameters, values))
    seeds = np.tile(common_seeds(seed, replications), len(next(iter(points.values()))))
    outcomes = simulate_batch(scenario, overrides, seeds, engine=engine)
    return point_outputs(outcomes, replications)


@dataclass(frozen=True)
class SensitivityResult:
    table: pd.DataFrame  # indices
    points: pd.DataFrame  # design points and their outputs
    seconds: float
    engine: str


def run_sensitivity(config: SensitivityConfig, workers: int = 1, engine: str | None = None,
                    chunk_points: int = 256, progress: str | None = "off") -> SensitivityResult:
    """Run the design (in ``workers`` processes) and compute the indices.

    Each design point's runs use the same seeds whatever the worker count or chunk size,
    so the numbers depend on neither. ``progress`` shows runs done as the sweep does
    (``experiments.progress``: bar, lines, off, or None for a bar on a terminal).
    """
    import time

    engine = engine or DEFAULT_ENGINE
    start = time.perf_counter()
    points = samplers.sobol(config.parameters, config.n, config.seed, config.second_order)
    n_chunks = max(workers, -(-len(points) // chunk_points))
    bounds = np.linspace(0, len(points), n_chunks + 1).astype(int).tolist()
    jobs = [(config.scenario, config.parameters,
             {k: v[a:b].to_numpy() for k, v in points.items()}, config.replications,
             config.seed, engine) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    from ..experiments.progress import Progress

    sizes = [(b - a) * config.replications for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with Progress(config.n_runs, label=config.name, mode=progress) as shown:
        parts = []
        for size, part in zip(sizes, _map(_simulate_points, jobs, workers), strict=True):
            parts.append(part)
            shown.update(size)
    outputs = {k: np.concatenate([p[k] for p in parts]) for k in OUTPUTS}
    table = indices(config.parameters, outputs, second_order=config.second_order,
                    bootstrap=config.bootstrap, conf_level=config.conf_level, seed=config.seed)
    table_points = points.assign(**outputs)
    return SensitivityResult(table, table_points, time.perf_counter() - start, engine)


def _map(func: Callable[[tuple], dict[str, np.ndarray]], jobs: list[tuple],
         workers: int) -> Iterator[dict[str, np.ndarray]]:
    """``func`` of every job, yielded in job order as soon as it is done (so progress can
    follow), in the sweep's evaluator (``workers`` processes)."""
    from ..experiments.evaluators import make_evaluator

    results: dict[int, dict[str, np.ndarray]] = {}
    next_k = 0
    with make_evaluator(max(1, min(workers, len(jobs)))) as evaluator:
        for (k, _), result, error in evaluator.imap_unordered(partial(_of_job, func),
                                                              list(enumerate(jobs))):
            if error is not None:
                raise error
            results[k] = result
            while next_k in results:
                yield results.pop(next_k)
                next_k += 1


def _of_job(func: Callable[[tuple], Any], task: tuple[int, tuple]) -> Any:
    """``func`` of the job in an ``(index, job)`` task (picklable, unlike a lambda)."""
    return func(task[1])


def markdown(config: SensitivityConfig, result: SensitivityResult, command: str) -> str:
    """The sensitivity report: what was run and the indices table."""
    lines = [f"# Sobol' sensitivity: {config.name}", "", f"Command: `{command}`  ",
             f"Scenario `{config.scenario.source}`; {len(config.parameters)} parameters, "
             f"{config.n} base samples -> {config.n_points:,} design points x "
             f"{config.replications} replications = {config.n_runs:,} runs with engine "
             f"`{result.engine}` in {result.seconds:.1f} s. Intervals: "
             f"{config.conf_level:.0%} bootstrap ({config.bootstrap} resamples).", "",
             "| output | parameter | S1 | S1 interval | ST | ST interval |",
             "|---|---|---|---|---|---|"]
    for r in result.table.to_dict("records"):
        if math.isnan(r["S1"]):
            lines.append(f"| {r['output']} | `{r['parameter']}` | - | - | - | - |")
            continue
        lines.append(f"| {r['output']} | `{r['parameter']}` | {r['S1']:.3f} | "
                     f"± {r['S1_conf']:.3f} | {r['ST']:.3f} | ± {r['ST_conf']:.3f} |")
    constant = [o for o in OUTPUTS if result.table[result.table["output"] == o]["S1"].isna()
                .all()]
    if constant:
        lines += ["", "No indices (the output does not vary over the design): "
                  + ", ".join(constant) + "."]
    means = result.points[list(OUTPUTS)].mean()
    lines += ["", "Over the design: mean share of runs ending in a gap "
              f"{means['gap_share']:.2f}, mean gap {means['gap_months']:.1f} months, mean "
              f"first-year change {means['change_pct']:+.1f}%.", "",
              "![Sobol' indices](sobol.png)", ""]
    return "\n".join(lines)


SENSITIVITY_SEED_SCHEME = ("the Sobol' design is scrambled with base_seed; every design point "
                           "runs with draws.run_seeds(base_seed, range(replications)); the "
                           "bootstrap is seeded with base_seed")


def write_outputs(config: SensitivityConfig, result: SensitivityResult, folder: Any,
                  command: str) -> None:
    """sobol.csv, points.parquet, sobol.png, sensitivity.md and manifest.json into
    ``folder`` (a ``storage.ResultsFolder``)."""
    from ..viz.tuning import sobol_figure

    folder.write_csv("sobol.csv", result.table)
    folder.write_parquet("points.parquet", result.points)
    sobol_figure(result.table, folder.file("sobol.png"), f"Sobol' indices: {config.name}")
    folder.write_text("sensitivity.md", markdown(config, result, command))
    folder.write_manifest(
        "sensitivity", command_line=command, config=config.source,
        resolved_config={**config.raw, "scenario": config.scenario.resolved},
        seeds={"base_seed": config.seed, "scheme": SENSITIVITY_SEED_SCHEME},
        n_points=config.n_points, n_runs=config.n_runs, engine=result.engine,
        seconds=result.seconds,
        parameters={p.name: p.describe() for p in config.parameters})
