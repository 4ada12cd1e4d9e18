"""Negotiated packages on view (issue 12, item 7): the run table, events in words, the
dance figure."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from negotiation_sim import events
from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.experiments.distribution import replicate
from negotiation_sim.experiments.summary import format_summary, summarize
from negotiation_sim.formatting import escalator_text, package_text
from negotiation_sim.scenario import load_scenario
from negotiation_sim.viz import two_level
from negotiation_sim.viz.dance import (
    GID_AGREEMENT,
    GID_PACKAGE,
    GID_VETO,
    dance_figure,
    package_changes,
    parse_events,
)

from .conftest import CONFIGS


@pytest.mark.parametrize(("args", "kwargs", "text"), [
    (("budget", 6, 1.0), {}, "6 years, cap 1%"),
    (("budget", 6, 6.0), {"long": True}, "6 years, budget-linked capped at 6%"),
    (("budget", 6, math.inf), {"long": True}, "6 years, budget-linked, no cap"),
    (("cpi", None, 2.5), {"compact": True}, "cap 2.5%"),
    (("cpi", 3, 2.5), {"long": True}, "3 years, CPI-linked capped at 2.5%"),
    (("fixed", 5, 2.5), {"compact": True}, "5y, +2.5% a year"),
    (("none", 1, 0.0), {}, "1 year"),
    (("none", 2, 0.0), {"long": True}, "2 years, flat"),
    ((None, 4, 3.0), {}, "4 years, escalator 3%"),
])
def test_package_text(args, kwargs, text):
    assert package_text(*args, **kwargs) == text


def test_escalator_text_no_cap_when_missing():
    assert escalator_text("budget", None) == "no cap"
    assert escalator_text("fixed", -1.5) == "-1.5% a year"


def test_deal_records_in_words_single_issue_unchanged():
    cell = events.encode([
        events.Record("tentative_deal", None, {"amount_krw_bn": 1165.7563, "term_years": 6,
                                               "escalator_pct": 1.0}),
        events.Record("veto", "us"),
        events.Record("rejected", "rok", {"amount_krw_bn": 1187.01, "term_years": 6,
                                          "escalator_pct": math.inf})])
    assert events.describe(cell, "budget") == (
        "tentative deal 1,165.8 bn won, 6 years, cap 1%; veto (us); "
        "rejected (rok) 1,187.0 bn won, 6 years, no cap")
    single = events.encode([events.Record("agreement", None, {"amount_krw_bn": 1187.8})])
    assert events.describe(single, "budget") == "agreement (1187.8)"


def _month_rows(out: str) -> dict[str, str]:
    """The month table's lines by month."""
    return {line.split()[0]: line for line in out.splitlines()
            if line[:7].strip()[:2] in ("20", "19") and line.split()[0].count("-") == 1}


def _header(out: str) -> list[str]:
    return next(line for line in out.splitlines() if line.strip().startswith("month")).split()


def test_run_table_shows_the_offered_packages_sma11(capsys):
    assert main(["run", str(CONFIGS / "sma11.toml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[8].split(None, 1) == ["package", "6 years, budget-linked capped at 6%"]
    assert lines[9].split(None, 1) == ["payments",
                                        "7,956.0 bn won in all, 1,187.0 to 1,466.4 a year"]
    header = _header(out)
    assert header[:9] == ["month", "round_held", "us_offer", "(KRW", "bn)", "rok_offer", "(KRW",
                          "bn)", "us_package"] and header[9] == "rok_package"
    rows = _month_rows(out)
    assert "5750.0              1142.8     cap 6%      cap 0%" in rows["2019-09"]
    assert rows["2019-11"].split()[2:6] == ["NaN", "NaN", "-", "-"]
    assert rows["2020-09"].endswith("tentative deal 1,165.8 bn won, 6 years, cap 1%; veto (us)")
    assert rows["2020-09"].split()[4:8] == ["cap", "1%", "cap", "6%"]
    assert rows["2021-02"].endswith("initialled 1,187.0 bn won, 6 years, cap 6%")


def test_run_table_shows_the_offered_terms_sma10(capsys):
    assert main(["run", str(CONFIGS / "sma10.toml")]) == 0
    out = capsys.readouterr().out
    assert "package                                              1 year, flat" in out
    assert "payments                                    1,040.0 bn won in all" in out
    rows = _month_rows(out)
    assert [rows[m].split()[4:6] for m in ("2018-03", "2018-06", "2018-11")] == [
        ["1y", "5y"], ["1y", "4y"], ["1y", "1y"]]
    assert rows["2019-02"].endswith("agreement 1,040.0 bn won, 1 year")


def test_run_table_single_issue_has_no_package(capsys):
    assert main(["run", str(CONFIGS / "teaching.toml")]) == 0
    out = capsys.readouterr().out
    assert "package" not in out and "payments" not in out
    assert _header(out)[8] == "us_bottom_line"


# --- the dance figure ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sma11_run():
    return run(CONFIGS / "sma11.toml", seed=0)


def _by_gid(fig, gid: str) -> list:
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def test_dance_labels_the_offered_caps_where_they_change(sma11_run):
    sc, trace = sma11_run.scenario, sma11_run.trace
    # US caps by month (walk-outs in months 2, 10, 13; no offers after 17): 6, 5.5, -, 5,
    # 4.5, 4, 3.5, 3, 2.5, 2, -, 1.5, 1, -, 6, 5.5, 6, 5.5: every offer changes the cap
    us = package_changes(trace, "us", sc)
    assert [m for m, _ in us] == [0, 1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17]
    assert [t for _, t in us][:3] == ["cap 6%", "cap 5.5%", "cap 5%"]
    assert us[10] == (12, "cap 1%")
    # ROK: 0, 2.5, -, then 0 until the vetoed deal's month (6), then 5.5 and 6 in turn
    rok = package_changes(trace, "rok", sc)
    assert rok == [(0, "cap 0%"), (1, "cap 2.5%"), (3, "cap 0%"), (12, "cap 6%"),
                   (14, "cap 5.5%"), (15, "cap 6%"), (16, "cap 5.5%"), (17, "cap 6%")]
    fig = dance_figure(trace, sc, sma11_run.outcome, seed=0)
    labels = _by_gid(fig, GID_PACKAGE)
    assert len(labels) == len(us) + len(rok)
    # each label sits on its offer, the $5.75tn opening's on the upper panel
    first = next(t for t in labels if t.xy == (0, trace.us_offer[0]))
    assert first.get_text() == "cap 6%" and first.axes is fig.axes[0]
    veto = _by_gid(fig, GID_VETO)[0].get_text()
    assert veto.endswith("of tentative deal at 1,166 bn won\n6 years, budget-linked capped at 1%")
    deal = _by_gid(fig, GID_AGREEMENT)[0].get_text()
    assert deal.splitlines()[0] == "DEAL 2021-02"
    assert deal.splitlines()[2] == "6 years, budget-linked capped at 6%"


def test_dance_labels_the_offered_terms_sma10():
    result = run(CONFIGS / "sma10.toml", seed=0)
    sc, trace = result.scenario, result.trace
    assert package_changes(trace, "us", sc) == [(0, "1y")]
    assert package_changes(trace, "rok", sc) == [(0, "5y"), (3, "4y"), (5, "3y"), (6, "2y"),
                                                 (8, "1y")]
    fig = dance_figure(trace, sc, result.outcome)
    assert sorted(t.get_text() for t in _by_gid(fig, GID_PACKAGE)) == [
        "1y", "1y", "2y", "3y", "4y", "5y"]
    assert _by_gid(fig, GID_AGREEMENT)[0].get_text().endswith("+8.3%\n1 year, flat")


def test_dance_of_a_single_issue_run_has_no_package_labels():
    result = run(CONFIGS / "sma9.toml", seed=0)
    fig = dance_figure(result.trace, result.scenario, result.outcome)
    assert _by_gid(fig, GID_PACKAGE) == []
    assert len(_by_gid(fig, GID_AGREEMENT)[0].get_text().splitlines()) == 2


def test_a_rejected_package_names_its_term_and_cap():
    result = run(CONFIGS / "sma11.toml", seed=21)  # the first seed with a lost vote
    assert result.outcome.rejections == 1
    fig = dance_figure(result.trace, result.scenario, result.outcome, seed=21)
    eps = two_level.episodes(parse_events(result.trace), result.scenario)
    rejected = next(e for e in eps if e.passed is False)
    assert rejected.package.startswith("6 years, budget-linked capped at ")
    texts = [t.get_text() for t in fig.axes[1].texts]
    note = next(t for t in texts if t.startswith("REJECTED"))
    assert note.splitlines()[1] == f"{rejected.amount:,.1f} bn won, {rejected.package}"
    ratified = next(t for t in texts if t.startswith("ratified"))
    assert "capped" not in ratified  # the DEAL note names the ratified package


# --- batches: run --replications, summarize, compare ----------------------------------


def test_cap_binds_below_the_linked_path_within_the_term():
    from negotiation_sim.experiments.distribution import cap_binds
    from negotiation_sim.packages import PackageSpace

    space = PackageSpace(escalator="budget", term_min=1, term_max=6, pct_low=0.0,
                         pct_high=6.0, budget_growth_pct=(5.4, 3.4, 4.4, 4.2))
    term = np.array([6, 6, 6, 2, 2, 3, 1, 6])
    pct = np.array([5.5, 5.4, 5.0, 5.0, 5.5, 3.5, 0.0, np.nan])
    # the highest rise within 6 years is 5.4 (year 2): caps of 5.5 and 5.4 do not bind;
    # a 2-year term has one rise (5.4); a 1-year term none; NaN (no cap) never binds
    assert cap_binds(space, term, pct).tolist() == [False, False, True, True, False, True,
                                                    False, False]


def test_replications_report_the_term_and_the_escalator(capsys):
    assert main(["run", str(CONFIGS / "sma11.toml"), "--replications", "40", "--json"]) == 0
    dist11 = json.loads(capsys.readouterr().out)
    runs = replicate(load_scenario(CONFIGS / "sma11.toml"), 40)
    pcts = runs.escalator_pct[runs.agreed].to_numpy(dtype=float)
    assert dist11["escalator_pct"]["p50"] == float(np.median(pcts))
    assert dist11["p_cap_binds"] == pytest.approx(float(np.mean(pcts < 5.4)))
    assert "term_years" not in dist11  # sma11 states the term: six years
    assert main(["run", str(CONFIGS / "sma10.toml"), "--replications", "20"]) == 0
    out = capsys.readouterr().out
    assert "term (years)                    1         1         1" in out
    assert "escalator" not in out and "cap binds" not in out
    assert main(["run", str(CONFIGS / "teaching.toml"), "--replications", "20", "--json"]) == 0
    assert not {"term_years", "escalator_pct", "p_cap_binds"} & set(
        json.loads(capsys.readouterr().out))


def test_summarize_adds_package_columns_from_the_manifest(tmp_path, capsys):
    out = tmp_path / "reps"
    assert main(["run", str(CONFIGS / "sma10.toml"), "--replications", "30",
                 "--set", "rok.renewal_pct=-40", "--out", str(out)]) == 0
    capsys.readouterr()
    table = summarize(out)
    runs = pd.read_parquet(out / "runs.parquet")
    terms = runs.term_years[runs.agreed].to_numpy(dtype=float)
    assert table.term_median[0] == float(np.median(terms))
    assert table.term_p90[0] == float(np.quantile(terms, 0.9))
    assert "escalator_pct_median" not in table and list(table.columns[-3:]) == [
        "term_p10", "term_median", "term_p90"]
    printed = format_summary(table)
    assert printed.splitlines()[0].endswith("term years p50 [p10, p90]")
    # without a manifest (a bare table) and no package given: today's columns only
    assert "term_median" not in summarize(runs)
    assert summarize(runs, package=load_scenario(CONFIGS / "sma10.toml").package
                     ).term_median[0] == table.term_median[0]


def test_compare_adds_the_package_rows(capsys):
    assert main(["compare", str(CONFIGS / "sma11.toml"), "--set", "us.opening=11500",
                 "--replications", "30", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    diffs = result["alternatives"][0]["differences"]
    assert list(diffs)[-2:] == ["escalator_pct", "cap_binds"]
    assert diffs["escalator_pct"]["baseline"] == result["baseline"]["escalator_pct"]["p50"]
    assert diffs["cap_binds"]["baseline"] == pytest.approx(result["baseline"]["p_cap_binds"])
    assert main(["compare", str(CONFIGS / "teaching.toml"), "--set", "us.opening=1500",
                 "--replications", "10", "--json"]) == 0
    assert "cap_binds" not in json.loads(capsys.readouterr().out)["alternatives"][0][
        "differences"]


def test_response_curves_add_the_package_row_and_heatmaps_refuse_what_is_fixed(tmp_path):
    import matplotlib.image as mpimg

    from negotiation_sim.errors import UsageError
    from negotiation_sim.viz.batch import heatmap, response_curves

    space = load_scenario(CONFIGS / "sma11.toml").package
    rows = []
    for opening in (3000.0, 5750.0):
        runs = replicate(load_scenario(CONFIGS / "sma11.toml", {"us.opening": opening}), 12)
        runs.insert(0, "us.opening", opening)
        rows.append(runs)
    runs = pd.concat(rows, ignore_index=True)
    runs["error"] = None
    runs["rok.bottom_line"] = 1174.0 + 50.0 * (runs.index % 2)
    from negotiation_sim.experiments.summary import load

    table, params = load(runs, package=space)
    assert params == ["us.opening", "rok.bottom_line"] and "cap_binds" in table
    path = response_curves(table, "us.opening", tmp_path / "curves.png")
    assert mpimg.imread(path).shape[:2] == (1100, 1100)  # three rows (10 inches at 110 dpi)
    single, _ = load(runs)  # no package: the four panels of today
    assert mpimg.imread(response_curves(single, "us.opening", tmp_path / "c4.png")
                        ).shape[:2] == (770, 1100)
    heatmap(table, "us.opening", "rok.bottom_line", tmp_path / "h.png", "cap_binds_share")
    with pytest.raises(UsageError, match=r"^--metric term_median: the sweep's scenario does "
                       r"not negotiate it; allowed: .*escalator_pct_median, cap_binds_share$"):
        heatmap(table, "us.opening", "rok.bottom_line", tmp_path / "t.png", "term_median")
