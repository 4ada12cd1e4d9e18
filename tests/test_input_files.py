"""Config files that cannot be read as TOML: one line naming the file, exit 2, nothing written.

Not UTF-8 (binary junk, UTF-16, one stray byte) and nesting deeper than Python's
recursion limit, for every command that reads a config and for a sweep's scenario.
"""

from __future__ import annotations

import re

import pytest

from negotiation_sim import ScenarioError, load_scenario
from negotiation_sim.cli import main
from negotiation_sim.configfile import MAX_DEPTH, nesting, read_toml
from negotiation_sim.scenario import parse_value

from .conftest import CONFIGS

TEACHING = (CONFIGS / "teaching.toml").read_text()
BAD_BYTES = {
    "junk": (bytes(range(256)) * 4, r"not UTF-8 text \(byte 0x80 at offset 128\); allowed: a "
             r"UTF-8 TOML file"),
    "utf16": (TEACHING.encode("utf-16"), r"not UTF-8 text \(byte 0xff at offset 0\)"),
    "stray": (TEACHING.encode().replace(b"Two linear", b"Two \xff linear"),
              r"not UTF-8 text \(byte 0xff at offset \d+\); allowed: a UTF-8 TOML file"),
}


def one_error_line(capsys, argv: list[str]) -> str:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("kind", BAD_BYTES)
@pytest.mark.parametrize("command", ["run", "validate", "plot", "dashboard", "sweep", "tune",
                                     "sensitivity"])
def test_not_utf8_names_the_file(tmp_path, capsys, command, kind):
    data, message = BAD_BYTES[kind]
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    out = tmp_path / "out"
    argv = [command, str(path)] + ([] if command in ("validate", "dashboard") else
                                   ["--out", str(out / "x.png" if command == "plot" else out)])
    line = one_error_line(capsys, argv)
    assert line.startswith(f"error: {path}: (file): "), line
    assert re.search(message, line), line
    assert not out.exists()


def test_sweep_scenario_not_utf8(tmp_path, capsys):
    scenario = tmp_path / "scenario.toml"
    scenario.write_bytes(BAD_BYTES["stray"][0])
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('[sweep]\nname = "s"\nscenario = "scenario.toml"\n'
                     '[sweep.parameters]\n"us.opening" = [1200.0]\n')
    line = one_error_line(capsys, ["sweep", str(sweep), "--out", str(tmp_path / "out")])
    assert line.startswith(f"error: {scenario}: (file): not UTF-8 text")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 900, 3000])
def test_deep_nesting_one_line(tmp_path, capsys, levels):
    path = tmp_path / "deep.toml"
    path.write_text(TEACHING + "\n[extra]\nx = " + "[" * levels + "]" * levels + "\n")
    line = one_error_line(capsys, ["validate", str(path)])
    assert line.startswith(f"error: {path}: (syntax): nested ")
    assert line.endswith(f"allowed: at most {MAX_DEPTH} levels of tables and arrays")


def test_nesting_at_the_limit_reads(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("x = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert nesting(read_toml(path)) == MAX_DEPTH
    assert nesting({"a": [1, {"b": 2}]}) == 3 and nesting(5) == 0


def test_python_api_raises_scenario_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(BAD_BYTES["utf16"][0])
    with pytest.raises(ScenarioError, match=r"bad\.toml: \(file\): not UTF-8 text"):
        load_scenario(path)


def test_deep_set_value_stays_text():
    deep = "[" * 3000 + "]" * 3000
    assert parse_value(deep) == deep
    assert parse_value("[[1]]") == [[1]]


@pytest.mark.parametrize("name", ["ABSOLUTE", "../../../x", "a/b", ".hidden", ""])
def test_plot_name_cannot_leave_the_plots_folder(tmp_path, capsys, monkeypatch, name):
    name = str(tmp_path / "outside" / "x") if name == "ABSOLUTE" else name  # stays in tmp
    work = tmp_path / "work"
    work.mkdir()
    path = tmp_path / "s.toml"
    path.write_text(TEACHING.replace('name = "teaching"', f'name = "{name}"'))
    monkeypatch.chdir(work)
    line = one_error_line(capsys, ["plot", str(path)])
    assert line == (f"error: {path}: scenario.name: {name!r} cannot name the plot file; "
                    "allowed: letters, digits, _ . - (or give --out FILE.png)")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["s.toml", "work"]
