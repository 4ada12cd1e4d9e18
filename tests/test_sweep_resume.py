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
replications = 10
seed = 11
chunk_size = 10

[sweep.parameters]
"us.opening" = [4025.0, 4600.0, 5175.0, 5750.0]
"rok.bottom_line" = {{ low = 1150.0, high = 1250.0, step = 25.0 }}
"us.tactic.beta" = [0.2, 0.5]
"""  # 40 points x 10 = 400 runs in 40 chunks: the stop lands among 40 parts (Mesa engine)


# The CLI as a user's shell starts it, with Ctrl-C enabled. A shell's background job
# (``pytest &``) inherits SIGINT ignored, and Python then keeps it ignored, so the child
# restores the default handler before running the CLI.
CLI_WITH_CTRL_C = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                   "from negotiation_sim.cli import main; sys.exit(main(sys.argv[1:]))")


def sweep_command() -> list[str]:
    return [sys.executable, "-c", CLI_WITH_CTRL_C]


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


@pytest.fixture(scope="module")
def killed_config(tmp_path_factory) -> tuple[Path, bytes]:
    """The sweep config and its uninterrupted runs.parquet (one worker, in this process)."""
    tmp = tmp_path_factory.mktemp("killed")
    config = tmp / "killed.toml"
    config.write_text(CONFIG, encoding="utf-8")
    run_sweep(config, workers=1, out=tmp / "reference", engine="mesa")
    return config, (tmp / "reference" / "runs.parquet").read_bytes()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
@pytest.mark.parametrize("how", ["SIGKILL", "Ctrl-C"])
def test_stopped_mid_sweep_then_resumed_equals_uninterrupted(killed_config, tmp_path, how):
    config, reference = killed_config
    out = tmp_path / "interrupted"
    # Ctrl-C at a terminal signals the whole process group: the sweep and its workers.
    child = subprocess.Popen([*sweep_command(), "sweep", str(config), "--workers", "2",
                              "--out", str(out), "--engine", "mesa"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((out / "parts").glob("runs-*.parquet")):
        assert child.poll() is None, "the sweep ended before any part was written"
        assert time.monotonic() < deadline, "no part file within 60 s"
        time.sleep(0.01)
    if how == "SIGKILL":
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    else:
        os.killpg(child.pid, signal.SIGINT)
        _, err = child.communicate(timeout=30)
        assert child.returncode == 130
        assert err.strip().endswith(f"continue with: negotiation-sim sweep {config} --resume "
                                    f"--out {out} --engine mesa")
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"

    done = list((out / "parts").glob("runs-*.parquet"))
    assert 1 <= len(done) < 40, "the stop must land mid-sweep"
    assert not (out / "runs.parquet").exists()
    if how == "Ctrl-C":  # an interrupted write leaves no temporary file behind
        assert not list((out / "parts").glob(".*.tmp"))
    # The workers die with the main process: nothing keeps running.
    deadline = time.monotonic() + 10
    while processes_mentioning(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(out)) == []

    assert main(["sweep", str(config), "--workers", "2", "--out", str(out), "--resume",
                 "--engine", "mesa"]) == 0
    assert hashlib.sha256((out / "runs.parquet").read_bytes()).digest() == hashlib.sha256(
        reference).digest()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["sessions"]) == 2
    assert manifest["sessions"][1]["chunks_before"] == len(done)
    assert manifest["sessions"][1]["runs_run"] == 400 - 10 * len(done)


WORKERS_THEN_WAIT = """
import sys, time
from negotiation_sim.experiments.evaluators import ProcessEvaluator
if __name__ == "__main__":
    with ProcessEvaluator(2, method=sys.argv[1]) as ev:
        for future in [ev.pool.submit(time.sleep, 0.5) for _ in range(2)]:
            future.result()
        print(*ev.worker_pids(), flush=True)
        time.sleep(120)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_pool_workers_die_with_a_killed_main_process(tmp_path, method):
    script = tmp_path / "pool.py"
    script.write_text(WORKERS_THEN_WAIT, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE,
                             text=True)
    try:
        pids = [int(p) for p in child.stdout.readline().split()]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert len(pids) == 2

    def alive() -> list[int]:
        out = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
            except OSError:
                continue
            if state != "Z":
                out.append(pid)
        return out

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive() == []
