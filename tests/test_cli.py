"""The command line end to end: JSON keys, files written and read back, --help."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from negotiation_sim.cli import main

from .conftest import CONFIGS

JSON_KEYS = {"agreed", "agreement_month", "amount_krw_bn", "increase_pct", "gap_months",
             "rounds_held", "walkouts", "vetoes"}


def test_run_json_prints_the_outcome_keys(capsys):
    assert main(["run", str(CONFIGS / "sma11.toml"), "--json", "--seed", "0"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert set(outcome) >= JSON_KEYS
    assert outcome["agreed"] is True and outcome["agreement_month"] == "2021-02"


def test_run_out_writes_tables_that_read_back(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma11.toml"), "--seed", "4", "--out", str(out),
                 "--set", "us.opening=4600"]) == 0
    csv = pd.read_csv(out / "trace.csv", keep_default_na=False, na_values=[""])
    parquet = pd.read_parquet(out / "trace.parquet")
    assert len(csv) == len(parquet) > 10
    pd.testing.assert_series_equal(csv.us_offer, parquet.us_offer)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["base_seed"] == 4 and manifest["overrides"] == {"us.opening": 4600}
    assert manifest["resolved_config"]["us"]["opening"] == 4600
    assert "mesa" in manifest["versions"]
    outcome = json.loads((out / "outcome.json").read_text())
    # the gap of the outcome ends in the month the deal was initialled; the trace goes on
    # (no agreement in force, in_gap) until the National Assembly's consent ends the run
    initialled = parquet[parquet.month == outcome["initialled_month"]].iloc[0]
    assert outcome["gap_months"] == initialled.gap_months and initialled.in_gap
    last = parquet.iloc[-1]
    assert last.month == outcome["ratified_month"] != outcome["initialled_month"]
    assert last.gap_months == outcome["gap_months"] + len(parquet) - 1 - initialled.name
    assert not list(out.glob(".*tmp"))  # no temporary files left behind


def test_plain_output_has_outcome_and_months(capsys):
    assert main(["run", str(CONFIGS / "teaching.toml")]) == 0
    out = capsys.readouterr().out
    assert "agreement month" in out and "2024-09" in out and "us_offer" in out


@pytest.mark.parametrize("cmd", [[], ["run"], ["validate"], ["tactics"]])
def test_help_everywhere(cmd):
    done = subprocess.run([sys.executable, "-m", "negotiation_sim", *cmd, "--help"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "usage: negotiation-sim" in done.stdout


def test_validate_ok_for_every_shipped_config(capsys):
    configs = sorted(str(p) for p in CONFIGS.rglob("*.toml"))
    assert main(["validate", *configs]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok (") == len(configs)
    assert "ok (sweep sweep_sma11)" in out and "ok (tune tune_history" in out


def test_validate_reports_a_bad_sweep_table(tmp_path, capsys):
    text = (CONFIGS / "sweep_sma11.toml").read_text().replace(
        'sampler = "grid"', 'sampler = "guess"')
    path = tmp_path / "sweep.toml"
    path.write_text(text.replace('scenario = "sma11.toml"',
                                 f'scenario = "{CONFIGS / "sma11.toml"}"'))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: sweep.sampler")
