"""``negotiation-sim new``: a commented scenario that reads back as the one it came from."""

from __future__ import annotations

import pytest

from negotiation_sim import load_scenario
from negotiation_sim.api import run
from negotiation_sim.cli import main

from .conftest import CONFIGS


@pytest.mark.parametrize("name", ["teaching", "sma11", "sma10", "sma9"])
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
                                       "teaching, sma11, sma10, sma9 or a scenario file\n")
