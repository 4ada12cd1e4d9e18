"""Writing a scenario: amounts in bn won, US$ m or "+N%", tactic switches, clear messages."""

from __future__ import annotations

import pytest

from negotiation_sim import ScenarioError, load_scenario, schema
from negotiation_sim.api import run
from negotiation_sim.calendar import parse_month

from .conftest import CONFIGS, write_scenario

TEACHING = (CONFIGS / "teaching.toml").read_text()  # krw_per_usd 1300, in force 1000 bn
SMA11 = CONFIGS / "sma11.toml"


def test_usd_amounts_convert_at_the_scenarios_rate(tmp_path):
    text = TEACHING.replace("opening = 1200.0", "opening_usd_m = 1000", 1)
    scenario = load_scenario(write_scenario(tmp_path, text))
    assert scenario.us.opening == 1300.0  # 1,000 US$ m x 1,300 won/$ = 1,300 bn won
    changed = text.replace("krw_per_usd = 1300.0", "krw_per_usd = 1150.0")
    assert load_scenario(write_scenario(tmp_path, changed)).us.opening == 1150.0


def test_relative_amounts_apply_to_the_amount_in_force(tmp_path):
    text = (TEACHING.replace("opening = 1200.0", 'opening = "+20%"', 1)
            .replace("bottom_line = 1000.0", 'bottom_line = "-0%"', 1)
            .replace("opening = 900.0", 'opening = "-10%"', 1))
    scenario = load_scenario(write_scenario(tmp_path, text))
    assert (scenario.us.opening, scenario.us.bottom_line, scenario.rok.opening) == (
        1200.0, 1000.0, 900.0)
    assert run(scenario, seed=0).outcome == run(load_scenario(CONFIGS / "teaching.toml"),
                                                 seed=0).outcome


def test_every_amount_key_takes_every_form():
    base = load_scenario(SMA11)  # in force 1038.9 bn, 1150 won/$
    over = {"us.principal.reset_demand_usd_m": 1300, "rok.principal.veto_threshold": "+25%",
            "events.4.demand_usd_m": 1000, "events.4.bottom_line": "+10%",
            "events.4.veto_threshold": "+30%", "events.4.reset_demand_usd_m": 1200}
    s = base.with_overrides(over)
    assert s.us.principal.reset_demand == pytest.approx(1495.0)
    assert s.rok.principal.veto_threshold == pytest.approx(1298.625)
    change = s.events[4].__dict__
    assert change["demand"] == pytest.approx(1150.0)
    assert change["bottom_line"] == pytest.approx(1142.79)
    assert change["principal"].veto_threshold == pytest.approx(1350.57)
    assert change["principal"].reset_demand == pytest.approx(1380.0)


def test_setting_one_spelling_replaces_the_other():
    s = load_scenario(SMA11, {"us.opening_usd_m": 4000})
    assert s.us.opening == 4600.0 and "opening_usd_m" not in s.resolved["us"]
    assert s.with_overrides({"us.opening": "+100%"}).us.opening == pytest.approx(2077.8)
    assert s.with_overrides({"us.opening_usd_m": 5000}).us.opening == 5750.0


def test_the_shipped_scenario_written_in_dollars_gives_the_same_outcomes(tmp_path):
    text = SMA11.read_text().replace("opening = 5750.0", "opening_usd_m = 5000", 1)
    dollars = load_scenario(write_scenario(tmp_path, text))
    base = load_scenario(SMA11)
    assert dollars.us == base.us
    assert [run(dollars, seed=i).outcome for i in range(3)] == [
        run(base, seed=i).outcome for i in range(3)]


@pytest.mark.parametrize("replace,message", [
    (('opening = 1200.0', 'opening = "10%"'),
     r"us\.opening: '10%' is not an amount; allowed: a number \(KRW bn\); KEY_usd_m = a "
     r"number \(US\$ m, at scenario\.krw_per_usd\); or a change on the amount in force as "
     r"a string, e\.g\. \"\+10%\" or \"-5%\""),
    (('opening = 1200.0', 'opening = 1200.0\nopening_usd_m = 900'),
     r"us\.opening_usd_m: given with us\.opening; allowed: one of opening \(KRW bn\) or "
     r"opening_usd_m \(US\$ m\)"),
    (('opening = 1200.0', 'opening_usd_m = "lots"'),
     r"us\.opening_usd_m: 'lots' is not a number; allowed: an amount in US\$ million"),
    (('opening = 1200.0', 'opening = true'), r"us\.opening: True is not an amount; allowed: "),
])
def test_bad_amounts_are_reported_once_with_every_form(tmp_path, replace, message):
    text = TEACHING.replace(*replace, 1)
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(write_scenario(tmp_path, text))
    assert len(info.value.problems) == 1, info.value.problems


def test_switching_tactic_takes_the_new_tactics_defaults():
    s = load_scenario(SMA11, {"us.tactic.name": "linear"})  # old beta 0.35 is outside [1, 1]
    assert s.us.tactic == "linear"
    assert s.us.tactic_params == {"deadline_months": 6}  # kept: linear accepts it
    s = load_scenario(SMA11, {"us.tactic.name": "hard_line"})
    assert s.us.tactic_params == {}
    s = load_scenario(SMA11, {"rok.tactic.name": "boulware", "rok.tactic.beta": 0.5})
    assert s.rok.tactic_params == {"beta": 0.5, "deadline_months": 7}
    with pytest.raises(ScenarioError, match=r"us\.tactic\.beta: 0\.5 out of range"):
        load_scenario(SMA11, {"us.tactic.name": "linear", "us.tactic.beta": 0.5})
    with pytest.raises(ScenarioError, match=r"us\.acceptance\.after_months: unknown parameter "
                       r"of 'ac_next'; allowed: name$"):
        load_scenario(SMA11, {"us.acceptance.after_months": 3, "us.acceptance.name": "ac_next"})


def test_keeping_the_tactic_name_still_refuses_a_bad_parameter():
    with pytest.raises(ScenarioError, match=r"us\.tactic\.beta: 5 out of range"):
        load_scenario(SMA11, {"us.tactic.name": "boulware", "us.tactic.beta": 5})


@pytest.mark.parametrize("replace,message", [
    (("[rounds]", "[rounds]\nspeed = 3"),
     "rounds.speed: unknown key; allowed: protocol, first_mover, settlement, every_months, "
     "months, dates"),
    (("gap_cost = 0.0", "gap_cost = 0.0\nwalk = 1"),
     "us.walk: unknown key; allowed: opening, bottom_line, bottom_line_utility, gap_cost, "
     "gap_sensitivity, foresight, renewal_pct, package_choice, in_kind_value_pct, "
     "wage_share_value_pct, "
     "opening_usd_m, bottom_line_usd_m, tactic, acceptance, principal"),
    (("gap_cost = 0.0", "gap_cost = 0.0\n[us.mood]\nx = 1\n[us.x]"),
     "us.mood: unknown key; allowed: opening, bottom_line, bottom_line_utility, gap_cost, "
     "gap_sensitivity, foresight, renewal_pct, package_choice, in_kind_value_pct, "
     "wage_share_value_pct, "
     "opening_usd_m, bottom_line_usd_m, tactic, acceptance, principal"),
    (("deadline_months = 10 }", "deadline_months = 10, speed = 2 }"),
     "us.tactic.speed: unknown parameter of 'linear'; allowed: name, beta, k, "
     "deadline_months"),
])
def test_unknown_key_messages_list_every_allowed_key(tmp_path, replace, message):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, TEACHING.replace(*replace, 1)))
    assert message in [f"{key}: {text}" for key, text in info.value.problems]


@pytest.mark.parametrize("replace,message", [
    (("[opinion]", "[opinion]\nspeed = 1"),
     "opinion.speed: unknown key; allowed: max_increase_pct, demand_weight, walkout_weight, "
     "furlough_weight, veto_weight, cohorts"),
    (('name = "moderate"', 'name = "moderate"\nsize = 2'),
     "opinion.cohorts.1.size: unknown key; allowed: name, share, baseline, initial, "
     "persistence, response"),
    (("delay_months = 5", "delay_months = 5\nquorum = 1"),
     "ratification.rok.quorum: unknown key; allowed: delay_months, majority, blocs"),
    (('name = "others"', 'name = "others"\nvotes = 3'),
     "ratification.rok.blocs.2.votes: unknown key; allowed: name, seats, support, "
     "increase_sensitivity, opinion_sensitivity"),
    (("[ratification.rok]", "[ratification.eu]\nx = 1\n[ratification.rok]"),
     "ratification.eu: unknown side; allowed: us, rok"),
    (("[opinion]", "[mood]\nx = 1\n[opinion]"),
     "mood: unknown section; allowed: agreement_in_force, events, new_agreement, opinion, "
     "ratification, rok, rounds, scenario, us"),
])
def test_unknown_keys_of_the_two_level_game_list_every_allowed_key(tmp_path, replace, message):
    text = SMA11.read_text()
    assert replace[0] in text
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, text.replace(*replace, 1)))
    assert [f"{key}: {text}" for key, text in info.value.problems] == [message]


def test_unknown_principal_key_lists_usd_spellings():
    with pytest.raises(ScenarioError, match=r"us\.principal\.veto: unknown key; allowed: label, "
                       r"veto_threshold, veto_probability, reset_demand, veto_threshold_usd_m, "
                       r"reset_demand_usd_m$"):
        load_scenario(SMA11, {"us.principal.veto": 1})


@pytest.mark.parametrize("text,example", [("2025-12-31", "2025-12"), ("2025/3", "2025-03"),
                                          ("July", "2019-12"), ("2024-13", "2019-12")])
def test_month_errors_explain_the_format(text, example):
    with pytest.raises(ValueError, match=rf"^'{text}' is not a month: use 'YYYY-MM', e\.g\. "
                       rf"'{example}'; allowed: years 1900-2200, months 01-12$"):
        parse_month(text)


def test_reference_marks_required_keys_and_amount_forms():
    tables = schema.reference_tables()
    assert "| `tactic` |" in tables and "| `opening` |" in tables
    row = next(line for line in tables.splitlines() if line.startswith("| `tactic` |"))
    assert "**required**" in row
    row = next(line for line in tables.splitlines() if line.startswith("| `opening` |"))
    assert "`opening_usd_m`" in row and '`"+10%"`' in row and "**required**" in row
