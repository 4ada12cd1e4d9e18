"""``negotiation-sim tune --leave-one-out``: one fold per cycle, each scored on the cycle
it held out, recomputed here from the tuned scenario file, the record and the loss
formula of docs/tuning.md."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from negotiation_sim import draws
from negotiation_sim.cli import main
from negotiation_sim.engine import simulate_batch
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tuning.record import observed

from .conftest import CONFIGS

REPLICATIONS = 4
SEED = 2024  # configs/tune_history.toml
RECORD = {"sma9": 9, "sma10": 10, "sma11": 11}


def effective(space, pct):
    """An escalator number as docs/tuning.md compares it: a linked rule's cap no higher
    than its path's top rate, no cap (NaN) as that rate."""
    pct = np.asarray(pct, dtype=float)
    if space.escalator not in ("cpi", "budget"):
        return pct
    top = max(space.cpi_pct if space.escalator == "cpi" else space.budget_growth_pct)
    return np.where(np.isnan(pct), top, np.minimum(pct, top))


def cycle_loss(scenario, record: dict) -> float:
    """L_c of docs/tuning.md with the shipped weights and scales (gap 1/3, change 1/2,
    rounds 0.1/3, agreed before expiry 0.5; term 0.5/1 and escalator 0.5/1, where the
    record gives them), over the common seeds."""
    seeds = draws.run_seeds(SEED, np.arange(REPLICATIONS))
    out = simulate_batch(scenario, None, seeds, engine="fast")
    agreed = out.agreed.to_numpy(bool)
    gap = out.gap_months.to_numpy(float)
    change = np.where(agreed, out.increase_pct.to_numpy(float), 0.0)
    before = (agreed & (gap == 0)).astype(float)
    return float(np.mean(
        1.0 * ((gap - record["gap_months"]) / 3.0) ** 2
        + 1.0 * ((change - record["change_pct"]) / 2.0) ** 2
        + 0.1 * ((out.rounds_held.to_numpy(float) - record["formal_rounds"]) / 3.0) ** 2
        + 0.5 * (before - float(bool(record["agreed_before_expiry"]))) ** 2
        + 0.5 * (out.term_years.to_numpy(float) - record["term_years"]) ** 2
        + 0.5 * (effective(scenario.package, out.escalator_pct.to_numpy(float))
                 - effective(scenario.package, record["escalator_pct"])) ** 2))


def test_leave_one_out_scores_each_fold_on_its_held_out_cycle(tmp_path, capsys):
    text = (CONFIGS / "tune_history.toml").read_text()
    text = text.replace('scenario = "history/', f'scenario = "{CONFIGS}/history/')
    text = text.replace("replications = 100", f"replications = {REPLICATIONS}")
    config = tmp_path / "tune.toml"
    config.write_text(text)
    out = tmp_path / "loo"
    assert main(["tune", str(config), "--trials", "2", "--leave-one-out", "--out",
                 str(out)]) == 0
    capsys.readouterr()

    table = (out / "leave_one_out.md").read_text()
    rows = re.findall(r"^\| (sma\d+) \| ([\d.]+) \| ([\d.]+) \|", table, flags=re.M)
    assert [r[0] for r in rows] == ["sma9", "sma10", "sma11"]  # one row per cycle

    for held, in_sample_md, out_of_sample_md in rows:
        fold = out / f"holdout-{held}"
        best = json.loads((fold / "best_params.json").read_text())
        assert best["holdout"] == held and held not in best["fit_cycles"]
        losses = {c: cycle_loss(load_scenario(fold / "best" / f"{c}.toml"), observed(n))
                  for c, n in RECORD.items()}
        fit = [losses[c] for c in RECORD if c != held]
        errors = best["errors"]
        assert errors["out_of_sample_loss"] == pytest.approx(losses[held], rel=1e-9)
        assert errors["in_sample_loss"] == pytest.approx(np.mean(fit), rel=1e-9)
        assert float(out_of_sample_md) == pytest.approx(losses[held], rel=1e-3)
        assert float(in_sample_md) == pytest.approx(np.mean(fit), rel=1e-3)
        # The held-out cycle's loss is not one of the fitted cycles' (it would be if the
        # fold scored the wrong cycle).
        assert all(abs(losses[held] - f) > 1e-9 for f in fit)
