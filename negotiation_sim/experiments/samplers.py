"""Which runs: swept parameters and the samplers that turn them into design points.

A ``Parameter`` names a scenario key by dotted path and says which values it may take:
either a discrete set (explicit values, or a range with a step or a count) or
continuous bounds (optionally log-scaled or integer). A sampler maps the parameters
to a table of design points, one row per point, one column per parameter:

* ``grid``: the full factorial of the discrete sets (first parameter slowest);
* ``random``: ``n`` independent uniform points;
* ``lhs``: ``n`` Latin hypercube points (``scipy.stats.qmc.LatinHypercube``);
* ``sobol``: SALib's Saltelli/Sobol' design for ``n`` base samples
  (``n * (2d + 2)`` points, or ``n * (d + 2)`` without second-order indices).

Random samplers work in the unit cube and map each coordinate through
``Parameter.from_unit``, so bounds, log scales, integers and discrete sets behave the
same whatever the sampler. Every sampler is a pure function of its inputs and seed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SAMPLERS = ("grid", "random", "lhs", "sobol")
_SAMPLER_TAG = 0x53574545  # mixes the base seed so design draws never reuse run seeds


@dataclass(frozen=True)
class Parameter:
    """One swept scenario key: a discrete set of values, or continuous bounds."""

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def discrete(self) -> bool:
        return self.values is not None

    @property
    def dtype(self) -> str:
        """Column type in the design and results tables: float64, int64, bool or str."""
        if self.values is None:
            return "int64" if self.integer else "float64"
        if all(isinstance(v, bool) for v in self.values):
            return "bool"
        if all(isinstance(v, str) for v in self.values):
            return "str"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return "int64"
        return "float64"

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in [0, 1] to this parameter's values (uniform over its range)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((u * k).astype(np.int64), k - 1)
            return np.asarray(self.values, dtype=object)[idx].astype(_numpy_dtype(self.dtype))
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.integer:
            lo, hi = math.ceil(low), math.floor(high)
            return np.minimum(lo + np.floor(u * (hi - lo + 1)), hi).astype(np.int64)
        if self.log:
            return np.exp(np.log(low) + u * (np.log(high) - np.log(low))).clip(low, high)
        return (low + u * (high - low)).clip(low, high)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        if self.values is not None:
            return {"values": list(self.values)}
        return {"low": self.low, "high": self.high, "log": self.log, "integer": self.integer}


def _numpy_dtype(dtype: str) -> Any:
    return object if dtype == "str" else dtype


def discrete_range(low: float, high: float, step: float | None = None, n: int | None = None,
                   log: bool = False) -> tuple[float, ...]:
    """Values low, low+step, ... <= high (inclusive), or ``n`` evenly spaced (log) values."""
    if n is not None:
        values = np.geomspace(low, high, n) if log else np.linspace(low, high, n)
    else:
        count = int(math.floor((high - low) / step + 1e-9)) + 1  # type: ignore[operator]
        values = low + step * np.arange(count)  # type: ignore[operator]
    return tuple(float(v) for v in np.round(values, 10))


# --- samplers: parameters -> design points ---------------------------------------------


def _frame(params: Sequence[Parameter], columns: list[np.ndarray]) -> pd.DataFrame:
    data = {p.path: pd.Series(col, dtype=_numpy_dtype(p.dtype)) for p, col in zip(
        params, columns, strict=True)}
    return pd.DataFrame(data)


def _from_unit(params: Sequence[Parameter], unit: np.ndarray) -> pd.DataFrame:
    return _frame(params, [p.from_unit(unit[:, j]) for j, p in enumerate(params)])


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), _SAMPLER_TAG]))


def grid(params: Sequence[Parameter], n: int | None = None, seed: int = 0,
         second_order: bool = True) -> pd.DataFrame:
    """Full factorial over every parameter's discrete values."""
    for p in params:
        if not p.discrete:
            raise ValueError(f"{p.path}: the grid sampler needs values, not bounds")
    rows = list(itertools.product(*(p.values for p in params)))  # type: ignore[misc]
    columns = [np.asarray([r[j] for r in rows], dtype=object) for j in range(len(params))]
    return _frame(params, [c.astype(_numpy_dtype(p.dtype)) for c, p in zip(
        columns, params, strict=True)])


def random(params: Sequence[Parameter], n: int | None = None, seed: int = 0,
           second_order: bool = True) -> pd.DataFrame:
    """``n`` independent uniform points."""
    return _from_unit(params, _rng(seed).random((int(n or 0), len(params))))


def lhs(params: Sequence[Parameter], n: int | None = None, seed: int = 0,
        second_order: bool = True) -> pd.DataFrame:
    """``n`` Latin hypercube points: each parameter's range cut into n strata, one point each."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(len(params), rng=_rng(seed)).random(int(n or 0))
    return _from_unit(params, unit)


def sobol(params: Sequence[Parameter], n: int | None = None, seed: int = 0,
          second_order: bool = True) -> pd.DataFrame:
    """SALib's Sobol' design (Saltelli scheme) in SALib's row order."""
    from SALib.sample import sobol as salib_sobol

    problem = {"num_vars": len(params), "names": [p.path for p in params],
               "bounds": [[0.0, 1.0]] * len(params)}
    seed_int = int(_rng(seed).integers(2**31 - 1))
    unit = salib_sobol.sample(problem, int(n or 0), calc_second_order=second_order,
                              seed=seed_int)
    return _from_unit(params, np.asarray(unit))


SAMPLER_FUNCTIONS: dict[str, Callable[..., pd.DataFrame]] = {
    "grid": grid, "random": random, "lhs": lhs, "sobol": sobol,
}


def design(sampler: str, params: Sequence[Parameter], n: int | None = None, seed: int = 0,
           second_order: bool = True) -> pd.DataFrame:
    """Design points of ``sampler`` (one row per point, columns = parameter paths)."""
    return SAMPLER_FUNCTIONS[sampler](params, n=n, seed=seed, second_order=second_order)


def n_points(sampler: str, params: Sequence[Parameter], n: int | None = None,
             second_order: bool = True) -> int:
    """How many points ``design`` returns, without drawing them."""
    if sampler == "grid":
        return math.prod(len(p.values or ()) for p in params)
    if sampler == "sobol":
        d = len(params)
        return int(n or 0) * (2 * d + 2 if second_order else d + 2)
    return int(n or 0)
