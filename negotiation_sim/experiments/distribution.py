"""One scenario replicated: the distribution of its outcome (``run --replications``).

Replication ``i`` runs with seed ``draws.run_seeds(seed, [i])``, the seed a sweep gives
run ``i``, so ``run CONFIG --replications N --seed S`` reproduces the first N runs of a
one-point sweep with seed S, and two scenarios replicated with the same seed share their
random numbers (common random numbers: ``compare``).

``distribution`` reduces an outcome table (``engine.simulate_batch`` output) to shares and
10th/50th/90th percentiles (numpy's linear method; the agreement month's percentiles are
observed months, numpy's ``inverted_cdf``). Lead months are the expiry month minus the
agreement month: positive when the deal came early, minus the gap when it came late.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..calendar import format_month, parse_month
from ..scenario import Scenario

QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
QUANTITIES = ("agreement_month", "gap_months", "lead_months", "amount_krw_bn", "increase_pct")
SEED_SCHEME = "replication i: negotiation_sim.draws.run_seeds(base_seed, [i]), as in a sweep"
SHARES = ("p_agreed", "p_agreed_before_expiry", "p_gap")


def replication_seeds(seed: int, replications: int) -> np.ndarray:
    """The seeds of replications 0..N-1: those a sweep with base seed ``seed`` gives them."""
    from ..draws import run_seeds

    return run_seeds(seed, np.arange(replications))


def replicate(scenario: Scenario, replications: int, seed: int = 0,
              engine: str | None = None) -> pd.DataFrame:
    """Outcomes of ``replications`` runs of ``scenario``: replication, seed, outcome fields."""
    from ..engine import DEFAULT_ENGINE, simulate_batch

    seeds = replication_seeds(seed, replications)
    table = simulate_batch(scenario, None, seeds, engine or DEFAULT_ENGINE)
    table.insert(0, "seed", seeds)
    table.insert(0, "replication", np.arange(replications))
    return table


def runs_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """``replicate`` output in a sweep's runs layout (run_id, point 0, replication, seed,
    outcome fields, error), which ``summarize`` and the figures read."""
    table = outcomes.copy()
    table.insert(0, "point", 0)
    table.insert(0, "run_id", np.arange(len(table)))
    table["error"] = pd.Series([None] * len(table), dtype=object)
    return table


def expiry_month(scenario: Scenario) -> str:
    """The last month the agreement in force covers, 'YYYY-MM'."""
    return scenario.month_label(scenario.expiry)


def month_numbers(labels: pd.Series | np.ndarray) -> np.ndarray:
    """'YYYY-MM' labels -> month numbers (float, NaN where missing)."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object))  # few distinct months
    numbers = np.array([parse_month(str(u)) for u in uniques] + [np.nan], dtype=float)
    return numbers[codes]  # code -1 (missing) picks the trailing NaN


def lead_months(agreement_month: pd.Series | np.ndarray,
                expiry: str | pd.Series | np.ndarray) -> np.ndarray:
    """Expiry month minus agreement month per run (NaN for runs with no agreement)."""
    if isinstance(expiry, str):
        expiry_number: float | np.ndarray = float(parse_month(expiry))
    else:
        expiry_number = month_numbers(expiry)
    return expiry_number - month_numbers(agreement_month)


def outcome_arrays(outcomes: pd.DataFrame, expiry: str) -> dict[str, np.ndarray]:
    """Per-run arrays ``distribution`` and ``compare`` work on (NaN where not defined)."""
    agreed = outcomes["agreed"].fillna(False).to_numpy(dtype=bool)
    gap = outcomes["gap_months"].to_numpy(dtype=float)
    return {
        "agreed": agreed,
        "agreed_before_expiry": agreed & (gap == 0),
        "gap": gap > 0,
        "agreement_month": month_numbers(outcomes["agreement_month"]),
        "gap_months": gap,
        "lead_months": lead_months(outcomes["agreement_month"], expiry),
        "amount_krw_bn": np.where(agreed, outcomes["amount_krw_bn"].to_numpy(
            dtype=float, na_value=np.nan), np.nan),
        "increase_pct": np.where(agreed, outcomes["increase_pct"].to_numpy(
            dtype=float, na_value=np.nan), np.nan),
    }


def _percentiles(values: np.ndarray, method: str = "linear") -> dict[str, float | None]:
    values = values[~np.isnan(values)]
    if not len(values):
        return dict.fromkeys(QUANTILES)
    q = np.quantile(values, list(QUANTILES.values()), method=method)
    return {k: float(v) for k, v in zip(QUANTILES, q, strict=True)}


def distribution(outcomes: pd.DataFrame, expiry: str) -> dict[str, Any]:
    """Shares and percentiles of an outcome table whose agreement in force expires ``expiry``.

    Keys: ``runs``, ``expiry``, ``p_agreed``, ``p_agreed_before_expiry``, ``p_gap`` (shares
    of all runs), and {p10, p50, p90} for ``agreement_month`` ('YYYY-MM'), ``gap_months``
    (every run; no deal: up to the horizon), ``lead_months``, ``amount_krw_bn`` and
    ``increase_pct`` (agreed runs). A percentile with no run to take it from is None.
    """
    a = outcome_arrays(outcomes, expiry)
    n = len(outcomes)

    def share(mask: np.ndarray) -> float | None:
        return float(mask.mean()) if n else None

    months = _percentiles(a["agreement_month"], "inverted_cdf")
    return {
        "runs": n, "expiry": expiry,
        "p_agreed": share(a["agreed"]),
        "p_agreed_before_expiry": share(a["agreed_before_expiry"]),
        "p_gap": share(a["gap"]),
        "agreement_month": {k: None if v is None else format_month(int(v))
                            for k, v in months.items()},
        **{name: _percentiles(a[name]) for name in QUANTITIES[1:]},
    }


def format_distribution(dist: dict[str, Any]) -> str:
    """The distribution as two small text tables: shares, then percentiles."""
    from ..formatting import human, percent

    rows = [("agreed", dist["p_agreed"]),
            (f"agreed before expiry ({dist['expiry']})", dist["p_agreed_before_expiry"]),
            ("in a gap (at least one month)", dist["p_gap"])]
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{label:<{width}}{percent(value):>8}" for label, value in rows]
    labels = {"agreement_month": "agreement month", "gap_months": "gap months",
              "lead_months": "lead months (+ early)", "amount_krw_bn": "amount (bn won)",
              "increase_pct": "increase (%)"}
    width = max(len(v) for v in labels.values()) + 2
    lines += ["", f"{'':<{width}}" + "".join(f"{k:>10}" for k in QUANTILES)]
    for key, label in labels.items():
        cells = "".join(f"{human(dist[key][k]):>10}" for k in QUANTILES)
        lines.append(f"{label:<{width}}{cells}")
    return "\n".join(lines)
