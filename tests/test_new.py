"""``negotiation-sim new``: a commented scenario that reads back as the one it came from."""

from __future__ import annotations

import tomllib

import pytest

from negotiation_sim import load_scenario
from negotiation_sim.api import run
from negotiation_sim.cli import main

from .conftest import CONFIGS


@pytest.mark.parametrize("name", ["teaching", "sma11", "sma10", "sma9", "election_race"])
def test_new_from_a_shipped_scenario_reads_back_the_same(tmp_path, capsys, name):
    path = tmp_path / "mine.toml"
    assert main(["new", str(path), "--from", name]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {path} (from ")
    made, source = load_scenario(path), load_scenario(CONFIGS / f"{name}.toml")
    assert made == source
    assert run(made, seed=3).outcome == run(source, seed=3).outcome


def test_new_comments_every_key_and_marks_required_ones(tmp_path):
    path = tmp_path / "mine.toml"
    assert main(["new", str(path)]) == 0  # default: teaching
    text = path.read_text()
    assert "# opening demand (first-year amount) [KRW bn]; required; allowed: number in [1, " \
           '1e+07] (KRW bn); or opening_usd_m = US$ m (at krw_per_usd); or "+10%" / "-5%" ' \
           "of the amount in force\nopening = 1200.0\n" in text
    assert "# settlement = " not in text and 'settlement = "split"' in text
    assert "\n# first_mover = \"us\"\n" in text  # optional, at its default: commented out
    assert "\n# veto_threshold = ...  (absent by default)\n" in text
    assert "# offering tactic (required), one of: time_dependent, boulware, linear" in text


def test_new_writes_the_two_level_game_tables(tmp_path):
    """Opinion and ratification come back as tables with their arrays of tables, elections
    as events, foresight on each side (election_race has them all)."""
    path = tmp_path / "mine.toml"
    assert main(["new", str(path), "--from", "election_race"]) == 0
    text = path.read_text()
    for heading in ("[opinion]", "[[opinion.cohorts]]", "[ratification.rok]",
                    "[[ratification.rok.blocs]]"):
        assert f"\n{heading}\n" in text
    assert text.count("\n[[opinion.cohorts]]\n") == 3
    assert text.count("\n[[ratification.rok.blocs]]\n") == 3
    assert text.count("\nforesight = 1.0\n") == 2 and '\ntype = "election"\n' in text
    assert '\ninauguration = "2032-01"\n' in text
    sma9 = tmp_path / "sma9.toml"
    assert main(["new", str(sma9), "--from", "sma9"]) == 0
    assert "[opinion]" not in sma9.read_text() and "# foresight = 0.0\n" in sma9.read_text()


def test_new_keeps_dated_rounds(tmp_path):
    source = tmp_path / "src.toml"
    source.write_text((CONFIGS / "teaching.toml").read_text().replace(
        "every_months = 1", 'dates = ["2024-01-10", "2024-01-24", "2024-03-05"]', 1))
    path = tmp_path / "mine.toml"
    assert main(["new", str(path), "--from", str(source)]) == 0
    written = tomllib.loads(path.read_text())["rounds"]
    assert written["dates"] == ["2024-01-10", "2024-01-24", "2024-03-05"]
    made = load_scenario(path)
    assert made == load_scenario(source) and made.round_counts[:3] == (2, 0, 1)


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text("keep me")
    assert main(["new", str(path), "--from", "sma9"]) == 2
    assert capsys.readouterr().err == (f"error: {path} exists; allowed: a new file, or --force "
                                       "to replace it\n")
    assert path.read_text() == "keep me"
    assert main(["new", str(path), "--from", "sma9", "--force"]) == 0
    assert load_scenario(path).name == "sma9"


def test_new_from_a_file_keeps_its_amount_forms(tmp_path):
    source = tmp_path / "src.toml"
    source.write_text((CONFIGS / "teaching.toml").read_text()
                      .replace("opening = 1200.0", 'opening = "+20%"', 1)
                      .replace("bottom_line = 1100.0", "bottom_line_usd_m = 1000", 1))
    path = tmp_path / "mine.toml"
    assert main(["new", str(path), "--from", str(source)]) == 0
    text = path.read_text()
    assert '\nopening = "+20%"\n' in text and "\nbottom_line_usd_m = 1000\n" in text
    assert load_scenario(path) == load_scenario(source)


def test_new_from_a_missing_file(tmp_path, capsys):
    assert main(["new", str(tmp_path / "x.toml"), "--from", "nope.toml"]) == 2
    assert capsys.readouterr().err == ("error: --from nope.toml: no such file; allowed: "
                                       "teaching, sma11, sma10, sma9, election_race or a scenario "
                                       "file\n")
