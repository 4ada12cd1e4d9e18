"""``negotiation-sim forecast``: the JSON summary, the fan chart and its cumulative curve."""

from __future__ import annotations

import json
import re
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from negotiation_sim.calibration.abc import run_abc  # noqa: E402
from negotiation_sim.calibration.config import load_calibrate_config  # noqa: E402
from negotiation_sim.calibration.predictive import (  # noqa: E402
    in_force_by_month,
    month_quantiles,
    predict,
)
from negotiation_sim.calibration.report import read_posterior, write_posterior  # noqa: E402
from negotiation_sim.cli import main  # noqa: E402
from negotiation_sim.scenario import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibrate_history.toml"
SMA7 = ROOT / "configs" / "history" / "sma7.toml"
QUANTITIES = ("lead_months", "gap_months", "increase_pct", "agreement_month")


@pytest.fixture(scope="module")
def calibration(tmp_path_factory) -> Path:
    """A tiny calibration folder (one generation of 12 particles, 2 runs per cycle)."""
    out = tmp_path_factory.mktemp("calibration")
    config = replace(load_calibrate_config(CONFIG), population=12, generations=1,
                     replications=2)
    write_posterior(out, run_abc(config, out / "abc", seed=5))
    (out / "calibration.txt").write_text(str(CONFIG), encoding="utf-8")
    return out


def _outcomes(folder: Path, draws: int, seed: int) -> pd.DataFrame:
    samples, weights = read_posterior(folder)
    config = load_calibrate_config(CONFIG)
    return predict(load_scenario(SMA7), config.parameters, samples, weights, draws, seed,
                   hierarchy=config.hierarchy)


def test_json_has_every_quantity_as_ordered_quantiles(calibration, capsys):
    assert main(["forecast", str(SMA7), "--calibration", str(calibration), "--draws", "300",
                 "--seed", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["draws"] == 300
    for key in ("p_agreed", "p_agreed_before_expiry", "p_gap"):
        assert 0.0 <= summary[key] <= 1.0
    for key in QUANTITIES:
        q = summary[key]
        assert set(q) == {"p10", "p50", "p90"}
        assert q["p10"] <= q["p50"] <= q["p90"]  # 'YYYY-MM' labels sort as months
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in summary["agreement_month"].values())

    # The same numbers from the same draws, computed here.
    out = _outcomes(calibration, 300, 3)
    agreed = out["agreed"].to_numpy(dtype=bool)
    lead = out["lead_months"].to_numpy()
    assert summary["p_agreed_before_expiry"] == pytest.approx(np.mean(agreed & (lead >= 0)))
    assert 0.0 < summary["p_agreed_before_expiry"] < 1.0  # the 7th: early and late deals
    months = np.sort(out["agreement_month"].astype(str).to_numpy()[agreed])
    assert summary["agreement_month"]["p50"] == months[(len(months) + 1) // 2 - 1]
    increase = out["increase_pct"].to_numpy()[agreed]
    assert summary["increase_pct"]["p90"] == pytest.approx(np.quantile(increase, 0.9))
    assert sum(summary["term_years"].values()) == pytest.approx(1.0)


def test_month_quantiles_are_months_drawn():
    months = np.array(["2020-03", "2019-12", "2020-01", "2021-12", "2020-02"])
    assert month_quantiles(months) == {"p10": "2019-12", "p50": "2020-02", "p90": "2021-12"}
    assert month_quantiles(np.array([], dtype=str)) == {"p10": None, "p50": None, "p90": None}


def test_cumulative_deal_curve_counts_deals_in_force_by_month():
    scenario = load_scenario(SMA7)  # talks 2006-05 to the horizon
    first = scenario.month_label(0)
    out = pd.DataFrame({"agreed": [True, True, False, True],
                        "ratified_month": [scenario.month_label(2), scenario.month_label(5),
                                           None, scenario.month_label(2)]})
    labels, cum = in_force_by_month(out, scenario)
    assert labels[0] == first and len(labels) == len(cum) == scenario.n_months
    assert list(cum[:7]) == [0, 0, 0.5, 0.5, 0.5, 0.75, 0.75]
    assert cum[-1] == 0.75  # the draw without a deal never counts


def test_cumulative_curve_of_real_draws_ends_at_the_share_agreed(calibration):
    out = _outcomes(calibration, 200, 1)
    _, cum = in_force_by_month(out, load_scenario(SMA7))
    assert np.all(np.diff(cum) >= 0)
    assert cum[-1] == pytest.approx(out["agreed"].mean())
    assert cum[0] < cum[-1]  # deals come in during the talks, not all at once


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_a_png_into_the_calibration_folder(calibration, capsys):
    assert main(["forecast", str(SMA7), "--calibration", str(calibration), "--draws", "100",
                 "--plot"]) == 0
    path = calibration / "forecast-sma7.png"
    assert f"wrote {path}" in capsys.readouterr().out
    width, height = _png_size(path)
    assert width > 800 and height > 300


def test_plot_to_a_named_file_keeps_json_clean(calibration, tmp_path, capsys):
    path = tmp_path / "fan.png"
    assert main(["forecast", str(SMA7), "--calibration", str(calibration), "--draws", "50",
                 "--json", "--plot", str(path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["draws"] == 50
    assert f"wrote {path}" in captured.err
    assert _png_size(path)[0] > 0


def test_plot_refuses_a_name_that_is_not_png(calibration, capsys):
    assert main(["forecast", str(SMA7), "--calibration", str(calibration), "--plot",
                 "fan.jpg"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--plot fan\.jpg: not a \.png file name; allowed: a path ending in "
                     r"\.png", err)
    assert not (calibration / "fan.jpg").exists()
