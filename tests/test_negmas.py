"""NegMAS interoperability (issue 12, item 6): the exported outcome space and utilities, a
real NegMAS negotiation on an exported SMA package space, and the ``negmas`` command."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("negmas", reason='negmas is not installed (pip install -e ".[negmas]")')

from negotiation_sim import load_scenario, packages  # noqa: E402
from negotiation_sim.api import run  # noqa: E402
from negotiation_sim.cli import main  # noqa: E402
from negotiation_sim.interop import negmas as nm  # noqa: E402

from .conftest import CONFIGS, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_engines import load  # noqa: E402

SMA11 = str(CONFIGS / "sma11.toml")
WIDER = {"rok.bottom_line": 1300.0}  # the ROK's Assembly threshold as its mandate: a ZOPA


def test_sma11_exports_amount_grid_fixed_term_and_escalator_caps() -> None:
    scenario = load_scenario(SMA11)
    space = nm.outcome_space(scenario)
    names = [issue.name for issue in space.issues]
    assert names == ["amount_krw_bn", "term_years", "escalator_pct"]
    amount, term, pct = space.issues
    values = list(amount.all)
    # 201 evenly spaced from the ROK opening to the US opening, plus both bottom lines
    assert (values[0], values[-1], len(values)) == (1142.8, 5750.0, 203)
    assert 1230.0 in values and 1174.0 in values
    assert values == sorted(values)
    assert list(term.all) == [6]
    assert list(pct.all) == [0.5 * k for k in range(13)]
    assert space.cardinality == 203 * 1 * 13


def test_three_issue_export_has_the_term_range_and_the_grid_size_asked() -> None:
    scenario = load("sma11-3issue")
    space = nm.outcome_space(scenario, n_amounts=11)
    amount, term, pct = space.issues
    assert list(term.all) == [1, 2, 3, 4, 5, 6]
    assert len(list(amount.all)) == 13 and len(list(pct.all)) == 13
    assert space.cardinality == 13 * 6 * 13
    with pytest.raises(ValueError, match=r"^--amounts 1: allowed: an integer >= 2$"):
        nm.outcome_space(scenario, n_amounts=1)


def test_ufuns_are_our_utility_on_hand_picked_packages() -> None:
    scenario = load("sma11-3issue").with_overrides({"us.renewal_pct": 20.0,
                                                     "rok.renewal_pct": 5.0})
    exported = nm.export(scenario)
    grid = nm.amount_grid(scenario)
    picks = [(1230.0, 6, 6.0), (1174.0, 1, 0.0), (5750.0, 3, 2.5), (1142.8, 6, 0.0),
             (grid[7], 2, 4.5), (grid[100], 5, 5.5)]
    for side, ufun in (("us", exported.us), ("rok", exported.rok)):
        pref = nm.preferences(scenario, side)
        assert ufun.reserved_value == 0.0
        for offer in picks:
            assert offer in exported.outcome_space
            assert ufun(offer) == float(packages.utility(scenario.package, pref, *offer))
        ideal, bottom = packages.extreme_packages(scenario.package, pref)
        assert ideal[3:] == bottom[3:] == (0.0, 0.0)  # no side items here: the stated 0 %
        assert ufun(ideal[:3]) == pytest.approx(1.0, abs=1e-12)
        assert ufun(bottom[:3]) == pytest.approx(0.0, abs=1e-12)
    # at the same amount the US gains from a higher cap, the ROK loses; expecting +20% at
    # renewal, the US prefers a short term to six years of budget growth
    assert exported.us((1300.0, 6, 6.0)) > exported.us((1300.0, 6, 0.0))
    assert exported.rok((1300.0, 6, 6.0)) < exported.rok((1300.0, 6, 0.0))
    assert exported.us((1300.0, 1, 0.0)) > exported.us((1300.0, 6, 6.0))


def test_ufuns_against_hand_computed_term_trades_of_the_10th_sma() -> None:
    """sma10: term 1-5 years, no escalator, horizon 5; the US expects +50% at renewal, the
    ROK +10%. Weight of a term t: t + (5 - t) x 1.5 (US), t + (5 - t) x 1.1 (ROK). US: ideal
    1,920 at one year (weight 7), bottom 1,130 at the stated one year (7). ROK: ideal 970
    at five years (5), bottom 1,000 at one year (5.4)."""
    scenario = load_scenario(CONFIGS / "sma10.toml")
    exported = nm.export(scenario)
    us_hand = (1500 * 6 - 1130 * 7) / (1920 * 7 - 1130 * 7)  # (1500, 3 years): weight 6
    rok_hand = (-1500 * 5.2 + 1000 * 5.4) / (-970 * 5 + 1000 * 5.4)  # weight 5.2
    assert exported.us((1500.0, 3, 0.0)) == pytest.approx(us_hand, rel=1e-12)
    assert exported.rok((1500.0, 3, 0.0)) == pytest.approx(rok_hand, rel=1e-12)
    assert exported.rok((1000.0, 5, 0.0)) == pytest.approx(400 / 550, rel=1e-12)


def test_shipped_sma11_has_no_package_both_accept_at_the_initial_mandates() -> None:
    """US bottom line 1,230 above the ROK's 1,174: our deals come from gap pressure and
    leaders, which the export leaves out."""
    exported = nm.export(load_scenario(SMA11))
    both = [o for o in exported.outcome_space.enumerate_or_sample()
            if exported.us(o) >= 0 and exported.rok(o) >= 0]
    assert both == []


def test_aspiration_pair_agrees_on_a_rational_sma11_package() -> None:
    from negmas.sao import AspirationNegotiator, SAOMechanism

    scenario = load_scenario(SMA11, WIDER)
    exported = nm.export(scenario)
    agreements = []
    for _ in range(2):
        nm.seed_everything(7)
        mechanism = SAOMechanism(outcome_space=exported.outcome_space, n_steps=1000)
        mechanism.add(AspirationNegotiator(name="us"), ufun=exported.us)
        mechanism.add(AspirationNegotiator(name="rok"), ufun=exported.rok)
        state = mechanism.run()
        agreements.append(state.agreement)
    agreement = agreements[0]
    assert agreement is not None and agreements[1] == agreement
    amount, term, pct = agreement
    assert agreement in exported.outcome_space
    assert term == 6 and pct in list(scenario.package.pcts)
    for side, ufun in (("us", exported.us), ("rok", exported.rok)):
        u = packages.utility(scenario.package, nm.preferences(scenario, side), amount, term,
                             pct)
        assert ufun(agreement) == float(u) >= 0.0
    # above the US bottom line, and a cap below the budget growth lets the ROK go to its own
    assert amount >= 1300.0 and pct < 5.4


def test_cli_table_has_our_runs_and_the_negmas_pairs(capsys) -> None:
    assert main(["negmas", SMA11, "--set", "rok.bottom_line=1300", "--steps", "1000",
                 "--runs", "2", "--negotiators", "AspirationNegotiator",
                 "AspirationNegotiator", "--negotiators", "negmas.sao:BoulwareTBNegotiator",
                 "NaiveTitForTatNegotiator"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out.index(next(line for line in out if line.startswith("negotiators")))
    rows = [line.split() for line in out[header + 1:]]
    assert [r[:4] for r in rows] == [
        ["ours:", "boulware", "vs", "conceder"]] * 2 + [
        ["negmas:", "AspirationNegotiator", "vs", "AspirationNegotiator"]] * 2 + [
        ["negmas:", "BoulwareTBNegotiator", "vs", "NaiveTitForTatNegotiator"]] * 2
    assert [r[4] for r in rows] == ["0", "1"] * 3
    scenario = load_scenario(SMA11, WIDER)
    ours0 = run(scenario, seed=0, trace=False).outcome
    assert rows[0][5:8] == ["yes", f"{ours0.amount_krw_bn:,.1f}", str(ours0.term_years)]
    assert rows[0][-1] == str(ours0.rounds_held)
    assert "exported package space: amount 1,142.8 to 5,750 bn won, 203 values; term 6 " \
        "years (fixed); escalator (budget-linked, cap) 0 to 6 % a year, 13 values: 2,639 " \
        "outcomes" in out


def test_cli_json_rows_hold_the_packages_and_utilities(capsys) -> None:
    assert main(["negmas", SMA11, "--set", "rok.bottom_line=1300", "--steps", "1000",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["issues"]["term_years"] == {"low": 6, "high": 6, "values": 1}
    ours, theirs = doc["rows"]
    scenario = load_scenario(SMA11, WIDER)
    outcome = run(scenario, seed=0, trace=False).outcome
    assert (ours["negotiators"], ours["agreed"], ours["amount_krw_bn"], ours["term_years"],
            ours["escalator_pct"]) == ("ours", True, outcome.amount_krw_bn, 6,
                                       outcome.escalator_pct)
    # our deal lies below the US's initial bottom line: gap pressure moved it
    assert ours["us_utility"] == float(packages.utility(
        scenario.package, nm.preferences(scenario, "us"), outcome.amount_krw_bn, 6,
        outcome.escalator_pct)) < 0
    assert theirs["negotiators"] == "negmas" and theirs["agreed"] is True
    assert theirs["us_utility"] >= 0 and theirs["rok_utility"] >= 0
    assert theirs["steps"] <= 1000


def test_single_issue_scenario_exports_and_runs(capsys) -> None:
    assert main(["negmas", str(CONFIGS / "sma9.toml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["issues"]["escalator_pct"] == {"low": 4.0, "high": 4.0, "values": 1}
    assert [r["negotiators"] for r in doc["rows"]] == ["ours", "negmas"]


@pytest.mark.parametrize(("args", "message"), [
    (["--negotiators", "Foo", "AspirationNegotiator"],
     "error: --negotiators Foo: not a NegMAS negotiator class; allowed: a negotiator class "
     "of negmas.sao (e.g. AspirationNegotiator, BoulwareTBNegotiator) or module:Class"),
    (["--negotiators", "AspirationNegotiator", "collections:OrderedDict"],
     "error: --negotiators collections:OrderedDict: not a NegMAS negotiator class;"),
    (["--negotiators", "AspirationNegotiator", "no_such_mod:X"],
     "error: --negotiators no_such_mod:X: cannot import no_such_mod (No module named "
     "'no_such_mod');"),
    (["--seed", "4294967295", "--runs", "2"],
     "error: --seed 4294967295: allowed: an integer in [0, 4294967295] (with 2 runs, up to "
     "4294967294): NegMAS draws from numpy's global generator"),
    (["--steps", "0"], "error: --steps 0: allowed: an integer >= 1"),
])
def test_bad_options_are_one_line_errors_with_exit_2(capsys, args, message) -> None:
    assert main(["negmas", SMA11, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1


def test_docs_sessions_print_what_docs_negmas_shows(capsys, monkeypatch) -> None:
    """Every ``$ negotiation-sim negmas ...`` session in docs/negmas.md is real output."""
    import re
    import shlex

    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "negmas.md").read_text()
    sessions = re.findall(r"^\$ negotiation-sim (negmas [^\n]*)\n(.*?)```", text, re.M | re.S)
    assert len(sessions) == 2
    for command, shown in sessions:
        assert main(shlex.split(command)) == 0
        assert capsys.readouterr().out == shown, command


def test_docs_python_example_runs(monkeypatch) -> None:
    import re

    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "negmas.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(compile(block, "docs/negmas.md", "exec"), namespace)
    state, exported = namespace["state"], namespace["exported"]
    assert state.agreement is not None and exported.us(state.agreement) >= 0
    assert list(namespace["table"]["negotiators"]) == ["ours", "negmas"]


def _with_items(scenario):
    """The scenario with both side items negotiated (in kind 0-40% in steps of 10, stated
    0; the wage share 0-60% in steps of 20, stated 20)."""
    import dataclasses

    from negotiation_sim.packages import SideItem

    return dataclasses.replace(scenario, package=dataclasses.replace(
        scenario.package,
        in_kind=SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, -30.0, -20.0),
        wage_share=SideItem("wage_share", 0.0, 60.0, 20.0, 20.0, -10.0, -40.0)))


def test_side_items_are_exported_issues_and_the_ufuns_equal_ours() -> None:
    from negmas.sao import AspirationNegotiator

    scenario = _with_items(load_scenario(SMA11, WIDER))
    exported = nm.export(scenario)
    space = exported.outcome_space
    assert [issue.name for issue in space.issues] == [
        "amount_krw_bn", "term_years", "escalator_pct", "in_kind_pct", "wage_share_pct"]
    assert list(space.issues[3].all) == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert list(space.issues[4].all) == [0.0, 20.0, 40.0, 60.0]
    assert space.cardinality == 203 * 1 * 13 * 5 * 4
    grid = nm.amount_grid(scenario)
    picks = [(1230.0, 6, 6.0, 0.0, 20.0), (1300.0, 6, 0.0, 40.0, 60.0),
             (grid[50], 6, 2.5, 10.0, 0.0), (5750.0, 6, 6.0, 30.0, 40.0)]
    for side, ufun in (("us", exported.us), ("rok", exported.rok)):
        pref = nm.preferences(scenario, side)
        for offer in picks:
            assert offer in space
            amount, term, pct, *items = offer
            assert ufun(offer) == float(packages.utility(scenario.package, pref, amount, term,
                                                         pct, tuple(items)))
        ideal, bottom = packages.extreme_packages(scenario.package, pref)
        assert ufun(tuple(ideal)) == pytest.approx(1.0, abs=1e-12)
        assert ufun(tuple(bottom)) == pytest.approx(0.0, abs=1e-12)
    # hand-computed: every KRW bn paid 40% in kind and 60% to wages is worth to the US
    # (1 - 0.4 x 0.3)(1 - 0.6 x 0.1) of one in cash, against (1 - 0.2 x 0.1) stated
    us = nm.preferences(scenario, "us")
    low, high = packages.utility_range(scenario.package, us)
    value = packages.value(scenario.package, 1.0, 1300.0, 6, 6.0, us.renewal_pct)
    hand = (value * (1 - 0.12) * (1 - 0.06) / (1 - 0.02) - low) / (high - low)
    assert exported.us((1300.0, 6, 6.0, 40.0, 60.0)) == pytest.approx(hand, rel=1e-12)
    # the US wants little in kind and little earmarked; the ROK (who pays less that way)
    # the opposite
    assert exported.us((1300.0, 6, 3.0, 0.0, 0.0)) > exported.us((1300.0, 6, 3.0, 40.0, 60.0))
    assert exported.rok((1300.0, 6, 3.0, 0.0, 0.0)) < exported.rok((1300.0, 6, 3.0, 40.0, 60.0))
    state = nm.negotiate(exported, AspirationNegotiator, AspirationNegotiator, steps=1000, seed=0)
    agreement = state.agreement
    assert agreement is not None and agreement in space and len(agreement) == 5
    amount, term, pct, *items = agreement
    for side, ufun in (("us", exported.us), ("rok", exported.rok)):
        u = packages.utility(scenario.package, nm.preferences(scenario, side), amount, term,
                             pct, tuple(items))
        assert ufun(agreement) == float(u) >= 0.0


def test_side_items_in_the_table(capsys) -> None:
    from negotiation_sim.cli.negmas import describe_space, format_table

    scenario = _with_items(load_scenario(SMA11, WIDER))
    table = nm.compare(scenario, steps=1000)
    assert list(table.columns[7:10]) == ["escalator_pct", "in_kind_pct", "wage_share_pct"]
    outcome = run(scenario, seed=0, trace=False).outcome
    ours, theirs = table.to_dict(orient="records")
    assert (ours["in_kind_pct"], ours["wage_share_pct"]) == (outcome.in_kind_pct,
                                                            outcome.wage_share_pct)
    assert ours["us_utility"] == float(packages.utility(
        scenario.package, nm.preferences(scenario, "us"), outcome.amount_krw_bn, 6,
        outcome.escalator_pct, (outcome.in_kind_pct, outcome.wage_share_pct)))
    lines = format_table(table, "budget").splitlines()
    assert lines[0].split()[9:13] == ["in", "kind", "%", "wage"]
    assert lines[2].split()[-5:-3] == [f"{theirs['in_kind_pct']:g}",
                                       f"{theirs['wage_share_pct']:g}"]
    assert describe_space(scenario, nm.issue_values(scenario)).endswith(
        "; in kind 0 to 40 % of the amount, 5 values; wage share 0 to 60 % of the amount, "
        "4 values: 52,780 outcomes")
    assert "in_kind_pct" not in nm.compare(load_scenario(SMA11, WIDER), steps=10).columns
