"""A sweep killed with SIGKILL mid-way resumes to the same runs.parquet as an unbroken one."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from negotiation_sim.cli import main
from negotiation_sim.experiments import run_sweep

from .conftest import CONFIGS

CONFIG = f"""[sweep]
name = "killed"
scenario = "{CONFIGS / 'sma11.toml'}"
replications = 50
seed = 11
chunk_size = 50

[sweep.parameters]
"us.opening" = [4025.0, 4600.0, 5175.0, 5750.0]
"rok.bottom_line" = {{ low = 1150.0, high = 1250.0, step = 25.0 }}
"us.tactic.beta" = [0.2, 0.5]
"""  # 40 points x 50 = 2000 runs in 40 chunks: about a second with 2 workers (Mesa engine)


def sweep_command() -> list[str]:
    script = Path(sys.executable).with_name("negotiation-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "negotiation_sim"]


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains ``text`` (the sweep's own workers share it)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_sigkill_mid_sweep_then_resume_equals_uninterrupted(tmp_path):
    config = tmp_path / "killed.toml"
    config.write_text(CONFIG, encoding="utf-8")
    reference = tmp_path / "reference"
    run_sweep(config, workers=1, out=reference, engine="mesa")

    out = tmp_path / "interrupted"
    child = subprocess.Popen([*sweep_command(), "sweep", str(config), "--workers", "2",
                              "--out", str(out), "--engine", "mesa"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((out / "parts").glob("runs-*.parquet")):
        assert child.poll() is None, "the sweep ended before any part was written"
        assert time.monotonic() < deadline, "no part file within 60 s"
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL

    done = list((out / "parts").glob("runs-*.parquet"))
    assert 1 <= len(done) < 40, "the kill must land mid-sweep"
    assert not (out / "runs.parquet").exists()
    # The workers die with the main process: nothing keeps running.
    deadline = time.monotonic() + 10
    while processes_mentioning(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(out)) == []

    assert main(["sweep", str(config), "--workers", "2", "--out", str(out), "--resume",
                 "--engine", "mesa"]) == 0
    resumed = (out / "runs.parquet").read_bytes()
    assert hashlib.sha256(resumed).digest() == hashlib.sha256(
        (reference / "runs.parquet").read_bytes()).digest()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["sessions"]) == 2
    assert manifest["sessions"][1]["chunks_before"] == len(done)
    assert manifest["sessions"][1]["runs_run"] == 2000 - 50 * len(done)
