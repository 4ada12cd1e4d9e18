"""The month's shared transitions, tested directly.

Every rule both engines call (``rules``), the state transitions written once over
scalar or array storage (``state``) and the event records (``events``): hand-computed
values, the one-run and the array branch of each rule agreeing, and a property test
that a random sequence of transitions gives the same values run by run whether the
runs are Mesa-style scalar stores or one array store with masks and positions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiation_sim import events, rules
from negotiation_sim.events import Record
from negotiation_sim.state import ALL, ArrayStore, NegotiatorState, PrincipalState, ScalarStore
from negotiation_sim.tactics import HISTORY

# --- rules --------------------------------------------------------------------------


def test_dollars_and_the_gap_calendar():
    assert rules.usd_m(1150.0, 1150.0) == 1000.0
    assert rules.usd_m(1187.8, 1150.0) == pytest.approx(1032.8695652173913, rel=1e-15)
    # expiry at month 3: month 3 is covered, month 4 is the first gap month (age 0)
    assert [rules.in_gap(m, 3) for m in (2, 3, 4)] == [False, False, True]
    assert [rules.gap_age(m, 3) for m in (3, 4, 7)] == [-1, 0, 3]
    assert rules.gap_pressure(2.0, 1.5, 2.0) == 5.0


def test_furlough_factor_starts_when_the_gap_is_old_enough():
    assert rules.furlough_factor(2, 3, 2.5) == 1.0
    assert rules.furlough_factor(3, 3, 2.5) == 2.5
    assert rules.furlough_factor(9, 3, 2.5) == 2.5
    ages = np.array([2, 3, 4])
    np.testing.assert_array_equal(rules.furlough_factor(ages, 3, 2.5), [1.0, 2.5, 2.5])
    np.testing.assert_array_equal(
        rules.furlough_factor(3, np.array([2, 3, 4]), np.array([2.0, 3.0, 4.0])), [2.0, 3.0, 1.0])


def test_fires_scheduled_or_by_draw():
    assert rules.fires(5, 5, None, None) is True
    assert rules.fires(5, 4, None, None) is False
    assert rules.fires(None, 4, 0.3, 0.29) is True
    assert rules.fires(None, 4, 0.3, 0.3) is False  # u < p, strictly
    np.testing.assert_array_equal(rules.fires(None, 0, 0.5, np.array([0.1, 0.5, 0.9])),
                                  [True, False, False])


def test_a_shock_is_old_times_factor_plus_delta():
    assert rules.shocked(100.0, 0.5, 10.0) == 60.0
    np.testing.assert_array_equal(rules.shocked(np.array([1.0, 2.0]), 2.0, np.array([0.0, 1.0])),
                                  [2.0, 5.0])


def test_demand_after_veto_is_the_reset_demand_else_the_threshold():
    assert rules.demand_after_veto(1300.0, math.nan) == 1300.0
    assert rules.demand_after_veto(1300.0, 1500.0) == 1500.0
    np.testing.assert_array_equal(
        rules.demand_after_veto(np.array([1300.0, 1400.0]), np.array([np.nan, 1500.0])),
        [1300.0, 1500.0])
    np.testing.assert_array_equal(rules.demand_after_veto(np.array([1300.0, 1400.0]), math.nan),
                                  [1300.0, 1400.0])


def test_remember_drops_the_oldest_offer():
    one = np.arange(HISTORY, dtype=float)
    seen = rules.remember(one, 99.0)
    np.testing.assert_array_equal(seen, [*range(1, HISTORY), 99.0])
    np.testing.assert_array_equal(one, np.arange(HISTORY))  # the input is left alone
    many = np.stack([one, one + 10])
    np.testing.assert_array_equal(rules.remember(many, np.array([7.0, 8.0]))[:, -2:],
                                  [[HISTORY - 1, 7.0], [HISTORY + 9, 8.0]])


def test_the_proposer_alternates_only_after_a_round_that_took_place():
    assert rules.next_proposer(True) is False
    assert rules.next_proposer(False) is True
    np.testing.assert_array_equal(rules.next_proposer(np.array([True, False])), [False, True])
    talked = np.array([True, False, True])
    np.testing.assert_array_equal(rules.next_proposer(np.array([True, True, False]), talked),
                                  [False, True, True])


# --- state: one run's numbers and a batch's arrays agree ----------------------------------


class ScalarPrincipal(ScalarStore, PrincipalState):
    def __init__(self, sign: float, threshold: float, reset: float) -> None:
        self.sign = sign
        self.take_office("leader", threshold, 1.0, reset)


class ScalarNegotiator(ScalarStore, NegotiatorState):
    def __init__(self, sign: float, principal: ScalarPrincipal, opening: float,
                 mandate: float, gap_cost: float) -> None:
        self.sign, self.principal, self.floor = sign, principal, None
        self.mandate, self.gap_cost, self.gap_sensitivity = mandate, gap_cost, 2.0
        self.gap_cost_factor, self.pressure, self.pressure_at_mandate = 1.0, 0.0, 0.0
        self.opp_history = np.full(HISTORY, np.nan)
        self.reanchor(opening, 0)


class ArrayPrincipal(ArrayStore, PrincipalState):
    def __init__(self, sign: float, threshold: np.ndarray, reset: np.ndarray) -> None:
        n = len(threshold)
        self.sign = sign
        self.label = "leader"
        self.veto_threshold, self.veto_probability = np.zeros(n), 1.0
        self.reset_demand, self.threshold_known = np.zeros(n), np.zeros(n, dtype=bool)
        self.take_office("leader", threshold, 1.0, reset)

    def known_threshold(self):
        return self.threshold_known if self.threshold_known.any() else False


class ArrayNegotiator(ArrayStore, NegotiatorState):
    def __init__(self, sign: float, principal: ArrayPrincipal, opening: np.ndarray,
                 mandate: np.ndarray, gap_cost: np.ndarray) -> None:
        n = len(opening)
        self.sign, self.principal, self.floor = sign, principal, None
        self.mandate, self.gap_cost = mandate.copy(), gap_cost.copy()
        self.gap_sensitivity = np.full(n, 2.0)
        self.gap_cost_factor, self.pressure = 1.0, np.zeros(n)
        self.pressure_at_mandate = np.zeros(n)
        self.anchor_demand, self.anchor_month = np.zeros(n), np.zeros(n, dtype=np.int64)
        self.own_last = np.zeros(n)
        self.opp_history = np.full((n, HISTORY), np.nan)
        self.reanchor(opening, 0)


FIELDS = ("mandate", "pressure", "pressure_at_mandate", "anchor_demand", "anchor_month",
          "own_last", "gap_cost_factor")

step = st.one_of(
    st.tuples(st.just("gap"), st.lists(st.booleans(), min_size=3, max_size=3)),
    st.tuples(st.just("mandate"), st.floats(900, 1500)),
    st.tuples(st.just("observe"), st.lists(st.booleans(), min_size=3, max_size=3),
              st.floats(900, 1500)),
    st.tuples(st.just("veto"), st.lists(st.booleans(), min_size=3, max_size=3)),
    st.tuples(st.just("furlough"), st.floats(1, 3)),
    st.tuples(st.just("office"), st.floats(1000, 1400)),
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, max_size=12),
       sign=st.sampled_from([1.0, -1.0]),
       openings=st.lists(st.floats(1000, 3000), min_size=3, max_size=3),
       resets=st.lists(st.sampled_from([math.nan, 1111.0]), min_size=3, max_size=3))
def test_scalar_and_array_stores_run_the_same_transitions(steps, sign, openings, resets):
    """Three runs as three Mesa-style scalar stores and as one array store: after any
    sequence of transitions (applied to all runs, a mask or positions) every value is
    the same, run by run, and the bottom line and the view agree."""
    n = 3
    opening = np.array(openings)
    thresholds = np.array([1200.0, 1250.0, 1300.0])
    scalars = []
    for i in range(n):
        pr = ScalarPrincipal(sign, float(thresholds[i]), resets[i])
        scalars.append(ScalarNegotiator(sign, pr, float(opening[i]), 1000.0 + i, 1.0 + i))
    arr_pr = ArrayPrincipal(sign, thresholds.copy(), np.array(resets))
    arr = ArrayNegotiator(sign, arr_pr, opening, 1000.0 + np.arange(n), 1.0 + np.arange(n))
    for month, (kind, *args) in enumerate(steps, start=1):
        if kind == "gap":  # a mask: only the selected runs bear a gap month
            mask = np.array(args[0])
            arr.bear_gap_month(mask)
            for i in np.flatnonzero(mask):
                scalars[i].bear_gap_month()
        elif kind == "mandate":
            arr.set_mandate(args[0])
            for s in scalars:
                s.set_mandate(args[0])
        elif kind == "observe":  # a mask, values for every run
            mask, base = np.array(args[0]), args[1]
            own, theirs = base + np.arange(n), base - np.arange(n)
            arr.observe(own, theirs, mask)
            for i in np.flatnonzero(mask):
                scalars[i].observe(float(own[i]), float(theirs[i]))
        elif kind == "veto":  # positions, as the engine passes vetoed runs
            idx = np.flatnonzero(np.array(args[0]))
            if idx.size:
                arr.after_veto(month, idx)
            for i in idx:
                scalars[i].after_veto(month)
        elif kind == "furlough":
            arr.put("gap_cost_factor", args[0])
            for s in scalars:
                s.put("gap_cost_factor", args[0])
        else:  # a new leader everywhere
            arr_pr.take_office("new", np.full(n, args[0]), 1.0, math.nan)
            for s in scalars:
                s.principal.take_office("new", args[0], 1.0, math.nan)
    for i, s in enumerate(scalars):
        for name in FIELDS:
            assert np.broadcast_to(arr.take(name), (n,))[i] == s.take(name), name
        np.testing.assert_array_equal(arr.opp_history[i], s.opp_history)
        assert arr_pr.threshold_known[i] == s.principal.threshold_known
        assert arr.current_bottom_line()[i] == pytest.approx(
            float(s.current_bottom_line()), rel=0, abs=0)
        assert arr.view(20, 0.5).t[i] == s.view(20, 0.5).t


def test_array_writes_leave_the_callers_arrays_alone():
    pr = ArrayPrincipal(1.0, np.array([1200.0, 1300.0]), np.array([np.nan, np.nan]))
    column = np.array([1500.0, 1600.0])  # e.g. a per-run parameter column
    neg = ArrayNegotiator(1.0, pr, column, np.array([1000.0, 1000.0]), np.ones(2))
    neg.after_veto(3, np.array([1]))
    np.testing.assert_array_equal(column, [1500.0, 1600.0])
    np.testing.assert_array_equal(neg.anchor_demand, [1500.0, 1300.0])
    np.testing.assert_array_equal(neg.own_last, [1500.0, 1300.0])
    np.testing.assert_array_equal(neg.anchor_month, [0, 3])


def test_all_runs_with_a_scalar_fills_the_array_in_its_dtype():
    pr = ArrayPrincipal(-1.0, np.array([1200.0, 1300.0]), np.array([np.nan, np.nan]))
    pr.put("threshold_known", True, np.array([0]))
    pr.put("threshold_known", False, ALL)
    assert pr.threshold_known.dtype == bool and not pr.threshold_known.any()
    neg = ArrayNegotiator(-1.0, pr, np.array([900.0, 950.0]), np.array([1000.0, 1010.0]),
                          np.ones(2))
    neg.reanchor(np.array([1, 2]), 4)  # integer demands are stored as amounts (float)
    assert neg.anchor_demand.dtype == np.float64 and neg.anchor_month.dtype == np.int64


# --- events: what happened -------------------------------------------------------------


def test_records_round_trip_through_the_trace_cell():
    records = [Record("walkout", "us"), Record("leader_change", "us", {"label": "Biden"}),
               Record("agreement", None, {"amount_krw_bn": 1187.8})]
    cell = events.encode(records)
    assert events.decode(cell) == records
    assert events.encode([]) == "" and events.decode("") == [] and events.decode(None) == []
    assert events.decode(float("nan")) == []
    assert events.describe(cell) == ("walkout (us); leader_change (us: Biden); "
                                     "agreement (1187.8)")


def test_each_event_kind_declares_its_keys_in_one_place():
    assert set(events.KINDS) == {"walkout", "furlough", "leader_change", "election", "shock"}
    assert events.EVENTS["furlough"]["gap_cost_factor"].default == 2.0
    assert tuple(events.KINDS) == events.EVENT_TYPES


# --- the floor: no cut unless the scenario allows one -----------------------------------


def test_the_us_bottom_line_stops_at_the_amount_in_force():
    assert rules.in_force_floor(1.0, 1000.0, True) == 1000.0
    assert rules.in_force_floor(-1.0, 1000.0, True) is None  # the ROK has no floor
    assert rules.in_force_floor(1.0, 1000.0, False) is None
    # mandate 1050, 10 bn per cost unit, 8 units of gap cost: 970 without the floor
    assert rules.bottom_line(1050.0, 1.0, 10.0, 8.0, 0.0, False, math.nan) == 970.0
    assert rules.bottom_line(1050.0, 1.0, 10.0, 8.0, 0.0, False, math.nan, 1000.0) == 1000.0
    arr = rules.bottom_line(np.array([1050.0, 1050.0]), 1.0, 10.0, np.array([2.0, 8.0]), 0.0,
                            False, math.nan, np.array([1000.0, 1000.0]))
    np.testing.assert_array_equal(arr, [1030.0, 1000.0])


@pytest.mark.parametrize("engine", ["mesa", "fast"])
def test_a_long_gap_makes_no_cut_unless_the_scenario_allows_one(engine):
    """teaching.toml with a US negotiator whom gap costs move fast: without the floor
    its bottom line falls below the amount in force and deals come out as cuts."""
    from pathlib import Path

    from negotiation_sim.engine import simulate_batch
    from negotiation_sim.scenario import load_scenario

    base = load_scenario(Path(__file__).parents[1] / "configs" / "teaching.toml")
    steep = {"us.gap_cost": 1.0, "us.gap_sensitivity": 60.0, "rok.opening": 800.0,
             "rok.bottom_line": 950.0, "rok.gap_cost": 1.0, "rok.gap_sensitivity": 10.0}
    seeds = np.arange(50)
    floored = simulate_batch(base.with_overrides({**steep}), None, seeds, engine=engine)
    free = simulate_batch(base.with_overrides({**steep, "agreement_in_force.floor": False}),
                          None, seeds, engine=engine)
    assert floored.agreed.all() and free.agreed.all()
    assert (floored.amount_krw_bn >= base.amount_in_force).all()
    assert (free.amount_krw_bn < base.amount_in_force).all()
