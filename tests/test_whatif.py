"""Replications and what-if: the outcome distribution of one scenario (``run
--replications``) and paired differences on common random numbers (``compare``)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.draws import run_seeds
from negotiation_sim.experiments import compare as cmp
from negotiation_sim.experiments import distribution as dist
from negotiation_sim.formatting import human
from negotiation_sim.scenario import load_scenario

from .conftest import CONFIGS

SMA11 = str(CONFIGS / "sma11.toml")


def outcomes(agreed, months, gaps, amounts=None) -> pd.DataFrame:
    amounts = amounts or [1000.0 if a else None for a in agreed]
    return pd.DataFrame({
        "agreed": agreed, "agreement_month": months, "gap_months": gaps,
        "amount_krw_bn": pd.array(amounts, dtype="Float64"),
        "increase_pct": pd.array([None if a is None else a / 10 - 100 for a in amounts],
                                 dtype="Float64")})


def test_replication_i_has_the_seed_a_sweep_gives_run_i_and_the_mesa_outcome():
    scenario = load_scenario(CONFIGS / "sma10.toml")
    table = dist.replicate(scenario, 3, seed=7)
    assert table.seed.tolist() == [int(run_seeds(7, [i])[0]) for i in range(3)]
    for i in range(3):
        outcome = run(scenario, seed=int(table.seed[i])).outcome.to_dict()
        assert table.loc[i, "agreement_month"] == outcome["agreement_month"]
        assert table.loc[i, "gap_months"] == outcome["gap_months"]


def test_distribution_by_hand():
    # Expiry 2019-12: deals one month late, one month early, three months late; one none.
    table = outcomes([True, True, True, False], ["2020-01", "2019-11", "2020-03", None],
                     [1, 0, 3, 10], [1100.0, 1000.0, 1300.0, None])
    d = dist.distribution(table, "2019-12")
    assert (d["runs"], d["p_agreed"], d["p_agreed_before_expiry"], d["p_gap"]) == (
        4, 0.75, 0.25, 0.75)
    assert dist.lead_months(table.agreement_month, "2019-12")[:3].tolist() == [-1, 1, -3]
    assert d["lead_months"]["p50"] == -1.0
    assert d["agreement_month"] == {"p10": "2019-11", "p50": "2020-01", "p90": "2020-03"}
    assert d["gap_months"]["p50"] == 2.0  # all four runs, the no-deal one up to the horizon
    assert d["amount_krw_bn"] == {"p10": 1020.0, "p50": 1100.0, "p90": 1260.0}
    assert d["increase_pct"]["p50"] == pytest.approx(10.0)


def test_lead_months_with_an_expiry_per_run():
    lead = dist.lead_months(pd.Series(["2021-02", None]), pd.Series(["2020-12", "2020-12"]))
    assert lead[0] == -2 and np.isnan(lead[1])


def test_paired_differences_of_a_known_shift():
    rng = np.random.default_rng(1)
    gaps = rng.integers(0, 6, 400)
    base = outcomes([True] * 400, [f"2020-{g + 1:02d}" if g else "2019-12" for g in gaps],
                    gaps.tolist())
    later = outcomes([True] * 400, [f"2020-{g + 2:02d}" for g in gaps], (gaps + 1).tolist())
    diff = cmp.paired_differences(base, later, "2019-12", "2019-12", seed=3)
    # Every pair one month later: the median gap moves by exactly one, with no spread.
    assert (diff["gap_months"].estimate, diff["gap_months"].low, diff["gap_months"].high) == (
        1.0, 1.0, 1.0)
    assert diff["lead_months"].estimate == -1.0
    before = float((gaps == 0).mean())
    d = diff["p_agreed_before_expiry"]
    assert d.baseline == pytest.approx(before) and d.alternative == 0.0
    assert d.low <= -before <= d.high and d.high - d.low > 0.02
    # The interval is the percentile interval of resampled pair indices.
    idx = np.random.Generator(np.random.PCG64(3)).integers(0, 400, size=(cmp.RESAMPLES, 400))
    manual = np.percentile(-(gaps == 0)[idx].mean(axis=1), [2.5, 97.5])
    assert (d.low, d.high) == pytest.approx(tuple(manual))
    again = cmp.paired_differences(base, later, "2019-12", "2019-12", seed=3)
    assert again == diff


def test_paired_differences_need_as_many_runs_on_each_side():
    table = outcomes([True], ["2020-01"], [1])
    with pytest.raises(ValueError, match="1 baseline runs but 2 alternative runs"):
        cmp.paired_differences(table, pd.concat([table, table]), "2019-12", "2019-12")


def test_run_replications_json(capsys):
    assert main(["run", SMA11, "--replications", "50", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"runs", "p_agreed", "p_agreed_before_expiry", "p_gap", "gap_months",
            "increase_pct", "amount_krw_bn", "lead_months", "agreement_month"} <= set(d)
    assert d["runs"] == 50 and set(d["gap_months"]) == {"p10", "p50", "p90"}
    scenario = load_scenario(SMA11)
    table = dist.replicate(scenario, 50)
    assert d["gap_months"]["p50"] == float(np.median(table.gap_months))
    assert d["lead_months"]["p50"] == -d["gap_months"]["p50"]  # every run is late


def test_run_replications_table_and_folder(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["run", SMA11, "--replications", "20", "--seed", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "20 runs (seeds draws.run_seeds(3, [0..19])), engine fast" in text
    assert "agreed before expiry (2019-12)" in text and "1,187.8" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["base_seed"] == 3 and manifest["replications"] == 20
    assert pd.read_parquet(out / "runs.parquet").seed.tolist() == run_seeds(3, range(20)).tolist()


@pytest.mark.parametrize(("argv", "message"), [
    (["--replications", "0"], "--replications 0: allowed: an integer >= 1"),
    (["--engine", "mesa"], "--engine: needs --replications N"),
    (["--replications", "5", "--engine", "numba"], "--engine numba: unknown engine"),
])
def test_run_replications_bad_options(argv, message, capsys):
    assert main(["run", SMA11, *argv]) == 2
    assert message in capsys.readouterr().err


def test_compare_on_common_random_numbers(capsys):
    # The same scenario as its own alternative: every difference is exactly zero.
    # A lower US mandate lets a few runs close before expiry (the ROK public's win-set
    # keeps the ROK ceiling near +10% until 2020, so a higher ROK bottom line would not).
    assert main(["compare", SMA11, "--set", "us.opening=5750", "--vs",
                 "us.bottom_line=1100 us.tactic.beta=1", "--replications", "200",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    same, changed = d["alternatives"]
    assert same["overrides"] == {"us.opening": 5750}
    assert all(v["estimate"] == v["low"] == v["high"] == 0 for v in
               same["differences"].values())
    assert changed["overrides"] == {"us.bottom_line": 1100, "us.tactic.beta": 1}
    before = changed["differences"]["p_agreed_before_expiry"]
    assert before["estimate"] == changed["distribution"]["p_agreed_before_expiry"] > 0
    assert before["low"] < before["estimate"] < before["high"]
    assert d["interval"]["resamples"] == 2000 and d["baseline"]["runs"] == 200


def test_compare_table(capsys):
    assert main(["compare", SMA11, "--vs", "rok.bottom_line=1400", "--replications",
                 "100"]) == 0
    text = capsys.readouterr().out
    assert "A: rok.bottom_line=1400" in text and "A - baseline [95% CI]" in text
    # the win-set caps the ROK ceiling well below 1,400: the amount does not move
    assert re.search(r"\nmedian amount \(bn won\) +1,182 +1,182 +\+0\.0 \[\+0\.0, \+0\.0\]\n",
                     text)


@pytest.mark.parametrize(("argv", "message"), [
    ([], "compare: nothing to compare"),
    (["--vs", ""], '--vs "": expected one or more dotted.key=value'),
    (["--set", "us.nope=1"], "us.nope"),
])
def test_compare_bad_input(argv, message, capsys):
    assert main(["compare", SMA11, *argv, "--replications", "5"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("value", "text"), [
    (11500, "11,500"), (1.15e4, "11,500"), (1187.8, "1,187.8"), (0.35, "0.35"),
    (np.float64(1250.0), "1,250"), (float("nan"), "-"), (None, "-"), (-14, "-14")])
def test_numbers_for_people(value, text):
    assert human(value) == text
