"""The two-level game: elections, foresight, dated rounds, ratification, public opinion.

Each rule by hand (``rules``), each mechanism on a small scenario worked out on paper
(``configs/teaching.toml`` plus one feature), on both engines, and the scenario errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import negotiation_sim as ns
from negotiation_sim import rules
from negotiation_sim.engine import simulate_batch
from negotiation_sim.errors import ScenarioError
from negotiation_sim.scenario import from_dict, load_scenario

from .conftest import CONFIGS

ENGINES = ["mesa", "fast"]


def teaching(**extra) -> object:
    raw = dict(load_scenario(CONFIGS / "teaching.toml").resolved)
    for key, value in extra.items():
        raw[key] = value
    return from_dict(raw, "<teaching+>")


def one(scenario, engine: str, seed: int = 0) -> dict:
    return simulate_batch(scenario, None, np.array([seed]), engine=engine).iloc[0].to_dict()


# --- rules ---------------------------------------------------------------------------


def test_urgency_reaches_one_the_month_before_the_inauguration():
    assert [float(rules.urgency(m, 9)) for m in (0, 4, 8, 12)] == [0.0, 0.5, 1.0, 1.0]
    assert float(rules.urgency(3, 1)) == 1.0  # an inauguration next month: no time left


def test_an_anticipated_offer_hurries_toward_the_bottom_line_or_stalls():
    assert rules.anticipated_offer(1200.0, 1250.0, 1000.0, 0.0, 0.0) == 1200.0
    assert rules.anticipated_offer(1200.0, 1250.0, 1000.0, 0.5, 0.0) == 1100.0
    assert rules.anticipated_offer(1200.0, 1250.0, 1000.0, 1.0, 0.0) == 1000.0
    assert rules.anticipated_offer(1200.0, 1250.0, 1000.0, 0.0, 1.0) == 1250.0  # holds


def test_an_attitude_decays_to_its_baseline_and_moves_with_the_stimulus():
    assert rules.attitude_after(0.9, 0.5, 0.5, 0.0, 0.0) == pytest.approx(0.7)
    assert rules.attitude_after(0.5, 0.5, 0.5, 0.2, 1.0) == pytest.approx(0.7)
    assert rules.attitude_after(0.9, 0.5, 1.0, 1.0, 1.0) == 1.0  # clipped
    assert rules.opinion((0.25, 0.75), (1.0, 0.2)) == pytest.approx(0.4)


def test_the_win_set_narrows_with_opposition_but_not_below_the_demand():
    assert rules.win_set_ceiling(1000.0, 20.0, 0.0) == pytest.approx(1200.0)
    assert rules.win_set_ceiling(1000.0, 20.0, 0.5) == pytest.approx(1100.0)
    assert rules.win_set_ceiling(1000.0, 20.0, 1.0) == pytest.approx(1000.0)
    assert rules.win_set_limit(1000.0, 20.0, 1.0, 1050.0) == 1050.0


def test_a_bloc_votes_less_for_bigger_increases_and_a_hostile_public():
    base = rules.yes_probability(2.0, 0.1, 2.0, 0.0, 0.0)
    assert base == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert rules.yes_probability(2.0, 0.1, 2.0, 20.0, 0.0) == pytest.approx(0.5)
    assert rules.yes_probability(2.0, 0.1, 2.0, 0.0, 1.0) == pytest.approx(0.5)
    assert bool(rules.ratifies((0.6, 0.4), (True, False), 0.5)) is True
    assert bool(rules.ratifies((0.5, 0.5), (True, False), 0.5)) is False  # more than half


def test_lead_months_are_positive_early_and_minus_the_gap_late():
    agreed = np.array([True, True, False])
    np.testing.assert_array_equal(
        rules.lead_months(agreed, np.array([3, 9, 0]), 6, 20), [3, -3, -14])


# --- mechanisms on teaching.toml (deal 2024-09 at 1,050 without them) --------------


def ratification(delay: int, support: float) -> dict:
    return {"rok": {"delay_months": delay, "majority": 0.5,
                    "blocs": [{"name": "all", "seats": 1.0, "support": support,
                               "increase_sensitivity": 0.0, "opinion_sensitivity": 0.0}]}}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_ratified_deal_is_in_force_after_the_vote(engine):
    out = one(teaching(ratification=ratification(3, 50.0)), engine)
    assert (out["agreement_month"], out["initialled_month"], out["ratified_month"]) == (
        "2024-09", "2024-09", "2024-12")
    assert out["amount_krw_bn"] == 1050.0 and out["gap_months"] == 2 and out["lead_months"] == -2
    assert out["ratified"] and out["rejections"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rejected_deal_sends_the_talks_back(engine):
    out = one(teaching(ratification=ratification(2, -50.0)), engine)
    # every vote is lost: deals keep being initialled, none comes into force
    assert not out["agreed"] and out["censored"] and out["rejections"] >= 2
    assert out["initialled_month"] is not None and out["ratified_month"] is None


def test_after_a_rejection_the_negotiator_restarts_below_the_rejected_amount():
    sc = teaching(ratification=ratification(2, -50.0))
    trace = ns.run(sc, seed=0).trace
    kinds = trace.events.map(lambda c: [r.kind for r in ns.events.decode(c)])
    vote = next(i for i, k in enumerate(kinds) if "rejected" in k)
    assert "initialled" in kinds.iloc[vote - 2]
    assert not trace.round_held.iloc[vote] and not trace.round_held.iloc[vote - 1]
    later = trace.rok_bottom_line.iloc[vote + 1:]
    assert (later <= 1050.0).all()  # the ROK leader will not let 1,050 through again


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("probability, took_office", [(1.0, "2024-06"), (0.0, None)])
def test_an_election_challenger_takes_office_only_if_it_wins(engine, probability, took_office):
    election = {"type": "election", "side": "us", "month": "2024-04",
                "inauguration": "2024-06", "probability": probability,
                "bottom_line": 1080.0, "demand": 1200.0}
    out = one(teaching(events=[election]), engine)
    assert out["us_leader_change_month"] == took_office
    if probability == 1.0:  # the new US mandate (1,080) delays the crossing
        assert out["agreement_month"] > "2024-09"
    else:
        assert (out["agreement_month"], out["amount_krw_bn"]) == ("2024-09", 1050.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_foresight_zero_changes_nothing_and_one_hurries_the_incumbent(engine):
    """teaching.toml with a ROK opening of 990 (ROK offer 990 + 11 t) and a US election in
    2024-04 that a harder challenger surely wins (inauguration 2024-06, t = 5).

    Without foresight the US offer 1200 - 20 t would meet the ROK's only at t = 7, after
    the challenger (mandate 1,080, demand 1,200) has taken office: a later deal. With the
    US incumbent's foresight at 1 its offer moves toward its bottom line (1,000) by the
    month before the inauguration, hurry = urgency = t / 4: t = 3: 1140 - 0.75 * 140 = 1035
    > ROK 1023; t = 4: 1000 <= ROK 1034, offers cross: the midpoint 1,017 in 2024-05."""
    election = {"type": "election", "side": "us", "month": "2024-04",
                "inauguration": "2024-06", "probability": 1.0,
                "bottom_line": 1080.0, "demand": 1200.0}
    raw = dict(load_scenario(CONFIGS / "teaching.toml").resolved)
    raw["events"] = [election]
    raw["rok"] = {**raw["rok"], "opening": 990.0}
    blind = one(from_dict(raw, "x"), engine)
    seeing = one(from_dict({**raw, "us": {**raw["us"], "foresight": 1.0}}, "x"), engine)
    assert (seeing["agreement_month"], seeing["amount_krw_bn"]) == ("2024-05", 1017.0)
    assert seeing["us_leader_change_month"] is None  # the deal came before it
    assert blind["agreement_month"] > "2024-06" and blind["us_leader_change_month"] == "2024-06"
    zero = one(from_dict({**raw, "us": {**raw["us"], "foresight": 0.0}}, "x"), engine)
    assert zero == blind


@pytest.mark.parametrize("engine", ENGINES)
def test_several_dated_rounds_in_a_month_each_count(engine):
    raw = dict(load_scenario(CONFIGS / "teaching.toml").resolved)
    raw["rounds"] = {**{k: v for k, v in raw["rounds"].items()
                        if k not in ("every_months", "months")},
                     "dates": ["2024-01-10", "2024-01-24", "2024-03-05"]}
    out = one(from_dict(raw, "x"), engine)
    assert out["rounds_held"] == 3 and not out["agreed"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hostile_public_caps_the_rok_win_set(engine):
    opinion = {"max_increase_pct": 4.0, "demand_weight": 0.0, "walkout_weight": 0.0,
               "furlough_weight": 0.0, "veto_weight": 0.0,
               "cohorts": [{"name": "all", "share": 1.0, "baseline": 0.0, "initial": 0.0,
                            "persistence": 1.0, "response": 0.0}]}
    out = one(teaching(opinion=opinion), engine)
    # ceiling 1,040: the ROK concedes no further (teaching's deal was 1,050)
    assert out["amount_krw_bn"] <= 1040.0 + 1e-9


# --- scenario errors -------------------------------------------------------------------


@pytest.mark.parametrize("extra, message", [
    ({"opinion": {"cohorts": [{"name": "a", "share": 0.5}]}},
     r"opinion.cohorts: the share values sum to 0.5; allowed: values summing to 1"),
    ({"ratification": {"rok": {"blocs": [{"name": "a", "seats": 0.9}]}}},
     r"ratification.rok.blocs: the seats values sum to 0.9; allowed: values summing to 1"),
    ({"ratification": {"eu": {}}}, r"ratification.eu: unknown side; allowed: us, rok"),
    ({"events": [{"type": "election", "side": "us", "month": "2024-05",
                  "inauguration": "2024-03"}]},
     r"events.0.inauguration: 2024-03 is before the election 2024-05; allowed: the "
     r"election month or later"),
])
def test_bad_two_level_tables_name_the_key_and_what_is_allowed(extra, message):
    with pytest.raises(ScenarioError, match=message):
        teaching(**extra)


def test_more_than_four_rounds_in_a_month_is_refused():
    raw = dict(load_scenario(CONFIGS / "teaching.toml").resolved)
    raw["rounds"] = {"dates": [f"2024-02-{d:02d}" for d in range(1, 6)]}
    with pytest.raises(ScenarioError, match=r"rounds.dates: 5 rounds in 2024-02; allowed: at "
                                            r"most 4 in a month"):
        from_dict(raw, "x")
    raw["us"] = {**raw["us"], "foresight": 1.5}
    with pytest.raises(ScenarioError, match=r"us.foresight: 1.5 is out of range"):
        from_dict(raw, "x")
