"""Results folders: atomic writes that leave nothing half-written, one manifest layout for
every command, and a run folder read back (by the library and by ``plot``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.errors import UsageError, WriteError
from negotiation_sim.storage import MANIFEST_KEYS, ResultsFolder, read_run

from .conftest import CONFIGS
from .test_sweep import SMALL as SMALL_SWEEP
from .test_sweep import write_sweep
from .test_tuning_sensitivity import SMALL as SMALL_SENSITIVITY
from .test_tuning_study import small_config


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp"))


# --- atomic writes -----------------------------------------------------------------------


def test_a_value_json_cannot_hold_leaves_the_old_file_whole(tmp_path):
    folder = ResultsFolder.create(tmp_path / "out")
    folder.write_json("best.json", {"loss": 0.5})
    with pytest.raises(TypeError, match="^not JSON serialisable: object$"):
        folder.write_json("best.json", {"loss": 0.25, "study": object()})
    assert json.loads((folder.path / "best.json").read_text()) == {"loss": 0.5}
    assert leftovers(folder.path) == [] and folder.outputs == ["best.json"]


def test_a_table_parquet_cannot_hold_fails_mid_write_and_leaves_nothing(tmp_path):
    folder = ResultsFolder.create(tmp_path / "out")
    good = pd.DataFrame({"x": [1, 2, 3]})
    folder.write_parquet("points.parquet", good)
    bad = pd.DataFrame({"x": [1, 2, 3], "who": [object(), object(), object()]})
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        folder.write_parquet("points.parquet", bad)  # the temporary file existed: removed
    pd.testing.assert_frame_equal(pd.read_parquet(folder.path / "points.parquet"), good)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        folder.write_parquet("new.parquet", bad)
    assert not (folder.path / "new.parquet").exists()
    assert leftovers(folder.path) == [] and folder.outputs == ["points.parquet"]


class Unprintable:
    """A value whose text form fails: a CSV writer dies on it after writing earlier rows."""

    def __str__(self) -> str:
        raise ValueError("cannot print this value")

    __repr__ = __str__


def test_a_write_that_dies_half_way_leaves_the_old_file_whole(tmp_path):
    folder = ResultsFolder.create(tmp_path / "out")
    folder.write_csv("fit.csv", pd.DataFrame({"x": [1, 2]}))
    n = 300_000  # pandas writes the first chunks of rows before it reaches the last one
    who = pd.Series(["a"] * n, dtype=object)
    who.iloc[-1] = Unprintable()
    with pytest.raises(ValueError, match="^cannot print this value$"):
        folder.write_csv("fit.csv", pd.DataFrame({"x": range(n), "who": who}))
    assert (folder.path / "fit.csv").read_text() == "x\n1\n2\n"
    assert leftovers(folder.path) == [] and folder.outputs == ["fit.csv"]


def test_an_unwritable_target_keeps_what_was_there(tmp_path):
    folder = ResultsFolder.create(tmp_path / "out")
    (folder.path / "report.md").mkdir()  # a folder where the file should go
    (folder.path / "report.md" / "keep.txt").write_text("mine")
    with pytest.raises(WriteError, match=rf"^{folder.path}/report.md: cannot write \(Is a "
                       r"directory\); allowed: a writable folder$"):
        folder.write_text("report.md", "# Report\n")  # fails at the rename, after writing
    assert (folder.path / "report.md" / "keep.txt").read_text() == "mine"
    assert leftovers(folder.path) == [] and folder.outputs == []


def test_an_unwritable_folder_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match=rf"^--out {blocker}/run: cannot write there \(.+\); "
                       r"allowed: a writable folder$"):
        ResultsFolder.create(blocker / "run")
    assert main(["run", str(CONFIGS / "sma9.toml"), "--out", str(blocker / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {blocker}/run: cannot write there") and \
        err.count("\n") == 1


# --- one manifest layout -------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict[str, dict]:
    """manifest.json of a small run, sweep, tune and sensitivity, each from the CLI."""
    tmp = tmp_path_factory.mktemp("manifests")
    sens = tmp / "sens.toml"
    sens.write_text(SMALL_SENSITIVITY.format(scenario=CONFIGS / "history" / "sma11.toml")
                    .replace("n = 16", "n = 2").replace("bootstrap = 50", "bootstrap = 10"))
    commands = {
        "run": ["run", str(CONFIGS / "sma9.toml"), "--seed", "3", "--out", str(tmp / "run")],
        "sweep": ["sweep", str(write_sweep(tmp, SMALL_SWEEP, replications=2)), "--workers",
                  "1", "--progress", "off", "--out", str(tmp / "sweep")],
        "tune": ["tune", small_config(tmp, replications=2), "--trials", "1", "--out",
                 str(tmp / "tune")],
        "sensitivity": ["sensitivity", str(sens), "--out", str(tmp / "sensitivity")],
    }
    for argv in commands.values():
        assert main(argv) == 0
    return {name: json.loads((tmp / name / "manifest.json").read_text())
            for name in commands}


@pytest.mark.parametrize("command", ["run", "sweep", "tune", "sensitivity"])
def test_every_command_writes_the_same_manifest_layout(manifests, command):
    m = manifests[command]
    assert tuple(m)[:len(MANIFEST_KEYS)] == MANIFEST_KEYS
    assert m["command"] == command
    assert m["command_line"].startswith(f"negotiation-sim {command} ")
    assert isinstance(m["resolved_config"], dict) and m["resolved_config"]
    assert isinstance(m["seeds"]["base_seed"], int) and m["seeds"]["scheme"]
    assert {"python", "numpy", "pandas"} <= set(m["versions"])
    assert m["created"][:2] == "20" and "git_commit" in m
    assert m["outputs"][-1] == "manifest.json" and len(m["outputs"]) >= 3


def test_manifests_record_each_commands_seed_config_and_outputs(manifests, tmp_path):
    assert manifests["run"]["seeds"]["base_seed"] == 3
    assert manifests["run"]["outputs"] == ["trace.csv", "trace.parquet", "outcome.json",
                                           "manifest.json"]
    assert manifests["sweep"]["seeds"]["base_seed"] == 7
    assert manifests["sweep"]["outputs"] == ["runs.parquet", "summary.csv", "manifest.json"]
    assert manifests["tune"]["seeds"]["base_seed"] == 2024
    assert set(manifests["tune"]["resolved_config"]["scenarios"]) == {"sma9", "sma10", "sma11"}
    assert "best/sma11.toml" in manifests["tune"]["outputs"]
    assert manifests["sensitivity"]["seeds"]["base_seed"] == 4
    assert manifests["sensitivity"]["resolved_config"]["scenario"]["scenario"]["name"] == \
        "history_sma11"
    assert manifests["sensitivity"]["outputs"] == ["sobol.csv", "points.parquet", "sobol.png",
                                                   "sensitivity.md", "manifest.json"]


# --- reading a run folder ------------------------------------------------------------------


def test_read_run_gives_back_what_run_out_wrote(tmp_path):
    folder = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma11.toml"), "--seed", "5", "--out", str(folder),
                 "--set", "rok.bottom_line=1300"]) == 0
    record = read_run(folder)
    again = run(CONFIGS / "sma11.toml", seed=5, overrides={"rok.bottom_line": 1300})
    assert record.seed == 5 and record.scenario.rok.bottom_line == 1300
    assert record.outcome == again.outcome.to_dict()
    assert record.manifest["overrides"] == {"rok.bottom_line": 1300}
    pd.testing.assert_frame_equal(record.trace, again.trace, check_dtype=False)


def test_plot_of_a_run_folder_draws_the_same_figure_as_the_run(tmp_path, capsys):
    folder = tmp_path / "run"
    argv = [str(CONFIGS / "sma11.toml"), "--seed", "6", "--set", "us.opening=4600"]
    assert main(["run", *argv, "--out", str(folder)]) == 0
    assert main(["plot", str(folder)]) == 0
    assert main(["plot", *argv, "--out", str(tmp_path / "direct.png")]) == 0
    drawn = (folder / "dance.png").read_bytes()
    assert drawn == (tmp_path / "direct.png").read_bytes() and len(drawn) > 50_000


def test_read_run_refuses_a_manifest_without_its_config(tmp_path):
    folder = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma9.toml"), "--out", str(folder)]) == 0
    meta = json.loads((folder / "manifest.json").read_text())
    del meta["resolved_config"]
    (folder / "manifest.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError, match=r"manifest\.json: resolved_config: missing or not a "
                       r"table; allowed: a manifest written by `negotiation-sim run --out`$"):
        read_run(folder)
