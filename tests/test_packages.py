"""Packages (issue 12): payment paths, totals and utilities against hand-computed cases,
and the package tactics pinned against fixed opponents (Axelrod-style versus tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from negotiation_sim.packages import (
    PackageSpace,
    Preferences,
    amount_for_utility,
    discounted_total,
    extreme_packages,
    payments,
    rates,
    settled,
    total,
    utility,
)
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tactics.packaged import (
    accepts_bottom_line,
    accepts_next,
    proportional_package,
    target_utility,
    tradeoff_package,
)

ROOT = Path(__file__).resolve().parents[1]
REL = 1e-12


def test_fixed_rate_path_totals_and_discounting_by_hand() -> None:
    space = PackageSpace("fixed", 3, 3, 3.0, 3.0)
    path = payments(1000.0, 3, rates(space, 3, 3.0))
    assert path.tolist() == pytest.approx([1000.0, 1030.0, 1060.9], rel=REL)
    assert float(total(path)) == pytest.approx(3090.9, rel=REL)
    # 1000 + 1030 / 1.1 + 1060.9 / 1.21
    assert float(discounted_total(path, 10.0)) == pytest.approx(2813.1404958677686, rel=REL)


def test_budget_linked_capped_and_cpi_paths_follow_the_record() -> None:
    budget = PackageSpace("budget", 4, 4, 4.0, 4.0)  # record growth 5.4, 3.4, 4.4 capped at 4
    assert rates(budget, 4, 4.0) == [4.0, 3.4, 4.0]
    assert payments(1000.0, 4, rates(budget, 4, 4.0)).tolist() == pytest.approx(
        [1000.0, 1040.0, 1075.36, 1118.3744], rel=REL)
    uncapped = PackageSpace("budget", 6, 6, np.inf, np.inf)
    assert rates(uncapped, 6, np.inf) == [5.4, 3.4, 4.4, 4.2, 4.2]  # the last repeats
    cpi = PackageSpace("cpi", 8, 8, np.inf, np.inf)
    assert rates(cpi, 8, np.inf) == [2.5, 2.8, 2.9, 1.3, 0.7, 1.0, 1.0]
    assert rates(PackageSpace(), 3) == [0.0, 0.0]


def test_per_run_terms_pad_with_nan_and_totals_count_only_the_term() -> None:
    space = PackageSpace("fixed", 1, 3, 10.0, 10.0)
    path, paid, discounted = settled(space, np.array([100.0, 200.0]), np.array([1, 3]), 10.0)
    assert np.isnan(path[0, 1:]).all() and path[0, 0] == 100.0
    assert path[1].tolist() == pytest.approx([200.0, 220.0, 242.0], rel=REL)
    assert paid.tolist() == pytest.approx([100.0, 662.0], rel=REL)
    assert discounted.tolist() == pytest.approx([100.0, 662.0], rel=REL)  # discount 0


# A three-issue space: term 1-3 years, fixed escalator 0-5%, no discounting. Both sides
# expect the next agreement to bring +20%: the US values short terms, the ROK long ones.
SPACE = PackageSpace("fixed", 1, 3, 0.0, 5.0)
US = Preferences(1.0, 1500.0, 1000.0, 20.0)
ROK = Preferences(-1.0, 1000.0, 1500.0, 20.0)


def test_ideal_and_bottom_line_packages_by_hand() -> None:
    # Weight of 1 bn over 3 years: term 1 -> 1 + 1.2 + 1.2 = 3.4 (any escalator);
    # term 3 at 0% -> 3. The US's ideal is its opening for one year; its bottom line is its
    # bottom-line amount for three flat years; the ROK's the other way round.
    assert extreme_packages(SPACE, US) == ((1500.0, 1, 5.0), (1000.0, 3, 0.0))
    assert extreme_packages(SPACE, ROK) == ((1000.0, 3, 0.0), (1500.0, 1, 5.0))


def test_utilities_normalised_between_bottom_line_and_ideal_by_hand() -> None:
    # (1200, 2 years, 2.5%): weight 1 + 1.025 + 1.025 * 1.2 = 3.255, value 3906;
    # US: (3906 - 3000) / (5100 - 3000); ROK: (-3906 + 5100) / (-3000 + 5100).
    assert utility(SPACE, US, 1200.0, 2, 2.5) == pytest.approx(906 / 2100, rel=1e-12)
    assert utility(SPACE, ROK, 1200.0, 2, 2.5) == pytest.approx(1194 / 2100, rel=1e-12)
    assert utility(SPACE, US, 1500.0, 1, 5.0) == 1.0
    assert utility(SPACE, US, 1000.0, 3, 0.0) == 0.0
    assert amount_for_utility(SPACE, US, 0.5, 3, 0.0) == pytest.approx(1350.0, rel=REL)


def test_single_issue_space_gives_the_linear_utility_of_today() -> None:
    space = PackageSpace("none", 6, 6)
    pref = Preferences(1.0, 5750.0, 1230.0)
    assert utility(space, pref, 3490.0, 6, 0.0) == pytest.approx(0.5, rel=1e-12)


def versus(tactic, opponent: list[tuple[float, float, float]]) -> list[tuple[float, int, float]]:
    """The US side's packages (linear target over 5 months) against fixed ROK packages."""
    out = []
    last = (np.nan, np.nan, np.nan)
    for t, theirs in enumerate(opponent):
        package = tactic(target_utility(t, 5, 1.0), last)
        out.append((float(package[0]), int(package[1]), float(package[2])))
        last = theirs
    return out


ROK_STEADY = [(1000.0 + 40.0 * t, 3.0, 0.0) for t in range(6)]  # amount up, term and rate held


def test_tradeoff_pinned_against_a_fixed_opponent() -> None:
    offers = versus(lambda tg, last: tradeoff_package(SPACE, US, tg, last), ROK_STEADY)
    # Month 1: target 0.8 is value 3000 + 0.8 * 2100 = 4680; three years at 0-5% would
    # need more than the opening, so two years at 0.5% (weight 1 + 1.005 + 1.005 * 1.2):
    # 4680 / 3.211. No opponent offer in month 0: the proportional (ideal) package.
    expected = [(1500.0, 1, 5.0), (4680 / 3.211, 2, 0.5), (1412.9236075986105, 3, 0.5),
                (1273.6212800888884, 3, 0.5), (1140.0, 3, 0.0), (1000.0, 3, 0.0)]
    for (a, t, e), (ea, et, ee) in zip(offers, expected, strict=True):
        assert a == pytest.approx(ea, rel=REL) and (t, e) == (et, ee)
    # every offer has exactly the month's target utility (the iso-utility curve)
    for month, (a, t, e) in enumerate(offers):
        assert utility(SPACE, US, a, t, e) == pytest.approx(1 - month / 5, abs=1e-12)


def test_tradeoff_moves_toward_the_opponents_term() -> None:
    # Facing a ROK that wants one year, the US keeps one year and concedes on the amount.
    one_year = [(1000.0, 1.0, 0.0)] * 4
    offers = versus(lambda tg, last: tradeoff_package(SPACE, US, tg, last), one_year)
    assert offers[0] == (1500.0, 1, 5.0)
    assert [(t, e) for _, t, e in offers[1:]] == [(1, 0.0)] * 3
    # value 3000 + target * 2100 over a one-year weight of 3.4
    assert [a for a, _, _ in offers[1:]] == pytest.approx(
        [(3000 + tg * 2100) / 3.4 for tg in (0.8, 0.6, 0.4)], rel=REL)


def test_proportional_package_pinned() -> None:
    offers = versus(lambda tg, last: proportional_package(SPACE, US, 1.0 - tg), ROK_STEADY)
    assert offers == [(1500.0, 1, 5.0), (1400.0, 1, 4.0), (1300.0, 2, 3.0), (1200.0, 2, 2.0),
                      (1100.0, 3, 1.0), (1000.0, 3, 0.0)]


def test_tactics_on_arrays_equal_one_run_at_a_time() -> None:
    months = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    last = (np.array([np.nan, 1000.0, 1040.0, 1080.0, 1000.0]), np.array([np.nan, 3, 3, 1, 2.0]),
            np.array([np.nan, 0.0, 5.0, 0.0, 2.5]))
    batch = tradeoff_package(SPACE, US, target_utility(months, 5, 1.0), last)
    for i in range(len(months)):
        one = tradeoff_package(SPACE, US, target_utility(months[i], 5, 1.0),
                               tuple(float(x[i]) for x in last))
        assert tuple(float(x) for x in one) == tuple(float(x[i]) for x in batch)


def test_acceptance_compares_utilities() -> None:
    received = utility(SPACE, US, 1200.0, 2, 2.5)  # 0.431
    assert bool(accepts_next(received, 0.4)) and not bool(accepts_next(received, 0.5))
    assert accepts_bottom_line(np.array([0.0, -0.1, 0.2]), 6, 6).tolist() == [True, False, True]
    assert not bool(accepts_bottom_line(0.5, 5, 6))


def test_outcome_keys_in_both_engines_with_total_the_sum_of_payments() -> None:
    from negotiation_sim.engine import simulate_batch

    sc = load_scenario(ROOT / "configs/sma11.toml", {"new_agreement.escalator": "budget",
                                                     "new_agreement.escalator_cap_pct": 4.0,
                                                     "new_agreement.discount_pct": 3.0})
    fast = simulate_batch(sc, None, np.arange(40), engine="fast")
    mesa = simulate_batch(sc, None, np.arange(40), engine="mesa")
    assert fast.dtypes.equals(mesa.dtypes)
    for column in ("escalator", "escalator_pct", "payments_krw_bn", "total_krw_bn",
                   "total_discounted_krw_bn"):
        assert fast[column].astype(str).tolist() == mesa[column].astype(str).tolist()
    row = fast[fast["agreed"]].iloc[0]
    a = row["amount_krw_bn"]
    assert list(row["payments_krw_bn"]) == pytest.approx(
        [a, a * 1.04, a * 1.04 * 1.034, a * 1.04 * 1.034 * 1.04, a * 1.04 * 1.034 * 1.04 ** 2,
         a * 1.04 * 1.034 * 1.04 ** 3], rel=REL)
    assert row["total_krw_bn"] == pytest.approx(sum(row["payments_krw_bn"]), rel=REL)
    assert (row["escalator"], row["escalator_pct"]) == ("budget", 4.0)


def test_run_json_has_the_package_keys() -> None:
    out = subprocess.run([sys.executable, "-m", "negotiation_sim", "run",
                          str(ROOT / "configs/sma11.toml"), "--json"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["term_years"] == 6 and len(outcome["payments_krw_bn"]) == 6
    assert outcome["total_krw_bn"] == pytest.approx(sum(outcome["payments_krw_bn"]), rel=REL)
    assert (outcome["escalator"], outcome["escalator_pct"]) == ("budget", None)
    # the 11th SMA's later years rise with the ROK defence budget: 5.4, 3.4, 4.4, 4.2 %
    # (data/sma_yearly.csv), the last repeated
    payments = outcome["payments_krw_bn"]
    growth = [100.0 * (b / a - 1.0) for a, b in zip(payments, payments[1:], strict=False)]
    assert growth == pytest.approx([5.4, 3.4, 4.4, 4.2, 4.2], rel=1e-9)
    assert outcome["total_discounted_krw_bn"] == outcome["total_krw_bn"]


def test_escalator_keys_are_validated() -> None:
    from negotiation_sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"new_agreement.escalator: 'gdp' is not allowed; "
                       r"allowed: none, fixed, cpi, budget"):
        load_scenario(ROOT / "configs/sma11.toml", {"new_agreement.escalator": "gdp"})
    with pytest.raises(ScenarioError, match=r"new_agreement.budget_growth_pct: 'x' is not a "
                       r"number; allowed: a list of numbers in \[-20, 50\]"):
        load_scenario(ROOT / "configs/sma11.toml", {"new_agreement.budget_growth_pct": ["x"]})
