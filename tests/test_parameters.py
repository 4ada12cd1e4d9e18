"""The one parameter type: its unit-interval mapping, its modes, its Optuna suggestion, and
the one-line errors of its spec parser."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from SALib.sample import sobol as salib_sobol

from negotiation_sim.errors import ScenarioError
from negotiation_sim.experiments.config import sweep_from_dict
from negotiation_sim.experiments.samplers import salib_problem, sobol, sweep_rng
from negotiation_sim.parameters import (
    TUNED,
    Parameter,
    cycle_overrides,
    parse_parameters,
    transform,
)
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tuning.config import tune_from_dict

from .conftest import CONFIGS

# --- the unit-interval mapping ------------------------------------------------------------


def test_linear_bounds_map_uniformly_and_never_leave_the_range():
    p = Parameter("a", 2.0, 10.0)
    np.testing.assert_array_equal(p.from_unit([0.0, 0.25, 0.5, 1.0]), [2.0, 4.0, 6.0, 10.0])
    np.testing.assert_array_equal(p.from_unit([-0.5, 1.5]), [2.0, 10.0])  # clipped


def test_log_bounds_map_log_uniformly():
    p = Parameter("a", 1.0, 100.0, log=True)
    np.testing.assert_allclose(p.from_unit([0.0, 0.25, 0.5, 1.0]), [1.0, 10**0.5, 10.0, 100.0])
    assert p.from_unit(0.0) == 1.0 and p.from_unit(1.0) == 100.0  # exactly the bounds


def test_integers_are_equally_likely_and_inside_non_integer_bounds():
    p = Parameter("k", 0.0, 3.0, integer=True)
    out = p.from_unit([0.0, 0.2499, 0.25, 0.5, 0.7499, 0.75, 0.999, 1.0])
    assert out.dtype == np.int64
    assert out.tolist() == [0, 0, 1, 2, 2, 3, 3, 3]
    q = Parameter("k", 1.5, 4.2, integer=True, log=True)  # integers 2, 3, 4; log ignored
    assert q.from_unit([0.0, 0.33, 0.34, 0.66, 0.67, 1.0]).tolist() == [2, 2, 3, 3, 4, 4]


def test_discrete_values_are_equally_likely_and_keep_their_type():
    p = Parameter("s", values=("a", "b", "c"))
    assert p.from_unit([0.0, 0.33, 0.34, 0.99, 1.0]).tolist() == ["a", "a", "b", "c", "c"]
    assert Parameter("i", values=(1, 5)).from_unit([0.1, 0.9]).dtype == np.int64


def test_start_is_the_middle_geometric_on_log_rounded_for_integers_or_the_default():
    assert Parameter("a", 2.0, 10.0).start == 6.0
    assert Parameter("a", 1.0, 100.0, log=True).start == pytest.approx(10.0)
    assert Parameter("a", 0.0, 5.0, integer=True).start == 2.0  # round(2.5), banker's
    assert Parameter("a", 0.0, 1.0, default=0.02).start == 0.02


def test_the_sobol_sampler_takes_an_integer_as_salibs_seed_and_maps_through_from_unit():
    params = [Parameter("a", 1.0, 100.0, log=True), Parameter("k", 0.0, 12.0, integer=True)]
    unit = salib_sobol.sample(salib_problem(params), 8, calc_second_order=False, seed=11)
    points = sobol(params, 8, rng=11, second_order=False)
    np.testing.assert_array_equal(points["a"], params[0].from_unit(unit[:, 0]))
    np.testing.assert_array_equal(points["k"], params[1].from_unit(unit[:, 1]))
    # a generator (a sweep's) draws SALib's seed from itself: another design
    assert not sobol(params, 8, rng=sweep_rng(11), second_order=False).equals(points)


def test_optuna_suggests_over_the_same_range_scale_and_integers():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    Parameter("f", 0.05, 5.0, log=True).suggest(trial)
    Parameter("k", 1.5, 4.2, integer=True).suggest(trial)
    Parameter("c", values=("x", "y")).suggest(trial)
    assert trial.distributions == {
        "f": optuna.distributions.FloatDistribution(0.05, 5.0, log=True),
        "k": optuna.distributions.IntDistribution(2, 4),
        "c": optuna.distributions.CategoricalDistribution(["x", "y"]),
    }


# --- modes relative to a cycle's facts ---------------------------------------------------


@pytest.mark.parametrize("mode,expected", [
    ("value", 0.5), ("times", 500.0), ("premium_times", 900.0),
    ("percent_above_amount", 804.0), ("percent_of_amount", 4.0), ("plus", 1000.5)])
def test_each_mode_maps_a_value_onto_the_cycle(mode, expected):
    # own value x = 1000, amount in force A = 800, tuned value v = 0.5
    assert transform(mode, 0.5, 1000.0, 800.0) == pytest.approx(expected)


def test_an_unknown_mode_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^unknown mode 'squared'; allowed: value, times, "
                       r"premium_times, percent_above_amount, percent_of_amount, plus$"):
        transform("squared", 1.0, 1.0, 1.0)


def test_cycle_values_are_kept_valid():
    sc = load_scenario(CONFIGS / "history" / "sma9.toml")  # US deadline 5 months past expiry
    params = [Parameter("us.tactic.deadline_months", -12.0, 12.0, integer=True, mode="plus"),
              Parameter("events[type=walkout].probability", 0.0, 3.0, mode="times")]
    out = cycle_overrides(sc, params, {"us.tactic.deadline_months": np.array([-9, 1.4, 2.6]),
                                       "events[type=walkout].probability": 1e9})
    assert out["us.tactic.deadline_months"].tolist() == [1, 6, 8]  # at least 1, rounded
    probabilities = [v for k, v in out.items() if k.endswith(".probability")]
    assert probabilities and all(v == 1.0 for v in probabilities)


# --- the spec parser ------------------------------------------------------------------


def test_nested_tables_are_dotted_names_and_ranges_become_values():
    found: list[tuple[str, str]] = []
    params = parse_parameters({"us": {"tactic": {"beta": {"low": 0.1, "high": 2.0}}}}, TUNED,
                              lambda k, m: found.append((k, m)))
    assert not found and params == [Parameter("us.tactic.beta", 0.1, 2.0)]
    cfg = sweep_from_dict({"sweep": {"scenario": "sma11.toml", "parameters": {
        "rok.bottom_line": {"low": 1150, "high": 1200, "step": 20, "integer": True},
        "us.tactic.beta": {"low": 0.5, "high": 2.0, "n": 3, "log": True}}}}, "s.toml", CONFIGS)
    assert cfg.parameters[0].values == (1150, 1170, 1190)
    assert cfg.parameters[1].values == (0.5, 1.0, 2.0)


def _sweep(spec: object, sampler: str = "lhs") -> None:
    table = {"scenario": "sma11.toml", "sampler": sampler, "parameters": {"us.opening": spec}}
    if sampler != "grid":
        table["n"] = 4
    sweep_from_dict({"sweep": table}, "s.toml", CONFIGS)


SWEEP_ALLOWED = r"allowed: a list of values, \{ low, high, step \}, \{ low, high, n \}"


@pytest.mark.parametrize("spec,sampler,message", [
    ({"low": 1.0, "high": 2.0}, "grid", rf"bounds alone cannot make a grid; {SWEEP_ALLOWED}$"),
    ({"low": 2.0, "high": 1.0}, "lhs", r"needs numbers low <= high \(got low=2\.0, high=1\.0\); "
     rf"{SWEEP_ALLOWED}, or \{{ low, high \}} bounds$"),
    ({"low": 1.0, "high": 2.0, "step": 0.5, "n": 3}, "lhs", r"give step or n, not both; "),
    ({"low": 1.0, "high": 2.0, "mode": "times"}, "lhs",
     r"unknown key 'mode'; allowed: values, low, high, step, n, log, integer$"),
    ({"values": [1.0], "log": True}, "lhs", r"values cannot be combined with other keys; "),
    ({"low": 1.0, "high": 2.0, "step": 0.5, "log": True}, "lhs",
     r"step 0\.5 is not allowed; allowed: a number > 0 \(without log\)$"),
    ({"low": 1.0, "high": 2.0, "n": 0}, "grid",
     r"n 0 is not allowed; allowed: an integer >= 1$"),
    ({"low": 1.0, "high": 2.0, "log": "yes"}, "lhs",
     r"log and integer must be true or false; allowed: true, false$"),
    ({"low": 0.2, "high": 0.8, "integer": True}, "lhs",
     r"no integer lies in \[0\.2, 0\.8\]; allowed: bounds around an integer$"),
])
def test_sweep_spec_errors_are_one_line_naming_file_key_and_allowed(spec, sampler, message):
    with pytest.raises(ScenarioError, match=r"^s\.toml: sweep\.parameters\.us\.opening: "
                       + message):
        _sweep(spec, sampler)


def _tune(parameters: object) -> None:
    tune_from_dict({"tune": {"cycles": [{"name": "sma11", "scenario": "history/sma11.toml",
                                         "record": 11}], "parameters": parameters}},
                   "t.toml", CONFIGS)


@pytest.mark.parametrize("name,spec,message", [
    ("us.tactic.beta", {"low": 0.1, "high": 2.0, "mode": "squared"},
     r"mode 'squared' is not allowed; allowed: value, times, premium_times, "
     r"percent_above_amount, percent_of_amount, plus$"),
    ("us.tactic.beta", {"low": 1.0, "high": 1.0},
     r"needs numbers low < high \(got low=1\.0, high=1\.0\); allowed: \{ low = L, high = H \}$"),
    ("us.tactic.beta", {"low": 0.0, "high": 1.0, "log": True},
     r"log = true needs low > 0 \(got 0\.0\); allowed: 0 < low < high$"),
    ("us.tactic.beta", {"low": 0.1, "high": 1.0, "step": 0.1},
     r"unknown key 'step'; allowed: low, high, mode, log, integer, default$"),
    ("us.tactic.beta", [0.1, 0.2], r"\[0\.1, 0\.2\] is not allowed; allowed: \{ low = L, "
     r"high = H \}$"),
    ("us.tactic.beta", {"low": 0.0, "high": 1.0, "default": 9.0},
     r"default 9\.0 is not allowed; allowed: a number in \[0\.0, 1\.0\]$"),
    ("events[type].probability", {"low": 0.0, "high": 1.0},
     r"selector item 'type' is not key=value; allowed: events\[type=walkout,side=us\]"),
    ("events.1.probability", {"low": 0.0, "high": 1.0},
     r"events are chosen by selector; allowed: events\[type=TYPE\(,side=SIDE\)\]\.KEY"),
    ("US.beta", {"low": 0.0, "high": 1.0},
     r"not a dotted scenario key; allowed: e\.g\. us\.tactic\.beta, rok\.bottom_line$"),
])
def test_tuned_spec_errors_are_one_line_naming_file_key_and_allowed(name, spec, message):
    key = name.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(ScenarioError, match=rf"^t\.toml: tune\.parameters\.{key}: {message}"):
        _tune({name: spec})


def test_an_empty_parameter_table_says_what_a_table_holds():
    with pytest.raises(ScenarioError, match=r"^t\.toml: tune\.parameters: missing or empty; "
                       r"allowed: a table of \"dotted\.key\" = \{ low = L, high = H \}"):
        _tune({})
    with pytest.raises(ScenarioError, match=r"^s\.toml: sweep\.parameters: missing or empty; "
                       r"allowed: a \[sweep\.parameters\] table of"):
        sweep_from_dict({"sweep": {"scenario": "sma11.toml", "parameters": {}}}, "s.toml",
                        CONFIGS)
