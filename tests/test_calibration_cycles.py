"""Every cycle the record supports: date-valued missing facts, new history scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.calendar import format_month, parse_month
from negotiation_sim.calibration.config import calibrate_from_dict, load_calibrate_config
from negotiation_sim.errors import ScenarioError
from negotiation_sim.parameters import MISSING, TUNED, cycle_overrides, parse_parameter
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tuning.loss import common_seeds

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "configs" / "history"
CONFIG = ROOT / "configs" / "calibrate_history.toml"
NEW = ("sma3", "sma5", "sma6", "sma8")


def _cycle(name):
    return next(c for c in load_calibrate_config(CONFIG).cycles if c.name == name)


def _config(missing, path=HISTORY / "sma6.toml"):
    return {"calibrate": {"name": "t", "cycles": [
        {"name": "sma6", "scenario": str(path), "record": 6, "missing": missing}],
        "parameters": {"us.tactic.beta": {"low": 0.1, "high": 5.0}}}}


def test_month_range_parses_to_whole_months():
    p = parse_parameter("scenario.talks_start", {"low": "2004-03", "high": "2004-11"}, MISSING)
    assert (p.mode, p.low, p.high, p.integer) == ("month", parse_month("2004-03"),
                                                  parse_month("2004-11"), True)
    assert p.describe() == {"mode": "month", "low": "2004-03", "high": "2004-11"}
    # Only the calibration's missing facts take months; tuned parameters stay numbers.
    assert "needs numbers" in parse_parameter("scenario.talks_start",
                                              {"low": "2004-03", "high": "2004-11"}, TUNED)


@pytest.mark.parametrize(("spec", "message"), [
    ({"low": "2004-13", "high": "2004-11"},
     r"^x\.toml: calibrate\.cycles\.0\.missing\.scenario\.talks_start: low: '2004-13' is not a "
     r"month: use 'YYYY-MM', e\.g\. '2019-12'; allowed: years 1900-2200, months 01-12$"),
    ({"low": "2004-03", "high": "2004/11"},
     r"^x\.toml: calibrate\.cycles\.0\.missing\.scenario\.talks_start: high: '2004/11' is not a "
     r"month: use 'YYYY-MM', e\.g\. '2004-11'"),
    ({"low": "2004-11", "high": "2004-03"},
     r"^x\.toml: calibrate\.cycles\.0\.missing\.scenario\.talks_start: low 2004-11 is after "
     r"high 2004-03; allowed: months with low <= high$"),
    ({"low": "2004-03", "high": 2004},
     r"talks_start: high: 2004 is not a month: use 'YYYY-MM'"),
    ({"low": "2004-03", "high": "2004-11", "log": True},
     r"talks_start: log cannot be combined with month bounds; allowed: "),
    ({"low": "2004-03", "high": "2004-05", "n": 4},
     r"talks_start: n 4 is not allowed; allowed: an integer from 2 to the 3 months of the "
     r"range$"),
    # A month the scenario cannot take: talks would start after the agreement expires.
    ({"low": "2004-03", "high": "2005-02"},
     r"^x\.toml: calibrate\.cycles\.0\.missing\.scenario\.talks_start: value 2005-02 gives an "
     r"invalid sma6 scenario \(agreement_in_force\.expires: 2004-12 is before talks_start "
     r"2005-02"),
])
def test_bad_month_ranges_are_one_line_errors(spec, message):
    with pytest.raises(ScenarioError, match=message) as info:
        calibrate_from_dict(_config({"scenario.talks_start": spec}), "x.toml", ROOT)
    assert "\n" not in str(info.value)


def test_bad_month_range_exits_2_naming_file_and_key(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.read_text().replace('low = "2004-03"', 'low = "2004-3"'))
    (tmp_path / "history").symlink_to(HISTORY)
    done = subprocess.run([sys.executable, "-m", "negotiation_sim", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        "bad.toml: calibrate.cycles.2.missing.scenario.talks_start: low: '2004-3' is not a "
        "month: use 'YYYY-MM', e.g. '2004-03'; allowed: years 1900-2200, months 01-12")


def test_n_months_spread_evenly_over_the_range():
    p = parse_parameter("scenario.talks_start", {"low": "2004-03", "high": "2004-11", "n": 3},
                        MISSING)
    assert [format_month(v) for v in p.values] == ["2004-03", "2004-07", "2004-11"]
    assert p.describe()["months"] == ["2004-03", "2004-07", "2004-11"]


@pytest.mark.parametrize(("n", "months"), [(None, range(24050, 24059)),
                                           (3, (24050, 24054, 24058))])
def test_start_draws_stay_in_range_cover_it_and_repeat_from_the_seed(n, months):
    from dataclasses import replace

    from negotiation_sim.calibration.abc import missing_draws

    spec = {"low": "2004-03", "high": "2004-11"} | ({"n": n} if n else {})
    sma6 = replace(_cycle("sma6"), missing=(
        parse_parameter("scenario.talks_start", spec, MISSING),))
    assert format_month(24050) == "2004-03"
    seeds = common_seeds(7, 400)
    a = missing_draws(sma6, seeds)["scenario.talks_start"]
    b = missing_draws(sma6, seeds)["scenario.talks_start"]
    np.testing.assert_array_equal(a, b)
    assert set(a.tolist()) == set(months)  # inside the range, and all of it drawn
    other = missing_draws(sma6, common_seeds(8, 400))["scenario.talks_start"]
    assert not np.array_equal(a, other)


def test_a_drawn_start_keeps_the_calendar_months_of_the_file():
    sma6 = _cycle("sma6")
    scenario = sma6.cycle.scenario
    start = sma6.missing[0]
    months = np.array([parse_month("2004-03"), parse_month("2004-09")])
    out = cycle_overrides(scenario, (start,), {start.name: months})
    assert list(out["scenario.talks_start"]) == ["2004-03", "2004-09"]
    # Acceptance from the expiry month (2004-12) and the deadline at expiry, whatever the start.
    for key in ("us.acceptance.after_months", "rok.tactic.deadline_months"):
        assert list(out[key]) == [9, 3]
    moved = scenario.with_overrides({k: v[1] for k, v in out.items()})
    assert format_month(moved.talks_start + moved.expiry) == "2004-12"
    assert moved.us.tactic_params["deadline_months"] == moved.expiry == 3


@pytest.mark.parametrize("name", NEW)
def test_new_history_scenarios_run_alike_on_both_engines(name):
    from negotiation_sim.calibration.abc import simulate_cycle

    config = load_calibrate_config(CONFIG)
    cycle = next(c for c in config.cycles if c.name == name)
    values = {p.name: p.start for p in config.parameters}
    seeds = common_seeds(3, 12)
    fast = simulate_cycle(cycle, config.parameters, values, seeds, engine="fast")
    mesa = simulate_cycle(cycle, config.parameters, values, seeds, engine="mesa")
    pd.testing.assert_frame_equal(fast, mesa)
    assert fast["agreed"].any()
    if any(p.mode == "month" for p in cycle.missing):  # several start months in one batch
        from negotiation_sim.calibration.abc import missing_draws

        assert len(set(missing_draws(cycle, seeds)["scenario.talks_start"].tolist())) > 1


def test_new_history_scenarios_hold_the_record_and_mark_placeholders():
    facts = {"sma3": ("1995-12", 240.0, 3), "sma5": ("2001-12", 552.5, 3),
             "sma6": ("2004-12", 746.9, 2), "sma8": ("2008-12", 741.5, 5)}
    for name, (expires, amount, term) in facts.items():
        text = (HISTORY / f"{name}.toml").read_text()
        scenario = load_scenario(HISTORY / f"{name}.toml")
        assert scenario.resolved["agreement_in_force"]["expires"] == expires
        assert scenario.amount_in_force == amount
        assert scenario.term_years == term
        start_line = next(line for line in text.splitlines() if line.startswith("talks_start"))
        assert "PLACEHOLDER" in start_line
    assert load_scenario(HISTORY / "sma6.toml").floor is False  # the record's cut


def test_a_cycle_without_an_agreement_month_is_scored_on_its_change_only():
    from negotiation_sim.calibration.abc import Distance

    config = load_calibrate_config(CONFIG)
    sma8 = next(c for c in config.cycles if c.name == "sma8")
    assert np.isnan(sma8.cycle.observed["gap_months"])
    from dataclasses import replace

    only = replace(config, cycles=(sma8,), distance="mae")
    x0 = {"sma8:timing": float("nan"), "sma8:change": 2.49}
    far = {"sma8:timing": np.array([30.0, -30.0]), "sma8:change": np.array([2.49, 6.49])}
    assert Distance(only)(far, x0) == pytest.approx(1.0)  # (0 + 4/2) / 2: timing ignored
    # CRPS (the shipped distance): E|X - y| = 1, E|X - X'| = 1 in scaled units: 1 - 1/2.
    assert Distance(replace(only, distance="crps"))(far, x0) == pytest.approx(0.5)


def test_inline_observed_needs_the_change():
    raw = _config(None)
    spec = raw["calibrate"]["cycles"][0]
    del spec["record"], spec["missing"]
    spec["observed"] = {"gap_months": 2}
    with pytest.raises(ScenarioError, match=r"^x\.toml: calibrate\.cycles\.0\.observed: "
                       r"\{'gap_months': 2\} is not allowed; allowed: \(without record\) "
                       r"\{ change_pct = X \}"):
        calibrate_from_dict(raw, "x.toml", ROOT)


def test_an_integer_key_given_as_a_whole_float_validates(tmp_path):
    # every_months = 1.0 used to crash validation (range() got a float); the fuzzer found it
    # on the new history scenarios.
    path = tmp_path / "s.toml"
    path.write_text((HISTORY / "sma6.toml").read_text().replace("every_months = 1",
                                                               "every_months = 1.0"))
    scenario = load_scenario(path)
    assert scenario.resolved["rounds"]["every_months"] == 1
    assert isinstance(scenario.resolved["rounds"]["every_months"], int)
