"""The calibration's posterior depends on the seed alone: workers, Dask, a kill and resume.

Also: the index-order sampler on a toy model against the rule written out by hand, and a
prior-only run (every particle accepted) that reproduces the prior. Known-parameter
recovery from synthetic cycles is in test_calibration.py.
"""

from __future__ import annotations

import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from pyabc.population import Particle  # noqa: E402
from scipy import stats  # noqa: E402

from negotiation_sim.calibration.abc import AbcResult, run_abc  # noqa: E402
from negotiation_sim.calibration.config import load_calibrate_config  # noqa: E402
from negotiation_sim.calibration.sampler import (  # noqa: E402
    IndexOrderSampler,
    evaluation_seed,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "calibrate_history.toml"
SEED = 5


# Three of the eight cycles keep every kind of random draw a particle makes (a missing start
# month and openings on the 3rd, a missing veto threshold on the 11th, the hierarchy's z on
# all) and a partly observed cycle (the 8th: change only), at 3/8 of the simulation time.
CYCLES = ("sma3", "sma8", "sma11")


def tiny(**kw):
    config = load_calibrate_config(CONFIG)
    return replace(config, cycles=tuple(c for c in config.cycles if c.name in CYCLES),
                   population=12, generations=2, replications=3, **kw)


def only_cycles(text: str, names: tuple[str, ...]) -> str:
    """The config text with only the named ``[[calibrate.cycles]]`` tables."""
    tables = re.split(r"(?m)^(?=\[\[calibrate\.cycles\]\]$|\[calibrate\.parameters\]$)", text)
    return "".join(t for t in tables if not t.startswith("[[calibrate.cycles]]")
                   or re.search(r'(?m)^name = "(\w+)"$', t).group(1) in names)


def assert_same(a: AbcResult, b: AbcResult) -> None:
    """Exactly the same particles, weights and generation table (epsilon, evaluations)."""
    np.testing.assert_array_equal(a.samples.to_numpy(), b.samples.to_numpy())
    np.testing.assert_array_equal(a.weights, b.weights)
    pd.testing.assert_frame_equal(a.generations, b.generations)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> AbcResult:
    """The tiny calibration in this process, one evaluation after another."""
    return run_abc(tiny(), tmp_path_factory.mktemp("seq") / "abc", seed=SEED)


def toy(threshold: float = 0.3):
    """pyabc's ``simulate_one`` stand-in: accepted when its first global draw < threshold."""
    def simulate_one() -> Particle:
        u = float(np.random.random())
        return Particle(m=0, parameter={"u": u}, weight=1.0, sum_stat={"u": u}, distance=u,
                        accepted=u < threshold)
    return simulate_one


def by_hand(n: int, t: int, threshold: float = 0.3) -> list[float]:
    """What one process evaluating indices 0, 1, 2, ... would keep: draws up to the n-th
    accepted one."""
    draws = []
    for i in range(10_000):
        np.random.seed(evaluation_seed(SEED, t, i))
        draws.append(float(np.random.random()))
        if sum(d < threshold for d in draws) == n:
            return draws
    raise AssertionError("toy never reached n acceptances")


@pytest.mark.parametrize("workers", [1, 2])
def test_sampler_keeps_the_first_n_accepted_in_index_order(workers):
    expected = by_hand(7, t=3)
    sampler = IndexOrderSampler(SEED, workers=workers, batch=3)
    before = np.random.get_state()[1].copy()
    try:
        sample = sampler.sample_until_n_accepted(7, toy(), 3)
    finally:
        sampler.stop()
    assert [p.parameter["u"] for p in sample.accepted_particles] == [
        d for d in expected if d < 0.3]
    assert sampler.nr_evaluations_ == len(expected)
    assert sample.ok
    # The caller's global generator is left as it was.
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("workers", [1, 2])
def test_sampler_honours_max_eval_and_records_rejected_in_order(workers):
    sampler = IndexOrderSampler(SEED, workers=workers, batch=3)
    sampler.sample_factory.record_rejected(True)
    try:
        sample = sampler.sample_until_n_accepted(50, toy(), 0, max_eval=20.5)
    finally:
        sampler.stop()
    draws = by_hand(50, t=0)[:21]
    assert not sample.ok
    assert sampler.nr_evaluations_ == 21
    assert [p.parameter["u"] for p in sample.rejected_particles] == [
        d for d in draws if d >= 0.3]
    assert [p.parameter["u"] for p in sample.accepted_particles] == [
        d for d in draws if d < 0.3]


def test_generation_seeds_differ_by_generation_and_index():
    assert not np.array_equal(evaluation_seed(SEED, 0, 1), evaluation_seed(SEED, 1, 0))
    assert not np.array_equal(evaluation_seed(SEED, -1, 0), evaluation_seed(SEED, 0, 0))
    assert not np.array_equal(evaluation_seed(SEED, 0, 0), evaluation_seed(SEED + 1, 0, 0))


def test_two_workers_give_the_same_posterior(reference, tmp_path):
    result = run_abc(tiny(), tmp_path / "abc", seed=SEED, workers=2)
    assert_same(reference, result)
    other = run_abc(tiny(), tmp_path / "abc6", seed=SEED + 1, workers=2)
    assert not np.array_equal(other.samples.to_numpy(), reference.samples.to_numpy())


def test_prior_only_run_reproduces_the_prior(tmp_path):
    base = load_calibrate_config(CONFIG)
    config = replace(base, cycles=base.cycles[2:3], population=300, generations=1,
                     replications=1)
    result = run_abc(config, tmp_path / "abc", seed=SEED, epsilon=math.inf)
    assert result.generations["acceptance"].tolist() == [1.0]
    np.testing.assert_allclose(result.weights, 1.0 / 300, rtol=1e-12)
    assert any(p.log for p in config.parameters) and any(not p.log for p in config.parameters)
    for p in config.parameters:
        x = result.samples[p.name].to_numpy()
        prior = (stats.loguniform(p.low, p.high) if p.log
                 else stats.uniform(p.low, p.high - p.low))
        assert stats.kstest(x, prior.cdf).pvalue > 0.001, p.name
        if p.log:  # a uniform prior is rejected: the test tells the two shapes apart
            wrong = stats.uniform(p.low, p.high - p.low)
            assert stats.kstest(x, wrong.cdf).pvalue < 0.001, p.name


# ----------------------------------------------------------------------------------------
# The command as a user runs it, in subprocesses (Dask's client threads stay out of this
# test process, whose later tests fork workers only while it runs a single thread).

GENERATIONS = 3
CLUSTER = ("import logging, sys\n"
           "from distributed import LocalCluster\n"
           "with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, "
           "host='127.0.0.1', dashboard_address='127.0.0.1:0', "
           "silence_logs=logging.ERROR) as cluster:\n"
           "    print(cluster.scheduler_address, flush=True)\n"
           "    sys.stdin.read()\n")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, AbcResult]:
    """A small calibration config file and its uninterrupted run in this process."""
    folder = tmp_path_factory.mktemp("small")
    text = only_cycles(CONFIG.read_text(encoding="utf-8"), CYCLES)
    for key, value in (("replications", 3), ("population", 12), ("generations", GENERATIONS),
                       ("predictive_draws", 10)):
        text, found = re.subn(rf"(?m)^{key} = \d+ ", f"{key} = {value} ", text)
        assert found == 1, key
    text = text.replace('scenario = "history/', f'scenario = "{CONFIG.parent / "history"}/')
    path = folder / "cal.toml"
    path.write_text(text, encoding="utf-8")
    config = load_calibrate_config(path)
    assert config.cycle_names == list(CYCLES)
    return path, run_abc(config, folder / "whole", seed=SEED)


def calibrate_command(config: Path, out: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "negotiation_sim", "calibrate", str(config), "--out",
            str(out), "--seed", str(SEED), "--no-seed-check", *flags]


def assert_posterior_file_equals(out: Path, expected: AbcResult) -> None:
    posterior = pd.read_parquet(out / "posterior.parquet")
    weights = posterior.pop("weight").to_numpy()
    np.testing.assert_array_equal(posterior.to_numpy(), expected.samples.to_numpy())
    np.testing.assert_array_equal(weights, expected.weights)
    generations = pd.read_csv(out / "generations.csv")
    assert generations["t"].tolist() == list(range(GENERATIONS))
    np.testing.assert_array_equal(generations["samples"], expected.generations["samples"])
    np.testing.assert_allclose(generations["epsilon"], expected.generations["epsilon"],
                               rtol=1e-15)


def group_gone(pgid: int, seconds: float = 5.0) -> bool:
    """Whether every process of a group we started has exited (else kill them: ours)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)
    return False


@pytest.mark.slow
def test_dask_cluster_gives_the_same_posterior(small, tmp_path):
    pytest.importorskip("distributed")
    config, expected = small
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], env=env, cwd=tmp_path,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        done = subprocess.run(calibrate_command(config, tmp_path / "dask", "--scheduler",
                                                address),
                              env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=600)
        cluster.stdin.close()
        cluster.wait(timeout=60)
    finally:
        if cluster.poll() is None:
            cluster.kill()
        group_gone(cluster.pid)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_posterior_file_equals(tmp_path / "dask", expected)


def stored_generations(db: Path) -> int:
    """Generations (t >= 0) in pyabc's SQLite history; 0 while it is missing or busy."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM populations WHERE t >= 0")
                       .fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or being written
        return 0


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_posterior(small, tmp_path):
    config, expected = small
    out = tmp_path / "run"
    command = calibrate_command(config, out, "--workers", "2")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    db = out / "abc" / "abc.db"
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while stored_generations(db) < 1 and proc.poll() is None:
            assert time.monotonic() < deadline, "no generation stored within 300 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert group_gone(proc.pid), "worker processes outlived the killed command"
    assert proc.returncode == -signal.SIGKILL
    stored = stored_generations(db)
    assert 1 <= stored < GENERATIONS, f"kill came too late: {stored} generation(s) stored"
    assert not (out / "posterior.parquet").exists()

    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = (rf"calibrate: resuming .*abc\.db: {stored} generation\(s\) stored, "
               rf"{GENERATIONS - stored} more of 12 particles")
    assert re.search(resumed, again.stderr), again.stderr[-2000:]

    assert_posterior_file_equals(out, expected)
