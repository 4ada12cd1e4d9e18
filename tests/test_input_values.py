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
     r"us\.tactic\.deadline_months: unknown parameter of 'tit_for_tat'; allowed: name, window"),
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


DATES = [
    ("expiry before talks start", TEACHING.replace('expires = "2024-07"', 'expires = "2019-05"'),
     r"agreement_in_force\.expires: 2019-05 is before talks_start 2024-01; allowed: a month "
     r"from talks_start to horizon \(2024-01\.\.2025-12\)"),
    ("horizon before expiry", TEACHING.replace('horizon = "2025-12"', 'horizon = "2024-05"'),
     r"scenario\.horizon: 2024-05 is before the expiry \(agreement_in_force\.expires = "
     r"2024-07\), so no run reaches it; allowed: a month at or after 2024-07"),
    ("duplicate round month", TEACHING.replace(
        "every_months = 1", 'months = ["2024-01", "2024-03", "2024-05", "2024-03"]'),
     r"rounds\.months: 2024-03 is listed twice; allowed: distinct months \(one round a "
     r"month\)"),
]


@pytest.mark.parametrize("label,text,message", DATES, ids=[d[0] for d in DATES])
def test_dates_refused(tmp_path, capsys, label, text, message):
    refused(tmp_path, capsys, text, message)


def test_expiry_in_the_first_and_last_month_is_allowed(configs):
    first = load_scenario(configs / "teaching.toml", {"agreement_in_force.expires": "2024-01"})
    last = load_scenario(configs / "teaching.toml", {"agreement_in_force.expires": "2025-12"})
    assert (first.expiry, last.expiry) == (0, 23)


def test_expiry_before_start_with_expiry_deadline_is_one_problem(tmp_path):
    text = us_tactic('{ name = "conceder", deadline_months = "expiry" }').replace(
        'expires = "2024-07"', 'expires = "2023-07"')
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, text))
    assert [key for key, _ in info.value.problems] == ["agreement_in_force.expires"]


def test_an_event_type_that_is_not_text_is_one_line():
    """Found by the fuzz test on Python 3.12: a list as an event's type crashed the amount
    forms' reader before validation could name it."""
    from negotiation_sim.errors import ScenarioError
    from negotiation_sim.scenario import from_dict, load_scenario

    raw = dict(load_scenario(CONFIGS / "teaching.toml").resolved)
    raw["events"] = [{"type": [], "side": "rok"}]
    with pytest.raises(ScenarioError, match=r"events\.0\.type: \[\] is not allowed; allowed: "
                                            r"walkout, furlough, leader_change, election, shock"):
        from_dict(raw, "x")
