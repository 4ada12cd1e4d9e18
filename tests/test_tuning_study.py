"""The tuning study: exact trial counts with worker processes, continuing, the CLI."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from negotiation_sim.cli import main
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tuning.config import load_tune_config
from negotiation_sim.tuning.study import make_storage, optimize, shares

from .conftest import CONFIGS

HISTORY = CONFIGS / "history"


def small_config(tmp_path, replications: int = 8, extra: str = "") -> str:
    """configs/tune_history.toml with fewer replications, scenarios by absolute path."""
    text = (CONFIGS / "tune_history.toml").read_text()
    text = text.replace('scenario = "history/', f'scenario = "{HISTORY}/')
    text = text.replace("replications = 100", f"replications = {replications}") + extra
    path = tmp_path / "tune.toml"
    path.write_text(text)
    return str(path)


def test_shares_split_the_trials_exactly():
    assert shares(7, 2) == [4, 3]
    assert shares(2, 4) == [1, 1]
    assert all(sum(shares(n, w)) == n for n in range(1, 30) for w in range(1, 6))


def test_two_worker_processes_finish_exactly_the_trials_asked_for(tmp_path):
    config = load_tune_config(small_config(tmp_path))
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optimize(config, url, "shared", 7, workers=2, quiet=True)
    study = optuna.load_study(study_name="shared", storage=make_storage(url))
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 7  # none lost, none extra
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(7))
    params = {tuple(sorted(t.params.items())) for t in trials}
    assert len(params) == 7  # no parameter set evaluated twice
    pids = {t.user_attrs["worker_pid"] for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids  # two separate processes did the work
    per_worker = sorted(sum(t.user_attrs["worker_pid"] == p for t in trials) for p in pids)
    assert per_worker == [3, 4]


def test_cli_tune_writes_the_best_scenarios_and_report_and_continues(tmp_path, capsys):
    config = small_config(tmp_path)
    out = tmp_path / "out"
    assert main(["tune", config, "--trials", "4", "--out", str(out)]) == 0
    first = json.loads((out / "best_params.json").read_text())
    printed = capsys.readouterr().out
    assert re.search(r"4 trials added .*; 4 in the study", printed)
    for name in ("report.md", "fit.png", "history.png", "importances.png", "fit.csv",
                 "study.db", "best/sma9.toml", "best/sma10.toml", "best/sma11.toml"):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text()
    assert "## Observed vs simulated" in report and "## Optimisation history" in report
    assert "| sma11 | fit | 15 / " in report  # record beside the simulated median

    # The tuned scenario is a full scenario file that `run` accepts, with the tuned values.
    tuned = load_scenario(out / "best" / "sma11.toml")
    amount = tuned.amount_in_force
    assert tuned.rok.bottom_line == pytest.approx(
        max(tuned.rok.opening, amount * (1 + first["values"]["rok.bottom_line"] / 100)))
    assert main(["run", str(out / "best" / "sma11.toml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["term_years"] == 6

    # A second invocation continues the same study.
    assert main(["tune", config, "--trials", "3", "--out", str(out)]) == 0
    assert re.search(r"3 trials added .*; 7 in the study", capsys.readouterr().out)
    names = optuna.get_all_study_names(storage=make_storage(f"sqlite:///{out / 'study.db'}"))
    assert names == ["tune_history"]

    # The same study name with a different config is refused, not mixed.
    other = small_config(tmp_path, replications=9)
    assert main(["tune", other, "--trials", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --study tune_history: ") and "different config" in err


def test_cli_holdout_reports_out_of_sample_error(tmp_path, capsys):
    config = small_config(tmp_path)
    out = tmp_path / "out"
    assert main(["tune", config, "--trials", "3", "--holdout", "sma11", "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held out" in printed and "out-of-sample (sma11) loss" in printed
    folder = out / "holdout-sma11"
    report = (folder / "report.md").read_text()
    assert "Out of sample (sma11, not used in the fit)" in report
    assert "`us.principal.veto_threshold`" in report.split("Out of sample")[1]  # unidentified
    best = json.loads((folder / "best_params.json").read_text())
    assert best["fit_cycles"] == ["sma9", "sma10"] and best["holdout"] == "sma11"
    assert best["unidentified"] == ["us.principal.veto_threshold"]
    assert "out_of_sample_loss" in best["errors"]
    with (folder / "best" / "sma11.toml").open("rb") as f:
        assert tomllib.load(f)["scenario"]["name"] == "history_sma11_tuned"


BAD = [
    (["--trials", "-1"], r"^error: --trials -1: allowed: an integer >= 0 \(0: report the "
     r"stored study without new trials\)$"),
    (["--workers", "two"], r"^error: --workers two: allowed: an integer >= 1$"),
    (["--holdout", "sma12"], r"^error: --holdout sma12: not a cycle of .*; allowed: sma9, "
     r"sma10, sma11$"),
    (["--engine", "warp"], r"^error: --engine warp: unknown engine; allowed: mesa, fast$"),
    (["--storage", "nosuchdb://x"], r"^error: --storage nosuchdb://x: cannot open .*; allowed: "),
]


@pytest.mark.parametrize("flags,message", BAD, ids=[b[0][0] for b in BAD])
def test_bad_flags_one_line_exit_2(tmp_path, capsys, flags, message):
    config = small_config(tmp_path)
    assert main(["tune", config, "--out", str(tmp_path / "out"), *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
    assert not (tmp_path / "out").exists()


CONFIG_CASES = [
    ('"us.tactic.beta" = { low = 0.05, high = 5.0, log = true }',
     '"us.tactic.bta" = { low = 0.05, high = 5.0 }',
     r"tune\.parameters\.us\.tactic\.bta: sets no key in any cycle's scenario \(sma9, sma10, "
     r"sma11\); allowed: a key the scenario files set"),
    ('"us.tactic.beta" = { low = 0.05, high = 5.0, log = true }',
     '"us.tactic.beta" = { low = 0.05, high = 5.0, mode = "squared" }',
     r"tune\.parameters\.us\.tactic\.beta: mode 'squared' is not allowed; allowed: value, "),
    ('"us.tactic.beta" = { low = 0.05, high = 5.0, log = true }',
     '"us.tactic.beta" = { low = 5.0, high = 0.05 }',
     r"tune\.parameters\.us\.tactic\.beta: needs numbers low < high"),
    ('"us.tactic.beta" = { low = 0.05, high = 5.0, log = true }',
     '"us.tactic.beta" = { low = 0.05, high = 500.0 }',
     r"tune\.parameters\.us\.tactic\.beta: value 500 gives an invalid sma9 scenario "
     r"\(us\.tactic\.beta: 500\.0 out of range; allowed: number in \[0\.01, 100"),
    ("record = 11", "record = 3",
     r"tune\.cycles\.2\.record: 3 has no observed outcome in the record; allowed: 6, 7, 9, 10, "
     r"11$"),
    ('sampler = "tpe"', 'sampler = "grid"',
     r"tune\.sampler: 'grid' is not allowed; allowed: tpe, random$"),
]


@pytest.mark.parametrize("old,new,message", CONFIG_CASES,
                         ids=["key", "mode", "bounds", "range", "record", "sampler"])
def test_bad_config_one_line_exit_2(tmp_path, capsys, old, new, message):
    path = small_config(tmp_path)
    text = Path(path).read_text()
    assert old in text
    Path(path).write_text(text.replace(old, new))
    assert main(["tune", path, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "out").exists()
