"""Values that validate must run: wrong types, dates out of order, duplicate rounds.

Each is refused by ``validate`` and ``run`` alike, in one line naming the key and what
is allowed, before anything is simulated or written.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from negotiation_sim import ScenarioError, load_scenario
from negotiation_sim.cli import main
from negotiation_sim.tactics import OFFERING

from .conftest import CONFIGS, write_scenario

TEACHING = (CONFIGS / "teaching.toml").read_text()
US_TACTIC = 'tactic = { name = "linear", deadline_months = 10 }'


def us_tactic(text: str) -> str:
    return TEACHING.replace(US_TACTIC, f"tactic = {text}", 1)


def refused(tmp_path, capsys, text: str, message: str) -> None:
    """``validate`` and ``run --out`` both give exactly one line matching ``message``."""
    path = write_scenario(tmp_path, text)
    for argv in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        status = main(argv)
        err = capsys.readouterr().err
        assert status == 2, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert re.fullmatch(f"error: {re.escape(str(path))}: {message}", lines[0]), lines[0]
    assert not (tmp_path / "o").exists()


EXPIRY = r', or "expiry" \(the months from talks_start to the expiry\)'
WRONG_TYPES = [
    ('{ name = "conceder", deadline_months = [] }',
     r"us\.tactic\.deadline_months: \[\] is not a number; allowed: integer in \[1, 600\]"
     + EXPIRY),
    ('{ name = "conceder", deadline_months = [5] }',
     r"us\.tactic\.deadline_months: \[5\] is not a number; allowed: integer in \[1, 600\]"
     + EXPIRY),
    ('{ name = "conceder", deadline_months = "soon" }',
     r"us\.tactic\.deadline_months: 'soon' is not a number; allowed: integer in \[1, 600\]"
     + EXPIRY),
    ('{ name = "conceder", beta = { x = 1 } }',
     r"us\.tactic\.beta: \{'x': 1\} is not a number; allowed: number in \[1\.0, 100\.0\]"),
    ('{ name = "conceder", beta = 1979-05-27 }',
     r"us\.tactic\.beta: datetime\.date\(1979, 5, 27\) is not a number; allowed: number in "
     r"\[1\.0, 100\.0\]"),
    ('{ name = "tit_for_tat", deadline_months = "expiry" }',
     r"us\.tactic\.deadline_months: unknown parameter of 'tit_for_tat'; allowed: window"),
]


@pytest.mark.parametrize("tactic,message", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_wrong_type_refused_by_validate_and_run(tmp_path, capsys, tactic, message):
    refused(tmp_path, capsys, us_tactic(tactic), message)


def test_param_accepts_numbers_and_engine_arrays_only():
    beta = {p.name: p for p in OFFERING["conceder"].params}["beta"]
    assert beta.problem(2) is None and beta.problem(np.float64(2.5)) is None
    assert beta.problem(np.array([1.0, 2.0])) is None  # one value per run, from the engine
    assert beta.problem([2.0]) == "[2.0] is not a number; allowed: number in [1.0, 100.0]"
    assert beta.problem((2.0,)) == "(2.0,) is not a number; allowed: number in [1.0, 100.0]"


def test_expiry_deadline_still_resolves(tmp_path):
    path = write_scenario(tmp_path, us_tactic('{ name = "conceder", deadline_months = '
                                              '"expiry" }'))
    assert load_scenario(path).us.tactic_params["deadline_months"] == 6


def test_python_api_names_the_key(tmp_path):
    path = write_scenario(tmp_path, us_tactic('{ name = "conceder", deadline_months = [] }'))
    with pytest.raises(ScenarioError, match=r"us\.tactic\.deadline_months: \[\] is not a "
                       r"number"):
        load_scenario(path)
