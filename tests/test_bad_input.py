"""Bad input: one line naming file, key and what is allowed; exit 2; nothing written."""

from __future__ import annotations

import os
import re

import pytest

from negotiation_sim import ScenarioError, load_scenario
from negotiation_sim.cli import main

from .conftest import CONFIGS, write_scenario

TEACHING = (CONFIGS / "teaching.toml").read_text()


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


CASES = [
    ("malformed", TEACHING.replace('name = "teaching"', 'name = "teaching'),
     r"\(syntax\): not valid TOML"),
    ("unknown tactic", TEACHING.replace('name = "linear", deadline_months = 10 }\nacceptance = '
                                        '{ name = "ac_next" }\n\n[rok]', 'name = "sulk" }\n'
                                        'acceptance = { name = "ac_next" }\n\n[rok]'),
     r"us\.tactic\.name: unknown tactic 'sulk'; allowed: time_dependent, boulware"),
    ("bottom line wrong side", TEACHING.replace("bottom_line = 1000.0", "bottom_line = 1300.0"),
     r"us\.bottom_line: 1300 is on the wrong side of the opening demand 1200; allowed: at or "
     r"below the opening"),
    ("bad date", TEACHING.replace('expires = "2024-07"', 'expires = "2024-13"'),
     r"agreement_in_force\.expires: '2024-13' is not a month: use 'YYYY-MM', e\.g\. '2019-12'"),
    ("unknown key", TEACHING.replace("[rounds]", "[rounds]\nspeed = 3"),
     r"rounds\.speed: unknown key; allowed: protocol, first_mover"),
    ("bad protocol", TEACHING.replace('"simultaneous"', '"telepathy"'),
     r"rounds\.protocol: 'telepathy' is not allowed; allowed: alternating, simultaneous"),
    ("tactic parameter", TEACHING.replace("deadline_months = 10 }\nacceptance = { name = "
                                          "\"ac_next\" }\n\n[rok]", "deadline_months = 0 }\n"
                                          "acceptance = { name = \"ac_next\" }\n\n[rok]"),
     r"us\.tactic\.deadline_months: 0 out of range; allowed: integer in \[1, 600\]"),
]


@pytest.mark.parametrize("label,text,message", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_one_line_exit_2_nothing_written(tmp_path, capsys, label, text, message):
    path = write_scenario(tmp_path, text)
    out_dir = tmp_path / "out"
    status, out, err = run_cli(capsys, "run", str(path), "--out", str(out_dir))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(f"error: {path}: ")
    assert re.search(message, lines[0]), lines[0]
    assert not out_dir.exists()


def test_validate_reports_every_problem(tmp_path, capsys):
    text = TEACHING.replace('expires = "2024-07"', 'expires = "July"').replace(
        '"simultaneous"', '"telepathy"')
    path = write_scenario(tmp_path, text)
    status, out, err = run_cli(capsys, "validate", str(path))
    assert status == 2
    assert len(err.strip().splitlines()) == 2


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, out, err = run_cli(capsys, "run", str(CONFIGS / "teaching.toml"), "--out",
                               str(blocker / "sub"))
    assert status == 2 and err.startswith("error: --out ") and "allowed: a writable folder" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only folder")
def test_read_only_output_folder(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    status, _, err = run_cli(capsys, "run", str(CONFIGS / "teaching.toml"), "--out", str(ro))
    assert status == 2 and "cannot write" in err


def test_bad_override_names_the_key(capsys):
    status, _, err = run_cli(capsys, "run", str(CONFIGS / "teaching.toml"), "--set",
                             "us.tactic.beta=2")
    assert status == 2
    assert "us.tactic.beta: 2 out of range; allowed: number in [1.0, 1.0]" in err


def test_missing_file(capsys, tmp_path):
    status, _, err = run_cli(capsys, "run", str(tmp_path / "nope.toml"))
    assert status == 2 and "(file): cannot read" in err


def test_python_api_raises_scenario_error_with_all_problems(tmp_path):
    path = write_scenario(tmp_path, TEACHING.replace("opening = 900.0", "opening = -5"))
    with pytest.raises(ScenarioError, match=r"rok\.opening: -5 is out of range") as info:
        load_scenario(path)
    assert info.value.source == str(path)


def test_walkout_must_fall_in_a_round_month(tmp_path):
    text = TEACHING.replace("every_months = 1", "every_months = 2") + (
        '\n[[events]]\ntype = "walkout"\nside = "us"\nmonth = "2024-02"\n')
    with pytest.raises(ScenarioError, match=r"events\.0\.month: 2024-02 is not a round month"):
        load_scenario(write_scenario(tmp_path, text))

