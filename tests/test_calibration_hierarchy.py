"""Cycle-level random effects ([calibrate.hierarchy]) and the CRPS distance."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.calibration.abc import crps, simulate_cycle
from negotiation_sim.calibration.config import calibrate_from_dict, load_calibrate_config
from negotiation_sim.calibration.hierarchy import SPREAD, apply_effects, cycle_effects
from negotiation_sim.calibration.predictive import predict
from negotiation_sim.errors import ScenarioError
from negotiation_sim.tuning.loss import common_seeds

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibrate_history.toml"
MEANS = {"us.tactic.beta": 1.0, "rok.tactic.beta": 1.0, "us.bottom_line": 4.0,
         "rok.bottom_line": 9.0, "us.gap_sensitivity": 0.5, "rok.gap_sensitivity": 0.2}


def _cycle(config, name):
    return next(c for c in config.cycles if c.name == name)


def test_shipped_config_has_one_spread_over_both_bottom_lines_and_no_wall_time_stop():
    config = load_calibrate_config(CONFIG)
    assert config.hierarchy.parameters == ("us.bottom_line", "rok.bottom_line")
    assert [p.name for p in config.top_parameters][-1] == SPREAD
    assert (config.hierarchy.spread.low, config.hierarchy.spread.high) == (0.0, 12.0)
    assert config.distance == "crps" and config.max_seconds is None


def test_cycle_effects_repeat_from_the_seed_and_differ_by_cycle():
    seeds = common_seeds(7, 4000)
    z = cycle_effects(seeds, "sma6")
    np.testing.assert_array_equal(z, cycle_effects(common_seeds(7, 4000), "sma6"))
    assert not np.allclose(z, cycle_effects(seeds, "sma7"))
    assert not np.allclose(z, cycle_effects(common_seeds(8, 4000), "sma6"))
    assert abs(z.mean()) < 0.06 and z.std() == pytest.approx(1.0, abs=0.05)


def test_effects_move_both_bottom_lines_by_spread_times_z():
    config = load_calibrate_config(CONFIG)
    z = np.array([-1.0, 0.5, 2.0])
    out = apply_effects(config.hierarchy, {**MEANS, SPREAD: 3.0}, z)
    np.testing.assert_array_equal(out["us.bottom_line"], [1.0, 5.5, 10.0])
    np.testing.assert_array_equal(out["rok.bottom_line"], [6.0, 10.5, 15.0])
    assert out["us.tactic.beta"] == 1.0  # not in the hierarchy
    assert apply_effects(None, {**MEANS, SPREAD: 3.0}, z)["us.bottom_line"] == 4.0


@pytest.mark.parametrize("name", ["sma6", "sma10"])
def test_spread_zero_is_exactly_the_non_hierarchical_simulation(name):
    config = load_calibrate_config(CONFIG)
    cycle = _cycle(config, name)
    seeds = common_seeds(3, 12)
    flat = simulate_cycle(cycle, config.parameters, MEANS, seeds)
    zero = simulate_cycle(cycle, config.parameters, {**MEANS, SPREAD: 0.0}, seeds,
                          hierarchy=config.hierarchy)
    pd.testing.assert_frame_equal(flat, zero)
    wide = simulate_cycle(cycle, config.parameters, {**MEANS, SPREAD: 8.0}, seeds,
                          hierarchy=config.hierarchy)
    assert (wide["change_pct"] != flat["change_pct"]).sum() >= 6  # the spread does act


def test_predictive_of_a_cycle_integrates_over_the_cycle_effect():
    config = load_calibrate_config(CONFIG)
    scenario = _cycle(config, "sma10").cycle.scenario
    samples = pd.DataFrame({k: [v] for k, v in MEANS.items()})
    spread = [np.quantile(predict(scenario, config.parameters, samples.assign(**{SPREAD: s}),
                                  np.ones(1), 300, 4, hierarchy=config.hierarchy)
                          ["increase_pct"], [0.1, 0.9]) for s in (0.0, 6.0)]
    assert spread[1][1] - spread[1][0] > spread[0][1] - spread[0][0] + 3.0


def test_crps_is_zero_at_a_perfect_forecast_and_rewards_an_honest_spread():
    assert crps(np.full(5, 2.0), 2.0) == 0.0
    assert crps(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)  # 0.5 - 0.5 * 0.5
    rng = np.random.default_rng(0)
    ys = rng.standard_normal(300)  # the record's scatter: sd 1
    z = rng.standard_normal(200)
    mean_score = {s: np.mean([crps(s * z, y) for y in ys]) for s in (0.0, 1.0, 3.0)}
    assert mean_score[1.0] < mean_score[0.0] and mean_score[1.0] < mean_score[3.0]


def _raw():
    raw = tomllib.loads(CONFIG.read_text())
    for cycle in raw["calibrate"]["cycles"]:
        cycle["scenario"] = str(ROOT / "configs" / cycle["scenario"])
    return raw


@pytest.mark.parametrize(("hierarchy", "message"), [
    ({"parameters": ["us.bottom_line"], "spread": {"low": 0, "high": 5}, "sd": 1},
     r"^x\.toml: calibrate\.hierarchy\.sd: unknown key; allowed: parameters, spread$"),
    ({"parameters": ["us.opening"], "spread": {"low": 0, "high": 5}},
     r"^x\.toml: calibrate\.hierarchy\.parameters: 'us\.opening' is not a shared parameter "
     r"with a linear prior; allowed: rok\.bottom_line, us\.bottom_line$"),
    ({"parameters": ["us.tactic.beta"], "spread": {"low": 0, "high": 5}},
     r"'us\.tactic\.beta' is not a shared parameter with a linear prior"),
    ({"parameters": [], "spread": {"low": 0, "high": 5}},
     r"^x\.toml: calibrate\.hierarchy\.parameters: \[\] is not allowed; allowed: a non-empty "
     r"list of shared parameter names$"),
    ({"parameters": ["us.bottom_line", "us.bottom_line"], "spread": {"low": 0, "high": 5}},
     r"calibrate\.hierarchy\.parameters: \['us\.bottom_line', 'us\.bottom_line'\] names a "
     r"parameter twice$"),
    ({"parameters": ["us.bottom_line"], "spread": {"low": -1, "high": 5}},
     r"^x\.toml: calibrate\.hierarchy\.spread: \{'low': -1, 'high': 5\} is not allowed; "
     r"allowed: \{ low = L, high = H \} with 0 <= L < H \(the parameters' units\)$"),
    ({"parameters": ["us.bottom_line"]},
     r"calibrate\.hierarchy\.spread: None is not allowed"),
    (["us.bottom_line"],
     r"^x\.toml: calibrate\.hierarchy: \['us\.bottom_line'\] is not allowed; allowed: a table"),
])
def test_bad_hierarchy_is_a_one_line_error(hierarchy, message):
    raw = _raw()
    raw["calibrate"]["hierarchy"] = hierarchy
    with pytest.raises(ScenarioError, match=message) as info:
        calibrate_from_dict(raw, "x.toml", ROOT)
    assert "\n" not in str(info.value)


def test_bad_distance_and_max_seconds_are_one_line_errors():
    raw = _raw()
    raw["calibrate"]["distance"] = "rmse"
    with pytest.raises(ScenarioError, match=r"^x\.toml: calibrate\.distance: 'rmse' is not "
                       r"allowed; allowed: mae, crps$"):
        calibrate_from_dict(raw, "x.toml", ROOT)
    raw = _raw()
    raw["calibrate"]["max_seconds"] = 0
    with pytest.raises(ScenarioError, match=r"calibrate\.max_seconds: 0 is not allowed; "
                       r"allowed: a number > 0$"):
        calibrate_from_dict(raw, "x.toml", ROOT)
    raw = _raw()
    raw["calibrate"]["max_seconds"] = 600
    assert calibrate_from_dict(raw, "x.toml", ROOT).max_seconds == 600.0


def test_the_fingerprint_tells_a_hierarchical_run_from_a_flat_one():
    config = load_calibrate_config(CONFIG)
    flat = replace(config, hierarchy=None)
    assert config.fingerprint() != flat.fingerprint()
    assert replace(flat, distance="mae").fingerprint() != flat.fingerprint()
    assert copy.deepcopy(config).fingerprint() == config.fingerprint()
