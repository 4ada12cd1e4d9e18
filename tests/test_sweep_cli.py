"""Bad sweep input: one line naming the file or flag, the key and what is allowed; exit 2."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from negotiation_sim.cli import main

from .conftest import CONFIGS

SMA11 = CONFIGS / "sma11.toml"
GOOD = f"""[sweep]
name = "bad"
scenario = "{SMA11}"
replications = 2
sampler = "grid"

[sweep.parameters]
"us.opening" = [4600.0, 5750.0]
"""

CONFIG_CASES = [
    ("sampler", GOOD.replace('"grid"', '"montecarlo"'),
     r"sweep\.sampler: 'montecarlo' is not allowed; allowed: grid, random, lhs, sobol"),
    ("unknown key", GOOD.replace("replications = 2", "replications = 2\nrepeats = 3"),
     r"sweep\.repeats: unknown key; allowed: name, scenario, replications"),
    ("replications", GOOD.replace("replications = 2", "replications = 0"),
     r"sweep\.replications: 0 is not allowed; allowed: an integer in \[1, "),
    ("not a key", GOOD.replace('"us.opening"', '"us.openin"'),
     r"sweep\.parameters\.us\.openin: not a scenario key \(us\.openin: unknown key; allowed: "),
    ("no parameters", GOOD.split("[sweep.parameters]")[0],
     r"sweep\.parameters: missing or empty; allowed: "),
    ("bounds in a grid", GOOD.replace("[4600.0, 5750.0]", "{ low = 4600.0, high = 5750.0 }"),
     r"sweep\.parameters\.us\.opening: bounds alone cannot make a grid; allowed: a list of "),
    ("low above high", GOOD.replace('"grid"', '"lhs"\nn = 8').replace(
        "[4600.0, 5750.0]", "{ low = 5750.0, high = 4600.0 }"),
     r"sweep\.parameters\.us\.opening: needs numbers low <= high"),
    ("lhs without n", GOOD.replace('"grid"', '"lhs"'),
     r"sweep\.n: missing; allowed: an integer >= 1 \(points for lhs\)"),
    ("sobol n", GOOD.replace('"grid"', '"sobol"\nn = 6').replace(
        "[4600.0, 5750.0]", "{ low = 4600.0, high = 5750.0 }"),
     r"sweep\.n: 6 is not a power of 2; allowed: 1, 2, 4, 8"),
    ("no sweep table", SMA11.read_text(), r"sweep: missing section; allowed: a \[sweep\] table"),
    ("scenario file missing", GOOD.replace(str(SMA11), "nowhere.toml"),
     r"nowhere\.toml: \(file\): cannot read"),
    ("not TOML", GOOD.replace("[sweep.parameters]", "[sweep.parameters"),
     r"\(syntax\): not valid TOML"),
]


@pytest.mark.parametrize("label,text,message", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_bad_sweep_config_one_line_exit_2_nothing_written(tmp_path, capsys, label, text,
                                                          message):
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert captured.out == ""  # refused before any progress or table is printed
    assert re.search(message, err), err
    assert "bad.toml" in err or "nowhere.toml" in err
    assert not out.exists()


FLAG_CASES = [
    (["--workers", "0"], r"^error: --workers 0: allowed: an integer >= 1$"),
    (["--workers", "two"], r"^error: --workers two: allowed: an integer >= 1$"),
    (["--scheduler", "8786"], r"^error: --scheduler 8786: not an address; allowed: local, or "),
    (["--scheduler", "tcp://127.0.0.1:9"], r"^error: --scheduler tcp://127\.0\.0\.1:9: cannot "
     r"connect .*allowed: the address of a running dask scheduler"),
    (["--engine", "warp"], r"^error: --engine warp: unknown engine; allowed: mesa, fast$"),
]


@pytest.mark.parametrize("flags,message", FLAG_CASES, ids=[" ".join(c[0]) for c in FLAG_CASES])
def test_bad_sweep_flags_one_line_exit_2_nothing_written(tmp_path, capsys, flags, message):
    config = tmp_path / "good.toml"
    config.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err.strip()), err
    assert not out.exists()


def test_summarize_bad_input(tmp_path, capsys):
    assert main(["summarize", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no runs.parquet" in err and "allowed: a sweep" in err
    (tmp_path / "half" / "parts").mkdir(parents=True)
    assert main(["summarize", str(tmp_path / "half")]) == 2
    assert "--resume" in capsys.readouterr().err


def test_summarize_by_an_unswept_parameter(tmp_path, capsys):
    config = tmp_path / "good.toml"
    config.write_text(GOOD, encoding="utf-8")
    assert main(["sweep", str(config), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["summarize", str(tmp_path / "out"), "--by", "rok.opening"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --by rok.opening: not a swept parameter; allowed: us.opening\n"


@pytest.mark.parametrize("cmd", [["sweep"], ["summarize"]])
def test_help(cmd):
    done = subprocess.run([sys.executable, "-m", "negotiation_sim", *cmd, "--help"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and f"usage: negotiation-sim {cmd[0]}" in done.stdout
