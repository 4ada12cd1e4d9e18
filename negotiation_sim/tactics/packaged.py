"""Tactics over packages (first-year amount, term, escalator): what to offer, when to accept.

Time-dependent concession in utility (Faratin, Sierra & Jennings 1998): the side's
target utility after ``t`` months is ``1 - a(t)``, with the same polynomial ``a(t)`` as
the single-issue tactics. Which package has that utility is chosen either

* ``proportional_package``: every issue moves the same share ``a(t)`` of the way from
  the side's ideal package to its bottom-line package (the term rounded to whole years);
* ``tradeoff_package``: the similarity trade-off of Faratin, Sierra & Jennings (2002):
  among the packages with exactly the target utility (for each term and escalator on a
  grid, the first-year amount that gives it, within the side's amount range), the one
  closest to the opponent's last offer (issues scaled by their ranges); before any
  opponent offer, the one closest to the proportional package.

Acceptance compares utilities: ``accepts_next`` takes a package worth at least as much as
the side's own next offer. Every function works on one run (numbers) or on arrays of
runs (broadcasting over a trailing candidate axis), with the same IEEE operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..packages import PackageSpace, Preferences, amount_for_utility, extreme_packages
from .offering import polynomial_fraction

Package = tuple[Any, Any, Any]  # (first-year amount KRW bn, term years, escalator number)


def target_utility(t: Any, deadline: Any, beta: Any, k: Any = 0.0) -> Any:
    """Faratin's time-dependent target in utility: 1 - a(t), reaching 0 at the deadline."""
    return 1.0 - polynomial_fraction(t, deadline, beta, k)


def proportional_package(space: PackageSpace, pref: Preferences, fraction: Any) -> Package:
    """Concede on every issue in proportion: each moves ``fraction`` of its way from the
    ideal package to the bottom-line package (the term to the nearest whole year)."""
    (a0, t0, e0), (a1, t1, e1) = extreme_packages(space, pref)
    amount = a0 + fraction * (a1 - a0)
    term = np.floor(t0 + fraction * (t1 - t0) + 0.5)
    pct = e0 + fraction * (e1 - e0)
    return amount, term, pct


def _candidates(space: PackageSpace, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (term, escalator) pair of the grid, flattened."""
    terms, pcts = np.meshgrid(np.arange(space.term_min, space.term_max + 1, dtype=np.float64),
                              space.pct_grid(steps), indexing="ij")
    return terms.ravel(), pcts.ravel()


def _scaled_distance(space: PackageSpace, pref: Preferences, amount: Any, term: Any, pct: Any,
                     ref: Package) -> Any:
    """Distance between packages with each issue divided by its range (0-range issues
    drop out)."""
    d = ((amount - ref[0]) / abs(pref.ideal - pref.bottom)) ** 2
    if space.term_max > space.term_min:
        d = d + ((term - ref[1]) / (space.term_max - space.term_min)) ** 2
    if space.pct_high > space.pct_low:
        d = d + ((pct - ref[2]) / (space.pct_high - space.pct_low)) ** 2
    return d


def tradeoff_package(space: PackageSpace, pref: Preferences, target: Any, opponent: Package,
                     steps: int = 11) -> Package:
    """The package with utility ``target`` closest to the opponent's last offer
    (``opponent``: NaN amounts where none yet; then closest to the proportional package).
    Falls back to the proportional package where no grid package with that utility has a
    first-year amount within the side's range."""
    terms, pcts = _candidates(space, steps)
    target = np.asarray(target, dtype=np.float64)
    amounts = amount_for_utility(space, pref, target[..., None], terms, pcts)
    low, high = min(pref.ideal, pref.bottom), max(pref.ideal, pref.bottom)
    slack = 1e-9 * high
    feasible = (amounts >= low - slack) & (amounts <= high + slack)
    fallback = proportional_package(space, pref, 1.0 - target)
    opp = tuple(np.asarray(x, dtype=np.float64) for x in opponent)
    seen = ~np.isnan(opp[0])
    ref = tuple(np.where(seen, o, f)[..., None] for o, f in zip(opp, fallback, strict=True))
    distance = np.where(feasible, _scaled_distance(space, pref, amounts, terms, pcts, ref),
                        np.inf)
    best = np.argmin(distance, axis=-1)
    any_ok = feasible.any(axis=-1)
    chosen = (np.take_along_axis(amounts, best[..., None], axis=-1)[..., 0],
              terms[best], pcts[best])
    return tuple(np.where(any_ok, c, f) for c, f in zip(chosen, fallback, strict=True))


def accepts_next(received_utility: Any, own_next_utility: Any) -> Any:
    """AC_next in utility: take a package worth at least the side's own next offer."""
    return received_utility >= own_next_utility


def accepts_bottom_line(received_utility: Any, month: Any, after_months: Any) -> Any:
    """Take any package within the bottom line (utility >= 0) after ``after_months``."""
    return (month >= after_months) & (received_utility >= 0.0)
