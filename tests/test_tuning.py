"""Tuning: the record, parameter modes, the loss, and recovering known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.engine import simulate_batch
from negotiation_sim.parameters import Parameter, cycle_overrides
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tuning import record
from negotiation_sim.tuning.config import LOSS_TERMS, LossTerm, load_tune_config
from negotiation_sim.tuning.loss import (
    common_seeds,
    evaluate_cycle,
    simulated_metrics,
    term_errors,
)
from negotiation_sim.tuning.study import fitted, optimize

from .conftest import CONFIGS

TERMS = {k: LossTerm(w, s) for k, (w, s) in LOSS_TERMS.items()}


# --- the record -----------------------------------------------------------------


def test_record_keeps_sources_and_confidence():
    agreements, yearly = record.agreements(), record.yearly()
    assert {"source", "confidence"} <= set(agreements.columns)
    assert {"source", "confidence", "basis"} <= set(yearly.columns)
    assert agreements["sma_number"].tolist() == list(range(1, 12))
    assert yearly.set_index("year").loc[2021, "amount_krw_billion"] == pytest.approx(1183.3)


def test_observed_outcomes_of_the_supported_cycles():
    table = record.observed_outcomes().set_index("cycle")
    assert {9, 10, 11} <= set(table.index)
    expect = {9: (1, 10, 5.8), 10: (2, 10, 8.2), 11: (15, 9, 13.9)}
    for cycle, (gap, rounds, change) in expect.items():
        row = table.loc[cycle]
        assert row["gap_months"] == gap
        assert row["formal_rounds"] == rounds
        assert row["change_pct"] == pytest.approx(change, abs=0.05)  # the record's own column
        assert not row["agreed_before_expiry"] and row["inputs_known"]
    assert table.loc[11, "gap_days"] == 432 and table.loc[9, "gap_days"] == 12
    assert table.loc[7, "agreed_before_expiry"]  # the one deal before expiry
    assert not table.loc[6, "inputs_known"]  # no start, no openings: no scenario
    assert table.loc[6, "change_pct"] == pytest.approx(-8.9, abs=0.05)


# --- parameters -----------------------------------------------------------------


def test_modes_map_one_value_onto_each_cycle():
    sc9 = load_scenario(CONFIGS / "history" / "sma9.toml")  # amount 869.5, US opening 1000
    sc11 = load_scenario(CONFIGS / "history" / "sma11.toml")
    params = [
        Parameter("us.opening", 0.2, 1.2, mode="premium_times"),
        Parameter("rok.bottom_line", 0.0, 25.0, mode="percent_above_amount"),
        Parameter("us.gap_sensitivity", 0.05, 5.0, mode="percent_of_amount", log=True),
        Parameter("us.tactic.deadline_months", 0, 12, mode="plus", integer=True),
        Parameter("us.principal.veto_threshold", 13.5, 44.0, mode="percent_above_amount"),
        Parameter("events[type=walkout].probability", 0.0, 0.2),
        Parameter("events[type=walkout,side=us].probability", 0.0, 0.2),
    ]
    values = {"us.opening": 0.5, "rok.bottom_line": 10.0, "us.gap_sensitivity": 1.0,
              "us.tactic.deadline_months": 2, "us.principal.veto_threshold": 20.0,
              "events[type=walkout].probability": 0.1,
              "events[type=walkout,side=us].probability": 0.05}
    o9 = cycle_overrides(sc9, params, values)
    assert o9["us.opening"] == pytest.approx(869.5 + 0.5 * (1000.0 - 869.5))
    assert o9["rok.bottom_line"] == pytest.approx(869.5 * 1.10)
    assert o9["us.gap_sensitivity"] == pytest.approx(8.695)
    assert o9["us.tactic.deadline_months"] == 5 + 2 and isinstance(
        o9["us.tactic.deadline_months"], int)
    assert "us.principal.veto_threshold" not in o9  # the 9th has no US veto threshold
    o11 = cycle_overrides(sc11, params, values)
    assert o11["us.principal.veto_threshold"] == pytest.approx(1038.9 * 1.2)
    # the scheduled walk-out has no probability: only the two random ones are set
    assert o11["events.1.probability"] == 0.05 and o11["events.2.probability"] == 0.1
    assert "events.0.probability" not in o11
    sc11.with_overrides(o11)  # valid


def test_bottom_lines_never_pass_the_opening():
    sc = load_scenario(CONFIGS / "history" / "sma9.toml")  # ROK opening 900, US opening 1000
    params = [Parameter("rok.bottom_line", 0.0, 25.0, mode="percent_above_amount"),
              Parameter("us.bottom_line", 0.0, 25.0, mode="percent_above_amount")]
    o = cycle_overrides(sc, params, {"rok.bottom_line": 0.0, "us.bottom_line": 25.0})
    assert o["rok.bottom_line"] == 900.0 and o["us.bottom_line"] == 1000.0
    arrays = cycle_overrides(sc, params, {"rok.bottom_line": np.array([0.0, 10.0]),
                                          "us.bottom_line": np.array([25.0, 5.0])})
    np.testing.assert_allclose(arrays["rok.bottom_line"], [900.0, 956.45])
    np.testing.assert_allclose(arrays["us.bottom_line"], [1000.0, 912.975])


# --- the loss -------------------------------------------------------------------


def _metrics(gap, change, rounds, before):
    return pd.DataFrame({"gap_months": np.asarray(gap, float),
                         "change_pct": np.asarray(change, float),
                         "rounds": np.asarray(rounds, float),
                         "before_expiry": np.asarray(before, float),
                         "agreed": np.ones(len(gap), bool)})


OBSERVED = {"gap_months": 15, "change_pct": 13.9, "rounds": 9, "agreed_before_expiry": False}


def test_loss_is_zero_at_the_record_and_grows_with_distance():
    at = term_errors(_metrics([15] * 4, [13.9] * 4, [9] * 4, [0] * 4), OBSERVED, TERMS)
    assert sum(at.values()) == 0.0
    totals = []
    for shift in (0, 1, 2, 4, 8):
        m = _metrics([15 + shift] * 4, [13.9 + shift] * 4, [9 + shift] * 4, [0] * 4)
        totals.append(sum(term_errors(m, OBSERVED, TERMS).values()))
    assert totals[0] == 0.0 and all(b > a for a, b in zip(totals, totals[1:], strict=False))
    # the documented formula: weight * mean(((x - X) / scale)^2) per term
    m = _metrics([15, 18], [13.9, 13.9], [9, 9], [0, 1])
    parts = term_errors(m, OBSERVED, TERMS)
    assert parts["gap_months"] == pytest.approx(1.0 * np.mean([0.0, (3 / 3.0) ** 2]))
    assert parts["before_expiry"] == pytest.approx(0.5 * 0.5)
    assert parts["change_pct"] == 0.0 and parts["rounds"] == 0.0


def test_a_run_without_agreement_counts_as_a_frozen_amount():
    outcomes = pd.DataFrame({"agreed": [True, False], "increase_pct": [10.0, np.nan],
                             "gap_months": [2, 36], "lead_months": [-2, -36],
                             "rounds_held": [5, 40]})
    metrics = simulated_metrics(outcomes)
    assert metrics["change_pct"].tolist() == [10.0, 0.0]
    assert metrics["before_expiry"].tolist() == [0.0, 0.0]


def test_an_early_deal_scores_differently_from_one_at_expiry():
    """Timing is gap months counted negative before expiry: 15 months early is 15 months
    off a record deal at expiry, not a match."""
    outcomes = pd.DataFrame({"agreed": [True, True, True], "increase_pct": [5.0] * 3,
                             "gap_months": [0, 0, 3], "lead_months": [15, 0, -3],
                             "rounds_held": [5] * 3})
    metrics = simulated_metrics(outcomes)
    assert metrics["gap_months"].tolist() == [-15.0, 0.0, 3.0]
    assert metrics["before_expiry"].tolist() == [1.0, 1.0, 0.0]
    terms = {name: LossTerm(1.0, 1.0) for name in LOSS_TERMS}
    at_expiry = {"gap_months": 0, "change_pct": 5.0, "rounds": 5,
                 "agreed_before_expiry": True}
    errors = [term_errors(metrics.iloc[[i]], at_expiry, terms)["gap_months"] for i in range(3)]
    assert errors == [225.0, 0.0, 9.0]


def test_simulated_outcome_equal_to_the_record_scores_zero():
    """A cycle whose 'record' is what the model does: loss exactly 0, else positive."""
    config = load_tune_config(CONFIGS / "tune_history.toml")
    cycle = config.cycle("sma10")
    values = {p.name: p.start for p in config.parameters}
    values["events[type=walkout].probability"] = 0.0  # deterministic runs
    seeds = common_seeds(7, 5)
    scenario = cycle.scenario.with_overrides(cycle_overrides(cycle.scenario, config.parameters,
                                                             values))
    out = simulate_batch(scenario, None, seeds).iloc[0]
    mirror = type(cycle)(cycle.name, cycle.scenario, {
        "gap_months": int(out["gap_months"]), "change_pct": float(out["increase_pct"]),
        "rounds": int(out["rounds_held"]),
        "agreed_before_expiry": bool(out["gap_months"] == 0)})
    fit = evaluate_cycle(mirror, config.parameters, values, seeds, config.loss)
    assert fit.loss == 0.0
    values["rok.bottom_line"] += 5.0
    assert evaluate_cycle(mirror, config.parameters, values, seeds, config.loss).loss > 0.1


# --- recovering known parameters ---------------------------------------------------

SYNTHETIC_SCENARIO = """
[scenario]
name = "synthetic"
talks_start = "2030-01"
horizon = "2033-12"

[agreement_in_force]
amount_krw_bn = 1000.0
expires = "2030-06"

[us]
opening = 1400.0
bottom_line = 1000.0
gap_cost = 1.0
tactic = { name = "time_dependent", beta = 1.0, deadline_months = "expiry" }
acceptance = { name = "ac_next" }

[rok]
opening = 1000.0
bottom_line = 1100.0
gap_cost = 1.0
tactic = { name = "time_dependent", beta = 1.0, deadline_months = 30 }
acceptance = { name = "ac_next_or_bottom_line", after_months = 5 }
"""

SYNTHETIC_CONFIG = """
[tune]
name = "synthetic"
replications = 3
seed = 5
trials = 40
startup_trials = 8

[[tune.cycles]]
name = "synthetic"
scenario = "synthetic.toml"
observed = {{ gap_months = {gap}, change_pct = {change}, rounds = {rounds}, \
agreed_before_expiry = {before} }}

[tune.parameters]
"rok.bottom_line" = {{ mode = "percent_above_amount", low = 0.0, high = 25.0 }}
"us.tactic.deadline_months" = {{ mode = "plus", low = 0, high = 12, integer = true }}
"""
TRUE_VALUES = {"rok.bottom_line": 12.0, "us.tactic.deadline_months": 6}


def test_tune_recovers_known_parameters_from_a_synthetic_target(tmp_path):
    """Outcomes generated with known values; 40 TPE trials find them again.

    Here the US concedes linearly from 1400 over ``expiry + d`` months and the ROK takes the
    first US offer within its bottom line ``b`` from the expiry month on: the deal month and
    amount pin ``d`` and bound ``b`` to one month's concession step (400/11 ~ 36 bn won,
    3.6 points). Tolerances: ``b`` within 2.5 points, ``d`` within 2 months.
    """
    (tmp_path / "synthetic.toml").write_text(SYNTHETIC_SCENARIO)
    blank = SYNTHETIC_CONFIG.format(gap=0, change=0.0, rounds=0, before="false")
    (tmp_path / "tune.toml").write_text(blank)
    config = load_tune_config(tmp_path / "tune.toml")
    cycle = config.cycles[0]
    seeds = common_seeds(config.seed, config.replications)
    truth = evaluate_cycle(cycle, config.parameters, TRUE_VALUES, seeds, config.loss).summary()
    assert truth["gap_share"] == 1.0  # the target has a gap: timing carries information
    target = SYNTHETIC_CONFIG.format(
        gap=int(truth["gap_months_median"]), change=round(truth["change_pct_median"], 6),
        rounds=int(truth["rounds_median"]), before="false")
    (tmp_path / "tune.toml").write_text(target)
    config = load_tune_config(tmp_path / "tune.toml")
    assert evaluate_cycle(config.cycles[0], config.parameters, TRUE_VALUES, seeds,
                          config.loss).loss == pytest.approx(0.0, abs=1e-12)

    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optimize(config, url, "synthetic", 40, quiet=True)
    result = fitted(config, study)
    assert result.best_loss < 0.05
    assert result.values["rok.bottom_line"] == pytest.approx(12.0, abs=2.5)
    assert abs(result.values["us.tactic.deadline_months"] - 6) <= 2
