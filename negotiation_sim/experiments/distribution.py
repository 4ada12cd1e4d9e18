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

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..calendar import format_month, parse_month
from ..scenario import Scenario

if TYPE_CHECKING:
    from ..packages import PackageSpace

QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
QUANTITIES = ("agreement_month", "gap_months", "lead_months", "amount_krw_bn", "increase_pct")
SEED_SCHEME = "replication i: negotiation_sim.draws.run_seeds(base_seed, [i]), as in a sweep"
SHARES = ("p_agreed", "p_agreed_before_expiry", "p_gap")
# Package quantities (issue 12), present when the scenario negotiates them: the term
# (years) when the term is negotiated; the escalator number and, for a CPI- or
# budget-linked rule, the share of agreed runs whose cap binds (is below the rise the
# linked path would give in some later year of the term) when the escalator is; each
# side item's agreed share (``in_kind_pct``, ``wage_share_pct``) when it is negotiated.
PACKAGE_QUANTITIES = ("term_years", "escalator_pct", "in_kind_pct", "wage_share_pct")
ITEM_LABELS = {"in_kind_pct": "in kind (% of amount)", "wage_share_pct": "wage share (%)"}


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


def package_keys(space: PackageSpace | None) -> list[str]:
    """The package quantities a batch of this package space reports: 'term_years',
    'escalator_pct', 'cap_binds' (a share), 'in_kind_pct', 'wage_share_pct' (the side
    items' agreed shares), those negotiated only; [] for one issue."""
    if space is None or not space.negotiated:
        return []
    keys = ["term_years"] if space.term_max > space.term_min else []
    if space.pct_high > space.pct_low:
        keys.append("escalator_pct")
        if space.escalator in ("cpi", "budget"):
            keys.append("cap_binds")
    return keys + [f"{item.name}_pct" for item in space.items if item.negotiated]


def package_columns(space: PackageSpace | None) -> list[str]:
    """The outcome columns ``package_arrays`` reads for this package space."""
    keys = package_keys(space)
    return ["term_years", "escalator_pct", *(k for k in keys if k in ITEM_LABELS)] if keys \
        else []


def cap_binds(space: PackageSpace, term: np.ndarray, pct: np.ndarray) -> np.ndarray:
    """Whether a linked escalator's cap ``pct`` is below the path's rise in some later
    year of ``term`` (so it changes a payment); False for one-year terms and no cap."""
    from ..packages import rates

    uncapped = [float(r) for r in rates(space, space.term_max, np.inf)]
    highest = np.array([-np.inf] + list(np.maximum.accumulate(uncapped)))  # by term - 1
    later = np.clip(np.nan_to_num(term, nan=1.0).astype(np.int64) - 1, 0, len(highest) - 1)
    with np.errstate(invalid="ignore"):
        return np.asarray(pct, dtype=float) < highest[later]


def package_arrays(outcomes: pd.DataFrame, space: PackageSpace | None) -> dict[str, np.ndarray]:
    """Per-run package arrays (``package_keys``; NaN for runs that did not agree)."""
    keys = package_keys(space)
    if not keys:
        return {}
    assert space is not None
    agreed = outcomes["agreed"].fillna(False).to_numpy(dtype=bool)
    term = np.where(agreed, outcomes["term_years"].to_numpy(dtype=float, na_value=np.nan),
                    np.nan)
    pct = np.where(agreed, outcomes["escalator_pct"].to_numpy(dtype=float, na_value=np.nan),
                   np.nan)
    out = {"term_years": term, "escalator_pct": pct}
    if "cap_binds" in keys:
        out["cap_binds"] = np.where(agreed, cap_binds(space, term, pct), np.nan)
    for key in keys:
        if key in ITEM_LABELS:
            out[key] = np.where(agreed, outcomes[key].to_numpy(dtype=float, na_value=np.nan),
                                np.nan)
    return {k: out[k] for k in keys}


def _percentiles(values: np.ndarray, method: str = "linear") -> dict[str, float | None]:
    values = values[~np.isnan(values)]
    if not len(values):
        return dict.fromkeys(QUANTILES)
    q = np.quantile(values, list(QUANTILES.values()), method=method)
    return {k: float(v) for k, v in zip(QUANTILES, q, strict=True)}


def distribution(outcomes: pd.DataFrame, expiry: str,
                 space: PackageSpace | None = None) -> dict[str, Any]:
    """Shares and percentiles of an outcome table whose agreement in force expires ``expiry``.

    Keys: ``runs``, ``expiry``, ``p_agreed``, ``p_agreed_before_expiry``, ``p_gap`` (shares
    of all runs), and {p10, p50, p90} for ``agreement_month`` ('YYYY-MM'), ``gap_months``
    (every run; no deal: up to the horizon), ``lead_months``, ``amount_krw_bn`` and
    ``increase_pct`` (agreed runs). A percentile with no run to take it from is None.
    When ``space`` negotiates them (``package_keys``), also {p10, p50, p90} of
    ``term_years``, ``escalator_pct``, ``in_kind_pct`` and ``wage_share_pct`` and
    ``p_cap_binds`` (shares of agreed runs).
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
        **_package_distribution(package_arrays(outcomes, space)),
    }


def _package_distribution(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in arrays.items():
        if key == "cap_binds":
            defined = values[~np.isnan(values)]
            out["p_cap_binds"] = float(defined.mean()) if len(defined) else None
        else:
            out[key] = _percentiles(values)
    return out


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
    labels |= {key: label for key, label in (("term_years", "term (years)"),
                                             ("escalator_pct", "escalator (%)"),
                                             *ITEM_LABELS.items())
               if key in dist}
    for key, label in labels.items():
        cells = "".join(f"{human(dist[key][k]):>10}" for k in QUANTILES)
        lines.append(f"{label:<{width}}{cells}")
    if "p_cap_binds" in dist:
        lines += ["", f"{'cap binds (of agreed runs)':<{width}}"
                  f"{percent(dist['p_cap_binds']):>10}"]
    return "\n".join(lines)
