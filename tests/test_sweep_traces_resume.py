"""A sweep with ``--traces`` killed mid-way and resumed writes the same traces (and runs)
as an uninterrupted one."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pandas as pd

from negotiation_sim.cli import main

from .conftest import CONFIGS

CONFIG = f"""[sweep]
name = "traced"
scenario = "{CONFIGS / 'sma11.toml'}"
replications = 10
seed = 5
chunk_size = 4

[sweep.parameters]
"us.opening" = [4600.0, 5750.0]
"rok.bottom_line" = [1150.0, 1200.0, 1250.0, 1300.0, 1350.0, 1400.0]
"""  # 12 points x 10 = 120 runs in 30 chunks


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killed_sweep_with_traces_resumes_to_the_same_traces(tmp_path):
    config = tmp_path / "traced.toml"
    config.write_text(CONFIG, encoding="utf-8")
    reference = tmp_path / "reference"
    assert main(["sweep", str(config), "--traces", "--out", str(reference)]) == 0

    out = tmp_path / "interrupted"
    child = subprocess.Popen(
        [sys.executable, "-m", "negotiation_sim", "sweep", str(config), "--traces", "--out",
         str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((out / "parts").glob("runs-*.parquet")):
        assert child.poll() is None, "the sweep ended before any part was written"
        assert time.monotonic() < deadline, "no part file within 60 s"
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    done = list((out / "parts").glob("runs-*.parquet"))
    assert 1 <= len(done) < 30, "the kill must land mid-sweep"
    assert not (out / "traces.parquet").exists()

    assert main(["sweep", str(config), "--traces", "--out", str(out), "--resume"]) == 0
    got = pd.read_parquet(out / "traces.parquet")
    want = pd.read_parquet(reference / "traces.parquet")
    pd.testing.assert_frame_equal(got, want)
    assert digest(out / "traces.parquet") == digest(reference / "traces.parquet")
    assert digest(out / "runs.parquet") == digest(reference / "runs.parquet")
    # Every run's months are there once: 120 runs, each from 2019-09 to its last month.
    first = got.groupby("run_id")["month"].first()
    assert len(first) == 120 and (first == "2019-09").all()
    assert not got.duplicated(["run_id", "month"]).any()
