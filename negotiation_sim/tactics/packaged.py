"""Tactics over packages (first-year amount, term, escalator): which package to offer.

A negotiator's single-issue tactic (time- or behaviour-dependent, Faratin, Sierra &
Jennings 1998) gives this round's amount; with packages that amount stands for a target
utility, its share of the way from the bottom line (0) to the opening (1)
(``target_for``). Which package with that utility is tabled is chosen either

* ``proportional_package``: every issue moves the same share of the way from the side's
  ideal package to its bottom-line package (term and escalator to the nearest grid
  value), or
* ``tradeoff_package``: the similarity trade-off of Faratin, Sierra & Jennings (2002): the
  side generates the packages next to its last one on the term-escalator grid (one step
  either way in each, or staying), each with the first-year amount that gives exactly
  the target utility, and tables the one most similar to the opponent's last offer
  (issues scaled by their ranges). It starts from its ideal package; before any
  opponent offer it moves toward the proportional package.

Acceptance compares packages by their worth to the side (``packages.worth``), which
orders them as its utility does, so the acceptance rules of ``acceptance`` apply
unchanged. Every
function works on one run (numbers) or on arrays of runs; candidates sit on a leading
axis, runs on the trailing one, so one run and a batch get the same IEEE results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..packages import (
    PackageSpace,
    Preferences,
    extreme_packages,
    grid_weight,
    utility_range,
    valuation,
)
from .offering import polynomial_fraction

Package = tuple[Any, Any, Any]  # (first-year amount KRW bn, term years, escalator number)
STEPS = np.array([-1, 0, 1])


def target_utility(t: Any, deadline: Any, beta: Any, k: Any = 0.0) -> Any:
    """Faratin's time-dependent target in utility: 1 - a(t), reaching 0 at the deadline."""
    return 1.0 - polynomial_fraction(t, deadline, beta, k)


def target_for(offer: Any, opening: Any, bottom_line: Any) -> Any:
    """The target utility a single-issue tactic's amount stands for: the share of the way
    from the bottom line (0) to the opening (1) it keeps (1 where the two coincide)."""
    span = opening - bottom_line
    if not isinstance(span, np.ndarray) and not isinstance(offer, np.ndarray):
        return 1.0 if span == 0 else min(1.0, max(0.0, (offer - bottom_line) / span))
    safe = np.where(span == 0, 1.0, span)
    return np.where(span == 0, 1.0, np.clip((offer - bottom_line) / safe, 0.0, 1.0))


def proportional_package(space: PackageSpace, pref: Preferences, fraction: Any) -> Package:
    """Concede on every issue in proportion: each moves ``fraction`` of its way from the
    ideal package to the bottom-line package (term and escalator to the nearest grid
    value)."""
    (a0, t0, e0), (a1, t1, e1) = extreme_packages(space, pref)
    amount = a0 + fraction * (a1 - a0)
    term = np.floor(t0 + fraction * (t1 - t0) + 0.5)
    k0, k1 = space.pct_index(e0), space.pct_index(e1)
    pct = space.pcts[np.floor(k0 + fraction * (k1 - k0) + 0.5).astype(np.int64)]
    return amount, term, pct


def _steps(position: Any, last: int) -> np.ndarray:
    """A grid position and its neighbours one step either way, clipped to ``0..last``:
    ``(3, ...)``."""
    moved = np.asarray(position)[None, ...] + STEPS.reshape((3,) + (1,) * np.ndim(position))
    return np.minimum(np.maximum(moved, 0), last)


def tradeoff_package(space: PackageSpace, pref: Preferences, target: Any, own: Package,
                     opponent: Package) -> Package:
    """The package with utility ``target`` next to the side's last package ``own`` (its
    ideal package where NaN: none yet) most similar to the opponent's last offer
    (``opponent``; NaN where none yet: then to the proportional package). Falls back to
    the proportional package where no neighbour has a first-year amount within the
    side's range (between its bottom line and opening)."""
    val = valuation(space, pref.sign, pref.renewal_pct)
    target = np.asarray(target, dtype=np.float64)
    fallback = proportional_package(space, pref, 1.0 - target)
    ideal = extreme_packages(space, pref)[0]
    start = tuple(np.where(np.isnan(o), i, o) for o, i in zip(own, ideal, strict=True))
    n_pcts = len(space.pcts)
    t3 = _steps(space.term_index(start[1]), space.term_max - space.term_min)  # (3, ...)
    k3 = _steps(space.pct_index(start[2]), n_pcts - 1)
    cell = t3[:, None] * n_pcts + k3[None, :]  # (3, 3, ...) positions in the flat table
    table = val.table.reshape(-1, *val.table.shape[2:])
    if table.ndim == 1:
        w = np.take(table, cell)
    else:  # one table per run: (cells, runs)
        runs = table.shape[1]
        w = np.take(table.ravel(), cell * runs + np.arange(runs))
    low, high = utility_range(space, pref)
    amounts = (low + target * (high - low)) / (pref.sign * w)
    lo = np.minimum(pref.ideal, pref.bottom)
    hi = np.maximum(pref.ideal, pref.bottom)
    slack = 1e-9 * hi
    feasible = (amounts >= lo - slack) & (amounts <= hi + slack)
    opp = tuple(np.asarray(x, dtype=np.float64) for x in opponent)
    seen = ~np.isnan(opp[0])
    ref = tuple(np.where(seen, o, f) for o, f in zip(opp, fallback, strict=True))
    span = np.abs(np.asarray(pref.ideal - pref.bottom, dtype=np.float64))
    d = ((amounts - ref[0]) / np.where(span > 0.0, span, 1.0)) ** 2
    if space.term_max > space.term_min:
        d = d + (((t3 + space.term_min - ref[1]) / (space.term_max - space.term_min)) ** 2
                 )[:, None]
    if space.pct_high > space.pct_low:
        d = d + (((space.pcts[k3] - ref[2]) / (space.pct_high - space.pct_low)) ** 2)[None, :]
    flat = (9,) + d.shape[2:]
    best = np.argmin(np.where(feasible, d, np.inf).reshape(flat), axis=0)[None, ...]
    t_best = np.take_along_axis(t3, best // 3, axis=0)[0]
    k_best = np.take_along_axis(k3, best % 3, axis=0)[0]
    chosen = (np.take_along_axis(amounts.reshape(flat), best, axis=0)[0],
              (t_best + space.term_min).astype(np.float64), space.pcts[k_best])
    any_ok = feasible.reshape(flat).any(axis=0)
    return tuple(np.where(any_ok, c, f) for c, f in zip(chosen, fallback, strict=True))


def package_weight(space: PackageSpace, pref: Preferences, package: Package) -> Any:
    """The weight of a package on the grid (from the side's table)."""
    return grid_weight(space, valuation(space, pref.sign, pref.renewal_pct), package[1],
                       package[2])
