"""Command-line values: seeds, schedulers, empty paths, foreign runs tables, mixed types.

Each bad value is one ``error:`` line naming the option or file and what is allowed,
exit 2, and nothing written.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from negotiation_sim import ScenarioError
from negotiation_sim.cli import MAX_SEED, main
from negotiation_sim.experiments.config import load_sweep

from .conftest import CONFIGS

TEACHING = CONFIGS / "teaching.toml"


def one_line(capsys, argv: list[str], pattern: str) -> None:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.fullmatch(f"error: {pattern}", lines[0]), lines[0]


def sweep_config(tmp_path, values: str, name: str = "s") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[sweep]\nname = "{name}"\nscenario = "{TEACHING}"\nreplications = 1\n'
                    f'[sweep.parameters]\n"us.opening" = {values}\n')
    return str(path)


@pytest.mark.parametrize("command", ["run", "plot"])
@pytest.mark.parametrize("seed", [2**64, MAX_SEED + 1, -1])
def test_seed_out_of_range(tmp_path, capsys, command, seed):
    out = tmp_path / ("x.png" if command == "plot" else "out")
    one_line(capsys, [command, str(TEACHING), "--seed", str(seed), "--out", str(out)],
             rf"--seed {seed}: allowed: an integer in \[0, 9223372036854775807\]")
    assert not out.exists()


def test_largest_seed_runs(capsys):
    assert main(["run", str(TEACHING), "--seed", str(MAX_SEED), "--json"]) == 0
    assert '"agreed": true' in capsys.readouterr().out


@pytest.mark.parametrize("command,allowed", [
    ("run", "a folder path"), ("sweep", "a folder path"), ("tune", "a folder path"),
    ("sensitivity", "a folder path"), ("plot", "a path ending in .png")])
def test_empty_out_is_refused(tmp_path, capsys, monkeypatch, command, allowed):
    config = {"sweep": CONFIGS / "sweep_sma11.toml", "tune": CONFIGS / "tune_history.toml",
              "sensitivity": CONFIGS / "sensitivity_sma11.toml"}.get(command, TEACHING)
    monkeypatch.chdir(tmp_path)  # where a default results/ folder would appear
    one_line(capsys, [command, str(config), "--out", ""], f"--out '': empty; allowed: {allowed}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flag", ["--storage", "--study"])
def test_empty_tune_names_are_refused(tmp_path, capsys, flag):
    one_line(capsys, ["tune", str(CONFIGS / "tune_history.toml"), flag, " ", "--out",
                      str(tmp_path / "out")], f"{flag} ' ': empty; allowed: .*")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:",
                                 "sqlite:///file:x?mode=memory&uri=true"])
def test_in_memory_tune_storage_is_refused(tmp_path, capsys, url):
    """An in-memory SQLite database loses the study between connections (found by the
    CLI fuzz test: a traceback before)."""
    pytest.importorskip("optuna")
    one_line(capsys, ["tune", str(CONFIGS / "tune_history.toml"), "--storage", url, "--out",
                      str(tmp_path / "out")],
             re.escape(f"--storage {url}: an in-memory SQLite database keeps no study between "
                       "connections or workers; allowed: a file, e.g. sqlite:///study.db, or "
                       "postgresql://user:password@host/db"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address,message", [
    ("nonsense://x", r"not an address; allowed: local, or a dask scheduler address like "
     r"tcp://host:8786 \(protocols: tcp, tls, ucx, ws, wss\)"),
    ("inproc://x", r"not an address; allowed: local, .*"),
    ("tcp://", r"cannot connect \(missing port number in address ''\); allowed: the address "
     r"of a running dask scheduler, e\.g\. tcp://host:8786, or local"),
])
def test_bad_scheduler(tmp_path, capsys, address, message):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    one_line(capsys, ["sweep", sweep_config(tmp_path, "[1200.0]"), "--scheduler", address,
                      "--out", str(out)], f"--scheduler {re.escape(address)}: {message}")
    assert not out.exists()


def test_mixed_type_values_refused_at_load_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "out"
    bad = sweep_config(tmp_path, '[1200.0, "abc"]')
    one_line(capsys, ["sweep", bad, "--out", str(out)],
             re.escape(f"{bad}: sweep.parameters.us.opening: [1200.0, 'abc'] mixes types; "
                       "allowed: values all numbers, all text or all true/false"))
    assert not out.exists()
    good = sweep_config(tmp_path, "[1200.0, 1250]", name="good")  # ints and floats mix
    assert main(["sweep", good, "--out", str(out), "--workers", "1"]) == 0
    assert pd.read_parquet(out / "runs.parquet")["us.opening"].tolist() == [1200.0, 1250.0]


@pytest.mark.parametrize("values", ["[true, 1]", '[1979-05-27, 1200.0]', "[1979-05-27]"])
def test_values_of_no_column_type_refused(tmp_path, values):
    with pytest.raises(ScenarioError, match=r"sweep\.parameters\.us\.opening: .* mixes types"):
        load_sweep(sweep_config(tmp_path, values))


def test_text_values_summarize(tmp_path, capsys):
    path = tmp_path / "names.toml"
    path.write_text(f'[sweep]\nname = "names"\nscenario = "{TEACHING}"\n[sweep.parameters]\n'
                    '"us.tactic.name" = ["linear", "conceder"]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["summarize", str(out)]) == 0
    assert re.search(r"us\.tactic\.name +conceder +1 ", capsys.readouterr().out)


def test_summarize_junk_and_foreign_tables(tmp_path, capsys):
    junk = tmp_path / "junk" / "runs.parquet"
    junk.parent.mkdir()
    junk.write_bytes(b"\xff" * 100)
    one_line(capsys, ["summarize", str(junk.parent)],
             re.escape(f"{junk}: cannot read as a sweep's runs table (Parquet magic bytes not "
                       "found in footer. Either the file is corrupted or this is not a parquet "
                       "file.); allowed: a runs.parquet written by `negotiation-sim sweep`"))
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    one_line(capsys, ["summarize", str(empty)], re.escape(f"{empty}: cannot read as a sweep's "
                                                          "runs table (Parquet file size is 0 "
                                                          "bytes)") + ".*")
    foreign = tmp_path / "foreign.parquet"
    pd.DataFrame({"a": [1, 2], "agreed": [True, False]}).to_parquet(foreign)
    one_line(capsys, ["summarize", str(foreign)],
             re.escape(f"{foreign}: missing columns agreement_month, gap_months, censored, "
                       "amount_krw_bn, increase_pct, error; allowed: a runs.parquet written by "
                       "`negotiation-sim sweep` (columns agreed, agreement_month, gap_months, "
                       "censored, amount_krw_bn, increase_pct, error and the swept parameters)"))
    typed = tmp_path / "typed.parquet"
    pd.DataFrame({"agreed": [True], "agreement_month": ["2021-02"], "gap_months": ["many"],
                  "censored": [False], "amount_krw_bn": [1.0], "increase_pct": [1.0],
                  "error": [None]}).to_parquet(typed)
    one_line(capsys, ["summarize", str(typed)],
             re.escape(f"{typed}: cannot read as a sweep's runs table (") + ".*many.*")


@pytest.mark.parametrize("brk", ["\n", "\r", "\u2028", "\x85"])
def test_line_breaks_in_a_value_stay_on_one_line(capsys, brk):
    one_line(capsys, ["run", str(TEACHING), "--set", f"scenario.talks_start=a{brk}b"],
             re.escape(f"{TEACHING}: scenario.talks_start: 'a") + r"\\(n|r|u2028|x85)"
             + re.escape("b' is not a month: use 'YYYY-MM', e.g. '2019-12'; allowed: years "
                         "1900-2200, months 01-12"))


def test_tune_report_without_a_study_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    one_line(capsys, ["tune", str(CONFIGS / "tune_history.toml"), "--trials", "0", "--out",
                      str(out)], re.escape(f"--trials 0: no study in {out / 'study.db'} to "
                                           "report; allowed: --trials N >= 1 (or --storage URL "
                                           "of a stored study)"))
    assert not out.exists()


@pytest.mark.parametrize("spec,message", [
    ("{ low = 1150.0, high = 3.0e16, step = 250.0 }",
     r"\{ low = 1150, high = 3e\+16, step = 250 \} makes 119,999,999,999,996 values; allowed: "
     r"at most 10,000,000 values per parameter"),
    ("{ low = 1150.0, high = 1400.0, n = 1000000000000 }",
     r"n 1,000,000,000,000 is too many values; allowed: at most 10,000,000 per parameter"),
])
def test_ranges_too_long_refused_before_allocating(tmp_path, spec, message):
    with pytest.raises(ScenarioError, match=r"sweep\.parameters\.us\.opening: " + message):
        load_sweep(sweep_config(tmp_path, spec))
