"""Killing a command's main process (SIGKILL, SIGTERM, Ctrl-C) leaves none of its processes.

Each command runs as a real subprocess in its own process group (as a shell job would);
the test waits until its worker processes work, signals the main process only, and
requires every process of the group (workers, fork server, resource tracker) to be gone
within 2 s.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import CONFIGS

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")

LIMIT = 2.0  # seconds: the guarantee
START = 120.0  # seconds a command may take to start its workers on a loaded machine
# The program as a user's shell starts it, with Ctrl-C enabled (a background pytest job
# would hand it SIGINT ignored).
PROGRAM = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
           "from negotiation_sim.cli import run; run()")

SWEEP = f"""[sweep]
name = "long"
scenario = "{CONFIGS / 'sma11.toml'}"
replications = 2000
seed = 1
chunk_size = 500

[sweep.parameters]
"us.opening" = {{ low = 4000.0, high = 6000.0, step = 10.0 }}
"""
SENSITIVITY = f"""[sensitivity]
name = "long"
scenario = "{CONFIGS / 'history' / 'sma11.toml'}"
n = 65536
replications = 100
seed = 3

[sensitivity.parameters]
"us.tactic.beta" = {{ low = 0.05, high = 5.0, log = true }}
"rok.tactic.beta" = {{ low = 0.05, high = 5.0, log = true }}
"""


def quick_tune_config(tmp_path: Path) -> Path:
    """configs/tune_history.toml with 5 replications per trial (its scenarios by full path)."""
    text = (CONFIGS / "tune_history.toml").read_text(encoding="utf-8")
    assert "replications = 100 " in text and 'scenario = "history/' in text
    text = text.replace("replications = 100 ", "replications = 5 ").replace(
        'scenario = "history/', f'scenario = "{CONFIGS / "history"}/')
    path = tmp_path / "tune.toml"
    path.write_text(text, encoding="utf-8")
    return path


def group(pgid: int) -> dict[int, tuple[int, str]]:
    """Live (not zombie) processes of a process group: pid -> (parent pid, command line)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found[int(proc.name)] = (int(fields[1]), cmdline)
    return found


def workers(pgid: int) -> list[int]:
    """The group's worker processes: not the main process, the fork server or the tracker."""
    members = group(pgid)
    helpers = {pid for pid, (parent, cmd) in members.items()
               if "resource_tracker" in cmd or (parent == pgid and "forkserver" in cmd)}
    return [pid for pid in members if pid != pgid and pid not in helpers]


def wait_until(condition: Callable[[], bool], seconds: float, what: str,
               child: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert child.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds:g} s"
        time.sleep(0.05)


def start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as err:
        return subprocess.Popen([sys.executable, "-c", PROGRAM, *args],
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def stop_and_check(child: subprocess.Popen, how: str) -> float:
    """Signal the main process; every process of its group must be gone within LIMIT s."""
    sent = time.monotonic()
    os.kill(child.pid, getattr(signal, how))
    while group(child.pid) and time.monotonic() - sent < LIMIT:
        time.sleep(0.01)
    left = group(child.pid)
    assert left == {}, f"alive {LIMIT:g} s after {how}: {left}"
    return time.monotonic() - sent


def cleanup(child: subprocess.Popen) -> None:
    if group(child.pid):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


# A worker's progress line: "tune_history worker 1: 21/50,000 trials (0%), 4.1 trials/s,
# ETA 3:25:11, 0 failed, best loss 0.8865"
PROGRESS = re.compile(r"^tune_history worker (\d): ([\d,]+)/50,000 trials \(\d+%\), [\d.,]+ "
                      r"trials/s, ETA [\d:]+, 0 failed, best loss \d\.\d{4}$", re.M)


def trials_reported(log: str) -> dict[int, int]:
    """Trials each worker last reported done (worker -> trials), from its progress lines."""
    done: dict[int, int] = {}
    for worker, trials in PROGRESS.findall(log):
        done[int(worker)] = max(done.get(int(worker), 0), int(trials.replace(",", "")))
    return done


def test_trials_reported_reads_the_workers_lines():
    log = ("tune_history worker 1: 0/50,000 trials (0%), 0 trials/s, ETA ?, 0 failed [started]\n"
           "tune_history worker 1: 21/50,000 trials (0%), 4.1 trials/s, ETA 3:25:11, 0 failed, "
           "best loss 0.8865\n"
           "tune_history worker 0: 1,042/50,000 trials (2%), 12 trials/s, ETA 1:09:00, 0 failed, "
           "best loss 0.7380\n")
    assert trials_reported(log) == {1: 21, 0: 1042}


EXIT = {"SIGKILL": -signal.SIGKILL, "SIGTERM": -signal.SIGTERM, "SIGINT": 130}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_tune_workers_end_with_the_main_process(tmp_path, how):
    out = tmp_path / "tune"
    log = tmp_path / "err.txt"
    child = start(["tune", str(quick_tune_config(tmp_path)), "--trials", "100000",
                   "--workers", "2", "--out", str(out)], log)
    try:
        # progress lines from both workers (every 5 s): 10 trials finished between them
        wait_until(lambda: sum(trials_reported(log.read_text()).values()) >= 10
                   and len(trials_reported(log.read_text())) == 2, START,
                   "progress line of each worker", child)
        assert len(workers(child.pid)) == 2
        stop_and_check(child, how)
    finally:
        cleanup(child)
    assert child.returncode == EXIT[how]
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="tune_history", storage=f"sqlite:///{out / 'study.db'}")
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") >= 10
    if how == "SIGINT":  # stopped, not killed: each worker marked its running trial failed
        assert "RUNNING" not in states and states.count("FAIL") <= 2
        assert "interrupted: finished trials are kept" in log.read_text()
    else:  # killed outright mid-trial: at most one trial per worker left RUNNING
        assert 1 <= states.count("RUNNING") <= 2


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_sensitivity_workers_end_with_the_main_process(tmp_path, how):
    config = tmp_path / "long.toml"
    config.write_text(SENSITIVITY, encoding="utf-8")
    out = tmp_path / "out"
    child = start(["sensitivity", str(config), "--workers", "2", "--out", str(out)],
                  tmp_path / "err.txt")
    try:
        wait_until(lambda: len(workers(child.pid)) == 2, START, "2 workers", child)
        stop_and_check(child, how)
    finally:
        cleanup(child)
    assert child.returncode == EXIT[how]
    assert not (out / "sobol.csv").exists()


def test_sweep_workers_end_with_the_main_process_on_sigterm(tmp_path):
    """(SIGKILL and Ctrl-C of a sweep: test_sweep_resume.py.)"""
    config = tmp_path / "long.toml"
    config.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    child = start(["sweep", str(config), "--workers", "2", "--out", str(out)],
                  tmp_path / "err.txt")
    try:
        wait_until(lambda: bool(list((out / "parts").glob("runs-*.parquet"))), START,
                   "part file", child)
        assert len(workers(child.pid)) == 2
        stop_and_check(child, "SIGTERM")
    finally:
        cleanup(child)
    assert child.returncode == -signal.SIGTERM
    assert not (out / "runs.parquet").exists()


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_dashboard_stopped_with_sigterm_closes_its_port(tmp_path):
    pytest.importorskip("solara")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    child = start(["dashboard", str(CONFIGS / "sma11.toml"), "--port", str(port)],
                  tmp_path / "err.txt")
    try:
        wait_until(lambda: listening(port), START, f"server on port {port}", child)
        assert len(group(child.pid)) == 2  # the command and its Solara server
        stop_and_check(child, "SIGTERM")
        assert not listening(port)
    finally:
        cleanup(child)
    assert child.returncode == 128 + signal.SIGTERM
