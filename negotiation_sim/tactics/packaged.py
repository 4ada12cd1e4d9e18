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

import functools
from typing import Any

import numpy as np

from ..packages import (
    PackageSpace,
    Preferences,
    extreme_packages,
    utility_range,
    valuation,
)
from .offering import polynomial_fraction

Package = tuple[Any, Any, Any]  # (first-year amount KRW bn, term years, escalator number)


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


def tradeoff_package(space: PackageSpace, pref: Preferences, target: Any, own: Package,
                     opponent: Package) -> Package:
    """The package with utility ``target`` next to the side's last package ``own`` (its
    ideal package where NaN: none yet) most similar to the opponent's last offer
    (``opponent``; NaN where none yet: then to the proportional package). Falls back to
    the proportional package where no neighbour has a first-year amount within the
    side's range (between its bottom line and opening). The search over the neighbours
    is one compiled loop (``_tradeoff_kernel``), the same for one run and for many."""
    val = valuation(space, pref.sign, pref.renewal_pct)
    target = np.asarray(target, dtype=np.float64)
    fallback = proportional_package(space, pref, 1.0 - target)
    ideal = extreme_packages(space, pref)[0]
    start = tuple(np.where(np.isnan(o), i, o) for o, i in zip(own, ideal, strict=True))
    opp = tuple(np.asarray(x, dtype=np.float64) for x in opponent)
    seen = ~np.isnan(opp[0])
    ref = tuple(np.where(seen, o, f) for o, f in zip(opp, fallback, strict=True))
    low, high = utility_range(space, pref)
    span = np.abs(np.asarray(pref.ideal - pref.bottom, dtype=np.float64))
    lo, hi = np.minimum(pref.ideal, pref.bottom), np.maximum(pref.ideal, pref.bottom)
    columns = (low + target * (high - low), lo, hi, ref[0], ref[1], ref[2],
               np.where(span > 0.0, span, 1.0), space.term_index(start[1]),
               space.pct_index(start[2]))
    shape = np.broadcast_shapes(*(np.shape(c) for c in columns))
    flat = [np.ascontiguousarray(np.broadcast_to(c, shape).ravel()) for c in columns]
    table = val.table.reshape(len(space.terms) * len(space.pcts), -1)
    amount, term, pct, found = _tradeoff_kernel()(
        np.ascontiguousarray(table), *flat[:7], flat[7].astype(np.int64),
        flat[8].astype(np.int64), float(pref.sign), space.term_min,
        space.term_max - space.term_min, space.pcts,
        float(space.pct_high - space.pct_low) if space.pct_high > space.pct_low else 0.0)
    chosen = (amount.reshape(shape), term.reshape(shape), pct.reshape(shape))
    return tuple(np.where(found.reshape(shape), c, f)
                 for c, f in zip(chosen, fallback, strict=True))


@functools.cache
def _tradeoff_kernel() -> Any:
    """The trade-off's search over the 3 x 3 neighbours, compiled by numba (imported
    here, not at import time). Per run ``r``: candidates in order (term step -1, 0, +1)
    x (escalator step -1, 0, +1); each has the amount ``wanted / (sign * weight)``; it
    counts if that amount lies in ``[lo, hi]`` (relative slack 1e-9); the first with the
    least distance wins. ``table`` is ``(cells, 1)`` or ``(cells, runs)`` (per-run
    expected renewals)."""
    import numba

    @numba.njit(cache=True, nogil=True)
    def kernel(table, wanted, lo, hi, ref_amount, ref_term, ref_pct, span, t_start,
               k_start, sign, term_min, term_span, pcts, pct_span):
        n = wanted.shape[0]
        n_pcts = pcts.shape[0]
        per_run = table.shape[1] > 1
        amount = np.empty(n)
        term = np.empty(n)
        pct = np.empty(n)
        found = np.zeros(n, dtype=np.bool_)
        for r in range(n):
            best = np.inf
            column = r if per_run else 0
            slack = 1e-9 * hi[r]
            for dt in range(-1, 2):
                t = min(max(t_start[r] + dt, 0), term_span)
                for dk in range(-1, 2):
                    k = min(max(k_start[r] + dk, 0), n_pcts - 1)
                    a = wanted[r] / (sign * table[t * n_pcts + k, column])
                    if a < lo[r] - slack or a > hi[r] + slack:
                        continue
                    x = (a - ref_amount[r]) / span[r]
                    d = x * x
                    if term_span > 0:
                        y = (t + term_min - ref_term[r]) / term_span
                        d = d + y * y
                    if pct_span > 0.0:
                        z = (pcts[k] - ref_pct[r]) / pct_span
                        d = d + z * z
                    if d < best:
                        best = d
                        amount[r] = a
                        term[r] = t + term_min
                        pct[r] = pcts[k]
                        found[r] = True
        return amount, term, pct, found

    return kernel
