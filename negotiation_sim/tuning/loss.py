"""How far simulated outcomes lie from the record: the loss that tuning minimises.

For cycle ``c`` with ``R`` replications (the same seeds in every trial: common random
numbers), replication ``r`` gives its timing ``g`` in gap months, counted negative for a
deal before expiry (``g = -lead_months``: an early deal scores differently from one at
expiry), first-year change ``x`` (percent;
a run without agreement by the horizon keeps the amount in force frozen, so ``x = 0``),
rounds held ``n`` and agreed-before-expiry ``b`` (agreed with no gap month, 0 or 1). With
the observed ``G, X, N, B`` and the config's weights ``w`` and scales ``s``::

    L_c = (1/R) sum_r [ w_gap (g - G)^2 / s_gap^2 + w_chg (x - X)^2 / s_chg^2
                        + w_rnd (n - N)^2 / s_rnd^2 + w_exp (b - B)^2 ]
    L   = sum_c v_c L_c / sum_c v_c            (v_c: the cycle weights)

Zero exactly when every replication reproduces the record; each term grows with the
square of the distance (in units of its scale). ``docs/tuning.md`` gives the defaults.
Two more terms compare the package where the config weighs them and the record gives
them (issue 12): the term ``T`` in years (a run without agreement counts the stated term)
and the escalator number ``E`` (the fixed rate or the cap, a cap above the scenario's
highest path rate counting as that rate, as does no cap)::

    + w_term (t - T)^2 / s_term^2 + w_esc (e - E)^2 / s_esc^2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..draws import run_seeds
from ..engine import DEFAULT_ENGINE, simulate_batch
from ..parameters import Parameter, cycle_overrides
from .config import Cycle, LossTerm

TERMS = ("gap_months", "change_pct", "rounds", "before_expiry")
PACKAGE_TERMS = ("term_years", "escalator_pct")


def common_seeds(base_seed: int, replications: int) -> np.ndarray:
    """The seeds every trial uses (common random numbers across trials and cycles)."""
    return run_seeds(base_seed, np.arange(replications))


def effective_pct(space: Any, pct: Any) -> np.ndarray:
    """An escalator number as the loss compares it: a linked rule's cap (NaN: none)
    no higher than the highest rate of its path; a fixed rate as it is."""
    pct = np.asarray(pct, dtype=np.float64)
    if space.escalator not in ("cpi", "budget"):
        return pct
    top = max(space.path)
    return np.where(np.isnan(pct), top, np.minimum(pct, top))


def _column(outcomes: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric outcome column (NaN where a table made before packages lacks it)."""
    if name not in outcomes:
        return np.full(len(outcomes), np.nan)
    return outcomes[name].to_numpy(dtype=np.float64)


def simulated_metrics(outcomes: pd.DataFrame, space: Any = None) -> pd.DataFrame:
    """Per run: the compared quantities (change 0 for a run without agreement); with the
    scenario's package space, also the term and the effective escalator number."""
    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    # Gap months, negative for the months a deal came before expiry (= -lead_months).
    timing = -outcomes["lead_months"].to_numpy(dtype=np.float64)
    change = np.where(agreed, outcomes["increase_pct"].to_numpy(dtype=np.float64), 0.0)
    return pd.DataFrame({
        "gap_months": timing,
        "change_pct": change,
        "rounds": outcomes["rounds_held"].to_numpy(dtype=np.float64),
        "before_expiry": (agreed & (timing <= 0)).astype(np.float64),
        "agreed": agreed,
        "term_years": _column(outcomes, "term_years"),
        "escalator_pct": (effective_pct(space, _column(outcomes, "escalator_pct"))
                          if space is not None else np.full(len(outcomes), np.nan)),
    })


def term_errors(metrics: pd.DataFrame, observed: Mapping[str, Any],
                terms: Mapping[str, LossTerm]) -> dict[str, float]:
    """Each term's weighted mean squared scaled error over the replications."""
    target = {"gap_months": float(observed["gap_months"]),
              "change_pct": float(observed["change_pct"]),
              "rounds": float(observed["rounds"]),
              "before_expiry": float(bool(observed["agreed_before_expiry"]))}
    out = {}
    for name in TERMS:
        term = terms[name]
        scale = 1.0 if name == "before_expiry" else term.scale
        err = (metrics[name].to_numpy() - target[name]) / scale
        out[name] = term.weight * float(np.mean(err * err))
    for name in PACKAGE_TERMS:  # only where weighed and observed
        term = terms.get(name)
        if term is None or term.weight == 0 or name not in observed:
            continue
        err = (metrics[name].to_numpy() - float(observed[name])) / term.scale
        out[name] = term.weight * float(np.mean(err * err))
    return out


@dataclass(frozen=True)
class CycleFit:
    """One cycle's simulated outcomes under one parameter set, and their loss."""

    name: str
    loss: float
    terms: dict[str, float]
    metrics: pd.DataFrame  # one row per replication

    def summary(self) -> dict[str, float]:
        """Median and 10-90% interval of each compared quantity; share agreed by expiry."""
        out: dict[str, float] = {}
        for name in ("gap_months", "change_pct", "rounds"):
            q10, q50, q90 = np.quantile(self.metrics[name].to_numpy(), [0.1, 0.5, 0.9])
            out[f"{name}_median"] = float(q50)
            out[f"{name}_q10"] = float(q10)
            out[f"{name}_q90"] = float(q90)
        out["before_expiry_share"] = float(self.metrics["before_expiry"].mean())
        out["term_years_median"] = float(np.median(self.metrics["term_years"].to_numpy()))
        esc = self.metrics["escalator_pct"].to_numpy()
        out["escalator_pct_median"] = float(np.median(esc)) if not np.isnan(esc).all() \
            else float("nan")
        out["gap_share"] = float((self.metrics["gap_months"] > 0).mean())
        out["agreed_share"] = float(self.metrics["agreed"].mean())
        return out


def evaluate_cycle(cycle: Cycle, parameters: Sequence[Parameter], values: Mapping[str, Any],
                   seeds: np.ndarray, terms: Mapping[str, LossTerm],
                   engine: str | None = None) -> CycleFit:
    """Simulate one cycle with tuned ``values`` and score it against its record."""
    overrides = cycle_overrides(cycle.scenario, tuple(parameters), values)
    scenario = cycle.scenario.with_overrides(overrides) if overrides else cycle.scenario
    outcomes = simulate_batch(scenario, None, seeds, engine=engine or DEFAULT_ENGINE)
    metrics = simulated_metrics(outcomes, scenario.package)
    observed = dict(cycle.observed)
    if "escalator_pct" in observed:
        observed["escalator_pct"] = float(effective_pct(scenario.package,
                                                        observed["escalator_pct"]))
    parts = term_errors(metrics, observed, terms)
    return CycleFit(cycle.name, float(sum(parts.values())), parts, metrics)


def total_loss(fits: Sequence[CycleFit], cycles: Sequence[Cycle]) -> float:
    """The cycle-weighted mean of the cycles' losses."""
    weight = {c.name: c.weight for c in cycles}
    num = sum(weight[f.name] * f.loss for f in fits)
    den = sum(weight[f.name] for f in fits)
    return float(num / den) if den else 0.0
