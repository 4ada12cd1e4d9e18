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
unchanged. Both rules are one compiled loop over runs (``_choose_kernel``, numba),
called by the Mesa model with one run and by the array engine with a batch, so the two
get the same IEEE results.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..packages import (
    PackageSpace,
    Preferences,
    Valuation,
    grid_position,
    run_columns,
    valuation,
)
from .offering import polynomial_fraction

Package = tuple[Any, ...]  # (amount KRW bn, term years, escalator number, in_kind, wage_share)


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
    ideal package to the bottom-line package (term, escalator and side items to the
    nearest grid value)."""
    return choose(space, valuation(space, pref.sign, pref.renewal_pct), pref, "proportional",
                  1.0 - np.asarray(fraction, dtype=np.float64), (), ())


def tradeoff_package(space: PackageSpace, pref: Preferences, target: Any, own: Package,
                     opponent: Package) -> Package:
    """The package with utility ``target`` next to the side's last package ``own`` (its
    ideal package where NaN: none yet) most similar to the opponent's last offer
    (``opponent``; NaN where none yet: then to the proportional package). Falls back to
    the proportional package where no neighbour has a first-year amount within the
    side's range (between its bottom line and opening). Packages are (amount, term,
    escalator number, in_kind, wage_share); shorter ones are NaN for the rest."""
    return choose(space, valuation(space, pref.sign, pref.renewal_pct), pref, "tradeoff",
                  target, own, opponent)


ISSUES = 5  # amount, term, escalator number, in_kind, wage_share


def choose(space: PackageSpace, val: Valuation, pref: Preferences, choice: str, target: Any,
           own: Package, opponent: Package, where: Any = None) -> Package:
    """The package a side tables at utility ``target``, by ``choice`` (``"proportional"``
    or ``"tradeoff"``), from its valuation ``val`` and its own and the opponent's last
    packages. One run (numbers in, numbers out) or a batch (arrays over runs; ``where``:
    a mask of the runs that table one, NaN in the others)."""
    own, opponent = _padded(own), _padded(opponent)
    shape, flat = run_columns((target, pref.ideal, pref.bottom, *own, *opponent))
    active = _EVERY if where is None or np.ndim(where) == 0 else where.reshape(-1)
    chosen = _choose_kernel()(
        *val.columns, float(pref.sign), choice == "tradeoff", space.term_min,
        space.term_max - space.term_min, *space.compiled_grids, space.compiled_spans,
        space.compiled_stated, active, *flat)
    if shape == ():
        return tuple(float(x[0]) for x in chosen)
    return tuple(x.reshape(shape) for x in chosen)


def _padded(package: Package) -> Package:
    return tuple(package) + (np.nan,) * (ISSUES - len(package))


_EVERY = np.ones(0, dtype=np.bool_)  # an empty mask: every run


@functools.cache
def _choose_kernel() -> Any:
    """Both package rules as one loop over runs, compiled by numba (imported here, not at
    import time). Per run ``r`` (valuation column ``c``: ``r`` for per-run expected
    renewals, else 0):

    * the proportional package: amount, term and the escalator's and side items' grid
      positions each move ``1 - target`` of the way from the ideal package to the
      bottom-line one (term and positions rounded half up);
    * the trade-off (``tradeoff``): candidates in order (term step -1, 0, +1) x
      (escalator step -1, 0, +1) x (in_kind step ...) x (wage_share step ...) around the
      last own package (the ideal where NaN; steps off the grid are left out, as they
      would repeat a candidate); each has the amount ``wanted / (sign * weight)`` at the
      target's value ``wanted``; it counts if that amount lies between the bottom line
      and the opening (relative slack 1e-9); the first with the least distance to the
      opponent's last package (or, before one, to the proportional package), issues
      scaled by their ranges (``spans``: 1 / range, 0 when not negotiated), wins; none
      counts: the proportional package.

    Runs outside ``active`` (when it is not empty) are skipped and get NaN.
    """
    import numba

    position = grid_position()

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def kernel(table, w_ref, w_best, best, sign, tradeoff, term_min, term_span, pcts,
               levels_1, levels_2, steps, spans, stated, active, target, ideal, bottom,
               own_amount, own_term, own_pct, own_1, own_2, opp_amount, opp_term, opp_pct,
               opp_1, opp_2):
        n = target.shape[0]
        n_pcts, n_1, n_2 = pcts.shape[0], levels_1.shape[0], levels_2.shape[0]
        per_run = table.shape[1] > 1
        every = active.shape[0] == 0
        amount = np.full(n, np.nan)
        term = np.full(n, np.nan)
        pct = np.full(n, np.nan)
        out_1 = np.full(n, np.nan)
        out_2 = np.full(n, np.nan)
        per_year, per_point, per_1, per_2 = spans[0], spans[1], spans[2], spans[3]
        ref_term, ref_k, ref_i, ref_j = stated[0], stated[1], stated[2], stated[3]
        for r in range(n):
            if not (every or active[r]):
                continue
            c = r if per_run else 0
            fraction = 1.0 - target[r]
            t0 = term_min + best[c, 0]
            k0, i0, j0 = best[c, 1], best[c, 2], best[c, 3]
            p_amount = ideal[r] + fraction * (bottom[r] - ideal[r])
            p_term = np.floor(t0 + fraction * (ref_term - t0) + 0.5)
            p_pct = pcts[int(np.floor(k0 + fraction * (ref_k - k0) + 0.5))]
            p_1 = levels_1[int(np.floor(i0 + fraction * (ref_i - i0) + 0.5))]
            p_2 = levels_2[int(np.floor(j0 + fraction * (ref_j - j0) + 0.5))]
            amount[r], term[r], pct[r], out_1[r], out_2[r] = p_amount, p_term, p_pct, p_1, p_2
            if not tradeoff:
                continue
            low = sign * bottom[r] * w_ref[c]
            high = sign * ideal[r] * w_best[c]
            wanted = low + target[r] * (high - low)
            t_start = int((t0 if np.isnan(own_term[r]) else own_term[r]) - term_min)
            k_start = k0 if np.isnan(own_pct[r]) else position(own_pct[r], pcts, steps[0])
            i_start = i0 if np.isnan(own_1[r]) else position(own_1[r], levels_1, steps[1])
            j_start = j0 if np.isnan(own_2[r]) else position(own_2[r], levels_2, steps[2])
            if np.isnan(opp_amount[r]):
                ref_a, ref_t, ref_p = p_amount, p_term, p_pct
            else:
                ref_a, ref_t, ref_p = opp_amount[r], opp_term[r], opp_pct[r]
            ref_1 = p_1 if np.isnan(opp_1[r]) else opp_1[r]
            ref_2 = p_2 if np.isnan(opp_2[r]) else opp_2[r]
            span = abs(ideal[r] - bottom[r])
            per_bn = 1.0 / span if span > 0.0 else 1.0
            hi = max(ideal[r], bottom[r])
            lo = min(ideal[r], bottom[r]) - 1e-9 * hi
            hi = hi + 1e-9 * hi
            best_d = np.inf
            for t in range(max(t_start - 1, 0), min(t_start + 1, term_span) + 1):
                y = (t + term_min - ref_t) * per_year
                for k in range(max(k_start - 1, 0), min(k_start + 1, n_pcts - 1) + 1):
                    for i in range(max(i_start - 1, 0), min(i_start + 1, n_1 - 1) + 1):
                        for j in range(max(j_start - 1, 0), min(j_start + 1, n_2 - 1) + 1):
                            cell = ((t * n_pcts + k) * n_1 + i) * n_2 + j
                            a = wanted / (sign * table[cell, c])
                            if a < lo or a > hi:
                                continue
                            x = (a - ref_a) * per_bn
                            d = x * x + y * y
                            if per_point > 0.0:  # (an uncapped linked rule's inf stays out)
                                z = (pcts[k] - ref_p) * per_point
                                d = d + z * z
                            if per_1 > 0.0:
                                u = (levels_1[i] - ref_1) * per_1
                                d = d + u * u
                            if per_2 > 0.0:
                                v = (levels_2[j] - ref_2) * per_2
                                d = d + v * v
                            if d < best_d:
                                best_d = d
                                amount[r] = a
                                term[r] = t + term_min
                                pct[r] = pcts[k]
                                out_1[r] = levels_1[i]
                                out_2[r] = levels_2[j]
        return amount, term, pct, out_1, out_2

    return kernel
