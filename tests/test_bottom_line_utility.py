"""A bottom line given in utility (``bottom_line_utility``) instead of money (issue 12)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

from negotiation_sim import ScenarioError, load_scenario
from negotiation_sim.cli import main

from .conftest import CONFIGS


def sma11_with(tmp_path: Path, us: dict, drop_bottom_line: bool = True) -> Path:
    raw = tomllib.loads((CONFIGS / "sma11.toml").read_text(encoding="utf-8"))
    if drop_bottom_line:
        del raw["us"]["bottom_line"]
    raw["us"].update(us)
    path = tmp_path / "u.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def test_a_utility_bottom_line_becomes_the_amount_with_that_utility(tmp_path):
    # sma11 negotiates the cap (0-6 %) on the budget-linked rise, six years, no renewal
    # change. The US's worst package is the ROK's opening 1,142.8 with no rise (cap 0,
    # weight 6); its ideal 5,750 uncapped (weight w6 = the six-year budget path); the
    # stated package is uncapped too. u = 0.1: (6 * 1142.8 + 0.1 * (5750 * w6 - 6 *
    # 1142.8)) / w6.
    path = [1.0]
    for g in (5.4, 3.4, 4.4, 4.2, 4.2):
        path.append(path[-1] * (1 + g / 100))
    w6 = sum(path)
    worst = 1142.8 * 6.0
    expected = (worst + 0.1 * (5750.0 * w6 - worst)) / w6
    sc = load_scenario(sma11_with(tmp_path, {"bottom_line_utility": 0.1}))
    assert sc.us.bottom_line == pytest.approx(expected, rel=1e-12)
    assert 1142.8 < sc.us.bottom_line < 5750.0
    # at 1 the bottom line is the opening (no further: the ideal's terms are worth more)
    assert load_scenario(sma11_with(tmp_path, {"bottom_line_utility": 1.0})).us.bottom_line \
        == 5750.0


def test_a_utility_bottom_line_runs_in_both_engines(tmp_path):
    import numpy as np

    from negotiation_sim.engine import simulate_batch

    sc = load_scenario(sma11_with(tmp_path, {"bottom_line_utility": 0.05}))
    fast = simulate_batch(sc, None, np.arange(30), engine="fast")
    mesa = simulate_batch(sc, None, np.arange(30), engine="mesa")
    assert fast["amount_krw_bn"].equals(mesa["amount_krw_bn"]) and fast.agreed.any()


@pytest.mark.parametrize("us, drop, message", [
    ({}, True, r"us\.bottom_line: missing; allowed: an amount, or bottom_line_utility "
               r"\(a utility in \[0, 1\]\)"),
    ({"bottom_line_utility": 0.2}, False, r"us\.bottom_line: given with bottom_line_utility; "
                                          r"allowed: one of the two"),
    ({"bottom_line_utility": 1.5}, True, r"us\.bottom_line_utility: 1\.5 is out of range; "
                                         r"allowed: a number in \[0, 1\]"),
])
def test_bad_utility_bottom_lines_get_one_line(tmp_path, capsys, us, drop, message):
    path = sma11_with(tmp_path, us, drop)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0] and str(path) in err[0]
    assert not out.exists()
