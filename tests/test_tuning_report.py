"""The tuning report's numbers: errors weighted as the objective weights the cycles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from negotiation_sim.storage import ResultsFolder
from negotiation_sim.tuning.config import load_tune_config
from negotiation_sim.tuning.report import error_summary, fit_table
from negotiation_sim.tuning.runner import TuneOptions, fit_fold
from negotiation_sim.tuning.study import default_storage, fitted, optimize

from .test_tuning_study import small_config

WEIGHTS = {"sma9": 4.0, "sma10": 1.0, "sma11": 0.25}


def weighted_config(tmp_path) -> str:
    """The small history config with unequal cycle weights."""
    path = small_config(tmp_path, replications=4)
    text = Path(path).read_text()
    for cycle, weight in WEIGHTS.items():
        number = cycle.removeprefix("sma")
        text = text.replace(f"record = {number}\n", f"record = {number}\nweight = {weight}\n")
    Path(path).write_text(text)
    return path


def test_in_sample_errors_use_the_objectives_cycle_weights(tmp_path):
    config = load_tune_config(weighted_config(tmp_path))
    assert [c.weight for c in config.cycles] == list(WEIGHTS.values())
    url = default_storage(tmp_path)
    study = optimize(config, url, "weighted", 3, quiet=True)
    result = fitted(config, study)
    table = fit_table(result, config)
    errors = error_summary(result, table, config)

    w = np.array(list(WEIGHTS.values()))
    losses = table["loss"].to_numpy()
    assert errors.in_sample_loss == pytest.approx(study.best_value, rel=1e-12)
    assert errors.in_sample_loss == pytest.approx((w * losses).sum() / w.sum(), rel=1e-12)
    assert errors.in_sample_loss != pytest.approx(losses.mean(), rel=1e-6)  # weights matter
    gap = np.abs(table["gap_months_error"].to_numpy())
    assert errors.in_sample_abs_gap_error == pytest.approx((w * gap).sum() / w.sum())
    assert errors.holdout is None and errors.out_of_sample_loss is None


def test_a_holdout_fold_reports_the_held_out_cycle_unweighted(tmp_path):
    config = load_tune_config(weighted_config(tmp_path))
    out = ResultsFolder.create(tmp_path / "out")
    options = TuneOptions(url=default_storage(out.path), trials=2, quiet=True)
    fold = fit_fold(config, out, options, holdout="sma10")
    row = fold.table.set_index("cycle").loc["sma10"]
    assert fold.errors.holdout == "sma10"
    assert fold.errors.out_of_sample_loss == pytest.approx(row["loss"])
    assert fold.errors.in_sample_loss == pytest.approx(fold.study.best_value, rel=1e-12)
    best = json.loads((out.path / "holdout-sma10" / "best_params.json").read_text())
    assert best["errors"] == fold.errors.to_dict()
    assert out.outputs == ["holdout-sma10/"]
