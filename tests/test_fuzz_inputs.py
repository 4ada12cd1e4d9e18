"""Fuzz: every key of every shipped config, and every command-line option, mutated.

Whatever the input, a command either succeeds (exit 0; a sweep may exit 1 when runs
failed and were recorded), or exits 2 with ``error:`` lines only on stderr (one line,
except ``validate``, which lists every problem), never a traceback, and writes nothing.
The CLI runs in this process (``cli.main``), so each example costs milliseconds; the
budget is fixed (``max_examples``) and CI derandomizes it (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import os
import shutil
import socket
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation_sim.cli import main

from .conftest import CONFIGS

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


# --- writing TOML (no writer in the standard library) -------------------------------


def toml_value(value: Any) -> str:
    """``value`` as an inline TOML value (tables inline, so any document is one line a key)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(value)


def toml_document(raw: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}\n"
                   for k, v in raw.items())


# --- the shipped configs, made small enough to run in milliseconds ------------------------


def small(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The config with the same keys but a tiny design (one replication, two points)."""
    if "sweep" in raw:
        raw["sweep"]["replications"] = 1
        for key, spec in raw["sweep"]["parameters"].items():
            if isinstance(spec, list):
                raw["sweep"]["parameters"][key] = spec[:2]
            elif "step" in spec:
                spec["step"] = spec["high"] - spec["low"]
    if "tune" in raw:
        raw["tune"].update(replications=2, trials=1, startup_trials=1)
    if "sensitivity" in raw:
        raw["sensitivity"].update(n=2, replications=1, bootstrap=10)
    return raw


SHIPPED = sorted(p.relative_to(CONFIGS).as_posix()
                 for p in [*CONFIGS.glob("*.toml"), *CONFIGS.glob("history/*.toml")])
RAW = {name: small(name, tomllib.loads((CONFIGS / name).read_text(encoding="utf-8")))
       for name in SHIPPED}


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a parsed config: tables, list items and leaves."""
    out = []
    items = node.items() if isinstance(node, dict) else (
        enumerate(node) if isinstance(node, list) else ())
    for key, value in items:
        out.append((*prefix, key))
        out += paths(value, (*prefix, key))
    return out


PATHS = {name: paths(raw) for name, raw in RAW.items()}

NASTY = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2, 12, 600, 2**63, 2**64, 10**7]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 1e-9, 1e300, 1200.0, -1.0]),
    st.text(max_size=12),
    st.sampled_from(["", "expiry", "2024-13", "1999-01", "2019-10", "2100-12", "../x",
                     "/abs/x", "linear", "conceder", "walkout", "us", "rok", "local",
                     "a b", "sma11.toml", "history/sma9.toml", "grid", "sobol", "tpe"]),
    st.booleans(),
    st.lists(st.integers(-5, 700) | st.floats(allow_nan=False), max_size=3),
    st.lists(st.sampled_from(["2019-10", "2019-10", "x", ""]), max_size=3),
    st.dictionaries(st.sampled_from(["low", "high", "n", "step", "name", "x", "weight"]),
                    st.integers(-3, 3) | st.floats(-1, 10), max_size=3),
    st.dates(),
)


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped config with one key replaced, removed, or joined by an unknown key."""
    name = draw(st.sampled_from(SHIPPED))
    raw = json.loads(json.dumps(RAW[name]))  # a deep copy
    path = draw(st.sampled_from(PATHS[name]))
    parent: Any = raw
    for key in path[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
    if how == "replace":
        parent[path[-1]] = draw(NASTY)
    elif how == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["speed", "names", "x"]))] = draw(NASTY)
    else:
        parent.append(draw(NASTY))
    return name, raw


# --- running the CLI in this process ------------------------------------------------------


def call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse: usage line, then one error line
            status = exc.code if isinstance(exc.code, int) else 2
    return status, out.getvalue(), err.getvalue()


def check(argv: list[str], written: Path | None = None, many: bool = False) -> int:
    """The contract: exit 0 (1: recorded failed runs), or 2 with error lines and nothing
    written; never a traceback."""
    status, _, err = call(argv)
    assert "Traceback" not in err, (argv, err)
    if status in (0, 1):
        assert status == 0 or argv[0] == "sweep", (argv, err)
        return status
    assert status == 2, (argv, status, err)
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ") or ": error: " in line]
    assert errors and (many or len(errors) == 1), (argv, err)
    assert all(line.startswith(("error: ", "usage: ", " ")) or ": error: " in line
               for line in lines), (argv, err)
    if written is not None:
        assert not written.exists(), (argv, err, sorted(written.rglob("*")))
    return status


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of configs/ (so relative scenario paths resolve) and the working directory
    for commands that write results/ by default."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(CONFIGS, root / "configs")
    before = os.getcwd()
    os.chdir(root)
    yield root
    os.chdir(before)


COMMAND = {"sweep": ["sweep", "--workers", "1", "--progress", "off"],
           "sensitivity": ["sensitivity"]}


def runs(kind: str, path: Path) -> int:
    """Runs a valid config asks for (a mutated count may ask for millions: not run here)."""
    from negotiation_sim.experiments.config import load_sweep
    from negotiation_sim.tuning.sensitivity import load_sensitivity_config

    return (load_sweep if kind == "sweep" else load_sensitivity_config)(path).n_runs


@FUZZ
@given(mutant=mutants(), seed=st.integers(0, 3))
def test_every_config_key_mutated(workdir, mutant, seed):
    name, raw = mutant
    path = workdir / "configs" / Path(name).parent / f"mutant-{Path(name).name}"
    path.write_text(toml_document(raw), encoding="utf-8")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        out = Path(tmp) / "out"
        valid = check(["validate", str(path)], many=True) == 0
        kind = next((k for k in ("sweep", "tune", "sensitivity") if k in raw), "scenario")
        if kind == "scenario":
            check(["run", str(path), "--seed", str(seed), "--out", str(out)], out)
        elif kind in ("sweep", "sensitivity") and (not valid or runs(kind, path) <= 1000):
            check([*COMMAND[kind], str(path), "--out", str(out)], out)
        # tune: validate loads everything; a trial takes seconds (tests/test_tuning*.py).


# --- every command-line option -------------------------------------------------------------

NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([2**63, 2**64, 10**30]),
                    st.sampled_from(["", " ", "abc", "1.5", "-0", "0x10", "１"]))
TEXT = st.one_of(st.sampled_from(["", " ", "x", "../x", "a/b", "sma9", "nope", "fast", "mesa",
                                  "local", "nonsense://x", "tcp://", "tcp://127.0.0.1:1",
                                  "sqlite:///", "postgresql://", "out.png", "us.opening"]),
                 st.text(max_size=6).filter(lambda s: "\x00" not in s))
SETS = st.one_of(st.sampled_from(["us.opening=1300", "us.tactic.beta=0.5", "us.opening=",
                                  "=1", "nokey", "events.0.probability=0", "events.9.x=1",
                                  "us.tactic.deadline_months=[]", "scenario.horizon=2024-05",
                                  "rounds.months=[\"2024-02\", \"2024-02\"]",
                                  "us=3", "us.tactic=linear", "scenario.name=../../x"]),
                 st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
                     ["us.opening", "rok.bottom_line", "scenario.talks_start", "us.tactic.k"]),
                     TEXT))


def flag(name: str, values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(values.map(lambda v: [name, str(v)]), max_size=1).map(
        lambda xs: xs[0] if xs else [])


def switch(name: str) -> st.SearchStrategy:
    return st.booleans().map(lambda on: [name] if on else [])


SCENARIO = "configs/teaching.toml"
SWEEP, SENSITIVITY, TUNE = ("configs/mutant-sweep_sma11.toml",
                            "configs/mutant-sensitivity_sma11.toml",
                            "configs/mutant-tune_history.toml")


def options(command: str, *parts: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(*parts).map(lambda xs: (command, [x for part in xs for x in part]))


INVOCATIONS = st.one_of(
    options("run", st.just([SCENARIO]), flag("--seed", NUMBERS), flag("--set", SETS),
            flag("--out", TEXT), switch("--json")),
    options("validate", st.lists(st.sampled_from([SCENARIO, SWEEP, "nope.toml", "configs"]),
                                 min_size=1, max_size=2)),
    options("tactics", st.just([])),
    options("plot", st.sampled_from([[SCENARIO], ["configs"], ["nope"]]),
            flag("--seed", NUMBERS), flag("--set", SETS), flag("--out", TEXT)),
    options("sweep", st.just([SWEEP]), flag("--workers", st.sampled_from(["1", "0", "-1",
                                                                          "x", ""])),
            flag("--scheduler", TEXT.filter(lambda s: s.strip() != "local")),
            flag("--out", TEXT), switch("--resume"), switch("--force"), switch("--traces"),
            flag("--engine", TEXT), st.just(["--progress", "off"])),
    options("summarize", st.sampled_from([["swept"], ["configs"], ["nope"], [SCENARIO]]),
            flag("--by", TEXT), flag("--bins", NUMBERS)),
    options("tune", st.just([TUNE]), flag("--trials", st.sampled_from(["-1", "x", "", "0"])),
            flag("--storage", TEXT), flag("--study", TEXT), flag("--workers",
                                                                 st.sampled_from(["0", "x"])),
            flag("--holdout", TEXT), switch("--leave-one-out"), flag("--out", TEXT),
            flag("--engine", TEXT)),
    options("sensitivity", st.just([SENSITIVITY]), flag("--out", TEXT),
            flag("--workers", st.sampled_from(["1", "0", "x", ""])), flag("--engine", TEXT)),
    options("dashboard", st.sampled_from([[SCENARIO], ["nope.toml"]]),
            flag("--port", NUMBERS), flag("--seed", NUMBERS)),
)


@pytest.fixture(scope="module")
def cli_workdir(workdir) -> Path:
    """Small sweep, tune and sensitivity configs, and one finished sweep to summarize."""
    for name in ("sweep_sma11.toml", "sensitivity_sma11.toml", "tune_history.toml"):
        (workdir / "configs" / f"mutant-{name}").write_text(toml_document(RAW[name]))
    assert call(["sweep", SWEEP, "--out", "swept", "--workers", "1", "--progress", "off"]
                )[0] == 0
    return workdir


@FUZZ
@given(invocation=INVOCATIONS)
def test_every_cli_option(cli_workdir, invocation):
    command, argv = invocation
    with tempfile.TemporaryDirectory(dir=cli_workdir) as tmp:
        os.chdir(tmp)  # a default results/ folder lands here, and must not on error
        try:
            if command == "dashboard":
                with socket.socket() as busy:  # the server must never start
                    busy.bind(("127.0.0.1", 0))
                    port = busy.getsockname()[1]
                    if "--port" in argv:
                        argv[argv.index("--port") + 1] = str(port)
                    else:
                        argv += ["--port", str(port)]
                    status = check([command, *[str(cli_workdir / a) if a.endswith(".toml")
                                               else a for a in argv]])
                assert status == 2
                return
            argv = [str(cli_workdir / a) if a.startswith("configs") or a == "swept" else a
                    for a in argv]
            status = check([command, *argv], many=command == "validate")
            if status == 2 and command not in ("validate", "summarize", "tactics"):
                assert not (Path(tmp) / "results").exists()
        finally:
            os.chdir(cli_workdir)
