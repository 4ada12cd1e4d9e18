"""Calibration (ABC-SMC with pyabc): history facts, reproducibility, resume, recovery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyabc")

from negotiation_sim.calibration.abc import run_abc, simulate_cycle  # noqa: E402
from negotiation_sim.calibration.config import (  # noqa: E402
    confidence_weight,
    load_calibrate_config,
)
from negotiation_sim.calibration.report import weighted_quantiles  # noqa: E402
from negotiation_sim.errors import UsageError  # noqa: E402
from negotiation_sim.scenario import load_scenario  # noqa: E402
from negotiation_sim.tuning import record  # noqa: E402
from negotiation_sim.tuning.loss import common_seeds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibrate_history.toml"


def tiny(**kw):
    """Two generations of 12 particles on three cycles: a missing start month and openings
    (the 3rd), a partly observed cycle (the 8th), a missing veto threshold (the 11th)."""
    config = load_calibrate_config(CONFIG)
    return replace(config, cycles=tuple(c for c in config.cycles
                                        if c.name in ("sma3", "sma8", "sma11")),
                   population=12, generations=2, replications=3, **kw)


def test_history_scenario_facts_equal_the_record():
    for n in (6, 7, 9, 10, 11):
        scenario = load_scenario(ROOT / "configs" / "history" / f"sma{n}.toml")
        obs = record.observed(n)
        assert scenario.amount_in_force == pytest.approx(obs["amount_in_force_krw_bn"])
        assert scenario.resolved["agreement_in_force"]["expires"] == obs["expiry"]
        if n != 6:  # the 6th's start is a missing fact (a PLACEHOLDER and a prior)
            assert scenario.resolved["scenario"]["talks_start"] == obs["talks_start"]


def test_cycle_weights_come_from_the_record_confidence():
    assert confidence_weight(7) == 0.75   # agreement medium-high
    assert confidence_weight(9) == 0.5    # 2013 amount derived, medium
    assert confidence_weight(11) == 1.0
    config = load_calibrate_config(CONFIG)
    assert confidence_weight(6) == 1.0
    # The 3rd, 5th and 8th state theirs (observed inline; see the config's comments).
    assert {c.name: c.weight for c in config.cycles} == {
        "sma3": 0.5, "sma5": 0.25, "sma6": 1.0, "sma7": 0.75, "sma8": 0.5, "sma9": 0.5,
        "sma10": 1.0, "sma11": 1.0}


def test_missing_openings_are_drawn_from_their_priors():
    config = load_calibrate_config(CONFIG)
    sma7 = next(c for c in config.cycles if c.name == "sma7")
    assert [p.name for p in sma7.missing] == ["us.opening", "rok.opening"]
    from negotiation_sim.calibration.abc import missing_draws

    draws = missing_draws(sma7, common_seeds(1, 200))
    assert draws["us.opening"].min() >= 5.0 and draws["us.opening"].max() <= 50.0
    assert draws["rok.opening"].min() >= -15.0 and draws["rok.opening"].max() <= 0.0
    assert draws["us.opening"].std() > 5.0  # spread over the prior, not a fixed value


def test_same_seed_same_posterior_and_resume(tmp_path):
    config = tiny()
    a = run_abc(config, tmp_path / "a", seed=5)
    b = run_abc(config, tmp_path / "b", seed=5)
    assert len(a.generations) == 2
    np.testing.assert_array_equal(a.samples.to_numpy(), b.samples.to_numpy())
    np.testing.assert_array_equal(a.weights, b.weights)
    # Resume: one generation stored, the same command continues to the second.
    c1 = run_abc(config, tmp_path / "c", seed=5, generations=1)
    assert len(c1.generations) == 1
    c2 = run_abc(config, tmp_path / "c", seed=5)
    assert list(c2.generations["t"]) == [0, 1]
    assert c2.generations["epsilon"].iloc[0] == a.generations["epsilon"].iloc[0]
    with pytest.raises(UsageError, match="holds a calibration made with another config or seed"):
        run_abc(config, tmp_path / "c", seed=6)


def test_recovers_known_bottom_lines_from_synthetic_cycles(tmp_path):
    base = load_calibrate_config(CONFIG)
    params = tuple(p for p in base.parameters if p.name.endswith("bottom_line"))
    truth = {"us.bottom_line": 6.0, "rok.bottom_line": 10.0}
    cycles = []
    for c in (c for c in base.cycles if c.name in ("sma9", "sma10")):
        m = simulate_cycle(c, params, truth, common_seeds(99, 1))
        observed = dict(c.cycle.observed, gap_months=float(m["gap_months"][0]),
                        change_pct=float(m["change_pct"][0]))
        cycles.append(replace(c, cycle=replace(c.cycle, observed=observed)))
    config = replace(base, cycles=tuple(cycles), parameters=params, population=40,
                     generations=4, replications=4, seed=3)
    result = run_abc(config, tmp_path / "syn")
    for p in params:
        lo, hi = weighted_quantiles(result.samples[p.name].to_numpy(), result.weights,
                                    [0.01, 0.99])
        assert lo <= truth[p.name] <= hi, (p.name, lo, hi)
        assert hi - lo < 0.8 * (p.high - p.low)  # narrower than the prior


def test_progress_lines_give_generation_acceptance_and_eta(tmp_path):
    """A line per generation (pyabc's own log adds epsilon): the generation of all, the
    accepted and evaluated particles as stored in the history, the time and the ETA; a
    resumed run counts on from the stored generations."""
    import re

    config = tiny()
    lines: list[str] = []
    result = run_abc(config, tmp_path / "p", seed=5, generations=1, log=lines.append)
    done = run_abc(config, tmp_path / "p", seed=5, log=lines.append)
    pattern = re.compile(r"calibrate: generation (\d)/(\d): 12 accepted of (\d+) \((\d+)%\), "
                         r"\d+ s, ETA \d+ s")
    progress = [pattern.fullmatch(line) for line in lines if "generation " in line]
    assert [m is not None for m in progress] == [True, True], lines
    # the first command asks for one generation, the second for all two
    assert [(int(m.group(1)), int(m.group(2))) for m in progress] == [(1, 1), (2, 2)]
    assert [int(m.group(3)) for m in progress] == done.generations["samples"].tolist()
    assert int(progress[0].group(3)) == result.generations["samples"].iloc[0]
    assert int(progress[0].group(4)) == round(100 * 12 / int(progress[0].group(3)))
    assert progress[1].string.endswith("ETA 0 s")  # the last generation: nothing left
    assert any(line.startswith("calibrate: resuming") for line in lines)
