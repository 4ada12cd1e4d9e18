"""Sweeps end to end: same results whatever runs them, failures recorded, folders kept safe."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negotiation_sim as ns
from negotiation_sim.cli import main
from negotiation_sim.draws import run_seeds
from negotiation_sim.experiments import load_sweep, run_sweep
from negotiation_sim.experiments.chunks import ChunkPlan
from negotiation_sim.experiments.evaluators import ProcessEvaluator
from negotiation_sim.experiments.runner import _failed_table
from negotiation_sim.experiments.store import SweepFolder, runs_schema
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
                          host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
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
    assert (last.loc[runs.run_id, "agreed"].to_numpy() == runs.agreed.to_numpy()).all()
    # every run agrees; the outcome's gap ends in the agreement (initialled) month, the
    # trace's run ends when the deal is ratified (sma11: five months later)
    assert runs.agreed.all()
    assert (last.loc[runs.run_id, "month"].to_numpy() == runs.ratified_month.to_numpy()).all()
    at_deal = traces.merge(runs[["run_id", "agreement_month"]], on="run_id")
    at_deal = at_deal[at_deal.month == at_deal.agreement_month].set_index("run_id")
    assert (at_deal.loc[runs.run_id, "gap_months"].to_numpy() == runs.gap_months.to_numpy()).all()
    assert "traces.parquet" in json.loads((out / "manifest.json").read_text())["outputs"]


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
    assert "wrote" in captured.out and "before expiry %" in captured.out


def test_summarize_plots_and_groups(reference, capsys):
    _, out = reference
    assert main(["summarize", str(out), "--by", "us.opening", "us.tactic.beta", "--plot"]) == 0
    text = capsys.readouterr().out
    assert "us.opening x us.tactic.beta" in text
    for name in ("heatmap_agreed_before_expiry.png", "heatmap_gap_median.png",
                 "gap_histogram.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name


def crash_on_three(x: int) -> int:
    """A task that kills its worker process for x == 3 (a real crash, not an exception)."""
    if x == 3:
        os._exit(1)
    return 2 * x


def test_a_dead_worker_fails_its_chunks_and_the_pool_goes_on():
    workers = 2
    with ProcessEvaluator(workers, method="fork") as evaluator:
        seen = {task: (result, error) for task, result, error in
                evaluator.imap_unordered(crash_on_three, range(12))}
        assert evaluator.restarts == 1
        after = list(evaluator.imap_unordered(crash_on_three, range(4, 10)))
    assert sorted(seen) == list(range(12))  # every task reported exactly once
    assert isinstance(seen[3][1], BrokenProcessPool)
    failed = {t for t, (result, error) in seen.items() if error is not None}
    assert all(isinstance(seen[t][1], BrokenProcessPool) for t in failed)
    assert len(failed) <= 2 * workers  # only the tasks in flight when the worker died
    assert all(seen[t][0] == 2 * t for t in set(seen) - failed)  # all others ran, right
    # the restarted pool serves later calls
    assert sorted((t, r, e) for t, r, e in after) == [(t, 2 * t, None) for t in range(4, 10)]


def test_a_pool_broken_before_a_submission_is_restarted():
    """The pool can break between two submissions; submit() then raises at once."""
    with ProcessEvaluator(2, method="fork") as evaluator:
        pid = evaluator.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not evaluator.pool._broken and time.monotonic() < deadline:
            time.sleep(0.01)
        assert evaluator.pool._broken  # the pool knows before we submit anything
        seen = list(evaluator.imap_unordered(crash_on_three, [0, 1, 2]))
        assert evaluator.restarts == 1
    assert seen[0][0] == 0 and sorted(t for t, _, _ in seen) == [0, 1, 2]
    assert isinstance(seen[0][2], BrokenProcessPool)  # refused at submit, reported
    assert sorted((t, r, e) for t, r, e in seen[1:]) == [(1, 2, None), (2, 4, None)]


def test_a_chunk_that_failed_whole_is_written_with_its_error_and_rerun_on_resume(reference,
                                                                                  tmp_path):
    config, ref_out = reference
    out = tmp_path / "out"
    run_sweep(config, workers=1, out=out)
    cfg = load_sweep(config)
    plan = ChunkPlan(cfg.n_runs, cfg.chunk_size, cfg.replications)
    folder = SweepFolder(out)
    folder.part_path(2).unlink()  # as if chunk 2's worker had died
    schema = runs_schema(cfg.parameters)
    design = cfg.design()

    def failed_table(k):
        task = plan.task(k, design, cfg.scenario, cfg.seed, "mesa", False)
        return _failed_table(schema, task, cfg.replications, "chunk failed: worker died")

    info = folder.consolidate(plan, schema, {2}, failed_table, traces=False)
    assert info.runs == 90 and info.failed == 20
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs.error.notna()]
    assert list(failed.run_id) == list(range(40, 60))
    assert (failed.error == "chunk failed: worker died").all() and failed.agreed.isna().all()
    expected = pd.read_parquet(ref_out / "runs.parquet")
    pd.testing.assert_frame_equal(failed[["run_id", *PARAMS, "seed"]],
                                  expected.loc[40:59, ["run_id", *PARAMS, "seed"]])
    report = run_sweep(config, workers=1, out=out, resume=True)
    assert report.ran_runs == 20 and report.failed == 0
    assert digest(out / "runs.parquet") == digest(ref_out / "runs.parquet")
