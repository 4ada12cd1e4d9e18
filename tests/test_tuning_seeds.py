"""``tune --seeds N``: repeated tuner seeds, and the warning when they disagree."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import optuna
import pytest

from negotiation_sim.cli import main
from negotiation_sim.parameters import Parameter
from negotiation_sim.tuning.config import load_tune_config
from negotiation_sim.tuning.loss import common_seeds, evaluate_cycle
from negotiation_sim.tuning.seeds import SeedBest, compare_seeds, to_unit
from negotiation_sim.tuning.study import make_storage, worker_seed

from .test_tuning import SYNTHETIC_CONFIG, SYNTHETIC_SCENARIO, TRUE_VALUES

# The US opens at its bottom line, so its concession shape and deadline change nothing:
# the ROK takes 1050 when its acceptance rule allows. A flat loss: nothing is identified.
FLAT_SCENARIO = SYNTHETIC_SCENARIO.replace("opening = 1400.0\nbottom_line = 1000.0",
                                           "opening = 1050.0\nbottom_line = 1050.0")
FLAT_CONFIG = """
[tune]
name = "flat"
replications = 3
seed = 5
trials = 6
startup_trials = 4

[[tune.cycles]]
name = "synthetic"
scenario = "synthetic.toml"
observed = { gap_months = 0, change_pct = 2.0, rounds = 3, agreed_before_expiry = true }

[tune.parameters]
"us.tactic.beta" = { low = 0.05, high = 5.0, log = true }
"us.tactic.deadline_months" = { mode = "plus", low = 0, high = 12, integer = true }
"""
FLAT = ("us.tactic.beta", "us.tactic.deadline_months")


def test_to_unit_inverts_the_search_range():
    assert to_unit(Parameter("a", 0.0, 25.0), 5.0) == pytest.approx(0.2)
    log = Parameter("b", 0.1, 10.0, log=True)
    assert to_unit(log, 1.0) == pytest.approx(0.5)  # the geometric middle
    assert to_unit(log, float(log.from_unit(0.3))) == pytest.approx(0.3)
    assert to_unit(Parameter("c", 0, 12, integer=True), 3) == pytest.approx(0.25)
    assert to_unit(Parameter("d", values=("x", "y", "z")), "z") == 1.0


def _best(loss: float, **values: float) -> SeedBest:
    return SeedBest("s", 0, loss, values)


def test_seeds_disagree_beyond_a_quarter_of_the_range_or_a_quarter_of_the_loss():
    params = (Parameter("a", 0.0, 10.0), Parameter("b", 0.1, 10.0, log=True))
    check = compare_seeds(params, [_best(1.0, a=1.0, b=1.0), _best(1.2, a=3.4, b=1.0)])
    assert check.spans == pytest.approx({"a": 0.24, "b": 0.0})
    assert check.agree and check.warning() is None
    check = compare_seeds(params, [_best(1.0, a=1.0, b=0.1), _best(1.3, a=3.6, b=0.1)])
    assert check.disagree == ("a",) and check.losses_disagree
    assert re.search(r"WARNING: the 2 tuner seeds disagree: best values of a \(span 26% of "
                     r"its range\) differ by more than 25% of their range; best losses differ "
                     r"\(1 to 1\.3\)\. .*run `negotiation-sim calibrate`", check.warning())
    # Near a perfect fit the loss tolerance has a floor: 0 and 0.04 agree, 0 and 0.06 do not.
    assert not compare_seeds(params, [_best(0.0, a=1, b=1), _best(0.04, a=1, b=1)]).losses_disagree
    assert compare_seeds(params, [_best(0.0, a=1, b=1), _best(0.06, a=1, b=1)]).losses_disagree


def test_repeat_seeds_leave_the_main_studys_sampler_alone():
    base = int(np.random.SeedSequence([2024, 10, 0]).generate_state(1)[0])
    assert worker_seed(2024, 10, 0) == worker_seed(2024, 10, 0, repeat=0) == base
    seeds = {worker_seed(2024, 10, 0, session, repeat) for session in (0, 1)
             for repeat in (0, 1, 2)}
    assert len(seeds) == 6


def _write(tmp_path, scenario: str, config: str) -> str:
    (tmp_path / "synthetic.toml").write_text(scenario)
    (tmp_path / "tune.toml").write_text(config)
    return str(tmp_path / "tune.toml")


def test_flat_loss_seeds_disagree_and_the_report_warns(tmp_path, capsys):
    path = _write(tmp_path, FLAT_SCENARIO, FLAT_CONFIG)
    config = load_tune_config(path)
    seeds = common_seeds(config.seed, config.replications)
    losses = {evaluate_cycle(config.cycles[0], config.parameters,
                             {"us.tactic.beta": b, "us.tactic.deadline_months": d}, seeds,
                             config.loss).loss for b in (0.05, 1.0, 5.0) for d in (0, 12)}
    assert len(losses) == 1  # the loss is flat indeed

    out = tmp_path / "out"
    assert main(["tune", path, "--trials", "6", "--seeds", "3", "--out", str(out),
                 "--progress", "off"]) == 0
    printed = capsys.readouterr().out
    best = json.loads((out / "best_params.json").read_text())["tuner_seeds"]
    assert [s["study"] for s in best["seeds"]] == ["flat", "flat-seed1", "flat-seed2"]
    assert best["disagree"] and set(best["disagree"]) <= set(FLAT)
    assert not best["losses_disagree"]  # the same loss everywhere: only the values differ
    warning = next(line for line in printed.splitlines() if line.startswith("WARNING"))
    assert warning.startswith("WARNING: the 3 tuner seeds disagree: best values of ")
    for name in best["disagree"]:
        assert f"{name} (span " in warning
    assert "negotiation-sim calibrate" in warning
    report = (out / "report.md").read_text()
    assert f"> **{warning}**" in report and "## Repeated tuner seeds" in report
    storage = make_storage(f"sqlite:///{out / 'study.db'}")
    for name in ("flat", "flat-seed1", "flat-seed2"):
        assert len(optuna.load_study(study_name=name, storage=storage).trials) == 6
    assert json.loads((out / "manifest.json").read_text())["tuner_seeds"] == 3


def test_identified_parameters_seeds_agree_and_no_warning(tmp_path, capsys):
    path = _write(tmp_path, SYNTHETIC_SCENARIO,
                  SYNTHETIC_CONFIG.format(gap=0, change=0.0, rounds=0, before="false"))
    config = load_tune_config(path)
    seeds = common_seeds(config.seed, config.replications)
    truth = evaluate_cycle(config.cycles[0], config.parameters, TRUE_VALUES, seeds,
                           config.loss).summary()
    path = _write(tmp_path, SYNTHETIC_SCENARIO, SYNTHETIC_CONFIG.format(
        gap=int(truth["gap_months_median"]), change=round(truth["change_pct_median"], 6),
        rounds=int(truth["rounds_median"]), before="false"))
    out = tmp_path / "out"
    assert main(["tune", path, "--trials", "40", "--seeds", "2", "--out", str(out),
                 "--progress", "off"]) == 0
    printed = capsys.readouterr().out
    assert "WARNING" not in printed
    assert "the tuner seeds agree" in printed
    best = json.loads((out / "best_params.json").read_text())["tuner_seeds"]
    assert best["disagree"] == [] and not best["losses_disagree"]
    assert all(math.isfinite(s["best_loss"]) and s["best_loss"] < 0.05 for s in best["seeds"])
    report = (out / "report.md").read_text()
    assert "WARNING" not in report and "The 2 tuner seeds agree" in report


def test_one_seed_writes_no_seed_section_and_zero_seeds_is_refused(tmp_path, capsys):
    path = _write(tmp_path, FLAT_SCENARIO, FLAT_CONFIG)
    out = tmp_path / "out"
    assert main(["tune", path, "--trials", "2", "--out", str(out), "--progress", "off"]) == 0
    assert "tuner_seeds" not in json.loads((out / "best_params.json").read_text())
    assert "Repeated tuner seeds" not in (out / "report.md").read_text()
    capsys.readouterr()
    assert main(["tune", path, "--trials", "2", "--seeds", "0", "--out", str(out)]) == 2
    assert "--seeds 0: allowed: an integer >= 1" in capsys.readouterr().err
