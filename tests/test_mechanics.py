"""Value-level tests of the model's mechanics on small scenarios worked by hand.

Each case starts from ``configs/teaching.toml`` (two linear conceders, deadline 10: US
offers 1200 - 20 t down to 1000, ROK 900 + 20 t up to 1100; simultaneous offers split at
the midpoint; no gap costs; the agreement in force, 1000 bn won, expires 2024-07 = t 6;
t = 0 is 2024-01) and changes one thing. Outcomes are checked on both engines through
``simulate_batch``; month-by-month values through the Mesa model's trace. The rules
themselves are checked directly, on one run's scalars and on arrays of runs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import negotiation_sim as ns
from negotiation_sim import SMAModel, draws, rules
from negotiation_sim.engine import ENGINES, simulate_batch

from .conftest import CONFIGS

REL = 1e-12
ENGINE_NAMES = sorted(ENGINES)


def teaching(**overrides):
    return ns.load_scenario(CONFIGS / "teaching.toml", overrides)


def outcome(scenario, engine: str, seed: int = 0) -> pd.Series:
    return simulate_batch(scenario, None, np.array([seed]), engine=engine).iloc[0]


def row(trace: pd.DataFrame, month: str) -> pd.Series:
    return trace.loc[trace.month == month].iloc[0]


def assert_deal(out: pd.Series, month: str, amount: float, **counts: int) -> None:
    assert bool(out.agreed) and out.agreement_month == month
    assert out.amount_krw_bn == pytest.approx(amount, rel=REL)
    for key, value in counts.items():
        assert out[key] == value, key


# --- vetoes -------------------------------------------------------------------------

ROK_VETO = {"rok.principal.veto_threshold": 1030.0}


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_rok_veto_reanchors_the_rok_demand_at_its_threshold(engine):
    # t 8 (2024-09): US 1040, ROK 1060 cross at 1050 > 1030: vetoed. The ROK restarts
    # from 1030 with its bottom line clamped to 1030, so it offers 1030; at t 9 the US
    # offers 1020: split 1025, under the threshold. Gap 2024-08 .. 2024-10: 3 months.
    assert_deal(outcome(teaching(**ROK_VETO), engine), "2024-10", 1025.0, vetoes=1,
                tentative_deals=2, gap_months=3)


def test_rok_veto_in_the_trace():
    trace = ns.run(teaching(**ROK_VETO)).trace
    assert row(trace, "2024-09").deal_amount == pytest.approx(1050.0, rel=REL)
    after = row(trace, "2024-10")
    assert (after.rok_offer, after.rok_bottom_line) == (1030.0, 1030.0)
    assert after.deal_amount == pytest.approx(1025.0, rel=REL)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_rok_veto_with_reset_demand_restarts_from_it(engine):
    # After the veto at t 8 the ROK concedes linearly from 950 toward 1030 over 10 months:
    # 950 + 8 (t - 8). The US holds 1000 from t 10; at t 15 the ROK offers 1006: split 1003.
    sc = teaching(**ROK_VETO, **{"rok.principal.reset_demand": 950.0})
    assert_deal(outcome(sc, engine), "2025-04", 1003.0, vetoes=1, gap_months=9)
    if engine == "mesa":
        assert row(ns.run(sc).trace, "2024-10").rok_offer == pytest.approx(958.0, rel=REL)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("reset,month,amount", [(None, "2024-10", 1070.0),
                                                (1150.0, "2025-03", 1098.0)])
def test_us_veto_reanchors_the_us_demand(engine, reset, month, amount):
    # t 8: split 1050 < 1060, the US vetoes. Without reset_demand the US asks its
    # threshold, 1060, and the ROK's 1080 at t 9 crosses it: 1070. With reset 1150 it
    # concedes 1150 - 9 (t - 8) toward 1060 and crosses the ROK's 1100 at t 14 (1096): 1098.
    over = {"us.principal.veto_threshold": 1060.0}
    if reset is not None:
        over["us.principal.reset_demand"] = reset
    sc = teaching(**over)
    assert_deal(outcome(sc, engine), month, amount, vetoes=1, tentative_deals=2)
    if engine == "mesa":
        first_after = 1060.0 if reset is None else 1141.0
        assert row(ns.run(sc).trace, "2024-10").us_offer == pytest.approx(first_after, rel=REL)


# No floor at the amount in force here: the US bottom line moves below it (995 in 2024-09)
# until the veto reveals the threshold; the floor has its own tests (test_transitions.py).
CLAMP = {"us.principal.veto_threshold": 1060.0, "us.principal.reset_demand": 1300.0,
         "us.gap_cost": 1.0, "us.gap_sensitivity": 5.0, "agreement_in_force.floor": False}


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_bottom_line_is_clamped_to_a_revealed_veto_threshold(engine):
    # Gap pressure moves the US mandate 5 a month from 2024-09 (1000 - 5 p); the veto at
    # t 8 (US 1036 vs ROK 1060: 1048) reveals 1060, and the US bottom line stays there.
    # The US concedes 1300 - 24 (t - 8) and crosses the ROK's 1100 at t 17 (1084): 1092.
    # Without the clamp it would concede toward 995, 990, ... and settle sooner, lower.
    assert_deal(outcome(teaching(**CLAMP), engine), "2025-06", 1092.0, vetoes=1)


def test_bottom_line_never_passes_the_revealed_threshold_in_the_trace():
    trace = ns.run(teaching(**CLAMP)).trace
    assert row(trace, "2024-09").us_bottom_line == pytest.approx(995.0, rel=REL)  # moved
    after = trace.loc[trace.month >= "2024-10", "us_bottom_line"]
    assert len(after) == 9 and (after == 1060.0).all()


# --- shocks -------------------------------------------------------------------------

def us_floor_shock(**fields) -> dict:
    """A shock taking the US bottom line 100 below the amount in force (a cut allowed)."""
    return {"events": [{"type": "shock", "target": "us.bottom_line", "delta": -100.0,
                        **fields}], "agreement_in_force.floor": False}


def linear_deal(us_floor: list[float]) -> tuple[int, float]:
    """Teaching by hand with the US bottom line ``us_floor[t]`` in month t."""
    for t, floor in enumerate(us_floor):
        us = 1200.0 + min(t, 10) / 10 * (floor - 1200.0)
        rok = 900.0 + 20.0 * min(t, 10)
        if us <= rok:
            return t, 0.5 * (us + rok)
    raise AssertionError("no deal")


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_scheduled_shock_moves_the_value_from_its_month(engine):
    # From 2024-05 (t 4) the US bottom line is 900: US 1200 - 30 t meets ROK 900 + 20 t at
    # t 6, both 1020, in the expiry month: no gap.
    sc = teaching().with_overrides(us_floor_shock(month="2024-05"))
    assert_deal(outcome(sc, engine), "2024-07", 1020.0, gap_months=0)
    if engine == "mesa":
        trace = ns.run(sc).trace
        assert trace.us_bottom_line.tolist() == [1000.0] * 4 + [900.0] * 3


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_random_shock_fires_once(engine):
    # Probability 1 a month, yet one shock: 900 from t 0 on, never 800 or less.
    sc = teaching().with_overrides(us_floor_shock(probability=1.0))
    assert_deal(outcome(sc, engine), "2024-07", 1020.0)
    if engine == "mesa":
        assert (ns.run(sc).trace.us_bottom_line == 900.0).all()


SHOCK_SEED = 2


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_random_shock_fires_in_the_first_month_its_draw_is_below_p(engine):
    sc = teaching().with_overrides(us_floor_shock(probability=0.2))
    u = draws.uniforms(SHOCK_SEED, sc.n_months, draws.STREAM_EVENTS + 1)[:, draws.STREAM_EVENTS]
    fires = int(np.argmax(u < 0.2))
    assert 1 <= fires <= 7 and u[fires] < 0.2  # inside the talks: it changes the deal
    t, amount = linear_deal([1000.0 if m < fires else 900.0 for m in range(sc.n_months)])
    out = outcome(sc, engine, seed=SHOCK_SEED)
    assert_deal(out, sc.month_label(t), amount)
    assert (out.agreement_month, out.amount_krw_bn) != ("2024-09", 1050.0)
    if engine == "mesa":
        floors = ns.run(sc, seed=SHOCK_SEED).trace.us_bottom_line
        assert floors.tolist() == [1000.0] * fires + [900.0] * (len(floors) - fires)


# --- walk-outs and the protocol ------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_random_walkouts_count_the_rounds_whose_draw_is_below_p(engine):
    # Bottom lines that never meet: all 24 monthly rounds are held. A round is lost when
    # the US draw (stream 8) is below 0.3 or the ROK draw (stream 9) below 0.2: once.
    sc = teaching(**{"us.bottom_line": 1150.0, "rok.bottom_line": 1000.0}).with_overrides(
        {"events": [{"type": "walkout", "side": "us", "probability": 0.3},
                    {"type": "walkout", "side": "rok", "probability": 0.2}]})
    seeds = np.arange(30)
    u = draws.uniforms(seeds, sc.n_months, draws.STREAM_EVENTS + 2)
    lost = (u[:, :, draws.STREAM_EVENTS] < 0.3) | (u[:, :, draws.STREAM_EVENTS + 1] < 0.2)
    expected = lost.sum(axis=1)
    table = simulate_batch(sc, None, seeds, engine=engine)
    assert table.walkouts.tolist() == expected.tolist()
    assert (table.rounds_held == 24).all() and table.censored.all()
    assert len(set(expected.tolist())) > 3  # the seeds really differ


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("first,amount", [("us", 1040.0), ("rok", 1060.0)])
def test_first_mover_proposes_and_the_responder_takes_it(engine, first, amount):
    # Alternating: at t 8 the side proposing (the first mover: even rounds) offers its
    # 1040 (US) or 1060 (ROK) and the other side, whose own offer is worse for it, accepts.
    sc = teaching(**{"rounds.protocol": "alternating", "rounds.first_mover": first})
    assert_deal(outcome(sc, engine), "2024-09", amount)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("settlement,amount", [("split", 1050.0), ("us", 1040.0),
                                               ("rok", 1060.0)])
def test_simultaneous_settlement_of_crossed_offers(engine, settlement, amount):
    sc = teaching(**{"rounds.settlement": settlement})  # t 8: US 1040 <= ROK 1060
    assert_deal(outcome(sc, engine), "2024-09", amount)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_simultaneous_both_sides_accepting_uncrossed_offers_settle_at_the_rok_offer(engine):
    # Bottom-line acceptance from month 0: at t 5 the US takes the ROK's 1000 (its bottom
    # line) and the ROK the US's 1100 (its own), offers not crossed: the US accepting the
    # ROK offer decides it, 1000 (no split, no US offer).
    sc = teaching(**{"us.acceptance": {"name": "ac_bottom_line", "after_months": 0},
                     "rok.acceptance": {"name": "ac_bottom_line", "after_months": 0}})
    assert_deal(outcome(sc, engine), "2024-06", 1000.0, gap_months=0)


# --- flat keyword parameters -------------------------------------------------------

FLAT = {"us_opening": 4600.0, "us_tactic_beta": 0.5, "rok_principal_veto_threshold": 1250.0,
        "events_1_probability": 0.05}
DOTTED = {"us.opening": 4600.0, "us.tactic.beta": 0.5, "rok.principal.veto_threshold": 1250.0,
          "events.1.probability": 0.05}


def test_flat_keywords_equal_dotted_overrides():
    model = SMAModel(scenario=CONFIGS / "sma11.toml", rng=3, **FLAT)
    got = model.run()
    sc = ns.load_scenario(CONFIGS / "sma11.toml").with_overrides(DOTTED)
    expected = ns.run(sc, seed=3)
    assert got == expected.outcome
    pd.testing.assert_frame_equal(model.trace(), expected.trace)
    assert 4000.0 < model.trace().us_offer.dropna().iloc[0] <= 4600.0  # 4600 on, not 5750
    assert got != ns.run(CONFIGS / "sma11.toml", seed=3).outcome


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_override_columns_equal_flat_keywords(engine):
    seeds = np.arange(5, 25)
    table = simulate_batch(ns.load_scenario(CONFIGS / "sma11.toml"),
                           pd.DataFrame([DOTTED] * len(seeds)), seeds, engine=engine)
    for seed, got in zip(seeds, table.itertuples(index=False), strict=True):
        want = SMAModel(scenario=CONFIGS / "sma11.toml", rng=int(seed), collect=False,
                        **FLAT).run()
        month = None if pd.isna(got.agreement_month) else got.agreement_month
        assert (month, got.walkouts, got.vetoes) == (
            want.agreement_month, want.walkouts, want.vetoes)
        assert got.amount_krw_bn == pytest.approx(want.amount_krw_bn, rel=1e-9, nan_ok=True)


# --- the rules, one run (Python scalars) and many (arrays) ------------------------

def both_ways(rule, *args):
    """The rule on scalars and on one-element arrays: the two must agree."""
    one = rule(*args)
    many = rule(*(np.array([a]) if isinstance(a, bool | float) else a for a in args))
    deal, amount = (bool(one[0]), float(one[1]))
    assert deal == bool(many[0][0])
    assert (math.isnan(amount) and math.isnan(many[1][0])) or amount == many[1][0]
    return deal, amount


@pytest.mark.parametrize("settlement,amount", [("split", 1050.0), ("us", 1040.0),
                                               ("rok", 1060.0)])
def test_simultaneous_crossed_offers_settle_by_the_rule(settlement, amount):
    for accepts in [(False, False), (True, True), (True, False)]:  # crossing decides
        assert both_ways(lambda *a: rules.simultaneous(settlement, *a), 1040.0, 1060.0,
                         *accepts) == (True, amount)


@pytest.mark.parametrize("us_ok,rok_ok,expected", [
    (True, True, (True, 1000.0)),  # both accept: the US takes the ROK offer
    (True, False, (True, 1000.0)),
    (False, True, (True, 1100.0)),  # the ROK takes the US offer
    (False, False, (False, math.nan)),
])
def test_simultaneous_uncrossed_offers_need_an_acceptance(us_ok, rok_ok, expected):
    for settlement in ("split", "us", "rok"):
        deal, amount = both_ways(lambda *a, s=settlement: rules.simultaneous(s, *a), 1100.0, 1000.0,
                                 us_ok, rok_ok)
        assert deal == expected[0]
        assert amount == expected[1] or (math.isnan(amount) and math.isnan(expected[1]))


@pytest.mark.parametrize("us_proposes,us_ok,rok_ok,expected", [
    (True, True, True, (True, 1100.0)),  # responder (ROK) accepts the proposal first
    (False, True, True, (True, 1000.0)),  # responder (US) accepts the ROK proposal
    (True, True, False, (True, 1000.0)),  # ROK counters, the US proposer accepts it
    (False, False, True, (True, 1100.0)),  # US counters, the ROK proposer accepts it
    (True, False, False, (False, math.nan)),
])
def test_alternating_round(us_proposes, us_ok, rok_ok, expected):
    deal, amount = both_ways(rules.alternating, us_proposes, 1100.0, 1000.0, us_ok, rok_ok)
    assert deal == expected[0]
    assert amount == expected[1] or (math.isnan(amount) and math.isnan(expected[1]))


@pytest.mark.parametrize("sign,known,expected", [
    (1.0, False, 950.0),  # US: 1000 - 10 x (7 - 2) = 950
    (1.0, True, 980.0),  # a revealed threshold 980 holds it up
    (-1.0, False, 1050.0),  # ROK: 1000 + 50
    (-1.0, True, 1030.0),  # ... held down at 1030
])
def test_bottom_line_moves_with_pressure_and_stops_at_a_known_threshold(sign, known, expected):
    threshold = 980.0 if sign > 0 else 1030.0
    one = rules.bottom_line(1000.0, sign, 10.0, 7.0, 2.0, known, threshold)
    many = rules.bottom_line(np.full(2, 1000.0), sign, 10.0, np.full(2, 7.0), 2.0,
                             np.array([known, False]), threshold)
    assert float(one) == expected and float(many[0]) == expected
    assert float(many[1]) == (950.0 if sign > 0 else 1050.0)
    # A threshold on the far side of the moved line does not pull it back.
    assert float(rules.bottom_line(1000.0, sign, 0.0, 0.0, 0.0, True, 1000.0 - sign * 50)) \
        == 1000.0


def test_vetoes_only_past_the_threshold_and_with_the_draw_below_p():
    us, rok = 1.0, -1.0
    amounts = np.array([1049.0, 1050.0, 1051.0])
    assert rules.vetoes(us, amounts, 1050.0, 0.5, 0.49).tolist() == [True, False, False]
    assert rules.vetoes(rok, amounts, 1050.0, 0.5, 0.49).tolist() == [False, False, True]
    assert not bool(rules.vetoes(us, 1000.0, 1050.0, 0.5, 0.5))  # u = p: no veto
    assert bool(rules.vetoes(us, 1000.0, 1050.0, 0.5, 0.4999))
    assert not np.any(rules.vetoes(us, amounts, math.nan, 1.0, 0.0))  # no threshold
