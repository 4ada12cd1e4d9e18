"""Packages (issue 12): payment paths, totals and utilities against hand-computed cases,
and the package tactics pinned against fixed opponents (Axelrod-style versus tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiation_sim.packages import (
    PackageSpace,
    Preferences,
    SideItem,
    amount_for_utility,
    discounted_total,
    extreme_packages,
    package_utility,
    payments,
    rates,
    settled,
    total,
    utility,
    valuation,
    worth,
)
from negotiation_sim.scenario import load_scenario
from negotiation_sim.tactics.packaged import (
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


# A three-issue space: term 1-3 years, a fixed escalator of 0, 2.5 or 5 %, no discounting;
# the stated agreement is one flat year. Both sides expect the next agreement to bring +20%:
# the US values short terms, the ROK long ones. Weights of 1 bn over the 3-year horizon:
# one year -> 1 + 1.2 + 1.2 = 3.4 (any escalator); two years at 0 / 2.5 / 5 % -> 3.2 /
# 3.255 / 3.31; three years -> 3 / 3.075625 / 3.1525.
SPACE = PackageSpace("fixed", 1, 3, 0.0, 5.0, ref_term=1, ref_pct=0.0, pct_step=2.5)
US = Preferences(1.0, 1500.0, 1000.0, 20.0)
ROK = Preferences(-1.0, 1000.0, 1500.0, 20.0)


def test_grid_weights_by_hand() -> None:
    assert SPACE.pcts.tolist() == [0.0, 2.5, 5.0]
    table = valuation(SPACE, 1.0, 20.0).table
    assert table.ravel().tolist() == pytest.approx([3.4, 3.4, 3.4, 3.2, 3.255, 3.31,
                                                    3.0, 3.075625, 3.1525], rel=REL)


def test_ideal_and_bottom_line_packages_by_hand() -> None:
    # The ideal: the opening with the side's best term and escalator (the US: one year at
    # 5%, weight 3.4; the ROK: three flat years, weight 3). The bottom line: the bottom-line
    # amount with the stated term and escalator (a bottom line in money is meant for them).
    # (Packages also carry the two side items, switched off here: their stated 0 %.)
    assert extreme_packages(SPACE, US) == ((1500.0, 1, 5.0, 0.0, 0.0), (1000.0, 1, 0.0, 0.0, 0.0))
    assert extreme_packages(SPACE, ROK) == ((1500.0 - 500.0, 3, 0.0, 0.0, 0.0),
                                            (1500.0, 1, 0.0, 0.0, 0.0))


def test_utilities_normalised_between_bottom_line_and_ideal_by_hand() -> None:
    # (1200, 2 years, 2.5%): weight 3.255, value 3906; US: (3906 - 3400) / (5100 - 3400);
    # ROK: (-3906 + 5100) / (-3000 + 5100).
    assert utility(SPACE, US, 1200.0, 2, 2.5) == pytest.approx(506 / 1700, rel=1e-12)
    assert utility(SPACE, ROK, 1200.0, 2, 2.5) == pytest.approx(1194 / 2100, rel=1e-12)
    assert package_utility(SPACE, US, 1200.0, 2, 2.5) == pytest.approx(506 / 1700, rel=1e-12)
    assert utility(SPACE, US, 1500.0, 1, 5.0) == 1.0
    assert utility(SPACE, US, 1000.0, 1, 0.0) == 0.0
    assert amount_for_utility(SPACE, US, 0.5, 3, 0.0) == pytest.approx(4250 / 3, rel=REL)


def test_worth_is_the_amount_under_the_stated_term_and_escalator() -> None:
    # 1200 for two years at 2.5% is worth 1200 * 3.255 / 3.4 as one flat year
    assert worth(SPACE, 1200.0, 2, 2.5, 20.0) == pytest.approx(1200 * 3.255 / 3.4, rel=REL)
    assert worth(SPACE, 1200.0, 1, 0.0, 20.0) == 1200.0
    per_run = worth(SPACE, np.array([1200.0, 1200.0]), np.array([2, 2]), np.array([2.5, 2.5]),
                    np.array([20.0, 0.0]))  # no renewal rise: 1 + 1 + 1 and 1 + 1.025 * 2
    assert per_run.tolist() == pytest.approx([1200 * 3.255 / 3.4, 1200 * 3.05 / 3.0], rel=REL)


def test_single_issue_space_gives_the_linear_utility_of_today() -> None:
    space = PackageSpace("none", 6, 6)
    pref = Preferences(1.0, 5750.0, 1230.0)
    assert utility(space, pref, 3490.0, 6, 0.0) == pytest.approx(0.5, rel=1e-12)
    assert not space.negotiated and SPACE.negotiated and SPACE.issues == 3


def versus(choose, opponent: list[tuple[float, float, float]]) -> list[tuple[float, int, float]]:
    """The US side's packages (linear target over 5 months) against fixed ROK packages,
    Axelrod-style: month t sees the opponent's package of month t - 1."""
    out = []
    own = last = (np.nan, np.nan, np.nan)
    for t, theirs in enumerate(opponent):
        package = choose(target_utility(t, 5, 1.0), own, last)
        own = package
        out.append((float(package[0]), int(package[1]), float(package[2])))
        last = theirs
    return out


ROK_STEADY = [(1000.0 + 40.0 * t, 3.0, 0.0) for t in range(6)]  # amount up, term and rate held


def test_tradeoff_pinned_against_a_fixed_opponent() -> None:
    offers = versus(lambda tg, own, last: tradeoff_package(SPACE, US, tg, own, last),
                    ROK_STEADY)
    # Month 0: the ideal package. Month 1: target 0.8, value 3400 + 0.8 * 1700 = 4760; the
    # neighbours of (1 year, 5%) are 1-2 years at 2.5-5%; the one nearest the ROK's
    # (1000, 3 years, 0%) is two years at 2.5%: 4760 / 3.255 (distance 0.855 + 0.25 + 0.25).
    # Month 2: value 4420, all nine grid packages are neighbours; nearest the ROK's (1040,
    # 3, 0): two flat years, 4420 / 3.2 (0.466 + 0.25), before three flat years (0.751).
    # Month 3: three flat years, 4080 / 3 (0.314 against 0.402 for two flat years).
    expected = [(1500.0, 1, 5.0), (4760 / 3.255, 2, 2.5), (4420 / 3.2, 2, 0.0),
                (4080 / 3.0, 3, 0.0), (3740 / 3.0, 3, 0.0), (3400 / 3.0, 3, 0.0)]
    for (a, t, e), (ea, et, ee) in zip(offers, expected, strict=True):
        assert a == pytest.approx(ea, rel=REL) and (t, e) == (et, ee)
    # every offer has exactly the month's target utility (the iso-utility curve)
    for month, (a, t, e) in enumerate(offers):
        assert utility(SPACE, US, a, t, e) == pytest.approx(1 - month / 5, abs=1e-12)


def test_tradeoff_holds_the_term_the_opponent_wants() -> None:
    # Facing a ROK that wants one flat year, the US keeps one year, drops the escalator it
    # cannot get (one step a month) and concedes on the amount.
    one_year = [(1000.0, 1.0, 0.0)] * 4
    offers = versus(lambda tg, own, last: tradeoff_package(SPACE, US, tg, own, last), one_year)
    assert offers[0] == (1500.0, 1, 5.0)
    assert [(t, e) for _, t, e in offers[1:]] == [(1, 2.5), (1, 0.0), (1, 0.0)]
    assert [a for a, _, _ in offers[1:]] == pytest.approx(
        [(3400 + tg * 1700) / 3.4 for tg in (0.8, 0.6, 0.4)], rel=REL)


def test_proportional_package_pinned() -> None:
    offers = versus(lambda tg, own, last: proportional_package(SPACE, US, 1.0 - tg), ROK_STEADY)
    # amount 1500 -> 1000 in equal steps; the escalator 5 -> 0 % to the nearest 2.5
    assert offers == [(1500.0, 1, 5.0), (1400.0, 1, 5.0), (1300.0, 1, 2.5), (1200.0, 1, 2.5),
                      (1100.0, 1, 0.0), (1000.0, 1, 0.0)]


def test_tactics_on_arrays_equal_one_run_at_a_time() -> None:
    months = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    last = (np.array([np.nan, 1000.0, 1040.0, 1080.0, 1000.0]), np.array([np.nan, 3, 3, 1, 2.0]),
            np.array([np.nan, 0.0, 5.0, 0.0, 2.5]))
    own = (np.array([np.nan, 1400.0, 1300.0, 1200.0, 1100.0]), np.array([np.nan, 1, 2, 3, 2.0]),
           np.array([np.nan, 5.0, 2.5, 0.0, 5.0]))
    renewal = np.array([20.0, 0.0, 10.0, 20.0, 50.0])
    for pref in (US, Preferences(1.0, US.ideal, US.bottom, renewal)):
        batch = tradeoff_package(SPACE, pref, target_utility(months, 5, 1.0), own, last)
        for i in range(len(months)):
            one_pref = Preferences(1.0, US.ideal, US.bottom, float(np.broadcast_to(
                pref.renewal_pct, months.shape)[i]))
            one = tradeoff_package(SPACE, one_pref, target_utility(months[i], 5, 1.0),
                                   tuple(float(x[i]) for x in own),
                                   tuple(float(x[i]) for x in last))
            assert tuple(float(x) for x in one) == tuple(float(x[i]) for x in batch)


@settings(max_examples=200, deadline=None)
@given(st.floats(500.0, 2000.0), st.integers(1, 3), st.sampled_from([0.0, 2.5, 5.0]),
       st.floats(500.0, 2000.0), st.integers(1, 3), st.sampled_from([0.0, 2.5, 5.0]),
       st.floats(-20.0, 60.0))
def test_worth_orders_packages_as_each_sides_utility(a1: float, t1: int, p1: float, a2: float,
                                                     t2: int, p2: float, renewal: float) -> None:
    """Acceptance compares worths: for either side, package 1 is at least as good as
    package 2 by worth exactly when it is by utility (up to rounding)."""
    for side in (Preferences(1.0, 1500.0, 1000.0, renewal),
                 Preferences(-1.0, 1000.0, 1500.0, renewal)):
        du = utility(SPACE, side, a1, t1, p1) - utility(SPACE, side, a2, t2, p2)
        dw = side.sign * (worth(SPACE, a1, t1, p1, renewal) - worth(SPACE, a2, t2, p2, renewal))
        if abs(du) > 1e-9:
            assert (du > 0) == (dw > 0)


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
    # the cap on the budget-linked rise is negotiated on a 0.5-point grid from 0 to 6
    cap = outcome["escalator_pct"]
    assert outcome["escalator"] == "budget" and cap in [0.5 * k for k in range(13)]
    # the 11th SMA's later years rise with the ROK defence budget: 5.4, 3.4, 4.4, 4.2 %
    # (data/sma_yearly.csv), the last repeated, each capped
    payments = outcome["payments_krw_bn"]
    growth = [100.0 * (b / a - 1.0) for a, b in zip(payments, payments[1:], strict=False)]
    assert growth == pytest.approx([min(g, cap) for g in (5.4, 3.4, 4.4, 4.2, 4.2)], rel=1e-9)
    assert outcome["total_discounted_krw_bn"] == outcome["total_krw_bn"]


def test_escalator_keys_are_validated() -> None:
    from negotiation_sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"new_agreement.escalator: 'gdp' is not allowed; "
                       r"allowed: none, fixed, cpi, budget"):
        load_scenario(ROOT / "configs/sma11.toml", {"new_agreement.escalator": "gdp"})
    with pytest.raises(ScenarioError, match=r"new_agreement.budget_growth_pct: 'x' is not a "
                       r"number; allowed: a list of numbers in \[-20, 50\]"):
        load_scenario(ROOT / "configs/sma11.toml", {"new_agreement.budget_growth_pct": ["x"]})


# Side items: one flat year (weight 1), the in-kind share negotiated over 0, 20, 40 %. A
# KRW bn in kind is worth 0.7 of cash to the US (value -30 %) and costs the ROK 0.8 (-20 %):
# the US's value is multiplied by 1, 0.94, 0.88 and the ROK's by 1, 0.96, 0.92.
ITEMS = PackageSpace("none", 1, 1, in_kind=SideItem("in_kind", 0.0, 40.0, 20.0, 0.0, -30.0,
                                                    -20.0))
US_ITEMS = Preferences(1.0, 1500.0, 1000.0)
ROK_ITEMS = Preferences(-1.0, 1000.0, 1500.0)


def test_side_item_valuation_by_hand() -> None:
    assert ITEMS.issues == 2 and ITEMS.negotiated and ITEMS.in_kind.levels.tolist() == [0, 20, 40]
    assert valuation(ITEMS, 1.0, 0.0).table.ravel().tolist() == pytest.approx([1, 0.94, 0.88])
    assert valuation(ITEMS, -1.0, 0.0).table.ravel().tolist() == pytest.approx([1, 0.96, 0.92])
    # the US's ideal has no in-kind share, the ROK's the most; bottom lines at the stated 0
    assert extreme_packages(ITEMS, US_ITEMS) == ((1500.0, 1, 0.0, 0.0, 0.0),
                                                 (1000.0, 1, 0.0, 0.0, 0.0))
    assert extreme_packages(ITEMS, ROK_ITEMS) == ((1000.0, 1, 0.0, 40.0, 0.0),
                                                  (1500.0, 1, 0.0, 0.0, 0.0))
    # (1200, 20 % in kind): US (1128 - 1000) / (1500 - 1000); ROK (-1152 + 1500) / (-920 + 1500)
    assert utility(ITEMS, US_ITEMS, 1200.0, 1, 0.0, (20.0, 0.0)) == pytest.approx(0.256, rel=REL)
    assert utility(ITEMS, ROK_ITEMS, 1200.0, 1, 0.0, (20.0, 0.0)) == pytest.approx(0.6, rel=REL)
    assert package_utility(ITEMS, ROK_ITEMS, 1200.0, 1, 0.0, (20.0, 0.0)) == pytest.approx(
        0.6, rel=REL)
    assert amount_for_utility(ITEMS, US_ITEMS, 0.256, 1, 0.0, (20.0, 0.0)) == pytest.approx(
        1200.0, rel=REL)
    # worth: the cash amount each side values the same (stated share 0)
    assert worth(ITEMS, 1200.0, 1, 0.0, 0.0, (20.0, 0.0)) == pytest.approx(1128.0, rel=REL)
    assert worth(ITEMS, 1200.0, 1, 0.0, 0.0, (20.0, 0.0), sign=-1.0) == pytest.approx(
        1152.0, rel=REL)


def test_tradeoff_trades_the_in_kind_share_for_the_amount() -> None:
    # Facing a ROK that wants 40 % in kind, the US (from its ideal: 1500 in cash) concedes
    # in utility (0.8, 0.6, 0.4: values 1400, 1300, 1200) and moves the share toward the
    # ROK's, one step at a time, when that is nearer the ROK's package. Month 1, from 0 %:
    # 0 % -> 1400 (distance 0.8^2 + 1 = 1.64) or 20 % -> 1400 / 0.94 (0.979^2 + 0.25 =
    # 1.208): 20 %. Month 2, from 20 %: 0 % (1.36), 20 % at 1300 / 0.94 (0.837) or 40 % at
    # 1300 / 0.88 (0.911): 20 %. Month 3: 20 % at 1200 / 0.94 (0.556) or 40 % at 1200 / 0.88
    # (0.529): 40 %.
    rok = [(1000.0, 1.0, 0.0, 40.0, 0.0)] * 4
    offers = []
    own = last = (np.nan,) * 5
    for t, theirs in enumerate(rok):
        own = tradeoff_package(ITEMS, US_ITEMS, target_utility(t, 5, 1.0), own, last)
        offers.append((own[0], own[3]))
        last = theirs
    expected = [(1500.0, 0.0), (1400 / 0.94, 20.0), (1300 / 0.94, 20.0), (1200 / 0.88, 40.0)]
    for (a, share), (ea, es) in zip(offers, expected, strict=True):
        assert a == pytest.approx(ea, rel=REL) and share == es


def test_proportional_moves_the_side_item_by_grid_positions() -> None:
    # The ROK from its ideal (1000, 40 %) to its bottom line (1500, 0 %): positions 2 -> 0
    offers = [proportional_package(ITEMS, ROK_ITEMS, f) for f in (0.0, 0.2, 0.3, 0.8, 1.0)]
    assert [(float(a), float(s)) for a, _, _, s, _ in offers] == [
        (1000.0, 40.0), (1100.0, 40.0), (1150.0, 20.0), (1400.0, 0.0), (1500.0, 0.0)]


def test_side_items_on_arrays_equal_one_run_at_a_time() -> None:
    both = PackageSpace("fixed", 1, 3, 0.0, 5.0, ref_term=1, ref_pct=0.0, pct_step=2.5,
                        in_kind=SideItem("in_kind", 0.0, 40.0, 10.0, 10.0, -30.0, -20.0),
                        wage_share=SideItem("wage_share", 20.0, 60.0, 20.0, 20.0, -10.0, -40.0))
    months = np.array([0.0, 1.0, 2.0, 3.0])
    own = (np.array([np.nan, 1400.0, 1300.0, 1200.0]), np.array([np.nan, 1, 2, 3.0]),
           np.array([np.nan, 5.0, 2.5, 0.0]), np.array([np.nan, 0.0, 10.0, 30.0]),
           np.array([np.nan, 20.0, 40.0, 60.0]))
    last = (np.array([np.nan, 1000.0, 1040.0, 1080.0]), np.array([np.nan, 3, 1, 2.0]),
            np.array([np.nan, 0.0, 5.0, 2.5]), np.array([np.nan, 40.0, 40.0, 20.0]),
            np.array([np.nan, 60.0, 20.0, 60.0]))
    renewal = np.array([20.0, 0.0, 10.0, 50.0])
    checked = 0
    for pref in (US, Preferences(1.0, US.ideal, US.bottom, renewal), ROK):
        batch = tradeoff_package(both, pref, target_utility(months, 5, 1.0), own, last)
        for i in range(len(months)):
            one_pref = Preferences(pref.sign, pref.ideal, pref.bottom, float(np.broadcast_to(
                pref.renewal_pct, months.shape)[i]))
            one = tradeoff_package(both, one_pref, target_utility(months[i], 5, 1.0),
                                   tuple(float(x[i]) for x in own),
                                   tuple(float(x[i]) for x in last))
            assert one == tuple(float(x[i]) for x in batch)
            # every offer has the month's target utility, or is the proportional package
            # (no neighbour has an amount within the side's range)
            u = utility(both, one_pref, one[0], one[1], one[2], one[3:])
            fallback = proportional_package(both, one_pref, months[i] / 5)
            assert u == pytest.approx(1 - months[i] / 5, abs=1e-9) or one == fallback
            checked += u == pytest.approx(1 - months[i] / 5, abs=1e-9)
    assert checked >= 8


def test_bottom_line_given_in_utility_by_hand() -> None:
    from negotiation_sim.packages import bottom_line_for_utility

    # one issue: the opponent's opening plus u of the way to one's own
    flat = PackageSpace("none", 6, 6)
    assert bottom_line_for_utility(flat, 1.0, 0.0, 5000.0, 1000.0, 0.25) == 2000.0
    assert bottom_line_for_utility(flat, -1.0, 0.0, 1000.0, 5000.0, 0.25) == 4000.0
    # SPACE (+20 % expected at renewal): the US's worst package is the ROK's 1000 over three
    # flat years (weight 3), its ideal 1500 for one year at 5 % (3.4); a quarter of the way
    # is 3000 + 0.25 * 2100 = 3525 of value, 3525 / 3.4 at the stated one flat year.
    assert bottom_line_for_utility(SPACE, 1.0, 20.0, 1500.0, 1000.0, 0.25) == pytest.approx(
        3525 / 3.4, rel=REL)
    # the ROK's worst: the US's 1500 for one year (3.4), ideal 1000 over three flat years
    # (3): -5100 + 0.5 * 2100 = -4050, i.e. 4050 / 3.4 at the stated package
    assert bottom_line_for_utility(SPACE, -1.0, 20.0, 1000.0, 1500.0, 0.5) == pytest.approx(
        4050 / 3.4, rel=REL)
    # and by construction the utility of that bottom line on the worst-to-ideal scale is u
    b = bottom_line_for_utility(ITEMS, -1.0, 0.0, 1000.0, 1500.0, 0.3)
    worst, ideal = -1500.0 * 1.0, -1000.0 * 0.92
    assert (-b * 1.0 - worst) / (ideal - worst) == pytest.approx(0.3, rel=REL)
