"""Figures of a sweep: response curves over one parameter, heatmaps over two, gap lengths.

Each takes a runs table, a sweep folder, or ``experiments.summary.load``'s compact table,
and uses the project style. Statistics and their labels are ``columns.PLOT_METRICS``;
ticks and cell labels are the swept values, formatted for people (11,500, not 1.15e+04).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..columns import PLOT_METRICS
from ..formatting import human
from .style import ACCENT, CMAP, GAP_COLOR, NEUTRAL, US_COLOR, new_figure, save

SHARES = ("agreed_before_expiry", "agreement_rate", "gap_share", "cap_binds_share")
# More rows of response curves (two panels a row) when the sweep's scenario negotiates
# the package: the term, the escalator and each side item it negotiates.
PACKAGE_PANELS = (("term", "term (years)", "Term agreed"),
                  ("escalator_pct", "escalator (% a year)", "Escalator agreed (rate or cap)"),
                  ("in_kind_pct", "in kind (% of the amount)", "Share paid in kind"),
                  ("wage_share_pct", "wage share (% of the amount)",
                   "Share earmarked for the Korean employees' wages"))


def _groups(runs: pd.DataFrame | str | Path, by: list[str], bins: int) -> pd.DataFrame:
    from ..experiments.summary import summarize

    table = summarize(runs, by=by, bins=bins)
    return table[table["group"] != "all"].reset_index(drop=True)


def _axis(ax: object, values: pd.Series, which: str = "x") -> np.ndarray:
    """Positions for parameter values: the values when numeric, else 0..n-1 with labels."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        from matplotlib.ticker import FuncFormatter

        axis = ax.xaxis if which == "x" else ax.yaxis  # type: ignore[attr-defined]
        axis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
        return values.to_numpy(dtype=float)
    positions = np.arange(len(values), dtype=float)
    setter = ax.set_xticks if which == "x" else ax.set_yticks  # type: ignore[attr-defined]
    setter(positions, [human(v) for v in values])
    return positions


def response_curves(runs: pd.DataFrame | str | Path, parameter: str, path: str | Path,
                    bins: int = 5) -> Path:
    """Four panels against one swept parameter: share agreed before expiry (and agreed),
    median gap and lead months with their 10th-90th percentile band, median increase;
    and, when the scenario negotiates them, the term, the escalator and the side items'
    shares agreed (median and band, two a row; the share of binding caps dashed)."""
    table = _groups(runs, [parameter], bins)
    package = [(prefix, label, title) for prefix, label, title in PACKAGE_PANELS
               if f"{prefix}_median" in table]
    extra = (len(package) + 1) // 2  # rows of package panels
    fig, axes = new_figure(2 + extra, 2, size=(10.0, 7.0 + 3.0 * extra), sharex=True)
    for ax in axes[-1]:
        _axis(ax, table[parameter])
    x = _axis(axes[1, 0], table[parameter])
    ax = axes[0, 0]
    ax.plot(x, 100 * table["agreed_before_expiry"], "o-", color=ACCENT,
            label="agreed before expiry")
    ax.plot(x, 100 * table["agreement_rate"], "s--", color=NEUTRAL, ms=4, lw=1,
            label="agreed by the horizon")
    ax.set_ylim(-3, 103)
    ax.set_ylabel("share of runs (%)")
    ax.set_title("Deal before the agreement in force expires")
    ax.legend()
    panels = [(axes[0, 1], "gap", "gap months", "Gap (months without an agreement)"),
              (axes[1, 0], "lead", "lead months (+ early, - late)",
               "Agreement month relative to expiry"),
              (axes[1, 1], "increase", "increase (%)", "First-year increase")]
    for ax, prefix, label, title in panels:
        ax.fill_between(x, table[f"{prefix}_p10"], table[f"{prefix}_p90"], color=US_COLOR,
                        alpha=0.18, lw=0, label="10th-90th percentile")
        ax.plot(x, table[f"{prefix}_median"], "o-", color=US_COLOR, label="median")
        ax.set_ylabel(label)
        ax.set_title(title)
    for ax, (prefix, label, title) in zip(axes[2:].ravel(), package, strict=False):
        ax.fill_between(x, table[f"{prefix}_p10"], table[f"{prefix}_p90"], color=US_COLOR,
                        alpha=0.18, lw=0)
        ax.plot(x, table[f"{prefix}_median"], "o-", color=US_COLOR)
        ax.set_ylabel(label)
        ax.set_title(title)
        if prefix == "escalator_pct" and "cap_binds_share" in table:
            twin = ax.twinx()
            twin.plot(x, 100 * table["cap_binds_share"], "s--", color=NEUTRAL, ms=4, lw=1)
            twin.set_ylim(-3, 103)
            twin.set_ylabel("caps that bind (%, dashed)", color=NEUTRAL)
    if len(package) % 2:  # an odd number of package panels: the last row's right one empty
        axes[-1, 1].set_visible(False)
        axes[-2, 1].tick_params(labelbottom=True)
        axes[-2, 1].set_xlabel(parameter)
    axes[1, 0].axhline(0, color=GAP_COLOR, lw=2, zorder=0)
    axes[0, 1].legend()
    for ax in axes[-1]:
        ax.set_xlabel(parameter)
    fig.suptitle(f"Outcome against {parameter} ({int(table['runs'].sum()):,} runs)",
                 fontweight="bold")
    return save(fig, path)


def heatmap(runs: pd.DataFrame | str | Path, x: str, y: str, path: str | Path,
            value: str = "agreed_before_expiry", bins: int = 5) -> Path:
    """A ``summarize`` statistic (default: share agreed before expiry) over ``x`` and ``y``."""
    table = _groups(runs, [x, y], bins)
    if value not in table:
        from ..errors import UsageError

        raise UsageError(f"--metric {value}: the sweep's scenario does not negotiate it; "
                         "allowed: " + ", ".join(m for m in PLOT_METRICS if m in table))
    grid = table.pivot(index=y, columns=x, values=value)
    fig, ax = new_figure(size=(7.5, 5.5))
    data = grid.to_numpy(dtype=float)
    rate = value in SHARES
    image = ax.imshow(data, origin="lower", aspect="auto", cmap=CMAP,
                      vmin=0.0 if rate else None, vmax=1.0 if rate else None)
    ax.set_xticks(range(len(grid.columns)), [human(v) for v in grid.columns], rotation=30)
    ax.set_yticks(range(len(grid.index)), [human(v) for v in grid.index])
    ax.grid(False)
    small = data.size > 150
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v) and not small:
            text = f"{100 * v:.0f}%" if rate else human(round(v, 1))
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if _dark(image, v) else "black")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    label = PLOT_METRICS.get(value, value)
    ax.set_title(f"{label[0].upper()}{label[1:]} by {x} and {y}")
    bar = fig.colorbar(image, ax=ax, label=label)
    if rate:
        bar.ax.yaxis.set_major_formatter(_percent_formatter())
    return save(fig, path)


def gap_histogram(runs: pd.DataFrame | str | Path, path: str | Path) -> Path:
    """How many gap months runs ended with: agreements and censored runs stacked."""
    from ..experiments.summary import load

    table, _ = load(runs)
    ok = table["ok"].to_numpy()
    gap = table["gap_months"].to_numpy()[ok]
    censored = table["censored"].to_numpy()[ok]
    fig, ax = new_figure(size=(8.0, 4.5))
    edges = np.arange(0, (gap.max() if len(gap) else 0) + 2) - 0.5
    ax.hist([gap[~censored], gap[censored]], bins=edges, stacked=True,
            color=[ACCENT, GAP_COLOR], label=["agreement", "no agreement by the horizon"])
    if len(gap):
        median = float(np.median(gap))
        ax.axvline(median, color=NEUTRAL, lw=1.5, ls="--",
                   label=f"median {human(median)} months")
    ax.set_xlabel("gap months (months without an agreement in force)")
    ax.set_ylabel("runs")
    ax.set_title(f"Gap length over {len(gap):,} runs")
    ax.legend()
    return save(fig, path)


def _percent_formatter() -> object:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{100 * v:.0f}%")


def _dark(image: object, value: float) -> bool:
    r, g, b, _ = image.cmap(image.norm(value))  # type: ignore[attr-defined]
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5
