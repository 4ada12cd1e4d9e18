"""Agreements as packages: first-year amount, term and escalator (issue 12).

An SMA fixes a first-year amount (KRW bn), a term (whole years) and a rule for the later
years: none (flat), a fixed rate, CPI-linked or ROK defence-budget-linked, optionally
capped. This module holds the package space and its pure functions, written once for one
run (plain numbers) and for a batch (arrays of runs, broadcasting), like ``rules``:

* ``rates``: the escalation rate of each later year of a term;
* ``payments``: the payment path (one amount per year, NaN past the term), and
  ``total`` / ``discounted_total`` of it;
* ``value`` / ``utility``: what a side makes of a package, discounted over the space's
  horizon, with the years after the term paid at the side's expected renewal; utilities
  are normalised between the side's bottom-line and ideal packages.

Every sum adds years in order with elementwise numpy operations (no ``np.sum``, no
powers), so one run and a batch get the same IEEE results.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

ESCALATORS = ("none", "fixed", "cpi", "budget")

# Default paths from the record (negotiation_sim/data/sma_yearly.csv), percent a year, in
# the order an agreement applies them to its later years; past the end of a path its last
# value repeats. Budget: the ROK defence-budget growth the 11th SMA applied to 2022-2025
# (growth of 2021, 2022, 2023, 2024: rows 2022-2025). CPI: the CPI rises the 8th and 9th
# SMAs applied (2007, 2009, 2010, 2013, 2015, 2016 CPI: rows 2009, 2011, 2012, 2015, 2017,
# 2018).
RECORD_BUDGET_GROWTH_PCT = (5.4, 3.4, 4.4, 4.2)
RECORD_CPI_PCT = (2.5, 2.8, 2.9, 1.3, 0.7, 1.0)


SIDE_ITEMS = ("in_kind", "wage_share")


@dataclass(frozen=True)
class SideItem:
    """A side item a scenario may switch on: a share (%) of the amount paid in a form the
    two sides value differently from cash. ``in_kind``: contributions in kind
    (construction, logistics) rather than cash; ``wage_share``: the share earmarked for
    the Korean employees' wages (a wage carve-out).

    A side's value of a KRW bn paid that way is ``1 + value_pct / 100`` of a KRW bn in
    cash (``us_value_pct`` for what the US receives, ``rok_value_pct`` for what the ROK
    pays), so a package's value is multiplied by ``factor``: the US (value below 0) wants
    the share low, the ROK (value below 0: it costs it less) high. ``low``..``high`` is
    the negotiated range (equal: not negotiated), ``step`` its grid, ``stated`` the level
    amounts are meant in (as ``PackageSpace.ref_term``)."""

    name: str
    low: float = 0.0
    high: float = 0.0
    step: float = 10.0
    stated: float = 0.0
    us_value_pct: float = 0.0
    rok_value_pct: float = 0.0

    @property
    def negotiated(self) -> bool:
        return self.high > self.low

    @functools.cached_property
    def levels(self) -> np.ndarray:
        """The shares a package may have: ``low`` to ``high`` in steps of about ``step``
        (``[stated]`` when not negotiated)."""
        if not self.negotiated:
            return np.array([float(self.stated)])
        steps = max(1, round((self.high - self.low) / self.step))
        return np.linspace(self.low, self.high, steps + 1)

    def factor(self, sign: float, level: Any) -> Any:
        """What a side's value of a package is multiplied by at this share."""
        value_pct = self.us_value_pct if sign > 0 else self.rok_value_pct
        return 1.0 + (np.asarray(level) / 100.0) * (value_pct / 100.0)


@dataclass(frozen=True)
class PackageSpace:
    """The issues of an agreement and the paths its escalator follows.

    ``pct`` is the negotiable number of the escalator: the rate of a ``fixed`` rule, the
    cap of a ``cpi`` or ``budget`` rule (``inf``: no cap), unused for ``none``;
    ``pct_low``..``pct_high`` its range (equal: not negotiated). ``term_min``..``term_max``
    is the term's range (equal: not negotiated); the horizon of a side's valuation is
    ``term_max`` years. ``ref_term`` and ``ref_pct`` are the scenario's stated term and
    escalator, in which amounts such as a leader's threshold are meant (``worth``).
    """

    escalator: str = "none"
    term_min: int = 1
    term_max: int = 1
    pct_low: float = 0.0
    pct_high: float = 0.0
    cpi_pct: tuple[float, ...] = RECORD_CPI_PCT
    budget_growth_pct: tuple[float, ...] = RECORD_BUDGET_GROWTH_PCT
    discount_pct: float = 0.0
    ref_term: int | None = None  # the scenario's term_years (default: term_min)
    ref_pct: float | None = None  # the scenario's escalator number (default: pct_low)
    pct_step: float = 0.5  # the escalator is negotiated in steps of this many points
    in_kind: SideItem = SideItem("in_kind")  # side items (off: a one-level grid)
    wage_share: SideItem = SideItem("wage_share")

    def __post_init__(self) -> None:
        if self.ref_term is None:
            object.__setattr__(self, "ref_term", self.term_min)
        if self.ref_pct is None:
            object.__setattr__(self, "ref_pct", self.pct_low)

    @property
    def negotiated(self) -> bool:
        """Term or escalator is negotiated (else the first-year amount is the one issue
        and the model runs exactly as a single-issue model)."""
        return self.issues > 1

    @property
    def terms(self) -> range:
        return range(self.term_min, self.term_max + 1)

    @property
    def issues(self) -> int:
        """How many issues are negotiated (1: the first-year amount only)."""
        return sum(self.free)

    @functools.cached_property
    def free(self) -> tuple[bool, ...]:
        """Which of a package's five entries (amount, term, escalator number, in_kind,
        wage_share) are negotiated; the others always hold the stated values."""
        return (True, self.term_max > self.term_min, self.pct_high > self.pct_low,
                *(item.negotiated for item in self.items))

    @property
    def items_negotiated(self) -> bool:
        """Some side item is negotiated."""
        return any(self.free[3:])

    @property
    def stated_items(self) -> tuple[float, float]:
        """The side items' stated shares (what amounts in money are meant at)."""
        return self.in_kind.stated, self.wage_share.stated

    @property
    def items(self) -> tuple[SideItem, SideItem]:
        """The side items, in ``SIDE_ITEMS`` order (switched off: one level, the stated)."""
        return self.in_kind, self.wage_share

    @functools.cached_property
    def pcts(self) -> np.ndarray:
        """The escalator numbers a package may have: ``pct_low`` to ``pct_high`` in steps
        of about ``pct_step`` (agreements state round numbers, as terms are whole years)."""
        if self.pct_high <= self.pct_low:
            return np.array([self.pct_low])
        steps = max(1, round((self.pct_high - self.pct_low) / self.pct_step))
        return np.linspace(self.pct_low, self.pct_high, steps + 1)

    @property
    def path(self) -> tuple[float, ...]:
        """The yearly rates a linked rule follows (CPI or defence budget; the last repeats)."""
        return self.cpi_pct if self.escalator == "cpi" else self.budget_growth_pct

    @functools.cached_property
    def ref_index(self) -> int:
        """Position of the stated escalator number in ``pcts``."""
        return int(self.pct_index(self.ref_pct))

    @functools.cached_property
    def compiled_grids(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Escalator numbers, the side items' levels, and the three grids' steps, as the
        compiled loops read them."""
        grids = (self.pcts, self.in_kind.levels, self.wage_share.levels)
        return (*grids, np.array([grid_step(g) for g in grids]))

    @functools.cached_property
    def compiled_spans(self) -> np.ndarray:
        """1 / range of the term, escalator and side items (0: not negotiated): how the
        trade-off scales each issue's part of a distance between packages."""
        ranges = (self.term_max - self.term_min, self.pct_high - self.pct_low,
                  *(item.high - item.low for item in self.items))
        return np.array([1.0 / float(x) if x > 0 else 0.0 for x in ranges])

    @functools.cached_property
    def compiled_stated(self) -> np.ndarray:
        """The stated package as the compiled loops read it: the term (years) and the
        grid positions of the escalator number and side items."""
        return np.array([self.ref_term, self.ref_index,
                         *(int(nearest(item.levels, item.stated)) for item in self.items)],
                        dtype=np.int64)

    def term_index(self, term: Any) -> Any:
        """Position of a term in ``terms``."""
        return (np.asarray(term) - self.term_min).astype(np.int64)

    def pct_index(self, pct: Any) -> Any:
        """Position of an escalator number in ``pcts`` (the nearest grid value)."""
        return nearest(self.pcts, pct)


def _minimum(a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return min(a, b)


def rates(space: PackageSpace, years: int, pct: Any = 0.0) -> list[Any]:
    """Escalation rate (%) applied in each year 2..``years``: rate ``y - 1`` is the rise
    from year ``y - 1`` to year ``y``. ``pct`` (number or array of runs) is the fixed rate,
    or the cap of a CPI- or budget-linked rule."""
    out: list[Any] = []
    for later in range(years - 1):
        if space.escalator == "none":
            out.append(0.0)
        elif space.escalator == "fixed":
            out.append(pct)
        else:
            path = space.path
            out.append(_minimum(path[min(later, len(path) - 1)], pct))
    return out


def payments(first_year: Any, term: Any, year_rates: list[Any]) -> np.ndarray:
    """The payment path: ``(..., len(year_rates) + 1)`` amounts, year 1 first, NaN past
    each run's ``term``; ``payment_y = payment_{y-1} * (1 + rate_y / 100)``."""
    first = np.asarray(first_year, dtype=np.float64)
    term = np.asarray(term)
    years = len(year_rates) + 1
    out = np.empty(first.shape + (years,))
    paid = first
    for y in range(years):
        if y:
            paid = paid * (1.0 + np.asarray(year_rates[y - 1]) / 100.0)
        out[..., y] = np.where(y < term, paid, np.nan)
    return out


def total(path: np.ndarray) -> Any:
    """Sum of a payment path (years in order; NaN years past the term count 0)."""
    acc = np.zeros(path.shape[:-1])
    for y in range(path.shape[-1]):
        acc = acc + np.nan_to_num(path[..., y], nan=0.0)
    return acc


def discount_factors(years: int, discount_pct: float) -> list[float]:
    """1 / (1 + d)^(y - 1) for years 1..``years``, by repeated division."""
    factors, f = [], 1.0
    for _ in range(years):
        factors.append(f)
        f = f / (1.0 + discount_pct / 100.0)
    return factors


def discounted_total(path: np.ndarray, discount_pct: float) -> Any:
    """Present value of a payment path at the start of year 1."""
    acc = np.zeros(path.shape[:-1])
    for y, f in enumerate(discount_factors(path.shape[-1], discount_pct)):
        acc = acc + np.nan_to_num(path[..., y], nan=0.0) * f
    return acc


def weight(space: PackageSpace, term: Any, pct: Any, renewal_pct: Any) -> Any:
    """Discounted sum over the horizon (``term_max`` years) of what one KRW bn of
    first-year amount brings: the escalated path during the term, then the last year's
    amount changed by ``renewal_pct`` (what the side expects the next agreement to
    bring) and held. A package's value is ``sign * amount * weight``."""
    horizon = space.term_max
    year_rates = rates(space, horizon, pct)
    factors = discount_factors(horizon, space.discount_pct)
    term = np.asarray(term)
    grown = np.asarray(1.0)
    last = grown
    acc = np.asarray(0.0)
    renewal = 1.0 + np.asarray(renewal_pct) / 100.0
    for y in range(horizon):
        if y:
            grown = grown * (1.0 + np.asarray(year_rates[y - 1]) / 100.0)
        inside = y < term
        last = np.where(inside, grown, last)
        acc = acc + np.where(inside, grown, last * renewal) * factors[y]
    return acc


def items_factor(space: PackageSpace, sign: float, items: Any = None) -> Any:
    """What the side items multiply a side's value by at these levels (one per item in
    ``SIDE_ITEMS`` order; None: the stated levels), applied item by item."""
    levels = space.stated_items if items is None else items
    factor: Any = 1.0
    for item, level in zip(space.items, levels, strict=True):
        factor = factor * item.factor(sign, level)
    return factor


def value(space: PackageSpace, sign: Any, amount: Any, term: Any, pct: Any,
          renewal_pct: Any, items: Any = None) -> Any:
    """A side's value of a package (KRW bn, discounted; sign +1: the US wants more), with
    the side items at ``items`` (None: the stated levels)."""
    return sign * amount * (weight(space, term, pct, renewal_pct)
                            * items_factor(space, sign, items))


@dataclass(frozen=True)
class Preferences:
    """One side over a package space: ``ideal`` and ``bottom`` first-year amounts (its
    current opening and bottom line; numbers or arrays of runs) and the change it expects
    at the next negotiation (``renewal_pct``)."""

    sign: float
    ideal: Any
    bottom: Any
    renewal_pct: Any = 0.0


@dataclass(frozen=True)
class Valuation:
    """A side's weights over a package space, computed once per (space, side, expected
    renewal): the weight of every grid package (term, escalator and side-item levels),
    the side's best grid package (of its ideal package) as positions, and the weight of
    the stated package (of its bottom-line package). ``table`` is ``(terms, pcts,
    in_kind levels, wage_share levels)``, with a trailing run axis for a per-run renewal."""

    table: np.ndarray
    best: tuple[Any, ...]  # grid positions of the ideal package (term, escalator, items)
    w_best: Any
    w_ref: Any  # weight of the stated package (of the bottom-line package)

    @functools.cached_property
    def columns(self) -> tuple[np.ndarray, ...]:
        """What the compiled loops read: the table as ``(cells, columns)`` (cells in C
        order of term, escalator and item positions; one column, or one per run);
        ``w_ref``, ``w_best`` and the best positions (``(columns, 4)``) per column; and
        the table divided by ``w_ref`` (what a KRW bn of first-year amount is worth at each
        grid package: ``worth = amount * that``), divided once here."""
        cells = int(np.prod(self.table.shape[:4]))
        table = np.ascontiguousarray(self.table.reshape(cells, -1))
        n = table.shape[1]

        def column(x: Any, dtype: type) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=dtype), (n,)))

        best = np.ascontiguousarray(np.stack([column(b, np.int64) for b in self.best], axis=1))
        w_ref = column(self.w_ref, np.float64)
        return (table, w_ref, column(self.w_best, np.float64), best,
                np.ascontiguousarray(table / w_ref))


def _valuation(space: PackageSpace, sign: float, renewal_pct: Any) -> Valuation:
    terms = np.arange(space.term_min, space.term_max + 1, dtype=np.float64)
    pcts = space.pcts
    per_run = np.ndim(renewal_pct) > 0
    grid_t, grid_p = np.meshgrid(terms, pcts, indexing="ij")
    if per_run:
        grid_t, grid_p = grid_t[..., None], grid_p[..., None]
    table = np.asarray(weight(space, grid_t, grid_p, renewal_pct), dtype=np.float64)
    table = np.broadcast_to(table, grid_t.shape[:2] + np.shape(renewal_pct)).copy()
    k = len(pcts) - 1 if sign > 0 else 0
    pick = np.argmax(sign * table[:, k], axis=0)
    table = table[:, :, None, None]  # the side items' axes
    best = [pick if per_run else int(pick), k]
    for axis, item in enumerate(space.items, start=2):
        factors = item.factor(sign, item.levels)
        best.append(int(np.argmax(sign * factors)))
        shape = [1] * table.ndim
        shape[axis] = len(factors)
        table = table * factors.reshape(shape)
    w_ref = weight(space, space.ref_term, space.ref_pct, renewal_pct) * items_factor(space, sign)
    return Valuation(table, tuple(best), _at(table, *best), w_ref)


def _at(table: np.ndarray, *positions: Any) -> Any:
    """Table entries at grid positions (per run where the table has a run axis)."""
    if table.ndim == 4:
        return table[positions]
    positions = np.broadcast_arrays(*positions)
    runs = np.arange(table.shape[4])[(None,) * (positions[0].ndim - 1)]
    return table[(*positions, runs)]


@functools.lru_cache(maxsize=256)
def _valuation_of(space: PackageSpace, sign: float, renewal_pct: float) -> Valuation:
    return _valuation(space, sign, renewal_pct)


def valuation(space: PackageSpace, sign: float, renewal_pct: Any) -> Valuation:
    """The side's ``Valuation`` (cached when ``renewal_pct`` is one number)."""
    if not isinstance(renewal_pct, np.ndarray) or renewal_pct.ndim == 0:
        return _valuation_of(space, float(sign), float(renewal_pct))
    return _valuation(space, sign, np.asarray(renewal_pct, dtype=np.float64))


def grid_step(grid: np.ndarray) -> float:
    """The distance between neighbouring values of an evenly spaced grid (1 for one)."""
    return float((grid[-1] - grid[0]) / (len(grid) - 1)) if len(grid) > 1 else 1.0


def nearest(grid: np.ndarray, x: Any) -> Any:
    """Position of the grid value nearest ``x`` (an evenly spaced grid)."""
    if len(grid) == 1:
        return np.zeros(np.shape(x), dtype=np.int64)
    return np.clip(np.rint((np.asarray(x) - grid[0]) / grid_step(grid)), 0, len(grid) - 1
                   ).astype(np.int64)


def grid_weight(space: PackageSpace, val: Valuation, term: Any, pct: Any,
                items: Any = None) -> Any:
    """The weight of packages on the grid (term, escalator and side items), from the
    table."""
    levels = space.stated_items if items is None else items
    return _at(val.table, space.term_index(term), space.pct_index(pct),
               *(nearest(item.levels, level) for item, level in zip(space.items, levels,
                                                              strict=True)))


def extreme_packages(space: PackageSpace, pref: Preferences) -> tuple[tuple[Any, ...],
                                                                      tuple[Any, ...]]:
    """The side's ideal package (its opening with its best term, escalator and side
    items) and its bottom-line package (its bottom line with the stated ones: a bottom
    line in money is meant for the agreement as stated). Packages are (amount, term,
    escalator number, in_kind, wage_share)."""
    val = valuation(space, pref.sign, pref.renewal_pct)
    best = val.best
    return ((pref.ideal, space.term_min + best[0], space.pcts[best[1]],
             *(item.levels[b] for item, b in zip(space.items, best[2:], strict=True))),
            (pref.bottom, space.ref_term, space.ref_pct, *space.stated_items))


def bottom_line_for_utility(space: PackageSpace, sign: float, renewal_pct: float,
                            opening: float, opponent_opening: float, u: float) -> float:
    """A bottom line given in utility (``u`` in [0, 1]) as the first-year amount, under the
    stated package, that the side values ``u`` of the way from its worst package in the
    space (the opponent's opening with the term, escalator and side items worst for the
    side) to its ideal (its own opening with the best). With one issue: the opponent's
    opening plus ``u`` of the way to its own."""
    val = valuation(space, sign, renewal_pct)
    w_worst = float(np.min(val.table)) if sign > 0 else float(np.max(val.table))
    worst = sign * opponent_opening * w_worst
    ideal = sign * opening * float(val.w_best)
    return float((worst + u * (ideal - worst)) / (sign * float(val.w_ref)))


def utility_range(space: PackageSpace, pref: Preferences) -> tuple[Any, Any]:
    """The side's values of its bottom-line and ideal packages (utility 0 and 1)."""
    val = valuation(space, pref.sign, pref.renewal_pct)
    return pref.sign * pref.bottom * val.w_ref, pref.sign * pref.ideal * val.w_best


def package_utility(space: PackageSpace, pref: Preferences, amount: Any, term: Any,
                    pct: Any, items: Any = None) -> Any:
    """``utility`` of packages on the grid, with their weights from the table."""
    low, high = utility_range(space, pref)
    w = grid_weight(space, valuation(space, pref.sign, pref.renewal_pct), term, pct, items)
    return (pref.sign * amount * w - low) / np.where(high == low, np.inf, high - low)


def utility(space: PackageSpace, pref: Preferences, amount: Any, term: Any, pct: Any,
            items: Any = None) -> Any:
    """A package's utility for the side: 0 at its bottom-line package, 1 at its ideal."""
    low, high = utility_range(space, pref)
    return (value(space, pref.sign, amount, term, pct, pref.renewal_pct, items) - low) / (
        high - low)


def amount_for_utility(space: PackageSpace, pref: Preferences, target: Any, term: Any,
                       pct: Any, items: Any = None) -> Any:
    """The first-year amount giving the side utility ``target`` with this term, escalator
    and side items (value is linear in the amount, so this is exact)."""
    low, high = utility_range(space, pref)
    wanted = low + target * (high - low)
    return wanted / (pref.sign * (weight(space, term, pct, pref.renewal_pct)
                                  * items_factor(space, pref.sign, items)))


def worth(space: PackageSpace, amount: Any, term: Any, pct: Any, renewal_pct: Any,
          items: Any = None, sign: float = 1.0) -> Any:
    """What a package is worth to a side (``sign``) as a first-year amount under the
    scenario's stated term, escalator and side items: the amount that, with those, has
    the same discounted value. A leader's veto threshold and a legislature's rejection
    are amounts in these terms."""
    levels = space.stated_items if items is None else items
    return worth_on_grid(space, valuation(space, sign, renewal_pct),
                         (amount, term, pct, *levels))


def worth_on_grid(space: PackageSpace, val: Valuation, package: tuple[Any, ...]) -> Any:
    """``worth`` of packages on the grid (amount, term, escalator number, in_kind,
    wage_share), ``amount * weight / w_ref`` with the weights of the side's valuation
    ``val``. One compiled loop over runs (``_worth_kernel``) for one run (numbers) and
    for a batch (arrays)."""
    shape, flat = run_columns(package)
    out = _worth_kernel()(val.columns[4], space.term_min, space.term_max - space.term_min,
                          *space.compiled_grids, *flat)
    return float(out[0]) if shape == () else out.reshape(shape)


def run_columns(values: tuple[Any, ...]) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Numbers or arrays over runs as the compiled loops take them: their broadcast
    shape, and each as a flat contiguous float64 array of that many runs."""
    if all(isinstance(v, float | int) for v in values):  # one run (the Mesa model)
        return (), [np.array((v,)) for v in values]
    shape = _same_runs(values)  # the array engine: usually every value is one already
    if shape is not None:
        return shape, list(values)
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    return shape, [v if _is_column(v, shape) else np.ascontiguousarray(np.broadcast_to(
        np.asarray(v, dtype=np.float64), shape).reshape(-1)) for v in values]


def _is_column(v: Any, shape: tuple[int, ...]) -> bool:
    """``v`` already is a flat contiguous float64 array of ``shape`` (nothing to convert)."""
    return (type(v) is np.ndarray and v.shape == shape and v.ndim == 1
            and v.dtype == np.float64 and v.flags.c_contiguous)


def _same_runs(values: tuple[Any, ...]) -> tuple[int, ...] | None:
    """``(runs,)`` when every value already is a column of the same length, else None."""
    shape = np.shape(values[0])
    return shape if all(_is_column(v, shape) for v in values) else None


@functools.cache
def _worth_kernel() -> Any:
    """``worth_on_grid``'s loop, compiled by numba: per run, the term's and the nearest
    escalator's and side items' grid positions, then ``amount * (weight / w_ref)``; NaN
    where the package is NaN (no deal)."""
    import numba

    position, cell = grid_position(), grid_cell()

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def kernel(per_worth, term_min, term_span, pcts, levels_1, levels_2, steps, amount,
               term, pct, item_1, item_2):
        n = amount.shape[0]
        n_pcts, n_1, n_2 = pcts.shape[0], levels_1.shape[0], levels_2.shape[0]
        per_run = per_worth.shape[1] > 1
        out = np.empty(n)
        for r in range(n):
            if np.isnan(term[r]) or np.isnan(pct[r]):
                out[r] = np.nan
                continue
            c = r if per_run else 0
            t = min(max(int(term[r] - term_min), 0), term_span)
            k = position(pct[r], pcts, steps[0])
            i = position(item_1[r], levels_1, steps[1])
            j = position(item_2[r], levels_2, steps[2])
            out[r] = amount[r] * per_worth[cell(t, k, i, j, n_pcts, n_1, n_2), c]
        return out

    return kernel


@functools.cache
def grid_position() -> Any:
    """``PackageSpace.pct_index`` for one number, compiled by numba (imported here, not at
    import time) for the compiled loops: the nearest grid position, ``step`` apart."""
    import numba

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def position(x, grid, step):
        if grid.shape[0] == 1 or np.isnan(x):
            return 0
        return int(min(max(np.rint((x - grid[0]) / step), 0.0), grid.shape[0] - 1))

    return position


@functools.cache
def grid_cell() -> Any:
    """A grid package's row in a valuation's ``columns`` (C order of term, escalator and
    side-item positions), compiled by numba for the compiled loops (inlined)."""
    import numba

    @numba.njit(cache=True, nogil=True, inline="always")
    def cell(t, k, i, j, n_pcts, n_1, n_2):
        return ((t * n_pcts + k) * n_1 + i) * n_2 + j

    return cell


def escalator_pct_label(space: PackageSpace, pct: Any) -> Any:
    """The outcome's ``escalator_pct``: the fixed rate, the cap (NaN: none) of a linked
    rule, 0 for a flat agreement."""
    if space.escalator == "none":
        return 0.0
    if space.escalator == "fixed":
        return pct
    return np.where(np.isinf(pct), np.nan, pct) if isinstance(pct, np.ndarray) else (
        math.nan if math.isinf(pct) else pct)


def settled(space: PackageSpace, amount: Any, term: Any, pct: Any) -> tuple[np.ndarray, Any, Any]:
    """An agreed package's payment path (years 1..max ``term``, NaN past each run's term),
    its total and its discounted total; both engines report these."""
    path = payments(amount, term, rates(space, int(np.max(term)), pct))
    return path, total(path), discounted_total(path, space.discount_pct)
