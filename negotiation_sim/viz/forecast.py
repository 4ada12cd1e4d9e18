"""The forecast figure: when a deal comes into force, and what it pays in its first year.

Left, a fan chart: the share of posterior-predictive draws with a deal in force by each
calendar month (the cumulative probability), the central 50% and 80% intervals of the
month a deal comes into force shaded around its median, and the expiry of the agreement in
force. Right, the distribution of the first-year amount among draws with a deal, with the
amount in force marked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .style import ACCENT, NEUTRAL, US_COLOR, new_figure, save

if TYPE_CHECKING:
    import pandas as pd

    from ..scenario import Scenario


def forecast_figure(outcomes: pd.DataFrame, scenario: Scenario) -> Any:
    """The two-panel forecast figure of ``outcomes`` (``calibration.predictive.predict``)."""
    from ..calibration.predictive import in_force_by_month

    labels, cum = in_force_by_month(outcomes, scenario)
    fig, (left, right) = new_figure(1, 2, size=(11.0, 4.2))
    x = np.arange(len(labels))
    _fan(left, x, cum)
    left.step(x, cum, where="post", color=US_COLOR, lw=2, label="P(deal in force by then)")
    expiry = scenario.expiry
    left.axvline(expiry, color=NEUTRAL, ls="--", lw=1.2,
                 label=f"expiry {labels[expiry]}" if 0 <= expiry < len(labels) else "expiry")
    left.axhline(cum[-1], color=NEUTRAL, ls=":", lw=1,
                 label=f"deal by the horizon: {cum[-1]:.0%}")
    step = max(1, len(labels) // 8)
    left.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
    left.set_ylim(0, 1.02)
    left.set_xlabel("month")
    left.set_ylabel("P(deal in force by the end of the month)")
    left.set_title(f"{scenario.name}: {len(outcomes)} posterior draws")
    left.legend(loc="lower right")

    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    amounts = outcomes["amount_krw_bn"].to_numpy(dtype=np.float64)[agreed]
    if len(amounts):
        right.hist(amounts, bins=30, color=ACCENT, alpha=0.8)
        for q, ls in zip(np.quantile(amounts, [0.1, 0.5, 0.9]), (":", "-", ":"), strict=True):
            right.axvline(q, color=ACCENT, ls=ls, lw=1)
    else:
        right.text(0.5, 0.5, "no deal in any draw", ha="center", transform=right.transAxes)
    right.axvline(scenario.amount_in_force, color=NEUTRAL, ls="--", lw=1.5,
                  label=f"amount in force {scenario.amount_in_force:,.0f}")
    right.set_xlabel("first-year amount, bn won (median, 10% and 90% marked)")
    right.set_ylabel("draws with a deal")
    right.set_title("First-year amount")
    right.legend(loc="upper right")
    return fig


def _fan(ax: Any, x: np.ndarray, cum: np.ndarray) -> None:
    """Shade the central 80% and 50% intervals of the month a deal comes into force."""
    if cum[-1] <= 0:
        return
    share = cum / cum[-1]  # conditional on a deal by the horizon
    for (lo, hi), alpha in (((0.1, 0.9), 0.15), ((0.25, 0.75), 0.3)):
        a, b = int(np.searchsorted(share, lo)), int(np.searchsorted(share, hi))
        # Month i spans [i, i + 1) on the axis: the band covers its first and last months.
        ax.axvspan(x[a], x[min(b, len(x) - 1)] + 1, color=US_COLOR, alpha=alpha, lw=0,
                   label=f"{hi - lo:.0%} of deals come into force here")


def write_forecast_figure(outcomes: pd.DataFrame, scenario: Scenario, path: Path) -> Path:
    """Draw and save the forecast figure as a PNG."""
    return save(forecast_figure(outcomes, scenario), path)
