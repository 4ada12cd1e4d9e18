"""Figures of a sweep: a heatmap of a statistic over two parameters, and gap lengths.

Both take a runs table, a sweep folder, or ``experiments.summary.load``'s compact table,
and use the project style.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .style import ACCENT, CMAP, GAP_COLOR, NEUTRAL, new_figure, save

LABELS = {"agreement_rate": "agreement rate", "gap_median": "median gap (months)",
          "gap_share": "share of runs with a gap"}


def heatmap(runs: pd.DataFrame | str | Path, x: str, y: str, path: str | Path,
            value: str = "agreement_rate") -> Path:
    """A ``summarize`` statistic (default: agreement rate) over parameters ``x`` and ``y``."""
    from ..experiments.summary import summarize

    table = summarize(runs, by=[x, y])
    table = table[table["group"] != "all"]
    grid = table.pivot(index=y, columns=x, values=value)
    fig, ax = new_figure(size=(7.5, 5.5))
    data = grid.to_numpy(dtype=float)
    rate = value.endswith(("rate", "share"))
    image = ax.imshow(data, origin="lower", aspect="auto", cmap=CMAP,
                      vmin=0.0 if rate else None, vmax=1.0 if rate else None)
    ax.set_xticks(range(len(grid.columns)), [_tick(v) for v in grid.columns], rotation=30)
    ax.set_yticks(range(len(grid.index)), [_tick(v) for v in grid.index])
    ax.grid(False)
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            text = f"{100 * v:.0f}%" if rate else f"{v:.3g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if _dark(image, v) else "black")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    label = LABELS.get(value, value)
    ax.set_title(f"{label.capitalize()} by {x} and {y}")
    fig.colorbar(image, ax=ax, label=label)
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
        ax.axvline(median, color=NEUTRAL, lw=1.5, ls="--", label=f"median {median:g} months")
    ax.set_xlabel("gap months (months without an agreement in force)")
    ax.set_ylabel("runs")
    ax.set_title(f"Gap length over {len(gap):,} runs")
    ax.legend()
    return save(fig, path)


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _dark(image: object, value: float) -> bool:
    r, g, b, _ = image.cmap(image.norm(value))  # type: ignore[attr-defined]
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5
