"""Tactics over packages (first-year amount, term, escalator): which package to offer.

A negotiator's single-issue tactic (time- or behaviour-dependent, Faratin, Sierra &
Jennings 1998) gives this round's amount; with packages that amount stands for a target
utility, its share of the way from the bottom line (0) to the opening (1)
(``choose`` with ``offered``). Which package with that utility is tabled is chosen either

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
    grid_cell,
    grid_position,
    run_columns,
    valuation,
)
from .offering import polynomial_fraction

Package = tuple[Any, ...]  # (amount KRW bn, term years, escalator number, in_kind, wage_share)


def target_utility(t: Any, deadline: Any, beta: Any, k: Any = 0.0) -> Any:
    """Faratin's time-dependent target in utility: 1 - a(t), reaching 0 at the deadline."""
    return 1.0 - polynomial_fraction(t, deadline, beta, k)


def proportional_package(space: PackageSpace, pref: Preferences, fraction: Any) -> Package:
    """Concede on every issue in proportion: each moves ``fraction`` of its way from the
    ideal package to the bottom-line package (term, escalator and side items to the
    nearest grid value)."""
    return choose(space, valuation(space, pref.sign, pref.renewal_pct), pref, "proportional",
                  1.0 - np.asarray(fraction, dtype=np.float64), (), ())[:ISSUES]


def tradeoff_package(space: PackageSpace, pref: Preferences, target: Any, own: Package,
                     opponent: Package) -> Package:
    """The package with utility ``target`` next to the side's last package ``own`` (its
    ideal package where NaN: none yet) most similar to the opponent's last offer
    (``opponent``; NaN where none yet: then to the proportional package). Falls back to
    the proportional package where no neighbour has a first-year amount within the
    side's range (between its bottom line and opening). Packages are (amount, term,
    escalator number, in_kind, wage_share); shorter ones are NaN for the rest."""
    return choose(space, valuation(space, pref.sign, pref.renewal_pct), pref, "tradeoff",
                  target, own, opponent)[:ISSUES]


ISSUES = 5  # amount, term, escalator number, in_kind, wage_share


def choose(space: PackageSpace, val: Valuation, pref: Preferences, choice: str, target: Any,
           own: Package, opponent: Package, where: Any = None, offered: bool = False,
           judge: Valuation | None = None) -> tuple[Any, ...]:
    """The package a side tables at utility ``target``, by ``choice`` (``"proportional"``
    or ``"tradeoff"``), from its valuation ``val`` and its own and the opponent's last
    packages, followed by its worth to the side (``packages.worth``) and to the other
    side (of valuation ``judge``; to this side again when None). ``offered``:
    ``target`` is the tactic's amount, standing for their share of the way
    from bottom line to opening (clipped to [0, 1]; 1 where the two coincide). One
    run (numbers in, numbers out) or a batch (arrays over runs; ``where``: a mask of the
    runs that table one, NaN in the others)."""
    own, opponent = _padded(own), _padded(opponent)
    shape, flat = run_columns((target, pref.ideal, pref.bottom, *own, *opponent))
    active = _EVERY if where is None or np.ndim(where) == 0 else where.reshape(-1)
    chosen = _choose_kernel()(
        *val.columns, (val if judge is None else judge).columns[4], float(pref.sign),
        choice == "tradeoff", offered, space.term_min,
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

    It returns the package and its worth to the side (``amount * weight / w_ref``, as
    ``packages.worth_on_grid``). With ``offered``, ``target`` holds the tactic's amounts
    and the target utility is their share of the way from bottom line to opening.
    Runs outside ``active`` (when it is not empty) are skipped and get
    NaN.
    """
    import numba

    position, cell = grid_position(), grid_cell()

    @numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
    def scaled2(value, ref, per_unit):
        """An issue's part of the distance: its scaled difference squared (0 when the
        issue is not negotiated: an uncapped linked rule's inf stays out)."""
        if per_unit > 0.0:
            z = (value - ref) * per_unit
            return z * z
        return 0.0

    @numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
    def candidate(wanted, weight, lo, hi, ref_a, per_bn, y2, z2, u2, v2):
        """A neighbour's amount (the target value at its weight) and its distance to the
        reference package (inf when the amount is outside the side's range); the issues'
        parts are added in order, so the 2- and 4-issue loops give the same numbers."""
        a = wanted / weight
        if a < lo or a > hi:
            return a, np.inf
        x = (a - ref_a) * per_bn
        return a, x * x + y2 + z2 + u2 + v2

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def kernel(table, w_ref, w_best, best, per_worth, judge_worth, sign, tradeoff, offered,
               term_min, term_span, pcts, levels_1, levels_2, steps, spans, stated, active,
               target, ideal, bottom, own_amount, own_term, own_pct, own_1, own_2,
               opp_amount, opp_term, opp_pct, opp_1, opp_2):
        n = target.shape[0]
        n_pcts, n_1, n_2 = pcts.shape[0], levels_1.shape[0], levels_2.shape[0]
        per_run = table.shape[1] > 1
        every = active.shape[0] == 0
        amount = np.full(n, np.nan)
        term = np.full(n, np.nan)
        pct = np.full(n, np.nan)
        out_1 = np.full(n, np.nan)
        out_2 = np.full(n, np.nan)
        worth = np.full(n, np.nan)
        judged = np.full(n, np.nan)
        judge_per_run = judge_worth.shape[1] > 1
        per_year, per_point, per_1, per_2 = spans[0], spans[1], spans[2], spans[3]
        ref_term, ref_k, ref_i, ref_j = stated[0], stated[1], stated[2], stated[3]
        for r in range(n):
            if not (every or active[r]):
                continue
            c = r if per_run else 0
            tg = target[r]
            if offered:  # the tactic's amount: its share of the way from bottom to opening
                span = ideal[r] - bottom[r]
                if span == 0.0:
                    tg = 1.0
                else:
                    x = (tg - bottom[r]) / span
                    tg = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
            fraction = 1.0 - tg
            t0 = term_min + best[c, 0]
            k0, i0, j0 = best[c, 1], best[c, 2], best[c, 3]
            p_amount = ideal[r] + fraction * (bottom[r] - ideal[r])
            p_term = np.floor(t0 + fraction * (ref_term - t0) + 0.5)
            kp = int(np.floor(k0 + fraction * (ref_k - k0) + 0.5))
            ip = int(np.floor(i0 + fraction * (ref_i - i0) + 0.5))
            jp = int(np.floor(j0 + fraction * (ref_j - j0) + 0.5))
            p_pct, p_1, p_2 = pcts[kp], levels_1[ip], levels_2[jp]
            amount[r], term[r], pct[r], out_1[r], out_2[r] = p_amount, p_term, p_pct, p_1, p_2
            chosen = cell(int(p_term - term_min), kp, ip, jp, n_pcts, n_1, n_2)
            if tradeoff:
                low = sign * bottom[r] * w_ref[c]
                high = sign * ideal[r] * w_best[c]
                wanted = low + tg * (high - low)
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
                t_lo, t_hi = max(t_start - 1, 0), min(t_start + 1, term_span)
                k_lo, k_hi = max(k_start - 1, 0), min(k_start + 1, n_pcts - 1)
                if n_1 == 1 and n_2 == 1:  # no side item: the term-escalator grid only
                    for t in range(t_lo, t_hi + 1):
                        y = (t + term_min - ref_t) * per_year
                        for k in range(k_lo, k_hi + 1):
                            here = t * n_pcts + k  # the one-level item axes
                            a, d = candidate(wanted, sign * table[here, c], lo, hi, ref_a,
                                             per_bn, y * y, scaled2(pcts[k], ref_p, per_point),
                                             0.0, 0.0)
                            if d < best_d:
                                best_d, chosen = d, here
                                amount[r], term[r], pct[r] = a, t + term_min, pcts[k]
                else:
                    for t in range(t_lo, t_hi + 1):
                        y = (t + term_min - ref_t) * per_year
                        for k in range(k_lo, k_hi + 1):
                            z2 = scaled2(pcts[k], ref_p, per_point)
                            for i in range(max(i_start - 1, 0), min(i_start + 1, n_1 - 1) + 1):
                                u2 = scaled2(levels_1[i], ref_1, per_1)
                                for j in range(max(j_start - 1, 0),
                                               min(j_start + 1, n_2 - 1) + 1):
                                    here = cell(t, k, i, j, n_pcts, n_1, n_2)
                                    a, d = candidate(wanted, sign * table[here, c], lo, hi,
                                                     ref_a, per_bn, y * y, z2, u2,
                                                     scaled2(levels_2[j], ref_2, per_2))
                                    if d < best_d:
                                        best_d, chosen = d, here
                                        amount[r], term[r], pct[r] = a, t + term_min, pcts[k]
                                        out_1[r], out_2[r] = levels_1[i], levels_2[j]
            worth[r] = amount[r] * per_worth[chosen, c]  # as packages.worth_on_grid
            judged[r] = amount[r] * judge_worth[chosen, r if judge_per_run else 0]
        return amount, term, pct, out_1, out_2, worth, judged

    return kernel
