"""Side items in the scenario file (issue 12): the keys, their checks, the package space.

``[new_agreement]`` switches a side item on with ``{item}_pct_range`` (the stated share
``{item}_pct``, the grid ``{item}_pct_step``); each side values it with
``{item}_value_pct``. Without these keys every package space is today's.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from negotiation_sim import ScenarioError, load_scenario, packages, schema
from negotiation_sim.cli import main
from negotiation_sim.packages import SideItem

from .conftest import CONFIGS

TEACHING = CONFIGS / "teaching.toml"
SHIPPED = sorted(p.relative_to(CONFIGS).with_suffix("").as_posix()
                 for p in [*CONFIGS.glob("*.toml"), *CONFIGS.glob("history/*.toml")]
                 if "[scenario]" in p.read_text(encoding="utf-8"))


def scenario_file(tmp_path: Path, agreement: dict, us: dict | None = None,
                  rok: dict | None = None, base: Path = TEACHING) -> Path:
    """``base`` with keys added to ``[new_agreement]``, ``[us]`` and ``[rok]``."""
    raw = tomllib.loads(base.read_text(encoding="utf-8"))
    raw.setdefault("new_agreement", {}).update(agreement)
    raw["us"].update(us or {})
    raw["rok"].update(rok or {})
    path = tmp_path / "side.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def test_every_side_item_has_its_keys_with_their_bounds():
    assert packages.SIDE_ITEMS == ("in_kind", "wage_share")
    for item in packages.SIDE_ITEMS:
        stated = schema.NEW_AGREEMENT[f"{item}_pct"]
        span = schema.NEW_AGREEMENT[f"{item}_pct_range"]
        step = schema.NEW_AGREEMENT[f"{item}_pct_step"]
        value = schema.NEGOTIATOR[f"{item}_value_pct"]
        assert (stated.kind, stated.default, stated.low, stated.high) == ("number", 0.0, 0, 100)
        assert (span.kind, span.default, span.low, span.high) == ("numbers", None, 0, 100)
        assert (step.kind, step.default, step.low, step.high) == ("number", 10.0, 0.5, 100)
        assert (value.kind, value.default, value.low, value.high) == ("number", 0.0, -100, 100)
        assert all(f.unit == "%" and f.doc for f in (stated, span, step, value))
    assert "paid in kind" in schema.NEW_AGREEMENT["in_kind_pct"].doc
    assert "Korean employees' wages" in schema.NEGOTIATOR["wage_share_value_pct"].doc


def test_a_negotiated_side_item_is_parsed_into_the_package_space(tmp_path):
    path = scenario_file(tmp_path, {"in_kind_pct_range": [0, 40], "in_kind_pct_step": 10},
                         {"in_kind_value_pct": -30}, {"in_kind_value_pct": -20})
    package = load_scenario(path).package
    assert package.in_kind == SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, -30.0, -20.0)
    assert package.wage_share == SideItem("wage_share", 0.0, 0.0, 10.0, 0.0, 0.0, 0.0)
    assert package.issues == load_scenario(TEACHING).package.issues + 1 == 2
    assert package.negotiated
    assert package.in_kind.levels.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert package.wage_share.levels.tolist() == [0.0]


def test_a_stated_share_inside_its_range_and_a_coarser_step(tmp_path):
    path = scenario_file(tmp_path, {"wage_share_pct": 30, "wage_share_pct_range": [20, 60],
                                    "wage_share_pct_step": 20}, {}, {"wage_share_value_pct": 15})
    item = load_scenario(path).package.wage_share
    assert item == SideItem("wage_share", 20.0, 60.0, 20.0, 30.0, 0.0, 15.0)
    assert item.levels.tolist() == [20.0, 40.0, 60.0]
    assert item.factor(-1.0, 40.0) == pytest.approx(1.0 + 0.4 * 0.15)


def test_a_stated_share_without_a_range_is_fixed(tmp_path):
    item = load_scenario(scenario_file(tmp_path, {"in_kind_pct": 25})).package.in_kind
    assert item == SideItem("in_kind", 25.0, 25.0, 10.0, 25.0, 0.0, 0.0)
    assert not item.negotiated and item.levels.tolist() == [25.0]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_keep_their_package_space(name):
    """No side-item key: both items off (one level, worth cash to both), no extra issue."""
    package = load_scenario(CONFIGS / f"{name}.toml").package
    assert package.items == (SideItem("in_kind"), SideItem("wage_share"))
    assert [item.levels.tolist() for item in package.items] == [[0.0], [0.0]]
    assert package.issues == (1 + (package.term_max > package.term_min)
                              + (package.pct_high > package.pct_low))


def test_overrides_reach_the_side_items():
    scenario = load_scenario(CONFIGS / "sma11.toml", {"us.in_kind_value_pct": -30.0})
    assert scenario.package.in_kind == SideItem("in_kind", us_value_pct=-30.0)
    changed = scenario.with_overrides({"new_agreement.in_kind_pct_range": [0, 40],
                                       "rok.in_kind_value_pct": -20.0})
    assert changed.package.in_kind == SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, -30.0, -20.0)
    assert changed.package.issues == scenario.package.issues + 1


def test_the_array_engine_rebuilds_the_scenario_per_side_item_value():
    """Side-item values are structural: runs are grouped by them, each group's scenario
    carries its own values (no per-run array)."""
    from negotiation_sim.engine.vectorized import _groups

    scenario = load_scenario(CONFIGS / "sma11.toml",
                             {"new_agreement.in_kind_pct_range": [0, 40]})
    overrides = pd.DataFrame({"us.in_kind_value_pct": [-30.0, 0.0, -30.0],
                              "new_agreement.in_kind_pct_step": [10.0, 20.0, 10.0]})
    groups = [(rows.tolist(), sc.package.in_kind, per_run)
              for sc, rows, per_run in _groups(scenario, overrides)]
    assert groups == [([0, 2], SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, -30.0, 0.0), {}),
                      ([1], SideItem("in_kind", 0.0, 40.0, 20.0, 0.0, 0.0, 0.0), {})]


def test_a_results_folder_gives_back_the_side_items(tmp_path):
    from negotiation_sim.experiments.summary import manifest_package

    out = tmp_path / "out"
    assert main(["run", str(TEACHING), "--set", "new_agreement.wage_share_pct_range=[0, 50]",
                 "--set", "us.wage_share_value_pct=-10", "--set",
                 "rok.wage_share_value_pct=-40", "--out", str(out)]) == 0
    package = manifest_package(out)
    assert package is not None
    assert package.wage_share == SideItem("wage_share", 0.0, 50.0, 10.0, 0.0, -10.0, -40.0)
    assert package.in_kind == SideItem("in_kind")


BAD = [
    ({"in_kind_pct_range": [40, 0]}, {}, {},
     "new_agreement.in_kind_pct_range: [40, 0] is not [low, high]; allowed: two numbers in "
     "[0, 100], low <= high"),
    ({"wage_share_pct_range": [0, 20, 40]}, {}, {},
     "new_agreement.wage_share_pct_range: [0, 20, 40] is not [low, high]; allowed: two "
     "numbers in [0, 100], low <= high"),
    ({"in_kind_pct_range": [0, 120]}, {}, {},
     "new_agreement.in_kind_pct_range: 120 is out of range; allowed: a list of numbers in "
     "[0, 100]"),
    ({"wage_share_pct_range": [-10, 40]}, {}, {},
     "new_agreement.wage_share_pct_range: -10 is out of range; allowed: a list of numbers in "
     "[0, 100]"),
    ({"in_kind_pct_range": [10, 40]}, {}, {},
     "new_agreement.in_kind_pct_range: [10, 40] does not hold new_agreement.in_kind_pct = 0; "
     "allowed: a range containing it"),
    ({"wage_share_pct": 30, "wage_share_pct_range": [0, 20]}, {}, {},
     "new_agreement.wage_share_pct_range: [0, 20] does not hold new_agreement.wage_share_pct "
     "= 30; allowed: a range containing it"),
    ({"in_kind_pct": 101}, {}, {},
     "new_agreement.in_kind_pct: 101 is out of range; allowed: a number in [0, 100]"),
    ({"in_kind_pct_step": 0.1}, {}, {},
     "new_agreement.in_kind_pct_step: 0.1 is out of range; allowed: a number in [0.5, 100]"),
    ({}, {"in_kind_value_pct": -101}, {},
     "us.in_kind_value_pct: -101 is out of range; allowed: a number in [-100, 100]"),
    ({}, {}, {"wage_share_value_pct": 150},
     "rok.wage_share_value_pct: 150 is out of range; allowed: a number in [-100, 100]"),
]


@pytest.mark.parametrize("agreement,us,rok,message", BAD)
def test_bad_side_item_keys_are_one_line_at_the_cli(tmp_path, capsys, agreement, us, rok,
                                                     message):
    path = scenario_file(tmp_path, agreement, us, rok)
    out = tmp_path / "out"
    for argv in (["validate", str(path)], ["run", str(path), "--out", str(out)]):
        status = main(argv)
        err = capsys.readouterr().err
        assert status == 2, err
        assert "Traceback" not in err
        assert err.strip().splitlines() == [f"error: {path}: {message}"]
    assert not out.exists()
    with pytest.raises(ScenarioError, match=f"^{re.escape(f'{path}: {message}')}$"):
        load_scenario(path)


def test_bad_shares_are_reported_together_before_the_range_checks(tmp_path):
    """Every key out of bounds is reported at once; ranges are checked once keys are fine."""
    path = scenario_file(tmp_path, {"in_kind_pct_range": [40, 0], "wage_share_pct": 101},
                         {"wage_share_value_pct": -200})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert sorted(key for key, _ in info.value.problems) == [
        "new_agreement.wage_share_pct", "us.wage_share_value_pct"]

