"""Posterior-predictive outcomes: the calibration's particles applied to any scenario.

Each draw picks a particle by its weight and runs the scenario once with a fresh seed;
the shared parameters apply by their modes relative to the scenario's own facts (as in
tuning). With a hierarchy, each draw also takes a fresh cycle effect (``hierarchy.py``):
a new or held-out cycle is predicted with the cycle-level variation, not at the mean.
All draws go through the engine in one batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..draws import run_seeds
from ..engine import simulate_batch
from ..parameters import Parameter, cycle_overrides
from ..scenario import Scenario
from .hierarchy import SPREAD, Hierarchy, apply_effects, cycle_effects

QUANTILES = (0.1, 0.5, 0.9)


def draw_particles(samples: pd.DataFrame, weights: np.ndarray, draws: int,
                   seed: int) -> pd.DataFrame:
    """``draws`` particles resampled by weight (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    idx = rng.choice(len(samples), size=draws, p=weights / weights.sum())
    return samples.iloc[idx].reset_index(drop=True)


def predict(scenario: Scenario, parameters: tuple[Parameter, ...], samples: pd.DataFrame,
            weights: np.ndarray, draws: int, seed: int,
            extra: dict[str, np.ndarray] | None = None,
            extra_parameters: tuple[Parameter, ...] = (),
            hierarchy: Hierarchy | None = None, key: str | None = None) -> pd.DataFrame:
    """One simulated outcome per posterior draw (the engine's outcome columns).

    ``key`` names the cycle for its effects' draws (default: the scenario's name).
    """
    picked = draw_particles(samples, weights, draws, seed)
    seeds = run_seeds(seed, np.arange(draws) + 1_000_000)
    values = {p.name: picked[p.name].to_numpy() for p in parameters
              if p.name in picked and p.targets(scenario)}
    if hierarchy is not None and SPREAD in picked:
        z = cycle_effects(seeds, key or scenario.name)
        values = apply_effects(hierarchy, {**values, SPREAD: picked[SPREAD].to_numpy()}, z)
        values.pop(SPREAD)
    values.update(extra or {})
    overrides = cycle_overrides(scenario, tuple(p for p in parameters if p.name in values)
                                + extra_parameters, values)
    frame = pd.DataFrame({k: np.broadcast_to(v, (draws,)) for k, v in overrides.items()})
    return simulate_batch(scenario, frame, seeds, engine="fast")


def _q(x: np.ndarray) -> dict[str, float | None]:
    if len(x) == 0:
        return {"p10": None, "p50": None, "p90": None}
    q = np.quantile(x, QUANTILES)
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def month_quantiles(months: np.ndarray) -> dict[str, str | None]:
    """p10/p50/p90 of 'YYYY-MM' labels as labels (each a month some draw has)."""
    from ..calendar import format_month, parse_month

    if len(months) == 0:
        return {"p10": None, "p50": None, "p90": None}
    numbers = np.array([parse_month(m) for m in months])
    q = np.quantile(numbers, QUANTILES, method="inverted_cdf")
    return {k: format_month(int(v)) for k, v in zip(("p10", "p50", "p90"), q, strict=True)}


def summarize(outcomes: pd.DataFrame) -> dict[str, Any]:
    """The forecast summary (``forecast --json``).

    ``p_agreed``: a deal in force by the horizon. Quantiles of ``lead_months``,
    ``increase_pct`` and ``agreement_month`` are over the draws with a deal; ``gap_months``
    over all draws (a draw without a deal counts its gap to the horizon). ``term_years``:
    the share of each term among the draws with a deal.
    """
    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    lead = outcomes["lead_months"].to_numpy(dtype=np.float64)
    gap = outcomes["gap_months"].to_numpy(dtype=np.float64)
    month = outcomes["agreement_month"].astype(str).to_numpy()
    terms = outcomes["term_years"].to_numpy()[agreed]
    return {
        "draws": int(len(outcomes)),
        "p_agreed": float(np.mean(agreed)),
        "p_agreed_before_expiry": float(np.mean(agreed & (lead >= 0))),
        "p_gap": float(np.mean(~agreed | (gap > 0))),
        "lead_months": _q(lead[agreed]),
        "gap_months": _q(gap),
        "increase_pct": _q(outcomes["increase_pct"].to_numpy(dtype=np.float64)[agreed]),
        "agreement_month": month_quantiles(month[agreed]),
        "term_years": {str(int(t)): float(np.mean(terms == t)) for t in np.unique(terms)},
    }


def in_force_by_month(outcomes: pd.DataFrame, scenario: Scenario) -> tuple[list[str],
                                                                            np.ndarray]:
    """Every calendar month from the start of talks to the horizon, and the share of draws
    with a deal in force by the end of it (non-decreasing; the last is the share agreed).

    A deal is in force from its ``ratified_month`` (the month it was initialled where no
    ratification is needed).
    """
    from ..calendar import format_month, parse_month

    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    start = np.array([parse_month(m) if ok else np.iinfo(np.int64).max
                      for m, ok in zip(outcomes["ratified_month"], agreed, strict=True)])
    grid = scenario.talks_start + np.arange(scenario.n_months)
    cum = (start[None, :] <= grid[:, None]).mean(axis=1)
    return [format_month(int(m)) for m in grid], cum


def interval_hits(timing: np.ndarray, change: np.ndarray, observed: dict[str, Any]
                  ) -> dict[str, Any]:
    """Whether the record lies in the 50% and 80% central predictive intervals."""
    out: dict[str, Any] = {}
    for name, x, obs in (("timing", timing, float(observed["gap_months"])),
                         ("change", change, float(observed["change_pct"]))):
        q10, q25, q50, q75, q90 = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
        out.update({f"{name}_observed": obs, f"{name}_p50": q50,
                    f"{name}_p10": q10, f"{name}_p90": q90,
                    f"{name}_in50": bool(q25 <= obs <= q75),
                    f"{name}_in80": bool(q10 <= obs <= q90),
                    f"{name}_width80": float(q90 - q10)})
    return out
