"""Sweeps end to end: same results whatever runs them, failures recorded, folders kept safe."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negotiation_sim as ns
from negotiation_sim.cli import main
from negotiation_sim.draws import run_seeds
from negotiation_sim.experiments import load_sweep, run_sweep
from negotiation_sim.outcome import OUTCOME_FIELDS

from .conftest import CONFIGS

SMA11 = CONFIGS / "sma11.toml"
PARAMS = ["us.opening", "us.tactic.beta"]


def write_sweep(tmp_path: Path, body: str, name: str = "small", replications: int = 15,
                chunk_size: int = 20, seed: int = 7, extra: str = "") -> Path:
    """A sweep config over sma11 (absolute scenario path) in ``tmp_path``."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[sweep]\nname = "{name}"\nscenario = "{SMA11}"\nreplications = '
                    f"{replications}\nseed = {seed}\nchunk_size = {chunk_size}\n{extra}\n"
                    f"[sweep.parameters]\n{body}\n", encoding="utf-8")
    return path


SMALL = '"us.opening" = [4600.0, 5750.0]\n"us.tactic.beta" = [0.2, 0.5, 1.0]'


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """The small sweep run in this process (one worker): config and results folder."""
    tmp = tmp_path_factory.mktemp("reference")
    config = write_sweep(tmp, SMALL)
    out = tmp / "out"
    run_sweep(config, workers=1, out=out)
    return config, out


def test_runs_table_is_complete_aligned_and_seeded_by_run_index(reference):
    config, out = reference
    runs = pd.read_parquet(out / "runs.parquet")
    cfg = load_sweep(config)
    assert len(runs) == cfg.n_runs == 2 * 3 * 15
    assert list(runs.run_id) == list(range(cfg.n_runs))
    assert list(runs.columns) == ["run_id", "point", "replication", *PARAMS, "seed",
                                  *OUTCOME_FIELDS, "error"]
    assert (runs.point == runs.run_id // 15).all() and (runs.replication == runs.run_id % 15).all()
    np.testing.assert_array_equal(runs.seed, run_seeds(7, runs.run_id.to_numpy()))
    assert runs.error.isna().all()
    assert runs.walkouts.nunique() > 1  # replications differ: each run has its own draws
    # Every point of the grid, each with all its replications.
    assert runs.groupby(PARAMS).size().to_dict() == {
        (o, b): 15 for o in (4600.0, 5750.0) for b in (0.2, 0.5, 1.0)}
    # Each row's outcome is what a single run with that row's parameters and seed gives.
    for _, row in runs.sample(5, random_state=1).iterrows():
        result = ns.run(SMA11, seed=int(row.seed), trace=False,
                        overrides={p: row[p] for p in PARAMS})
        expected = result.outcome.to_dict()
        assert row.agreed == expected["agreed"] and row.gap_months == expected["gap_months"]
        assert row.agreement_month == expected["agreement_month"]
        assert row.amount_krw_bn == pytest.approx(expected["amount_krw_bn"], rel=1e-9)


def test_manifest_and_summary_describe_the_sweep(reference):
    config, out = reference
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["runs"] == manifest["completed_runs"] == 90 and manifest["failed_runs"] == 0
    assert manifest["seeds"]["base_seed"] == 7 and "run_seeds" in manifest["seeds"]["scheme"]
    assert manifest["resolved_config"]["sweep"]["parameters"]["us.tactic.beta"] == {
        "values": [0.2, 0.5, 1.0]}
    assert manifest["resolved_config"]["scenario"]["us"]["opening"] == 5750.0
    assert {"mesa", "numpy", "pandas"} <= set(manifest["versions"])
    assert "git_commit" in manifest and manifest["started"] <= manifest["finished"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "group"] == "all" and summary.loc[0, "runs"] == 90
    assert list(summary.group[1:]) == ["us.opening"] * 2 + ["us.tactic.beta"] * 3
    runs = pd.read_parquet(out / "runs.parquet")
    by_beta = summary[summary.group == "us.tactic.beta"].set_index("us.tactic.beta")
    for beta, group in runs.groupby("us.tactic.beta"):
        assert by_beta.loc[beta, "gap_mean"] == pytest.approx(group.gap_months.mean())
        assert by_beta.loc[beta, "agreement_rate"] == pytest.approx(group.agreed.mean())


@pytest.mark.parametrize("how", ["workers2", "workers2_beside_a_thread", "dask_tcp"])
def test_same_runs_parquet_with_two_workers_and_a_dask_cluster(reference, tmp_path, how):
    config, ref_out = reference
    out = tmp_path / how
    if how == "workers2":
        report = run_sweep(config, workers=2, out=out)
        assert report.manifest["sessions"][-1]["evaluator"] == "processes"
        assert report.manifest["sessions"][-1]["start_method"] == "fork"
    elif how == "workers2_beside_a_thread":  # as in a notebook: workers from a fork server
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        try:
            report = run_sweep(config, workers=2, out=out)
        finally:
            stop.set()
            thread.join()
        assert report.manifest["sessions"][-1]["start_method"] == "forkserver"
    else:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            report = run_sweep(config, scheduler=cluster.scheduler_address, out=out)
        assert report.manifest["sessions"][-1]["evaluator"] == "dask"
        assert report.manifest["sessions"][-1]["workers"] == 2
    assert digest(out / "runs.parquet") == digest(ref_out / "runs.parquet")


def test_scheduler_local_starts_a_cluster_with_the_same_results(reference, tmp_path):
    config, ref_out = reference
    report = run_sweep(config, scheduler="local", workers=2, out=tmp_path / "local")
    assert report.manifest["sessions"][-1]["scheduler"] == "local"
    assert digest(tmp_path / "local" / "runs.parquet") == digest(ref_out / "runs.parquet")


def test_failing_runs_are_recorded_and_the_sweep_completes(tmp_path, capsys):
    # beta = 2.0 is outside the Boulware tactic's range [0.01, 1]: those runs fail scenario
    # validation in the worker (the real code path), the others must still run, including
    # those sharing a chunk with failing ones.
    config = write_sweep(tmp_path, '"us.tactic.beta" = [0.5, 2.0, 0.2]', replications=10,
                         chunk_size=7)
    out = tmp_path / "out"
    status = main(["sweep", str(config), "--out", str(out), "--workers", "2"])
    err = capsys.readouterr().err
    assert status == 1
    assert "10 of 30 runs failed" in err
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 30 and list(runs.run_id) == list(range(30))
    failed = runs[runs.error.notna()]
    assert list(failed.run_id) == list(range(10, 20))
    assert (failed["us.tactic.beta"] == 2.0).all()
    assert failed.error.str.contains(r"us\.tactic\.beta: 2\.0 out of range").all()
    assert failed.agreed.isna().all() and failed.gap_months.isna().all()
    good = runs[runs.error.isna()]
    assert good.agreed.notna().all() and len(good) == 20
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["failed_runs"] == 10 and manifest["completed_runs"] == 20
    assert manifest["failures"][0]["run_id"] == 10
    assert manifest["failures"][0]["us.tactic.beta"] == 2.0
    summary = pd.read_csv(out / "summary.csv").set_index("group")
    assert summary.loc["all", "failed"] == 10
    by_beta = pd.read_csv(out / "summary.csv").query("group == 'us.tactic.beta'")
    assert by_beta.set_index("us.tactic.beta").loc[2.0, "agreement_rate"] != \
        by_beta.set_index("us.tactic.beta").loc[2.0, "agreement_rate"]  # NaN: nothing ran


def test_existing_folder_is_refused_without_force(reference, tmp_path, capsys):
    config, _ = reference
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--workers", "1"]) == 0
    before = digest(out / "runs.parquet")
    capsys.readouterr()
    assert main(["sweep", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: --out {out}: folder exists")
    assert "--force" in err and "--resume" in err
    assert digest(out / "runs.parquet") == before
    assert main(["sweep", str(config), "--out", str(out), "--resume", "--force"]) == 2
    capsys.readouterr()
    (out / "notes.txt").write_text("mine")
    assert main(["sweep", str(config), "--out", str(out), "--force", "--workers", "1"]) == 0
    assert digest(out / "runs.parquet") == before
    assert (out / "notes.txt").read_text() == "mine"  # --force removes only sweep files


def test_resume_refuses_a_different_sweep(reference, tmp_path, capsys):
    config, _ = reference
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--workers", "1"]) == 0
    changed = write_sweep(tmp_path, SMALL, name="small", seed=8)
    capsys.readouterr()
    assert main(["sweep", str(changed), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds a different sweep" in err


def test_resume_of_a_finished_sweep_changes_nothing(reference, tmp_path):
    config, ref_out = reference
    out = tmp_path / "out"
    run_sweep(config, workers=1, out=out)
    report = run_sweep(config, workers=1, out=out, resume=True)
    assert report.ran_runs == 0
    assert digest(out / "runs.parquet") == digest(ref_out / "runs.parquet")
    assert len(report.manifest["sessions"]) == 2


def test_traces_are_tidy_and_match_the_outcomes(tmp_path):
    config = write_sweep(tmp_path, '"us.opening" = [4600.0, 5750.0]', replications=3,
                         chunk_size=4)
    out = tmp_path / "out"
    run_sweep(config, workers=1, out=out, traces=True)
    runs = pd.read_parquet(out / "runs.parquet")
    traces = pd.read_parquet(out / "traces.parquet")
    assert set(traces.run_id) == set(runs.run_id)
    assert traces.run_id.is_monotonic_increasing
    last = traces.groupby("run_id").tail(1).set_index("run_id")
    assert (last.loc[runs.run_id, "gap_months"].to_numpy() == runs.gap_months.to_numpy()).all()
    assert (last.loc[runs.run_id, "agreed"].to_numpy() == runs.agreed.to_numpy()).all()
    assert "traces.parquet" in json.loads((out / "manifest.json").read_text())["files"]


def test_python_api_returns_the_runs_and_summaries(tmp_path):
    config = write_sweep(tmp_path, SMALL, replications=4)
    df = ns.sweep(config, out=tmp_path / "api", workers=1)
    assert len(df) == 24 and set(PARAMS) <= set(df.columns)
    table = ns.summarize(df)
    assert table.loc[0, "runs"] == 24
    assert table.loc[0, "agreement_rate"] == pytest.approx(df.agreed.astype(bool).mean())
    joint = ns.summarize(tmp_path / "api", by=PARAMS)
    assert len(joint) == 1 + 6 and joint.runs[1:].tolist() == [4] * 6


def test_progress_lines_when_not_a_terminal(reference, tmp_path, capsys):
    config, _ = reference
    assert main(["sweep", str(config), "--out", str(tmp_path / "p"), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "small: 90/90 runs (100%)" in captured.err and "runs/s" in captured.err
    assert "wrote" in captured.out and "agree%" in captured.out


def test_summarize_plots_and_groups(reference, capsys):
    _, out = reference
    assert main(["summarize", str(out), "--by", "us.opening", "us.tactic.beta", "--plot"]) == 0
    text = capsys.readouterr().out
    assert "us.opening x us.tactic.beta" in text
    for name in ("agreement_heatmap.png", "gap_heatmap.png", "gap_histogram.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
