"""Figures of the tuning report and the sensitivity analysis (project style only).

* ``fit_figure``: observed vs simulated per cycle, one panel per compared quantity,
  simulated median with its 10-90% interval, held-out cycles marked.
* ``history_figure``: the loss of every trial and the best so far.
* ``importance_figure``: Optuna's parameter importances as bars.
* ``sobol_figure``: first-order and total Sobol' indices with bootstrap intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .style import ACCENT, NEUTRAL, ROK_COLOR, US_COLOR, new_figure, save

OUTPUT_LABELS = {"gap_share": "share of runs ending in a gap",
                 "gap_months": "gap months (mean)",
                 "change_pct": "first-year change % (mean)"}
FIT_PANELS = (("gap_months", "gap (months after expiry)"),
              ("change_pct", "first-year change (%)"),
              ("rounds", "rounds held"))


def fit_figure(table: pd.DataFrame, path: str | Path, title: str) -> Path:
    """``table``: one row per cycle with ``cycle``, ``held_out`` and, per quantity,
    ``<q>_observed``, ``<q>_median``, ``<q>_q10``, ``<q>_q90``."""
    fig, axes = new_figure(1, len(FIT_PANELS), size=(11.0, 3.8))
    x = np.arange(len(table))
    held = table["held_out"].to_numpy(dtype=bool)
    for ax, (key, label) in zip(axes, FIT_PANELS, strict=True):
        med = table[f"{key}_median"].to_numpy(dtype=float)
        low = med - table[f"{key}_q10"].to_numpy(dtype=float)
        high = table[f"{key}_q90"].to_numpy(dtype=float) - med
        for mask, color, name in ((~held, US_COLOR, "simulated (fit)"),
                                  (held, ROK_COLOR, "simulated (held out)")):
            if mask.any():
                ax.errorbar(x[mask] + 0.08, med[mask], yerr=[low[mask], high[mask]], fmt="o",
                            color=color, capsize=4, label=f"{name}: median, 10-90%")
        ax.scatter(x - 0.08, table[f"{key}_observed"], marker="D", color="black", zorder=3,
                   label="record")
        ax.set_xticks(x, table["cycle"])
        ax.set_xlim(-0.6, len(table) - 0.4)
        ax.set_title(label)
    axes[0].legend(loc="upper left")
    fig.suptitle(title)
    return save(fig, path)


def history_figure(trials: pd.DataFrame, path: str | Path, title: str) -> Path:
    """``trials``: ``number`` and ``value`` of completed trials."""
    fig, ax = new_figure(size=(8.0, 4.0))
    ordered = trials.sort_values("number")
    ax.scatter(ordered["number"], ordered["value"], s=12, color=NEUTRAL, alpha=0.6,
               label="trial loss")
    ax.step(ordered["number"], ordered["value"].cummin(), where="post", color=ACCENT,
            label="best so far")
    if (ordered["value"] > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return save(fig, path)


def importance_figure(importances: Mapping[str, float], path: str | Path, title: str) -> Path:
    fig, ax = new_figure(size=(8.0, 0.5 + 0.35 * max(len(importances), 1)))
    names = list(importances)[::-1]
    ax.barh(names, [importances[n] for n in names], color=US_COLOR)
    ax.set_xlabel("importance (Optuna PED-ANOVA, normalised to sum 1)")
    ax.set_title(title)
    if not names:
        ax.text(0.5, 0.5, "not available", ha="center", transform=ax.transAxes)
    return save(fig, path)


def sobol_figure(table: pd.DataFrame, path: str | Path, title: str) -> Path:
    """``table``: ``output``, ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``."""
    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = new_figure(1, len(outputs), size=(4.2 * len(outputs), 4.4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, output in zip(axes, outputs, strict=True):
        part = table[table["output"] == output]
        y = np.arange(len(part))
        ax.barh(y + 0.2, part["S1"], height=0.38, xerr=part["S1_conf"], color=US_COLOR,
                capsize=2, label="first order S1")
        ax.barh(y - 0.2, part["ST"], height=0.38, xerr=part["ST_conf"], color=ROK_COLOR,
                capsize=2, label="total ST")
        ax.set_yticks(y, part["parameter"])
        ax.axvline(0, color=NEUTRAL, linewidth=0.8)
        ax.set_title(OUTPUT_LABELS.get(output, output))
        ax.set_xlabel("Sobol' index (bars: 95% bootstrap interval)")
    axes[0].invert_yaxis()
    axes[0].legend(loc="lower right")
    fig.suptitle(title)
    return save(fig, path)
