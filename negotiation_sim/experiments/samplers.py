"""Which points: samplers that turn parameters into a design, one row per point.

* ``grid``: the full factorial of the discrete sets (first parameter slowest);
* ``random``: ``n`` independent uniform points;
* ``lhs``: ``n`` Latin hypercube points (``scipy.stats.qmc.LatinHypercube``);
* ``sobol``: SALib's Saltelli/Sobol' design for ``n`` base samples
  (``n * (2d + 2)`` points, or ``n * (d + 2)`` without second-order indices), in
  SALib's row order, which ``SALib.analyze.sobol`` expects (``sensitivity`` uses it).

Random samplers draw in the unit cube and map each coordinate through
``Parameter.from_unit`` (``negotiation_sim.parameters``), so bounds, log scales, integers
and discrete sets behave the same whatever the sampler (as EMA workbench's samplers do).
Every sampler is a pure function of its inputs and ``rng``: a seed (an integer) or a
``numpy.random.Generator``; ``sweep_rng`` gives a sweep's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..parameters import Parameter, numpy_dtype

SAMPLERS = ("grid", "random", "lhs", "sobol")
# How big a design may be. The design table is held in memory (a grid of 10 million
# points of three parameters peaks near 2 GB while it is built), and run ids, seeds and
# runs.parquet are sized for at most 2**31 runs (over two days at 10,000 runs/s).
MAX_POINTS = 10**7
MAX_RUNS = 2**31
_SAMPLER_TAG = 0x53574545  # mixes the base seed so design draws never reuse run seeds

Rng = int | np.integer | np.random.Generator


def sweep_rng(seed: int) -> np.random.Generator:
    """The generator a sweep draws its design from (its base seed, tagged)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _SAMPLER_TAG]))


def salib_problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's problem on the unit cube (values come from it through ``from_unit``)."""
    return {"num_vars": len(params), "names": [p.name for p in params],
            "bounds": [[0.0, 1.0]] * len(params)}


def _frame(params: Sequence[Parameter], columns: list[np.ndarray]) -> pd.DataFrame:
    data = {p.name: pd.Series(col, dtype=numpy_dtype(p.dtype)) for p, col in zip(
        params, columns, strict=True)}
    return pd.DataFrame(data)


def from_unit(params: Sequence[Parameter], unit: np.ndarray) -> pd.DataFrame:
    """Unit-cube rows (one column per parameter) to a design table of values."""
    return _frame(params, [p.from_unit(unit[:, j]) for j, p in enumerate(params)])


def grid(params: Sequence[Parameter], n: int | None = None, rng: Rng = 0,
         second_order: bool = True) -> pd.DataFrame:
    """Full factorial over every parameter's discrete values."""
    for p in params:
        if not p.discrete:
            raise ValueError(f"{p.name}: the grid sampler needs values, not bounds")
    rows = list(itertools.product(*(p.values for p in params)))  # type: ignore[misc]
    columns = [np.asarray([r[j] for r in rows], dtype=object) for j in range(len(params))]
    return _frame(params, [c.astype(numpy_dtype(p.dtype)) for c, p in zip(
        columns, params, strict=True)])


def random(params: Sequence[Parameter], n: int | None = None, rng: Rng = 0,
           second_order: bool = True) -> pd.DataFrame:
    """``n`` independent uniform points."""
    return from_unit(params, np.random.default_rng(rng).random((int(n or 0), len(params))))


def lhs(params: Sequence[Parameter], n: int | None = None, rng: Rng = 0,
        second_order: bool = True) -> pd.DataFrame:
    """``n`` Latin hypercube points: each parameter's range cut into n strata, one point each."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(len(params), rng=np.random.default_rng(rng)).random(int(n or 0))
    return from_unit(params, unit)


def sobol(params: Sequence[Parameter], n: int | None = None, rng: Rng = 0,
          second_order: bool = True) -> pd.DataFrame:
    """SALib's Sobol' design (Saltelli scheme) in SALib's row order.

    An integer ``rng`` is SALib's seed itself; a generator gives one.
    """
    from SALib.sample import sobol as salib_sobol

    seed = int(rng.integers(2**31 - 1)) if isinstance(rng, np.random.Generator) else int(rng)
    unit = salib_sobol.sample(salib_problem(params), int(n or 0),
                              calc_second_order=second_order, seed=seed)
    return from_unit(params, np.asarray(unit))


SAMPLER_FUNCTIONS: dict[str, Callable[..., pd.DataFrame]] = {
    "grid": grid, "random": random, "lhs": lhs, "sobol": sobol,
}


def design(sampler: str, params: Sequence[Parameter], n: int | None = None, rng: Rng = 0,
           second_order: bool = True) -> pd.DataFrame:
    """Design points of ``sampler`` (one row per point, columns = parameter names)."""
    return SAMPLER_FUNCTIONS[sampler](params, n=n, rng=rng, second_order=second_order)


def size_problem(points: int, replications: int) -> str | None:
    """Why a design of ``points`` x ``replications`` is too big to run here, or None.

    Checked from the counts alone, before anything is drawn or written.
    """
    runs = points * replications
    if points <= MAX_POINTS and runs <= MAX_RUNS:
        return None
    return (f"{points:,} points x {replications:,} replications = {runs:,} runs is too big; "
            f"allowed: at most {MAX_POINTS:,} points and {MAX_RUNS:,} (2**31) runs")


def n_points(sampler: str, params: Sequence[Parameter], n: int | None = None,
             second_order: bool = True) -> int:
    """How many points ``design`` returns, without drawing them."""
    if sampler == "grid":
        return math.prod(len(p.values or ()) for p in params)
    if sampler == "sobol":
        d = len(params)
        return int(n or 0) * (2 * d + 2 if second_order else d + 2)
    return int(n or 0)
