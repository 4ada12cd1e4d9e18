"""Tactics against their formulas, their invariants, and pinned behaviour.

The contract test runs over every registered offering tactic:
every tactic must keep offers between demand and bottom line and concede
monotonically against a fixed, conceding opponent; ``versus`` pins offers against
fixed opponents (Axelrod's versus_test); every tactic's exact pinned offers are in
tests/test_versus.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from negotiation_sim.tactics import (
    ACCEPTANCE,
    HISTORY,
    OFFERING,
    NegotiationView,
    make_acceptance,
    make_offering,
    select,
)
from negotiation_sim.tactics.offering import exponential_fraction, polynomial_fraction


def view(**kw):
    base = dict(sign=1.0, month=0, t=0, opening=1000.0, bottom_line=600.0, pressure=0.0,
                own_last=1000.0, opp_history=np.full(HISTORY, np.nan), u=0.5)
    base.update(kw)
    return NegotiationView(**base)


def versus(tactic, sign, opening, bottom_line, opponent, months, pressure_per_month=0.0,
           u=0.5):
    """Offers of ``tactic`` against a fixed sequence of opponent offers, one per month."""
    history = np.full(HISTORY, np.nan)
    own = opening
    offers = []
    for t in range(months):
        v = NegotiationView(sign=sign, month=t, t=t, opening=opening, bottom_line=bottom_line,
                            pressure=pressure_per_month * t, own_last=own,
                            opp_history=history.copy(), u=u)
        own = float(tactic.offer(v))
        offers.append(own)
        history = np.roll(history, -1)
        history[-1] = opponent(t)
    return offers


# --- formulas -------------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.2, 1.0, 5.0])
def test_polynomial_fraction_at_start_deadline_and_between(beta):
    assert polynomial_fraction(0, 10, beta, 0.0) == 0.0
    assert polynomial_fraction(10, 10, beta, 0.0) == 1.0
    assert polynomial_fraction(25, 10, beta, 0.0) == 1.0  # held after the deadline
    assert polynomial_fraction(5, 10, beta, 0.0) == pytest.approx(0.5 ** (1 / beta))
    assert polynomial_fraction(0, 10, beta, 0.3) == pytest.approx(0.3)


def test_exponential_fraction_endpoints_and_midpoint():
    assert exponential_fraction(0, 10, 1.0, 0.01) == pytest.approx(0.01)
    assert exponential_fraction(10, 10, 1.0, 0.01) == pytest.approx(1.0)
    assert exponential_fraction(5, 10, 2.0, 0.01) == pytest.approx(math.exp(0.25 * math.log(0.01)))


def test_boulware_concedes_less_than_linear_less_than_conceder_midway():
    v = view(t=5)
    offers = [make_offering(n, deadline_months=10).offer(v)
              for n in ("boulware", "linear", "conceder")]
    assert offers[0] > offers[1] > offers[2]  # US side: higher = less conceded
    assert offers[1] == pytest.approx(800.0)


def test_time_dependent_reaches_bottom_line_at_deadline():
    tactic = make_offering("time_dependent", beta=0.5, deadline_months=6)
    assert tactic.offer(view(t=0)) == 1000.0
    assert tactic.offer(view(t=6)) == 600.0
    assert tactic.offer(view(t=9)) == 600.0


def test_same_formula_on_arrays_and_scalars():
    tactic = make_offering("boulware", beta=0.3, deadline_months=7)
    t = np.arange(10)
    arr = tactic.offer(view(t=t, opening=np.full(10, 1000.0), bottom_line=np.full(10, 600.0)))
    scalars = [float(tactic.offer(view(t=int(i)))) for i in t]
    assert arr.tolist() == scalars


def test_tit_for_tat_mirrors_relative_concession():
    tactic = make_offering("tit_for_tat")
    hist = np.full(HISTORY, np.nan)
    hist[-2:] = [500.0, 550.0]  # opponent (ROK) moved up 10%
    v = view(own_last=1100.0, opening=1200.0, opp_history=hist)
    assert tactic.offer(v) == pytest.approx(1100.0 * 500.0 / 550.0)


def test_tit_for_tat_holds_without_history():
    assert make_offering("tit_for_tat").offer(view(own_last=950.0)) == 950.0


def test_hard_line_holds_until_pressure_threshold():
    tactic = make_offering("hard_line", pressure_threshold=3.0)
    assert tactic.offer(view(pressure=2.9)) == 1000.0
    assert tactic.offer(view(pressure=3.0)) == 600.0


def test_random_tit_for_tat_uses_the_draw():
    tactic = make_offering("random_tit_for_tat", noise_krw_bn=20.0)
    assert tactic.offer(view(own_last=900.0, u=0.25)) == pytest.approx(895.0)
    assert tactic.offer(view(own_last=900.0, u=0.0)) == pytest.approx(900.0)


# --- registry metadata --------------------------------------------------------------

def test_registry_derived_from_classifiers():
    assert select(OFFERING, stochastic=True) == ["random_tit_for_tat"]
    assert "hard_line" in select(OFFERING, uses_pressure=True)
    assert set(select(OFFERING, uses_time=True)) >= {"boulware", "linear", "conceder"}
    assert set(ACCEPTANCE) == {"ac_next", "ac_bottom_line", "ac_next_or_bottom_line"}


def test_unknown_parameter_is_rejected_with_allowed_list():
    with pytest.raises(ValueError, match=r"boulware.gamma: unknown parameter.*allowed: beta, k"):
        make_offering("boulware", gamma=2)
    with pytest.raises(ValueError, match=r"beta: 3 out of range"):
        make_offering("boulware", beta=3)


# --- acceptance -------------------------------------------------------------------

def test_ac_next_accepts_at_least_as_good_for_each_side():
    ac = make_acceptance("ac_next")
    assert ac.accepts(view(sign=1.0), 1000.0, 1000.0)
    assert not ac.accepts(view(sign=1.0), 999.0, 1000.0)
    assert ac.accepts(view(sign=-1.0), 900.0, 950.0)
    assert not ac.accepts(view(sign=-1.0), 960.0, 950.0)


def test_ac_bottom_line_waits_then_accepts_within_bottom_line():
    ac = make_acceptance("ac_bottom_line", after_months=3)
    assert not ac.accepts(view(month=2, bottom_line=600.0), 700.0, 900.0)
    assert ac.accepts(view(month=3, bottom_line=600.0), 700.0, 900.0)
    assert not ac.accepts(view(month=3, bottom_line=600.0), 599.0, 900.0)


# --- the contract every registered offering tactic keeps ----------------------------

@pytest.mark.parametrize("name", sorted(OFFERING))
@settings(max_examples=40, deadline=None)
@given(sign=st.sampled_from([1.0, -1.0]), spread=st.floats(0.001, 0.8),
       opening=st.floats(500.0, 6000.0), step=st.floats(0.0, 50.0),
       pressure=st.floats(0.0, 2.0), u=st.floats(0.0, 0.999))
@example(sign=-1.0, spread=0.015625, opening=500.0, step=47.0, pressure=0.0, u=0.0)
def test_every_tactic_stays_between_demand_and_bottom_line_and_concedes(
        name, sign, spread, opening, step, pressure, u):
    # Amounts are positive (scenarios require >= 1 bn won): the bottom line is a share
    # ``spread`` of the opening away from it, the opponent starts 20% further away and
    # concedes ``step`` a month, never below 1 bn won (it may pass our own offer).
    bottom = opening * (1.0 - sign * spread)
    opp_start = bottom * (1.0 - sign * 0.2)
    offers = versus(make_offering(name), sign, opening, bottom,
                    lambda t: max(opp_start + sign * step * t, 1.0), months=15,
                    pressure_per_month=pressure, u=u)
    lo, hi = min(opening, bottom), max(opening, bottom)
    assert all(lo - 1e-9 <= x <= hi + 1e-9 for x in offers)
    diffs = np.diff(offers) * sign
    assert np.all(diffs <= 1e-9), "a conceding negotiator never takes back a concession"
