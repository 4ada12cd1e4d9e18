"""Side items on view (issue 12): the in-kind share and the wage share wherever the
package is shown (run's printout, events in words, the dance figure, the dashboard, batch
summaries, figures and comparisons), only when an item is negotiated."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from negotiation_sim import events
from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.cli.run import package_column, report
from negotiation_sim.experiments.compare import paired_differences
from negotiation_sim.experiments.distribution import (
    distribution,
    expiry_month,
    format_distribution,
    replicate,
)
from negotiation_sim.experiments.summary import format_summary, summarize
from negotiation_sim.formatting import package_text
from negotiation_sim.packages import SideItem
from negotiation_sim.scenario import load_scenario
from negotiation_sim.viz.dance import (
    GID_AGREEMENT,
    GID_PACKAGE,
    GID_VETO,
    dance_figure,
    package_changes,
)

from .conftest import CONFIGS


def with_items(scenario):
    """The scenario with both side items negotiated: in kind 0-40% (stated 0), the wage
    share 0-60% in steps of 20 (stated 20)."""
    return dataclasses.replace(scenario, package=dataclasses.replace(
        scenario.package,
        in_kind=SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, -30.0, -20.0),
        wage_share=SideItem("wage_share", 0.0, 60.0, 20.0, 20.0, -10.0, -40.0)))


@pytest.fixture(scope="module")
def items_run():
    return run(with_items(load_scenario(CONFIGS / "sma11.toml")), seed=0)


def _by_gid(fig, gid: str) -> list:
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def test_package_text_and_deal_records_name_the_shares():
    items = [("in_kind", 20.0), ("wage_share", 40.0)]
    assert package_text("budget", 6, 6.0, items=items) == "6 years, cap 6%, 20% in kind, 40% wages"
    assert package_text("budget", None, 5.5, compact=True, items=items[1:]) == \
        "cap 5.5%, 40% wages"
    assert package_text("none", 2, 0.0, long=True, items=[("in_kind", 12.5)]) == \
        "2 years, flat, 12.5% in kind"
    cell = events.encode([events.Record("initialled", None, {
        "amount_krw_bn": 1178.46, "term_years": 6, "escalator_pct": 5.5, "in_kind_pct": 10.0,
        "wage_share_pct": 20.0})])
    assert events.describe(cell, "budget") == \
        "initialled 1,178.5 bn won, 6 years, cap 5.5%, 10% in kind, 20% wages"


# --- negotiation-sim run ---------------------------------------------------------------


def test_run_printout_is_report_and_unchanged_without_items(capsys):
    assert main(["run", str(CONFIGS / "sma11.toml")]) == 0
    printed = capsys.readouterr().out
    result = run(CONFIGS / "sma11.toml", seed=0)
    assert printed == report(result.scenario, result.outcome.to_dict(), result.trace) + "\n"
    assert "in kind" not in printed and "wages" not in printed


def test_run_report_names_each_sides_shares_and_the_deals(items_run):
    sc, trace = items_run.scenario, items_run.trace
    out = report(sc, items_run.outcome.to_dict(), trace)
    lines = out.splitlines()
    assert lines[8].split(None, 1) == [
        "package", "6 years, budget-linked capped at 5.5%, 0% in kind, 20% wages"]
    us, rok = package_column(trace, "us", sc.package), package_column(trace, "rok", sc.package)
    # the US opens at its best (no share in kind, none earmarked) and concedes the shares
    assert us.tolist()[:6] == ["cap 6%, 0% in kind, 0% wages", "cap 5.5%, 0% in kind, 0% wages",
                               "-", "cap 5%, 10% in kind, 20% wages",
                               "cap 4.5%, 20% in kind, 40% wages",
                               "cap 4%, 30% in kind, 60% wages"]
    assert rok.tolist()[:2] == ["cap 0%, 40% in kind, 60% wages",
                                "cap 2.5%, 20% in kind, 40% wages"]
    month = {line.split()[0]: line for line in lines if line[:4] in ("2019", "2020", "2021")}
    assert month["2020-11"].endswith(
        "tentative deal 1,165.3 bn won, 6 years, cap 6%, 0% in kind, 20% wages; veto (us)")
    assert month["2021-02"].endswith(
        "initialled 1,178.5 bn won, 6 years, cap 5.5%, 0% in kind, 20% wages")


# --- the dance figure ------------------------------------------------------------------


def test_dance_labels_offers_and_deals_with_the_shares(items_run):
    sc, trace = items_run.scenario, items_run.trace
    us = package_changes(trace, "us", sc)
    assert us[:4] == [(0, "cap 6%, 0% in kind, 0% wages"),
                      (1, "cap 5.5%, 0% in kind, 0% wages"),
                      (3, "cap 5%, 10% in kind, 20% wages"),
                      (4, "cap 4.5%, 20% in kind, 40% wages")]
    rok = package_changes(trace, "rok", sc)
    assert rok[-1] == (17, "cap 5.5%, 0% in kind, 20% wages")
    fig = dance_figure(trace, sc, items_run.outcome, seed=0)
    assert len(_by_gid(fig, GID_PACKAGE)) == len(us) + len(rok)
    assert _by_gid(fig, GID_VETO)[0].get_text().endswith(
        "6 years, budget-linked capped at 6%, 0% in kind, 20% wages")
    deal = _by_gid(fig, GID_AGREEMENT)[0].get_text().splitlines()
    assert deal[2] == "6 years, budget-linked capped at 5.5%, 0% in kind, 20% wages"


def test_a_change_of_a_share_alone_is_labelled():
    """Only the in-kind share moves in month 1, only the wage share in month 3: each is a
    new label; an unchanged package (month 2) is not."""
    sc = with_items(load_scenario(CONFIGS / "sma11.toml"))
    trace = pd.DataFrame({"us_offer": [1500.0, 1400.0, 1300.0, 1200.0, np.nan],
                          "us_offer_term": [6.0] * 4 + [np.nan],
                          "us_offer_escalator_pct": [3.0] * 4 + [np.nan],
                          "us_offer_in_kind_pct": [0.0, 10.0, 10.0, 10.0, np.nan],
                          "us_offer_wage_share_pct": [20.0, 20.0, 20.0, 40.0, np.nan]})
    assert package_changes(trace, "us", sc) == [
        (0, "cap 3%, 0% in kind, 20% wages"), (1, "cap 3%, 10% in kind, 20% wages"),
        (3, "cap 3%, 10% in kind, 40% wages")]
    only_wages = dataclasses.replace(sc, package=dataclasses.replace(
        sc.package, in_kind=SideItem("in_kind")))
    assert package_changes(trace, "us", only_wages) == [
        (0, "cap 3%, 20% wages"), (3, "cap 3%, 40% wages")]


# --- the dashboard -----------------------------------------------------------------------


def test_dashboard_package_rows_show_the_shares():
    pytest.importorskip("solara")
    from negotiation_sim.viz import dashboard

    sc = with_items(load_scenario(CONFIGS / "sma11.toml"))
    model = dashboard.DashboardModel(scenario=sc, rng=0)
    model.step()
    rows = dict(dashboard._package_rows(sc, model, model.outcome()))
    assert rows["packages on the table"] == (
        "US 6 years, cap 6%, 0% in kind, 0% wages / ROK 6 years, cap 0%, 40% in kind, 60% wages")
    out = model.run()
    rows = dict(dashboard._package_rows(sc, model, out))
    assert (out.in_kind_pct, out.wage_share_pct) == (0.0, 20.0)
    assert rows["agreed package"] == "6 years, budget-linked capped at 5.5%, 0% in kind, 20% wages"
    plain = dashboard.DashboardModel(config=str(CONFIGS / "sma11.toml"), rng=0)
    plain.step()
    assert dict(dashboard._package_rows(plain.settings, plain, plain.outcome()))[
        "packages on the table"] == "US 6 years, cap 6% / ROK 6 years, cap 0%"


# --- batches -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def items_batch():
    """60 replications of the 11th SMA with side items and a tit-for-tat ROK (agreed shares
    vary: in kind 0-30%, the wage share 0-40%)."""
    sc = with_items(load_scenario(CONFIGS / "sma11.toml", {"rok.tactic": "tit_for_tat"}))
    return sc, replicate(sc, 60)


def test_replications_report_the_agreed_shares(items_batch):
    sc, runs = items_batch
    agreed = runs[runs.agreed]
    dist = distribution(runs, expiry_month(sc), sc.package)
    for key in ("in_kind_pct", "wage_share_pct"):
        q = np.quantile(agreed[key].to_numpy(dtype=float), [0.1, 0.5, 0.9])
        assert [dist[key][k] for k in ("p10", "p50", "p90")] == q.tolist()
    assert [dist["in_kind_pct"][k] for k in ("p10", "p50", "p90")] == [0.0, 0.0, 20.0]
    lines = format_distribution(dist).splitlines()
    row = next(line for line in lines if line.startswith("in kind (% of amount)"))
    assert row.split()[-3:] == [f"{v:g}" for v in np.quantile(
        agreed.in_kind_pct.to_numpy(dtype=float), [0.1, 0.5, 0.9])]
    assert any(line.startswith("wage share (%)") for line in lines)
    plain = load_scenario(CONFIGS / "sma11.toml", {"rok.tactic": "tit_for_tat"})
    assert "in_kind_pct" not in distribution(runs, expiry_month(plain), plain.package)


def _planted(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with planted shares: every third run failed to agree and carries 99%
    (which must not count); the others cycle through 0-40% in kind and 0-60% wages."""
    i = np.arange(len(runs))
    agreed = i % 3 != 0
    return runs.assign(agreed=agreed,
                       in_kind_pct=np.where(agreed, (i % 5) * 10.0, 99.0),
                       wage_share_pct=np.where(agreed, (i % 4) * 20.0, 99.0))


def test_planted_shares_summarised_over_agreed_runs_only(items_batch):
    sc, runs = items_batch
    runs = _planted(runs)
    dist = distribution(runs, expiry_month(sc), sc.package)
    # agreed runs' shares in kind (40 of 60): 0, 10, 20, 30, 40 eight times each
    assert [dist["in_kind_pct"][k] for k in ("p10", "p50", "p90")] == [0.0, 20.0, 40.0]
    # wages: i % 4 over i % 3 != 0 -> 0 x 10, 20 x 10, 40 x 10, 60 x 10
    assert [dist["wage_share_pct"][k] for k in ("p10", "p50", "p90")] == [0.0, 30.0, 60.0]
    table = summarize(runs.assign(error=None), package=sc.package)
    assert [table[f"wage_share_pct_{k}"][0] for k in ("p10", "median", "p90")] == [
        0.0, 30.0, 60.0]
    assert table["in_kind_pct_median"][0] == 20.0


def test_summary_columns_of_the_shares(items_batch):
    sc, runs = items_batch
    runs = runs.assign(error=None)
    table = summarize(runs, package=sc.package)
    agreed = runs[runs.agreed]
    for key in ("in_kind_pct", "wage_share_pct"):
        q = np.quantile(agreed[key].to_numpy(dtype=float), [0.1, 0.5, 0.9])
        assert [table[f"{key}_{k}"][0] for k in ("p10", "median", "p90")] == q.tolist()
    assert list(table.columns[-7:]) == [
        "cap_binds_share", "in_kind_pct_p10", "in_kind_pct_median", "in_kind_pct_p90",
        "wage_share_pct_p10", "wage_share_pct_median", "wage_share_pct_p90"]
    header = format_summary(table).splitlines()[0]
    assert header.endswith("cap binds % in kind % p50 [p10, p90] wage share % p50 [p10, p90]")
    plain = summarize(runs, package=load_scenario(CONFIGS / "sma11.toml").package)
    assert "in_kind_pct_median" not in plain and plain.columns[-1] == "cap_binds_share"


def test_compare_adds_the_shares(items_batch):
    sc, runs = items_batch
    alt = replicate(dataclasses.replace(sc, package=dataclasses.replace(
        sc.package, in_kind=SideItem("in_kind", 0.0, 40.0, 10.0, 0.0, 0.0, -20.0))), 60)
    expiry = expiry_month(sc)
    diffs = paired_differences(runs, alt, expiry, expiry, spaces=(sc.package, sc.package))
    assert list(diffs)[-3:] == ["cap_binds", "in_kind_pct", "wage_share_pct"]
    base = float(np.median(runs.in_kind_pct[runs.agreed].to_numpy(dtype=float)))
    assert diffs["in_kind_pct"].baseline == base
    plain = load_scenario(CONFIGS / "sma11.toml").package
    assert "in_kind_pct" not in paired_differences(runs, alt, expiry, expiry,
                                                   spaces=(plain, sc.package))


def test_response_curves_get_a_row_for_the_shares(tmp_path, items_batch):
    import matplotlib.image as mpimg

    from negotiation_sim.experiments.summary import load
    from negotiation_sim.viz.batch import heatmap, response_curves

    sc, runs = items_batch
    runs = runs.assign(error=None, **{"us.opening": np.where(runs.index % 2, 3000.0, 5750.0),
                                      "rok.bottom_line": np.where(runs.index % 3, 1174.0,
                                                                  1224.0)})
    table, _ = load(runs, package=sc.package)
    # escalator, in kind, wage share: two rows of package panels (13 inches at 110 dpi)
    path = response_curves(table, "us.opening", tmp_path / "curves.png")
    assert mpimg.imread(path).shape[:2] == (1430, 1100)
    heatmap(table, "us.opening", "rok.bottom_line", tmp_path / "h.png", "wage_share_pct_median")
    assert math.isfinite(summarize(table)["wage_share_pct_median"][0])
