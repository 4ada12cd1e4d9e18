"""The Mesa model: hand-computed cases, gap accounting, events, reproducibility."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
import pytest

import negotiation_sim as ns
from negotiation_sim import SMAModel, rules
from negotiation_sim.events import Record, decode


def test_teaching_agrees_where_computed_on_paper(configs):
    # US offer(t) = 1200 + (t/10)(1000 - 1200) = 1200 - 20 t   (linear, deadline 10)
    # ROK offer(t) = 900 + (t/10)(1100 - 900)  =  900 + 20 t
    # Simultaneous offers cross when 1200 - 20 t <= 900 + 20 t, i.e. t >= 7.5, so at
    # the round of t = 8 (2024-01 + 8 = 2024-09): US 1040, ROK 1060, split -> 1050.
    # The old agreement expired 2024-07, so 2024-08 and 2024-09 are gap months: 2.
    out = ns.run(configs / "teaching.toml", seed=0).outcome
    assert out.agreed and out.agreement_month == "2024-09"
    assert out.amount_krw_bn == pytest.approx(1050.0)
    assert out.increase_pct == pytest.approx(5.0)
    assert out.gap_months == 2 and out.rounds_held == 9 and out.vetoes == 0


def test_teaching_alternating_settles_at_proposal(configs):
    # Alternating, US first: the US proposes in rounds t = 0, 2, 4, 6, 8. At t = 8 it
    # proposes 1040 and the ROK, whose own offer is 1060, accepts (AC_next).
    sc = ns.load_scenario(configs / "teaching.toml", {"rounds.protocol": "alternating"})
    out = ns.run(sc).outcome
    assert (out.agreement_month, out.amount_krw_bn) == ("2024-09", pytest.approx(1040.0))


@pytest.mark.parametrize("m", [0, 1, 3, 7])
def test_deal_m_months_after_expiry_reports_gap_m(configs, m):
    # Move expiry so that the teaching deal (2024-09, index 8) lands m months after it.
    expiry = f"2024-{9 - m:02d}"
    out = ns.run(configs / "teaching.toml", overrides={"agreement_in_force.expires": expiry}
                 ).outcome
    assert out.gap_months == m and not out.censored


def test_no_deal_reports_censored_gap_to_horizon(configs):
    # Bottom lines that never meet: US >= 1200 and ROK <= 1100: no deal by 2025-12.
    sc = ns.load_scenario(configs / "teaching.toml", {"us.bottom_line": 1150.0,
                                                      "rok.bottom_line": 1000.0})
    out = ns.run(sc).outcome
    assert not out.agreed and out.censored and math.isnan(out.amount_krw_bn)
    assert out.gap_months == (2025 * 12 + 11) - (2024 * 12 + 6)  # 2024-07 .. 2025-12: 17


def test_gap_pressure_moves_bottom_lines_toward_a_deal(configs):
    # Same impasse, but each gap month moves each bottom line 10 bn won: the US floor
    # falls from 1150 and the ROK ceiling rises from 1000 until they meet.
    sc = ns.load_scenario(configs / "teaching.toml", {
        "us.bottom_line": 1150.0, "rok.bottom_line": 1000.0,
        "us.gap_cost": 1.0, "us.gap_sensitivity": 10.0,
        "rok.gap_cost": 1.0, "rok.gap_sensitivity": 10.0})
    res = ns.run(sc)
    assert res.outcome.agreed and res.outcome.gap_months > 0
    gap = res.trace[res.trace.in_gap]
    assert (gap.us_bottom_line.diff().dropna() <= 0).all()
    assert (gap.rok_bottom_line.diff().dropna() >= 0).all()


def test_us_veto_delays_the_deal_and_resets_the_us_demand(sma11_one_level):
    # sma11 without the two-level game: no Assembly vote, no public narrowing the ROK.
    base = ns.run(sma11_one_level, seed=3,
                  overrides={"us.principal.veto_probability": 0.0}).outcome
    vetoed = ns.run(sma11_one_level, seed=3).outcome
    assert base.vetoes == 0 and vetoed.vetoes >= 1
    assert vetoed.gap_months > base.gap_months
    trace = ns.run(sma11_one_level, seed=3).trace
    after = trace.index[trace.events.map(lambda c: Record("veto", "us") in decode(c))][0] + 1
    assert trace.us_offer.iloc[after:after + 3].dropna().eq(1495.0).all()


def test_leader_change_ends_the_impasse(configs):
    # Without the 2021-01 change of US leader, the vetoing president's threshold holds
    # and the run is censored or much later.
    with_change = ns.run(configs / "sma11.toml", seed=3).outcome
    raw = ns.load_scenario(configs / "sma11.toml").resolved
    events = [e for e in raw["events"] if e["type"] != "leader_change"]
    sc = ns.scenario.from_dict({**raw, "events": events})
    without = ns.run(sc, seed=3).outcome
    assert with_change.agreement_month == "2021-02"
    assert (not without.agreed) or without.gap_months > with_change.gap_months


def test_furlough_raises_rok_gap_cost_and_the_deal_amount(sma11_one_level):
    # Without the public's win-set, which caps the ROK ceiling the furlough would raise.
    raw = sma11_one_level.resolved
    calm = ns.scenario.from_dict(
        {**raw, "events": [e for e in raw["events"] if e["type"] != "furlough"]})
    with_f = ns.run(sma11_one_level, seed=3)
    without = ns.run(calm, seed=3)
    # Same path until the furlough starts (2020-04), then the ROK ceiling rises faster.
    assert with_f.trace.rok_bottom_line.iloc[-1] > without.trace.rok_bottom_line.iloc[-1]
    assert with_f.outcome.amount_krw_bn > without.outcome.amount_krw_bn
    cell = with_f.trace.events.loc[with_f.trace.month == "2020-04"].iloc[0]
    assert [(r.kind, r.side) for r in decode(cell)][0] == ("furlough", "rok")


def test_scheduled_walkout_loses_the_round(configs):
    trace = ns.run(configs / "sma11.toml", seed=3).trace
    row = trace[trace.month == "2019-11"].iloc[0]
    assert decode(row.events) == [Record("walkout", "us")] and math.isnan(row.us_offer)


def test_same_seed_same_table_different_seed_differs(configs):
    a = ns.run(configs / "sma11.toml", seed=5).trace
    b = ns.run(configs / "sma11.toml", seed=5).trace
    pd.testing.assert_frame_equal(a, b)
    outcomes = {ns.run(configs / "sma11.toml", seed=s).outcome for s in range(30)}
    assert len(outcomes) > 1  # random walk-outs, vetoes and shocks are on


def test_deterministic_scenario_ignores_the_seed(configs):
    a = ns.run(configs / "teaching.toml", seed=1).trace
    b = ns.run(configs / "teaching.toml", seed=2).trace
    pd.testing.assert_frame_equal(a, b)


def test_offers_are_monotone_between_anchors(sma11_one_level):
    # Without public opinion: a rising opposition may pull the ROK ceiling, and its offer,
    # back down (test_the_public_pulls_the_rok_offer_back_within_the_win_set).
    trace = ns.run(sma11_one_level, seed=0).trace
    # US demands only fall and ROK offers only rise until the veto re-anchors the US side.
    first_veto = trace.index[trace.events.map(lambda c: any(r.kind == "veto"
                                                           for r in decode(c)))][0]
    before = trace.loc[:first_veto].dropna(subset=["us_offer"])
    assert (before.us_offer.diff().dropna() <= 1e-9).all()
    assert (trace.rok_offer.dropna().diff().dropna() >= -1e-9).all()


def test_the_public_pulls_the_rok_offer_back_within_the_win_set(configs):
    """sma11 at seed 0: the $5bn demand and the walk-out raise the ROK public's opposition;
    the ROK ceiling falls to the win-set (never below its own opening demand) and its offer
    comes back down; as opposition eases the win-set is what lets the ceiling rise."""
    result = ns.run(configs / "sma11.toml", seed=0)
    trace, sc = result.trace, result.scenario
    start = rules.opinion(sc.opinion.weights, [c.initial for c in sc.opinion.cohorts])
    before = np.r_[start, trace.opposition.to_numpy()[:-1]]  # as the month starts
    limit = np.maximum(rules.win_set_ceiling(sc.amount_in_force, sc.opinion.max_increase_pct,
                                             before), sc.rok.opening)
    assert (trace.rok_bottom_line.to_numpy() <= limit + 1e-9).all()
    assert trace.rok_bottom_line.iloc[0] == sc.rok.bottom_line == 1174.0  # start: not binding
    month = list(trace.month)
    assert trace.rok_offer.iloc[month.index("2019-10")] == pytest.approx(1154.592492)
    assert trace.rok_offer.iloc[month.index("2019-12")] == sc.rok.opening == 1142.8
    easing = slice(month.index("2020-10"), month.index("2021-02") + 1)
    assert trace.rok_bottom_line.iloc[easing].to_numpy() == pytest.approx(limit[easing])
    assert trace.rok_bottom_line.iloc[easing].is_monotonic_increasing


def test_sma11_shape_over_200_seeds(configs):
    sc = ns.load_scenario(configs / "sma11.toml")
    df = pd.DataFrame([ns.run(sc, seed=s, trace=False).outcome.to_dict() for s in range(200)])
    assert (df.gap_months > 0).mean() > 0.5
    assert 6 <= df.gap_months.median() <= 24
    assert 8 <= df.increase_pct.median() <= 20
    assert df.increase_pct.median() > 13.0  # above the ROK's stated +13% line
    assert df.amount_krw_bn.dropna().max() < 5750 / 2  # far below the US opening


def test_mesa_batch_run_drives_the_model(configs, monkeypatch):
    # batch_run forces the "spawn" start method globally and its tqdm starts a monitor
    # thread: undo both so later tests (process pools) see a clean interpreter.
    import multiprocessing

    import tqdm

    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)
    start_method = multiprocessing.get_start_method(allow_none=True)
    params = {"scenario": str(configs / "teaching.toml"), "us_opening": [1200.0, 1300.0],
              "collect": True}
    seeds = [0, 1]
    kwargs = {"rng": seeds} if "rng" in mesa.batch_run.__code__.co_varnames else {}
    if not kwargs:
        params["rng"] = seeds
    rows = mesa.batch_run(SMAModel, params, number_processes=1, display_progress=False,
                          max_steps=100, **kwargs)
    multiprocessing.set_start_method(start_method, force=True)
    df = pd.DataFrame(rows)
    assert len(df) == 4
    last = df.groupby("us_opening").agreed.all()
    assert last.all()
    # A higher US opening, same linear tactic: a later deal.
    months = df.groupby("us_opening").month.first()
    assert months[1300.0] >= months[1200.0]


def test_model_accepts_flat_keywords_and_names_its_collector(configs):
    model = SMAModel(configs / "teaching.toml", rng=0, us_tactic_deadline_months=20)
    model.run()
    # A slower US conceder (20 months to its bottom line, not 10): US 1200 - 10 t against
    # ROK 900 + 20 t crosses at t = 10 (US 1100, ROK 1100), not t = 8 (1050).
    out = model.outcome()
    assert (out.agreement_month, out.amount_krw_bn) == ("2024-11", pytest.approx(1100.0))
    # ``datacollector`` (the name mesa.batch_run reads) holds one row per month stepped.
    table = model.datacollector.get_model_vars_dataframe()
    assert table["month"].tolist() == [f"2024-{m:02d}" for m in range(1, 12)]
    assert table["us_offer"].iloc[:3].tolist() == pytest.approx([1200.0, 1190.0, 1180.0])


def test_model_rng_is_the_run_seed(configs):
    # rng=7 draws what ns.run(seed=7) draws: the same random walk-outs, vetoes and shocks.
    model = SMAModel(configs / "sma11.toml", rng=7)
    assert model.run() == ns.run(configs / "sma11.toml", seed=7).outcome
    outcomes = {SMAModel(configs / "sma11.toml", rng=s).run() for s in range(7, 37)}
    assert len(outcomes) > 1
    with pytest.raises(ValueError, match=r"rng must be a non-negative integer seed, got -1"):
        SMAModel(configs / "teaching.toml", rng=-1)
