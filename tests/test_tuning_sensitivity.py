"""Sobol' sensitivity: known indices of the Ishigami function, and the command."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from negotiation_sim.cli import main
from negotiation_sim.experiments.samplers import sobol
from negotiation_sim.parameters import Parameter
from negotiation_sim.tuning.sensitivity import indices, load_sensitivity_config

from .conftest import CONFIGS

# Analytic indices of Ishigami (a = 7, b = 0.1) on [-pi, pi]^3 (Saltelli et al. 2008).
S1_TRUE = (0.3139, 0.4424, 0.0)
ST_TRUE = (0.5576, 0.4424, 0.2437)


def test_sobol_indices_of_the_ishigami_function():
    params = [Parameter(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    points = sobol(params, 2048, rng=3, second_order=False)
    assert len(points) == 2048 * (3 + 2)
    assert points.min().min() >= -math.pi and points.max().max() <= math.pi
    y = Ishigami.evaluate(points[["x1", "x2", "x3"]].to_numpy())
    table = indices(params, {"y": y}, bootstrap=200, seed=3)
    np.testing.assert_allclose(table["S1"], S1_TRUE, atol=0.04)
    np.testing.assert_allclose(table["ST"], ST_TRUE, atol=0.04)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()
    assert (table["ST_conf"] > 0).all() and (table["ST_conf"] < 0.1).all()
    # the 95% intervals cover the analytic values
    assert (abs(table["S1"] - np.array(S1_TRUE)) <= 2 * table["S1_conf"]).all()
    assert (abs(table["ST"] - np.array(ST_TRUE)) <= 2 * table["ST_conf"]).all()


def test_log_and_integer_parameters_are_mapped_from_the_unit_cube():
    params = [Parameter("a", 0.01, 100.0, log=True), Parameter("b", 0, 3, integer=True)]
    points = sobol(params, 512, rng=1, second_order=False)
    assert points["a"].between(0.01, 100.0).all()
    assert abs(np.median(np.log10(points["a"]))) < 0.2  # log-uniform: median near 10^0
    counts = points["b"].value_counts(normalize=True).sort_index()
    assert counts.index.tolist() == [0, 1, 2, 3]
    assert (abs(counts - 0.25) < 0.03).all()  # each integer equally likely


def test_a_constant_output_has_no_indices():
    params = [Parameter("a", 0.0, 1.0), Parameter("b", 0.0, 1.0)]
    table = indices(params, {"flat": np.ones(8 * 4)}, bootstrap=20)
    assert table["S1"].isna().all() and table["ST"].isna().all()


SMALL = """
[sensitivity]
name = "small"
scenario = "{scenario}"
n = 16
replications = 3
seed = 4
bootstrap = 50

[sensitivity.parameters]
"rok.bottom_line" = {{ mode = "percent_above_amount", low = 0.0, high = 25.0 }}
"rok.gap_sensitivity" = {{ mode = "percent_of_amount", low = 0.01, high = 2.0, log = true }}
"us.principal.veto_threshold" = {{ mode = "percent_above_amount", low = 13.5, high = 44.0 }}
"""


def test_cli_sensitivity_writes_indices_and_does_not_depend_on_workers(tmp_path, capsys):
    path = tmp_path / "sens.toml"
    path.write_text(SMALL.format(scenario=CONFIGS / "history" / "sma11.toml"))
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["sensitivity", str(path), "--out", str(one)]) == 0
    printed = capsys.readouterr().out
    assert "240 runs (80 points x 3 replications)" in printed
    assert main(["sensitivity", str(path), "--out", str(two), "--workers", "2"]) == 0
    capsys.readouterr()
    for name in ("sensitivity.md", "sobol.png", "sobol.csv", "points.parquet", "manifest.json"):
        assert (one / name).is_file(), name
    table = pd.read_csv(one / "sobol.csv")
    assert sorted(set(table["output"])) == ["change_pct", "gap_months", "gap_share"]
    assert len(table) == 9
    pd.testing.assert_frame_equal(table, pd.read_csv(two / "sobol.csv"))
    points = pd.read_parquet(one / "points.parquet")
    assert len(points) == 80 and points["gap_share"].between(0, 1).all()
    assert "| change_pct | `rok.gap_sensitivity` |" in (one / "sensitivity.md").read_text()


def test_shipped_sensitivity_config_loads_with_its_documented_size(tmp_path):
    # The config's header and the README: 11 parameters x 256 base samples -> 3,328
    # points x 16 replications = 53,248 runs (Saltelli without second order: n (d + 2)).
    config = load_sensitivity_config(CONFIGS / "sensitivity_sma11.toml")
    assert len(config.parameters) == 11
    assert (config.n_points, config.n_runs) == (3328, 53248)
    # With second-order indices the design has n (2d + 2) points: 256 x 24.
    text = (CONFIGS / "sensitivity_sma11.toml").read_text()
    text = text.replace("second_order = false", "second_order = true").replace(
        'scenario = "history/', f'scenario = "{CONFIGS}/history/')
    (tmp_path / "second.toml").write_text(text)
    assert load_sensitivity_config(tmp_path / "second.toml").n_points == 6144


@pytest.mark.parametrize("old,new,message", [
    ("n = 16", "n = 12", r"sensitivity\.n: 12 is not a power of 2; allowed: 2, 4, 8"),
    ('"rok.bottom_line"', '"rok.bottomline"',
     r"sensitivity\.parameters\.rok\.bottomline: sets no key in any cycle's scenario"),
    ("bootstrap = 50", "bootstrap = 50\nsamples = 3",
     r"sensitivity\.samples: unknown key; allowed: name, scenario, n"),
])
def test_bad_sensitivity_config_one_line_exit_2(tmp_path, capsys, old, new, message):
    path = tmp_path / "sens.toml"
    path.write_text(SMALL.format(scenario=CONFIGS / "history" / "sma11.toml").replace(old, new))
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: ")
    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "out").exists()
