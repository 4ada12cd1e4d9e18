"""The package in the record and in the tuning loss (issue 12): term and escalator are
observed where the record gives them and weighed where the config says so."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.packages import PackageSpace
from negotiation_sim.tuning import record
from negotiation_sim.tuning.config import LossTerm, load_tune_config
from negotiation_sim.tuning.loss import (
    effective_pct,
    evaluate_cycle,
    simulated_metrics,
    term_errors,
)

from .conftest import ROOT


def test_the_record_gives_term_and_escalator_in_the_models_terms() -> None:
    rows = record.observed_outcomes().set_index("cycle")
    assert rows.loc[[9, 10, 11], "term_years"].tolist() == [5, 1, 6]
    assert rows.loc[[6, 9, 10, 11], "escalator"].tolist() == ["none", "cpi", "none", "budget"]
    assert rows.loc[9, "escalator_pct"] == 4.0  # "capped at 4%/yr"
    assert math.isnan(rows.loc[11, "escalator_pct"])  # no cap


def test_a_cap_above_the_path_counts_as_no_cap() -> None:
    budget = PackageSpace("budget", 6, 6, budget_growth_pct=(5.4, 3.4, 4.4, 4.2))
    assert effective_pct(budget, [np.nan, 6.0, 5.4, 3.0]).tolist() == [5.4, 5.4, 5.4, 3.0]
    fixed = PackageSpace("fixed", 3, 3, 10.0, 10.0)
    assert effective_pct(fixed, [10.0]).tolist() == [10.0]


def test_term_and_escalator_errors_by_hand() -> None:
    space = PackageSpace("cpi", 1, 5, 0.0, 6.0, cpi_pct=(2.5, 3.0))
    outcomes = pd.DataFrame({"agreed": [True, True], "lead_months": [0, 0],
                             "increase_pct": [5.0, 5.0], "rounds_held": [3, 3],
                             "term_years": [1, 3], "escalator_pct": [np.nan, 2.0]})
    metrics = simulated_metrics(outcomes, space)
    assert metrics["escalator_pct"].tolist() == [3.0, 2.0]  # no cap: the path's top, 3.0
    observed = {"gap_months": 0, "change_pct": 5.0, "rounds": 3,
                "agreed_before_expiry": True, "term_years": 2, "escalator_pct": 3.0}
    terms = {name: LossTerm(1.0, 1.0) for name in ("gap_months", "change_pct", "rounds",
                                                   "before_expiry")}
    terms["term_years"] = LossTerm(0.5, 1.0)
    terms["escalator_pct"] = LossTerm(2.0, 2.0)
    parts = term_errors(metrics, observed, terms)
    # term: errors -1, +1 years -> mean square 1, weight 0.5; escalator: 0 and -1 point
    # over a scale of 2 -> mean square 0.125, weight 2
    assert parts["term_years"] == pytest.approx(0.5)
    assert parts["escalator_pct"] == pytest.approx(0.25)
    assert parts["gap_months"] == parts["change_pct"] == parts["rounds"] == 0.0
    # unweighted (the default) or unobserved: no term at all
    terms["term_years"] = LossTerm(0.0, 1.0)
    del observed["escalator_pct"]
    assert set(term_errors(metrics, observed, terms)) == {"gap_months", "change_pct", "rounds",
                                                          "before_expiry"}


def test_the_shipped_tune_weighs_the_negotiated_term_of_the_10th() -> None:
    config = load_tune_config(ROOT / "configs/tune_history.toml")
    assert config.loss["term_years"].weight > 0 and config.loss["escalator_pct"].weight > 0
    sma10 = config.cycle("sma10")
    assert sma10.observed["term_years"] == 1 and sma10.scenario.package.negotiated
    seeds = np.arange(20)
    short = evaluate_cycle(sma10, config.parameters, {"us.renewal_pct": 0.0,
                                                      "rok.renewal_pct": 0.0}, seeds,
                           config.loss)
    assert short.terms["term_years"] == 0.0  # indifferent sides keep the stated one year
    long = evaluate_cycle(sma10, config.parameters, {"us.renewal_pct": 0.0,
                                                     "rok.renewal_pct": 30.0}, seeds,
                          config.loss)
    # a ROK expecting +30% at renewal wants long terms and, facing an indifferent US, gets
    # them: the loss sees the term the record did not have
    longer = long.metrics["term_years"].to_numpy() > 1
    assert longer.any()
    assert long.terms["term_years"] == pytest.approx(
        0.5 * float(np.mean((long.metrics["term_years"].to_numpy() - 1.0) ** 2)))
