"""What-if: a baseline and alternatives on common random numbers, with paired intervals.

Every scenario runs the same replications with the same seeds (``distribution.replicate``),
so run ``i`` of the baseline and run ``i`` of an alternative see the same random draws and
differ only by the change. Each difference (alternative minus baseline) of a share or a
median gets a paired percentile bootstrap interval: the replication indices are resampled
with replacement ``resamples`` times (numpy ``Generator(PCG64(seed))``), the same indices
for both scenarios, and the interval is the (1-level)/2 and (1+level)/2 percentiles of
the resampled differences (Efron & Tibshirani 1993, ch. 13). Resampling pairs keeps the
positive correlation common random numbers create, so intervals are narrower than those
of two independent samples; a difference that is the same in every pair has a zero-width
interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .distribution import outcome_arrays, package_arrays, package_keys

if TYPE_CHECKING:
    from ..packages import PackageSpace

# Compared statistics: name -> (per-run array, reduction, label).
METRICS: dict[str, tuple[str, str, str]] = {
    "p_agreed": ("agreed", "share", "agreed"),
    "p_agreed_before_expiry": ("agreed_before_expiry", "share", "agreed before expiry"),
    "p_gap": ("gap", "share", "in a gap"),
    "gap_months": ("gap_months", "median", "median gap months"),
    "lead_months": ("lead_months", "median", "median lead months (+ early)"),
    "amount_krw_bn": ("amount_krw_bn", "median", "median amount (bn won)"),
    "increase_pct": ("increase_pct", "median", "median increase (%)"),
}
# Compared when both scenarios negotiate them (``distribution.package_keys``); 'rate' is
# a share among the runs where it is defined (agreed runs).
PACKAGE_METRICS: dict[str, tuple[str, str, str]] = {
    "term_years": ("term_years", "median", "median term (years)"),
    "escalator_pct": ("escalator_pct", "median", "median escalator (%)"),
    "cap_binds": ("cap_binds", "rate", "escalator cap binds (agreed)"),
    "in_kind_pct": ("in_kind_pct", "median", "median share in kind (%)"),
    "wage_share_pct": ("wage_share_pct", "median", "median wage share (%)"),
}
ALL_METRICS = METRICS | PACKAGE_METRICS
RESAMPLES = 2000
LEVEL = 0.95
METHOD = "paired percentile bootstrap over replications (common random numbers)"


@dataclass(frozen=True)
class Difference:
    """Alternative minus baseline for one statistic, with its bootstrap interval."""

    baseline: float
    alternative: float
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    """One alternative against the baseline: its label, changes and differences."""

    label: str
    overrides: dict[str, Any]
    differences: dict[str, Difference] = field(default_factory=dict)


def _reduce(values: np.ndarray, how: str) -> np.ndarray:
    """Share or median along the last axis (NaN-aware: medians among defined runs)."""
    if how == "share":
        return values.mean(axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resample -> NaN
        return np.nanmean(values, axis=-1) if how == "rate" else np.nanmedian(values, axis=-1)


def paired_differences(base: pd.DataFrame, alt: pd.DataFrame, base_expiry: str,
                       alt_expiry: str, *, resamples: int = RESAMPLES, level: float = LEVEL,
                       seed: int = 0, spaces: tuple[PackageSpace | None, PackageSpace | None]
                       = (None, None)) -> dict[str, Difference]:
    """Each ``METRICS`` statistic of ``alt`` minus ``base`` (row i of both: same seed), and
    the ``PACKAGE_METRICS`` both package ``spaces`` (baseline's, alternative's) negotiate."""
    if len(base) != len(alt):
        raise ValueError(f"{len(base)} baseline runs but {len(alt)} alternative runs")
    a, b = outcome_arrays(base, base_expiry), outcome_arrays(alt, alt_expiry)
    shared = [k for k in package_keys(spaces[0]) if k in package_keys(spaces[1])]
    a |= {k: v for k, v in package_arrays(base, spaces[0]).items() if k in shared}
    b |= {k: v for k, v in package_arrays(alt, spaces[1]).items() if k in shared}
    rng = np.random.Generator(np.random.PCG64(seed))
    idx = rng.integers(0, len(base), size=(resamples, len(base)))
    tails = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    out: dict[str, Difference] = {}
    for name, (column, how, _) in ALL_METRICS.items():
        if name not in METRICS and name not in shared:
            continue
        x, y = a[column].astype(float), b[column].astype(float)
        point_x, point_y = float(_reduce(x, how)), float(_reduce(y, how))
        boot = _reduce(y[idx], how) - _reduce(x[idx], how)
        boot = boot[~np.isnan(boot)]
        low, high = (np.percentile(boot, tails) if len(boot) else (np.nan, np.nan))
        out[name] = Difference(point_x, point_y, point_y - point_x, float(low), float(high))
    return out


def format_comparison(comparisons: list[Comparison], level: float = LEVEL) -> str:
    """Side-by-side text table: a row per statistic, baseline, then each alternative with
    its difference and interval."""
    from ..formatting import human

    def share(name: str) -> bool:
        return ALL_METRICS[name][1] in ("share", "rate")

    def cell(name: str, value: float | None) -> str:
        if value is None or np.isnan(value):
            return "-"
        return f"{100 * value:.1f}%" if share(name) else human(value)

    def diff(name: str, d: Difference) -> str:
        if np.isnan(d.estimate):
            return "-"
        scale, unit = (100, " pts") if share(name) else (1, "")
        return (f"{scale * d.estimate:+,.1f}{unit} [{scale * d.low:+,.1f}, "
                f"{scale * d.high:+,.1f}]")

    header = ["", "baseline"]
    for comp in comparisons:
        header += [comp.label, f"{comp.label} - baseline [{100 * level:.0f}% CI]"]
    rows = [header]
    for name in comparisons[0].differences:
        label = ALL_METRICS[name][2]
        row = [label, cell(name, comparisons[0].differences[name].baseline)]
        for comp in comparisons:
            d = comp.differences[name]
            row += [cell(name, d.alternative), diff(name, d)]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
             for r in rows]
    return "\n".join(lines)
