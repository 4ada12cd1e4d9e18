"""Fault injection: damaged results folders, full disks, concurrent writers, too-big designs.

Every fault must end in one clear line and the right exit status, with nothing lost or
falsified: a damaged part is named and run again, a full disk names the path (exit 2, or
exit 1 with the command that resumes when finished chunks are kept), a second writer is
refused with the holder's pid. Full disks are real (a 2 MB tmpfs, when this process may
mount one) and injected (``OSError(ENOSPC)`` at each write site of ``storage``).
docs/reliability.md describes what these tests hold the commands to.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from negotiation_sim import storage
from negotiation_sim.cli import main
from negotiation_sim.errors import ScenarioError, UsageError, WriteError
from negotiation_sim.experiments import load_sweep, run_sweep
from negotiation_sim.experiments.chunks import ChunkPlan
from negotiation_sim.experiments.samplers import MAX_POINTS, MAX_RUNS, size_problem
from negotiation_sim.experiments.store import INDEX, SweepFolder, runs_schema

from .conftest import CONFIGS
from .test_sweep import SMALL, digest, write_sweep

FULL = r"cannot write \(No space left on device\); allowed: free space on that disk, or " \
    r"--out on another"


def leftovers(folder: Path) -> list[str]:
    """Temporary files an atomic write left behind (there must be none)."""
    return sorted(p.name for p in folder.rglob(".*.tmp"))


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory) -> tuple[Path, str]:
    """The small sweep (90 runs, 5 chunks) run once without faults: config, runs digest."""
    tmp = tmp_path_factory.mktemp("unbroken")
    config = write_sweep(tmp, SMALL)
    run_sweep(config, workers=1, out=tmp / "out", progress="off")
    return config, digest(tmp / "out" / "runs.parquet")


def fresh(tmp_path: Path, config: Path) -> Path:
    out = tmp_path / "out"
    run_sweep(config, workers=1, out=out, progress="off")
    return out


# --- 1. a damaged results folder is never trusted -----------------------------------


def _truncate(parts: Path) -> None:
    data = (parts / "runs-000001.parquet").read_bytes()
    (parts / "runs-000001.parquet").write_bytes(data[: len(data) // 2])


def _empty(parts: Path) -> None:
    (parts / "runs-000001.parquet").write_bytes(b"")


def _copied_over(parts: Path) -> None:
    shutil.copyfile(parts / "runs-000002.parquet", parts / "runs-000001.parquet")


def _flipped_byte(parts: Path) -> None:
    data = bytearray((parts / "runs-000001.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (parts / "runs-000001.parquet").write_bytes(bytes(data))


DAMAGE = {
    "truncated": (_truncate, "its checksum differs from the one recorded for it"),
    "zero-length": (_empty, "its checksum differs from the one recorded for it"),
    "copied over another": (_copied_over, "its checksum differs from the one recorded for it"),
    "one byte flipped": (_flipped_byte, "its checksum differs from the one recorded for it"),
}


@pytest.mark.parametrize("label", DAMAGE)
def test_a_damaged_part_is_named_and_run_again(tmp_path, unbroken, label):
    config, expected = unbroken
    out = fresh(tmp_path, config)
    (out / "runs.parquet").unlink()
    damage, why = DAMAGE[label]
    damage(out / "parts")
    said = io.StringIO()
    report = run_sweep(config, workers=1, out=out, resume=True, progress="off", stream=said)
    lines = said.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{out}/parts/runs-000001.parquet: damaged (")
    assert lines[0].endswith("; running chunk 1 again") and why in lines[0]
    assert report.ran_runs == 20  # chunk 1 alone ran again
    assert digest(out / "runs.parquet") == expected
    session = report.manifest["sessions"][-1]
    assert session["chunks_before"] == 4 and session["damaged_parts"] == lines


@pytest.mark.parametrize("label", ["copied over another", "truncated", "zero-length"])
def test_parts_without_recorded_checksums_are_checked_on_their_content(tmp_path, unbroken,
                                                                       label):
    """A folder written before checksums were recorded: read, columns, run_ids."""
    config, expected = unbroken
    out = fresh(tmp_path, config)
    (out / "parts" / INDEX).unlink()
    DAMAGE[label][0](out / "parts")
    said = io.StringIO()
    report = run_sweep(config, workers=1, out=out, resume=True, progress="off", stream=said)
    line, = said.getvalue().splitlines()
    if label == "copied over another":
        assert line == (f"{out}/parts/runs-000001.parquet: damaged (holds 20 runs, run_ids "
                        "40-59; chunk 1 owns 20, run_ids 20-39); running chunk 1 again")
    else:
        assert line.startswith(f"{out}/parts/runs-000001.parquet: damaged (unreadable: ")
    assert report.ran_runs == 20
    assert digest(out / "runs.parquet") == expected


def test_sound_parts_without_checksums_are_kept(tmp_path, unbroken):
    config, expected = unbroken
    out = fresh(tmp_path, config)
    (out / "parts" / INDEX).unlink()
    said = io.StringIO()
    report = run_sweep(config, workers=1, out=out, resume=True, progress="off", stream=said)
    assert said.getvalue() == "" and report.ran_runs == 0
    assert digest(out / "runs.parquet") == expected


def test_a_torn_index_line_costs_one_chunk_at_most(tmp_path, unbroken):
    """kill -9 during the append: the torn record is dropped, that chunk checked anew."""
    config, expected = unbroken
    out = fresh(tmp_path, config)
    index = out / "parts" / INDEX
    lines = index.read_text().splitlines()
    index.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:25])
    report = run_sweep(config, workers=1, out=out, resume=True, progress="off",
                       stream=io.StringIO())
    assert report.ran_runs == 0  # the unrecorded part passed its content checks
    assert digest(out / "runs.parquet") == expected
    assert all(json.loads(line) for line in index.read_text().splitlines())


def test_a_damaged_sweep_json_is_one_line_exit_2(tmp_path, unbroken, capsys):
    config, _ = unbroken
    out = fresh(tmp_path, config)
    (out / "parts" / "sweep.json").write_text("{")
    assert main(["sweep", str(config), "--out", str(out), "--resume", "--progress",
                 "off"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: --resume {out}: {out}/parts/sweep.json is damaged (JSONDecodeError: "
                   "Expecting property name enclosed in double quotes: line 1 column 2 "
                   "(char 1)); allowed: a folder a sweep wrote, or --force to start over\n")


def test_the_final_table_is_verified_before_it_is_written(tmp_path, unbroken):
    """A part changed after the resume checks: runs.parquet is not written at all."""
    config, _ = unbroken
    out = fresh(tmp_path, config)
    (out / "runs.parquet").unlink()
    _copied_over(out / "parts")
    cfg = load_sweep(config)
    plan = ChunkPlan(cfg.n_runs, 20, cfg.replications)
    folder = SweepFolder(out)
    with pytest.raises(UsageError, match=r"^" + str(out) + r"/parts/runs-000001.parquet: "
                       r"damaged \(holds 20 runs, run_ids 40-59; chunk 1 owns 20, run_ids "
                       r"20-39\); runs.parquet not written; allowed: run again with --resume"):
        folder.consolidate(plan, runs_schema(cfg.parameters), set(), None, False)
    assert not (out / "runs.parquet").exists() and leftovers(out) == []


def test_a_missing_part_at_the_merge_writes_nothing(tmp_path, unbroken):
    config, _ = unbroken
    out = fresh(tmp_path, config)
    (out / "runs.parquet").unlink()
    (out / "parts" / "runs-000003.parquet").write_bytes(b"PAR1junk")
    cfg = load_sweep(config)
    plan = ChunkPlan(cfg.n_runs, 20, cfg.replications)
    with pytest.raises(UsageError, match=r"runs-000003.parquet: damaged \(unreadable: .*\); "
                       r"runs.parquet not written"):
        SweepFolder(out).consolidate(plan, runs_schema(cfg.parameters), set(), None, False)
    assert not (out / "runs.parquet").exists()


# --- 2. full disk: injected at each write site ------------------------------------------


WRITES = {
    "write_text": lambda f: f.write_text("a.txt", "x"),
    "write_json": lambda f: f.write_json("a.json", {"a": 1}),
    "write_csv": lambda f: f.write_csv("a.csv", __import__("pandas").DataFrame({"a": [1]})),
    "write_parquet": lambda f: f.write_parquet("a.parquet",
                                               __import__("pandas").DataFrame({"a": [1]})),
    "write_png": lambda f: f.write_png("a.png", _figure()),
    "write_manifest": lambda f: f.write_manifest("run", config=None, resolved_config={},
                                                 seeds={"base_seed": 0, "scheme": "x"}),
    "storage.write_text": lambda f: storage.write_text(f.path / "a.txt", "x"),
    "storage.write_bytes_via": lambda f: storage.write_bytes_via(
        f.path / "a.bin", lambda p: p.write_bytes(b"x")),
}
TARGET = {"write_text": "a.txt", "write_json": "a.json", "write_csv": "a.csv",
          "write_parquet": "a.parquet", "write_png": "a.png", "write_manifest": "manifest.json",
          "storage.write_text": "a.txt", "storage.write_bytes_via": "a.bin"}


def _figure():
    from negotiation_sim.viz.style import pyplot

    return pyplot().figure()


def _fail(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["rename", "temporary file"])
@pytest.mark.parametrize("site", WRITES)
def test_a_full_disk_at_each_write_site_is_one_line_and_keeps_the_old_file(tmp_path, site,
                                                                            where,
                                                                            monkeypatch):
    folder = storage.ResultsFolder.create(tmp_path / "out")
    name = TARGET[site]
    (folder.path / name).write_text("old")
    monkeypatch.setattr(storage.os, "replace", _fail) if where == "rename" else \
        monkeypatch.setattr(storage.tempfile, "mkstemp", _fail)
    with pytest.raises(WriteError, match=rf"^{folder.path}/{name}: {FULL}$") as caught:
        WRITES[site](folder)
    assert caught.value.errno == errno.ENOSPC
    assert (folder.path / name).read_text() == "old"
    assert leftovers(folder.path) == []


def test_a_full_disk_while_appending_and_making_folders(tmp_path, monkeypatch):
    folder = storage.ResultsFolder.create(tmp_path / "out")
    monkeypatch.setattr(Path, "mkdir", _fail)
    with pytest.raises(WriteError, match=rf"^{folder.path}/sub: {FULL}$"):
        folder.subfolder("sub")
    monkeypatch.undo()
    monkeypatch.setattr(os, "fsync", _fail)
    with pytest.raises(WriteError, match=rf"^{tmp_path}/log.jsonl: {FULL}$"):
        storage.append_line(tmp_path / "log.jsonl", "{}")


def _fail_on(monkeypatch, predicate) -> None:
    """Make ``os.replace`` fail with ENOSPC for a target matching ``predicate``."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if predicate(Path(dst)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(storage.os, "replace", replace)


def _resume_line(config: Path, out: Path) -> str:
    return f"negotiation-sim sweep {config} --resume --out {out}"


@pytest.mark.parametrize("stage", ["a part", "the merge", "the summary"])
def test_a_sweep_on_a_full_disk_keeps_its_chunks_and_resumes(tmp_path, unbroken, monkeypatch,
                                                             capsys, stage):
    config, expected = unbroken
    out = tmp_path / "out"
    target = {"a part": lambda p: p.name == "runs-000003.parquet",
              "the merge": lambda p: p.name == "runs.parquet",
              "the summary": lambda p: p.name == "summary.csv"}[stage]
    _fail_on(monkeypatch, target)
    code = main(["sweep", str(config), "--out", str(out), "--workers", "1", "--progress",
                 "off"])
    err = capsys.readouterr().err
    assert code == 1, err
    path = {"a part": out / "parts" / "runs-000003.parquet", "the merge": out / "runs.parquet",
            "the summary": out / "summary.csv"}[stage]
    kept = 3 if stage == "a part" else 5
    assert err == (f"error: {path}: cannot write (No space left on device); allowed: free "
                   f"space on that disk, or --out on another; {kept} finished chunks are kept "
                   f"in {out}/parts; after freeing space continue with: "
                   f"{_resume_line(config, out)}\n")
    assert leftovers(out) == []
    monkeypatch.undo()
    assert main(["sweep", str(config), "--out", str(out), "--resume", "--workers", "1",
                 "--progress", "off"]) == 0
    assert digest(out / "runs.parquet") == expected


def test_a_sweep_whose_first_write_fails_exits_2(tmp_path, unbroken, monkeypatch, capsys):
    """Nothing finished yet: plain bad-environment exit 2, no resume advice."""
    config, _ = unbroken
    out = tmp_path / "out"
    _fail_on(monkeypatch, lambda p: p.name == "sweep.json")
    assert main(["sweep", str(config), "--out", str(out), "--progress", "off"]) == 2
    assert capsys.readouterr().err == (f"error: {out}/parts/sweep.json: cannot write (No space "
                                       "left on device); allowed: free space on that disk, or "
                                       "--out on another\n")
    assert leftovers(out) == []


def test_plot_and_run_on_a_full_disk_are_one_line_exit_2(tmp_path, monkeypatch, capsys):
    _fail_on(monkeypatch, lambda p: p.suffix in (".png", ".csv"))
    png = tmp_path / "dance.png"
    assert main(["plot", str(CONFIGS / "sma9.toml"), "--out", str(png)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {png}: cannot write (No space left on device); allowed: free space "
                   "on that disk, or --out on another\n")
    assert not png.exists() and leftovers(tmp_path) == []
    out = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma9.toml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out}/trace.csv: cannot write (No space left on device)")
    assert err.count("\n") == 1


# --- 2. full disk: a real one ---------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs mounted in tmp_path (root only), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until about ``leave`` bytes are free; return the filler."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    filler.write_bytes(b"\0" * max(0, free - leave))
    return filler


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-m", "negotiation_sim", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=300)


def test_a_real_full_disk_sweep_resume_and_plot(small_disk, unbroken):
    config, expected = unbroken
    out = small_disk / "sweep"
    filler = _fill(small_disk, 40_000)  # room for the first parts, not for all
    done = cli("sweep", str(config), "--out", str(out), "--workers", "1", "--progress", "off")
    assert done.returncode in (1, 2), done.stderr
    line, = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert line.startswith(f"error: {out}/") and "No space left on device" in line
    if done.returncode == 1:
        assert line.endswith(_resume_line(config, out))
    assert leftovers(out) == []
    png = small_disk / "dance.png"
    drawn = cli("plot", str(CONFIGS / "sma9.toml"), "--out", str(png))
    assert drawn.returncode == 2 and drawn.stderr.count("\n") == 1, drawn.stderr
    assert drawn.stderr.startswith(f"error: {png}: cannot write (No space left on device)")
    assert not png.exists()
    filler.unlink()
    again = cli("sweep", str(config), "--out", str(out), "--resume", "--workers", "1",
                "--progress", "off")
    assert again.returncode == 0, again.stderr
    assert digest(out / "runs.parquet") == expected


# --- 5. designs too big for the machine ----------------------------------------------


BIG = {
    "a step of 0.00001": ('"rok.bottom_line" = { low = 1200, high = 1e7, step = 0.00001 }',
                          1, "sweep.parameters.rok.bottom_line: { low = 1200, high = 1e+07, "
                          "step = 1e-05 } makes 999,880,000,000 values; allowed: at most "
                          "10,000,000 values per parameter"),
    "three parameters of n=100000": (
        '"us.opening" = { low = 3000, high = 6000, n = 100000 }\n'
        '"rok.bottom_line" = { low = 1000, high = 1400, n = 100000 }\n'
        '"us.tactic.beta" = { low = 0.1, high = 1, n = 100000 }', 1,
        "sweep.parameters: 1,000,000,000,000,000 points x 1 replications = "
        "1,000,000,000,000,000 runs is too big; allowed: at most 10,000,000 points and "
        "2,147,483,648 (2**31) runs"),
    "10,000,000 replications": (
        '"us.opening" = [3450.0, 4025.0, 4600.0, 5175.0, 5750.0, 6325.0, 6900.0]\n'
        '"rok.bottom_line" = { low = 1150.0, high = 1400.0, step = 25.0 }\n'
        '"us.tactic.beta" = [0.1, 0.2, 0.35, 0.5, 0.75, 1.0]', 10_000_000,
        "sweep.parameters: 462 points x 10,000,000 replications = 4,620,000,000 runs is too "
        "big; allowed: at most 10,000,000 points and 2,147,483,648 (2**31) runs"),
}


@pytest.mark.parametrize("label", BIG)
def test_a_design_too_big_is_refused_before_anything_is_written(tmp_path, capsys, label):
    body, replications, message = BIG[label]
    config = write_sweep(tmp_path, body, replications=replications)
    out = tmp_path / "out"
    started = time.perf_counter()
    assert main(["sweep", str(config), "--out", str(out)]) == 2
    assert time.perf_counter() - started < 5  # nothing was allocated or drawn
    assert capsys.readouterr().err == f"error: {config}: {message}\n"
    assert not out.exists()


def test_the_size_limit_sits_at_the_documented_numbers():
    assert MAX_POINTS == 10**7 and MAX_RUNS == 2**31
    assert size_problem(MAX_POINTS, MAX_RUNS // MAX_POINTS) is None
    assert size_problem(MAX_POINTS + 1, 1) is not None
    assert size_problem(2**16, 2**15) is None  # exactly 2**31 runs
    assert size_problem(2**16, 2**15 + 1) == (
        "65,536 points x 32,769 replications = 2,147,549,184 runs is too big; allowed: at "
        "most 10,000,000 points and 2,147,483,648 (2**31) runs")


def test_a_sensitivity_design_too_big_is_refused(tmp_path):
    from negotiation_sim.tuning.sensitivity import load_sensitivity_config

    path = tmp_path / "big.toml"
    path.write_text(f'[sensitivity]\nname = "big"\nscenario = "{CONFIGS / "sma11.toml"}"\n'
                    "n = 1048576\nreplications = 100000\n[sensitivity.parameters]\n"
                    '"us.opening" = { low = 3000.0, high = 6000.0 }\n'
                    '"rok.bottom_line" = { low = 1000.0, high = 1400.0 }\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"sensitivity.n: 4,194,304 points x 100,000 "
                       r"replications = 419,430,400,000 runs is too big"):
        load_sensitivity_config(path)


# --- 7. one writer per results folder -------------------------------------------------


HOLD = ("import sys, time; from negotiation_sim.storage import FolderLock; "
        "FolderLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(120)")


def _holder(folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


@pytest.mark.parametrize("flag", ["--force", "--resume"])
def test_a_second_writer_is_refused_naming_the_holder(tmp_path, unbroken, capsys, flag):
    config, expected = unbroken
    out = fresh(tmp_path, config)
    def files() -> list[tuple[str, int]]:  # what the sweep wrote (the lock is the holder's)
        return sorted((p.name, p.stat().st_mtime_ns) for p in out.rglob("*") if p.name != ".lock")

    before = files()
    holder = _holder(out)
    try:
        assert main(["sweep", str(config), "--out", str(out), flag, "--progress", "off"]) == 2
        assert capsys.readouterr().err == (
            f"error: {flag} {out}: in use by pid {holder.pid} (lock {out}/.lock); allowed: "
            "wait for it to finish or stop it, or another folder\n")
        assert files() == before
    finally:
        holder.kill()
        holder.wait()
    # The holder died (kill -9): its lock is stale and the next writer takes it over.
    assert (out / ".lock").read_text().strip() == str(holder.pid)
    report = run_sweep(config, workers=1, out=out, resume=True, progress="off")
    assert report.ran_runs == 0 and digest(out / "runs.parquet") == expected
    assert storage.FolderLock.holder(out) is None  # released when the sweep ended


def test_a_lock_taken_in_this_process_refuses_the_api_too(tmp_path, unbroken):
    config, _ = unbroken
    out = fresh(tmp_path, config)
    with storage.FolderLock(out), pytest.raises(UsageError, match=rf"^--force {out}: in use by "
                                                  rf"pid {os.getpid()} "):
        run_sweep(config, workers=1, out=out, force=True, progress="off")
    assert storage.FolderLock.holder(out) is None


def test_a_running_sweep_refuses_a_concurrent_force(tmp_path):
    """Two real sweeps: the second (--force) is refused while the first runs undisturbed."""
    config = write_sweep(tmp_path, SMALL, replications=400, chunk_size=100)  # 2,400 runs
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    first = subprocess.Popen([sys.executable, "-m", "negotiation_sim", "sweep", str(config),
                              "--out", str(out), "--workers", "1", "--engine", "mesa",
                              "--progress", "off"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "parts").glob("runs-*.parquet")):
            assert first.poll() is None and time.monotonic() < deadline, "first sweep ended"
            time.sleep(0.05)
        second = cli("sweep", str(config), "--out", str(out), "--force", "--progress", "off")
        assert first.poll() is None, "the first sweep ended before the second was refused"
        assert second.returncode == 2
        assert second.stderr == (f"error: --force {out}: in use by pid {first.pid} (lock "
                                 f"{out}/.lock); allowed: wait for it to finish or stop it, or "
                                 "another folder\n")
        first.wait(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    runs = __import__("pandas").read_parquet(out / "runs.parquet", columns=["run_id"])
    assert list(runs.run_id) == list(range(2400))  # the first sweep's table is whole


# --- 4 (part). --workers capped at the work available ---------------------------------


def test_more_workers_than_chunks_are_capped_and_said(tmp_path, capsys):
    config = write_sweep(tmp_path, '"us.opening" = [4600.0]', replications=2)
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--workers", "64", "--progress",
                 "off"]) == 0
    err = capsys.readouterr().err
    assert err == "--workers 64: capped at 1 (the sweep has 1 chunk of work)\n"
    session = json.loads((out / "manifest.json").read_text())["sessions"][0]
    assert session["workers"] == 1


# --- 7. two tune processes on one study draw their own parameters ---------------------


def _params(url: str, name: str) -> list[tuple]:
    import optuna

    from negotiation_sim.tuning.study import make_storage

    study = optuna.load_study(study_name=name, storage=make_storage(url))
    return [tuple(sorted(t.params.items())) for t in sorted(study.trials,
                                                               key=lambda t: t.number)]


def test_a_process_that_finds_another_at_the_same_point_draws_its_own_stream(tmp_path):
    """Session 0 (alone) keeps the seeds a lone process always had; session 1 differs."""
    import optuna

    from negotiation_sim.tuning.config import load_tune_config
    from negotiation_sim.tuning.study import (
        claim_session,
        make_storage,
        optimize,
        release_session,
        worker_seed,
    )

    from .test_tuning_study import small_config

    config = load_tune_config(small_config(tmp_path, replications=2))
    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    optimize(config, alone, "s", 4, quiet=True)
    lone = _params(alone, "s")
    # Reproducible: the same study from scratch draws the same sets, by the old seeding.
    assert worker_seed(config.seed, 0, 0) == int(
        __import__("numpy").random.SeedSequence([config.seed, 0, 0]).generate_state(1)[0])
    again = f"sqlite:///{tmp_path / 'again.db'}"
    optimize(config, again, "s", 4, quiet=True)
    assert _params(again, "s") == lone

    # Another process started at the same point of a study holds session 0 meanwhile.
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    optuna.create_study(storage=make_storage(shared), study_name="s")
    storage = make_storage(shared)
    held, marker = claim_session(storage, "s", 0)
    assert held == 0 and claim_session(storage, "s", 0)[0] == 1  # atomic, each its own
    optimize(config, shared, "s", 4, quiet=True)  # claims session 2
    release_session(storage, marker)
    drawn = _params(shared, "s")
    assert not set(drawn) & set(lone)  # not the other process's parameter sets
    assert optuna.get_all_study_names(storage=make_storage(alone)) == ["s"]  # marker gone


def test_two_tune_processes_on_one_study_never_repeat_a_parameter_set(tmp_path):
    from .test_tuning_study import small_config

    config = small_config(tmp_path, replications=2)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "negotiation_sim", "tune", config, "--trials", "6",
               "--out", str(out)]
    out.mkdir()
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        proc.wait(timeout=300)
    assert [p.returncode for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    drawn = _params(f"sqlite:///{(out / 'study.db').resolve()}", "tune_history")
    assert len(drawn) == 12 and len(set(drawn)) == 12


def test_a_range_of_too_many_values_is_refused_before_it_is_made(tmp_path, capsys):
    config = write_sweep(tmp_path, '"us.opening" = { low = 3000, high = 6000, n = 10000001 }')
    assert main(["sweep", str(config), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (f"error: {config}: sweep.parameters.us.opening: n "
                                       "10,000,001 is too many values; allowed: at most "
                                       "10,000,000 per parameter\n")
