"""The negotiation-dance figure and `negotiation-sim plot`, without a browser.

The figure is inspected as a matplotlib object (artist ids, texts, axis limits), and
the PNG is read back; `plot` is run from a scenario and from a `run --out` folder.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.events import Record, encode
from negotiation_sim.viz.dance import (
    GID_AGREEMENT,
    GID_EXPIRY,
    GID_GAP,
    GID_VETO,
    DanceEvent,
    dance_figure,
    parse_events,
)
from negotiation_sim.viz.style import save

from .conftest import CONFIGS


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def _by_gid(fig, gid: str) -> list:
    return [a for a in fig.findobj(lambda a: a.get_gid() == gid)]


def _x_extent(span) -> tuple[float, float]:
    """Data x range of an axvspan (a Rectangle or a Polygon, by matplotlib version)."""
    xs = span.get_patch_transform().transform(span.get_path().vertices)[:, 0]
    return float(xs.min()), float(xs.max())


@pytest.fixture(scope="module")
def sma11():
    return run(CONFIGS / "sma11.toml", seed=0)


def test_sma11_figure_shows_the_gap_the_veto_and_the_deal(sma11, tmp_path):
    sc, out = sma11.scenario, sma11.outcome
    fig = dance_figure(sma11.trace, sc, out, seed=0)
    main_ax = fig.axes[1]

    # the $5bn opening gets its own short panel; the endgame fills the tall one
    top, bottom = fig.axes[0].get_ylim(), main_ax.get_ylim()
    assert top[0] < 5750 < top[1] and bottom[1] <= top[0] + 1e-9
    assert bottom[0] < sc.amount_in_force and bottom[1] > 1495 and bottom[1] < 2000

    gaps = _by_gid(fig, GID_GAP)  # one span per panel, from expiry to the deal month
    assert len(gaps) == 2
    start, stop = _x_extent(gaps[-1])
    deal_month = list(sma11.trace["month"]).index(out.agreement_month)
    assert start == pytest.approx(sc.expiry + 0.5) and stop == pytest.approx(deal_month)

    expiry = _by_gid(fig, GID_EXPIRY)
    assert expiry and all(line.get_xdata()[0] == sc.expiry + 0.5 for line in expiry)

    vetoes = _by_gid(fig, GID_VETO)
    assert len(vetoes) == 1 == out.vetoes
    veto = vetoes[0]
    assert "VETO by US (Trump)" in veto.get_text() and "at 1,166 bn won" in veto.get_text()
    assert veto.xy[0] == list(sma11.trace["month"]).index("2020-09")

    deals = _by_gid(fig, GID_AGREEMENT)
    assert len(deals) == 1
    deal = deals[0]
    assert deal.xy == (deal_month, pytest.approx(out.amount_krw_bn))
    assert "DEAL 2021-02" in deal.get_text() and "1,187.0 bn won" in deal.get_text()
    assert "$1,032M" in deal.get_text().replace("\\$", "$")
    assert "+14.3%" in deal.get_text()
    # the deal is marked where it was initialled; the trace runs on to its ratification
    assert out.ratified_month == "2021-07" and len(sma11.trace) == deal_month + 6

    texts = " | ".join(t.get_text() for t in main_ax.texts)
    for label in ("US walks out", "ROK furlough (gap cost x2)", "new US leader: Biden",
                  "gap: no agreement in force (14 months)", "old agreement expires (2019-12)"):
        assert label in texts
    # labels the reader must point at do not sit on top of each other
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t) for t in (veto, deal)]
    assert not boxes[0].overlaps(boxes[1])

    usd = main_ax.child_axes[0]  # the secondary axis in US$ million at 1,150 won/$
    assert "US\\$ million (at 1,150 won/\\$)" in usd.get_ylabel()
    assert np.allclose(usd.get_ylim(), np.array(main_ax.get_ylim()) * 1000 / 1150)

    path = save(fig, tmp_path / "sma11.png")
    width, height = _png_size(path)
    assert (width, height) == (1100, 704) and 60_000 < path.stat().st_size < 200_000


def test_a_calm_run_gets_one_axis_and_no_veto(tmp_path):
    result = run(CONFIGS / "teaching.toml", seed=0)
    fig = dance_figure(result.trace, result.scenario, result.outcome)
    assert len(fig.axes) == 1  # no broken axis: the openings are close to the endgame
    assert not _by_gid(fig, GID_VETO) and len(_by_gid(fig, GID_AGREEMENT)) == 1
    low, high = fig.axes[0].get_ylim()
    assert low < 900 and 1200 < high < 1400


def test_a_censored_run_has_no_deal_and_says_so():
    result = run(CONFIGS / "sma11.toml", seed=3, overrides={
        "events.4.bottom_line": 1450, "events.4.demand": 1600, "rok.gap_sensitivity": 0.0})
    assert not result.outcome.agreed
    fig = dance_figure(result.trace, result.scenario, result.outcome)
    assert not _by_gid(fig, GID_AGREEMENT)
    assert _x_extent(_by_gid(fig, GID_GAP)[-1])[1] == pytest.approx(len(result.trace) - 0.5)
    assert "censored" in fig.axes[0].get_title(loc="left")


def test_an_empty_trace_draws_a_waiting_frame():
    result = run(CONFIGS / "sma11.toml", seed=0)
    fig = dance_figure(result.trace.iloc[:0], result.scenario, None, horizon_months=40,
                       detached=True)
    assert "press Step" in " ".join(t.get_text() for t in fig.axes[0].texts)
    assert fig.axes[0].get_xlim()[1] == pytest.approx(39.5)


def test_parse_events_reads_every_kind():
    walkout, furlough = Record("walkout", "us"), Record("furlough", "rok", {"gap_cost_factor": 2.0})
    tentative = Record("tentative_deal", None, {"amount_krw_bn": 1200.0})
    veto = Record("veto", "us")
    leader = Record("leader_change", "us", {"label": "Biden"})
    shock = Record("shock", "us", {"target": "us.gap_sensitivity"})
    agreement = Record("agreement", None, {"amount_krw_bn": 1187.8})
    election = Record("election", "us", {"challenger": "hard-line challenger"})
    initialled = Record("initialled", None, {"amount_krw_bn": 1187.8})
    rejected = Record("rejected", "rok", {"amount_krw_bn": 1187.8})
    ratified = Record("ratified", None, {"amount_krw_bn": 1190.0})
    trace = pd.DataFrame({"events": ["", encode([walkout]), encode([furlough, tentative, veto]),
                                     encode([leader, shock]), encode([agreement]), None,
                                     encode([election, initialled]), encode([rejected]),
                                     encode([ratified])]})
    assert parse_events(trace) == [
        DanceEvent(1, walkout), DanceEvent(2, furlough), DanceEvent(2, tentative),
        DanceEvent(2, veto), DanceEvent(3, leader), DanceEvent(3, shock), DanceEvent(4, agreement),
        DanceEvent(6, election), DanceEvent(6, initialled), DanceEvent(7, rejected),
        DanceEvent(8, ratified),
    ]
    assert [(e.kind, e.side) for e in parse_events(trace)][:2] == [("walkout", "us"),
                                                                   ("furlough", "rok")]


def test_the_trace_records_what_happened_in_the_sma11_run(sma11):
    """The model's own records, read back: the story of the 11th SMA at seed 0, from the
    walk-out to the National Assembly's consent."""
    records = parse_events(sma11.trace)
    kinds = {(e.kind, e.side) for e in records}
    assert {("walkout", "us"), ("furlough", "rok"), ("tentative_deal", None), ("veto", "us"),
            ("leader_change", "us"), ("initialled", None), ("ratified", None),
            ("agreement", None)} <= kinds
    out, month = sma11.outcome, sma11.trace["month"]
    by_kind = {kind: [e for e in records if e.kind == kind]
               for kind in ("initialled", "ratified", "agreement")}
    assert [len(found) for found in by_kind.values()] == [1, 1, 1]
    initialled, ratified, agreement = (found[0] for found in by_kind.values())
    for e in (initialled, ratified, agreement):
        assert e.record.fields["amount_krw_bn"] == pytest.approx(out.amount_krw_bn)
    assert month.iloc[initialled.month] == out.initialled_month == out.agreement_month
    assert month.iloc[ratified.month] == month.iloc[agreement.month] == out.ratified_month
    assert agreement.month == len(sma11.trace) - 1  # the run ends when the deal is in force


@pytest.mark.parametrize("config, seed, overrides, kind", [
    ("election_race.toml", 0, {}, "election"),
    ("sma11.toml", 67, {"us.principal.veto_probability": 0.0}, "rejected"),
])
def test_the_dance_draws_runs_with_elections_and_rejections(config, seed, overrides, kind):
    result = run(CONFIGS / config, seed=seed, overrides=overrides)
    assert kind in {e.kind for e in parse_events(result.trace)}
    out = result.outcome
    fig = dance_figure(result.trace, result.scenario, out, seed=seed)
    deals = _by_gid(fig, GID_AGREEMENT)
    assert out.agreed and len(deals) == 1
    deal_month = list(result.trace["month"]).index(out.agreement_month)
    assert deals[0].xy == (deal_month, pytest.approx(out.amount_krw_bn))
    assert f"DEAL {out.agreement_month}" in deals[0].get_text()


def test_plot_from_a_run_folder_draws_the_recorded_run(tmp_path, capsys):
    folder = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma11.toml"), "--seed", "2", "--out", str(folder),
                 "--set", "us.opening=4600"]) == 0
    capsys.readouterr()
    assert main(["plot", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {folder / 'dance.png'}"
    width, _ = _png_size(folder / "dance.png")
    assert width == 1100 and (folder / "dance.png").stat().st_size > 50_000

    from negotiation_sim.storage import read_run

    record = read_run(folder)
    again = run(record.scenario, seed=record.seed)  # the folder's settings and seed reproduce it
    assert record.seed == 2 and record.scenario.us.opening == 4600
    pd.testing.assert_frame_equal(record.trace, again.trace, check_dtype=False)
    assert record.outcome == again.outcome.to_dict()


def test_plot_from_a_config_writes_the_named_file(tmp_path, capsys):
    out = tmp_path / "figs" / "sma11.png"
    assert main(["plot", str(CONFIGS / "sma11.toml"), "--seed", "0", "--out", str(out)]) == 0
    assert out.exists() and _png_size(out) == (1100, 704)
    assert not list(out.parent.glob(".*.tmp"))  # atomic write left no temporary file


@pytest.mark.parametrize("args, needle", [
    (["plot", "nowhere.toml"], "nowhere.toml: no such file or folder"),
    (["plot", "{cfg}", "--out", "{tmp}/x.jpg"], "--out"),
    (["plot", "{cfg}", "--seed", "-1"], "--seed -1"),
    (["plot", "{cfg}", "--set", "us.opening=-5"], "us.opening"),
    (["plot", "{tmp}"], "missing trace.parquet, manifest.json, outcome.json"),
])
def test_plot_bad_input_is_one_line_and_exit_2(args, needle, tmp_path, capsys):
    argv = [a.format(cfg=CONFIGS / "sma11.toml", tmp=tmp_path) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert "Traceback" not in err and not list(tmp_path.rglob("*.png"))


def test_plot_refuses_seed_for_a_run_folder_and_a_corrupt_trace(tmp_path, capsys):
    folder = tmp_path / "run"
    assert main(["run", str(CONFIGS / "sma9.toml"), "--out", str(folder)]) == 0
    assert main(["plot", str(folder), "--seed", "3"]) == 2
    (folder / "trace.parquet").write_bytes(b"not parquet")
    assert main(["plot", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error: --seed") and "trace.parquet: cannot read" in err[1]
    assert not (folder / "dance.png").exists()


def test_dance_handles_nan_only_offers_month():
    result = run(CONFIGS / "sma11.toml", seed=0)
    partial = result.trace.iloc[:3].copy()  # third month is a walk-out: no offers
    assert np.isnan(partial["us_offer"].iloc[2])
    fig = dance_figure(partial, result.scenario, None, horizon_months=40, detached=True)
    assert "US walks out" in " ".join(t.get_text() for t in fig.axes[-1].texts)


def test_readme_embeds_the_sma11_figure():
    from .conftest import ROOT

    assert "](docs/sma11.png)" in (ROOT / "README.md").read_text()
    png = ROOT / "docs" / "sma11.png"
    assert _png_size(png)[0] >= 800 and png.stat().st_size < 200_000
