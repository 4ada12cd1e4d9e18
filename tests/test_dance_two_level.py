"""The two-level game on the negotiation dance: elections, the inauguration of a winning
challenger, ratification (initialled deal, wait, vote) and the opinion strip, found on
the figure by their gids and checked against the run's outcome and trace."""

from __future__ import annotations

import numpy as np
import pytest

from negotiation_sim.api import run
from negotiation_sim.viz import two_level
from negotiation_sim.viz.dance import (
    GID_ELECTION,
    GID_GAP,
    GID_INAUGURATION,
    GID_INITIALLED,
    GID_OPINION,
    GID_OPINION_PANEL,
    GID_RATIFICATION,
    GID_VOTE,
    dance_figure,
    parse_events,
)
from negotiation_sim.viz.style import save

from .conftest import CONFIGS

RACE = CONFIGS / "election_race.toml"


def _by_gid(fig, gid: str) -> list:
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def _xs(artists) -> list[float]:
    """The x data of each line (an axvline's two points share one x)."""
    return [float(x) for line in artists for x in sorted(set(line.get_xdata()))]


def _row(result, label: str | None) -> int:
    return list(result.trace["month"]).index(label)


def _texts(fig) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def _first_seed(predicate, overrides=None, seeds=range(200)) -> int:
    """The first seed of election_race whose outcome satisfies ``predicate``."""
    for seed in seeds:
        if predicate(run(RACE, seed=seed, trace=False, overrides=overrides).outcome):
            return seed
    raise AssertionError("no seed of election_race gives the wanted story")


@pytest.fixture(scope="module")
def race():
    """Seed 0: the challenger wins, the deal is initialled in the election month and
    ratified after the inauguration."""
    return run(RACE, seed=0)


def test_election_race_marks_the_election_the_inauguration_and_the_vote(race, tmp_path):
    sc, out = race.scenario, race.outcome
    assert out.ratified and out.us_leader_change_month is not None  # the story we draw
    fig = dance_figure(race.trace, sc, out, seed=0)
    election = next(e for e in sc.events if e.kind == "election")

    # one election line per price panel, in the result month (not the inauguration)
    elections = _by_gid(fig, GID_ELECTION)
    assert elections and set(_xs(elections)) == {election.month} == {7}
    inaugurations = _by_gid(fig, GID_INAUGURATION)
    took_office = _row(race, out.us_leader_change_month)
    assert set(_xs(inaugurations)) == {took_office} == {election.inauguration}
    texts = _texts(fig)
    assert "US election: hard-line challenger wins" in texts
    assert "US inauguration: hard-line challenger (won 2031-11)" in texts
    assert "new US leader" not in texts  # the inauguration is labelled as such

    # initialled, the bracket to the vote at the deal's amount, the check mark
    initialled, ratified = _row(race, out.initialled_month), _row(race, out.ratified_month)
    assert ratified - initialled == sc.ratification["rok"].delay_months
    (marker,) = _by_gid(fig, GID_INITIALLED)
    assert tuple(marker.get_xydata()[0]) == (initialled, pytest.approx(out.amount_krw_bn))
    (bracket,) = _by_gid(fig, GID_RATIFICATION)
    assert list(bracket.get_xdata()) == [initialled, ratified]
    assert np.allclose(bracket.get_ydata(), out.amount_krw_bn)
    assert bracket.get_linestyle() == "-"  # the vote happened
    (vote,) = _by_gid(fig, GID_VOTE)
    assert list(vote.get_xdata()) == [ratified] and "checkmark" in str(vote.get_marker())
    assert "ratified 2032-03\n(4 months after initialling)" in texts
    assert "ratified 2032-03" in fig.axes[0].get_title(loc="left")

    path = save(fig, tmp_path / "race.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_rejected_deal_gets_a_cross_and_the_next_one_a_check():
    seed = _first_seed(lambda o: o.rejections == 1 and o.ratified)
    result = run(RACE, seed=seed)
    sc, out = result.scenario, result.outcome
    rejected = [e.month for e in parse_events(result.trace) if e.kind == "rejected"]
    initialled = [e.month for e in parse_events(result.trace) if e.kind == "initialled"]
    assert len(rejected) == 1 and len(initialled) == 2
    fig = dance_figure(result.trace, sc, out, seed=seed)

    brackets = _by_gid(fig, GID_RATIFICATION)
    ratified = _row(result, out.ratified_month)
    assert [list(b.get_xdata()) for b in brackets] == [[initialled[0], rejected[0]],
                                                       [initialled[1], ratified]]
    votes = {float(v.get_xdata()[0]): v.get_marker() for v in _by_gid(fig, GID_VOTE)}
    assert votes[rejected[0]] == "X" and "checkmark" in str(votes[ratified])
    assert f"REJECTED {sc.month_label(rejected[0])} by the ROK legislature" in _texts(fig)
    assert "1 rejected deal" in fig.axes[0].get_title(loc="left")


def test_an_election_the_incumbent_keeps_has_no_inauguration():
    seed = _first_seed(lambda o: o.us_leader_change_month is None)
    result = run(RACE, seed=seed)
    fig = dance_figure(result.trace, result.scenario, result.outcome, seed=seed)
    assert set(_xs(_by_gid(fig, GID_ELECTION))) == {7}
    assert not _by_gid(fig, GID_INAUGURATION)
    assert "US election: incumbent stays" in _texts(fig)


def test_a_live_trace_shows_the_pending_vote_and_an_undecided_election(race):
    """Two months after the deal was initialled: the bracket runs, dashed, to the month
    the vote is due; the challenger has not taken office yet, so the result is open."""
    initialled = _row(race, race.outcome.initialled_month)
    partial = race.trace.iloc[:initialled + 2]
    sc = race.scenario
    fig = dance_figure(partial, sc, None, horizon_months=sc.n_months, detached=True)
    (bracket,) = _by_gid(fig, GID_RATIFICATION)
    due = initialled + sc.ratification["rok"].delay_months
    assert list(bracket.get_xdata()) == [initialled, due] and bracket.get_linestyle() == "--"
    assert not _by_gid(fig, GID_VOTE) and not _by_gid(fig, GID_INAUGURATION)
    texts = _texts(fig)
    assert f"vote due {sc.month_label(due)}" in texts
    assert "US election (challenger: hard-line challenger)" in texts


def test_sma11_marks_the_assembly_consent_and_the_opinion_strip():
    result = run(CONFIGS / "sma11.toml", seed=0)
    sc, out, trace = result.scenario, result.outcome, result.trace
    fig = dance_figure(trace, sc, out, seed=0)
    assert not _by_gid(fig, GID_ELECTION) and not _by_gid(fig, GID_INAUGURATION)
    assert "new US leader: Biden" in _texts(fig)  # a known succession, not an election

    initialled, ratified = _row(result, out.initialled_month), _row(result, out.ratified_month)
    assert (out.initialled_month, out.ratified_month) == ("2021-02", "2021-07")
    (bracket,) = _by_gid(fig, GID_RATIFICATION)
    assert list(bracket.get_xdata()) == [initialled, ratified]
    (vote,) = _by_gid(fig, GID_VOTE)
    assert list(vote.get_xdata()) == [ratified]

    # the strip: the trace's opposition month by month, on the main panel's x axis
    (panel,) = _by_gid(fig, GID_OPINION_PANEL)
    (line,) = _by_gid(fig, GID_OPINION)
    assert line.axes is panel and panel.get_ylim() == (0.0, 1.0)
    np.testing.assert_array_equal(line.get_ydata(), trace["opposition"].to_numpy(dtype=float))
    np.testing.assert_array_equal(line.get_xdata(), np.arange(len(trace)))
    main = fig.axes[1]
    assert panel in main.child_axes and panel.get_xlim() == main.get_xlim()
    assert panel.get_xlabel().startswith("month") and main.get_xlabel() == ""
    # it sits under the main panel, clear of it, inside the figure
    strip_box, main_box = panel.get_position(), main.get_position()
    assert 0.0 < strip_box.y0 < strip_box.y1 < main_box.y0
    assert not any(lab.get_visible() and lab.get_text() for lab in main.get_xticklabels())
    assert len(_by_gid(fig, GID_GAP)) == 2  # the gap stays on the price panels only


def test_no_strip_without_opinion_and_nothing_two_level_in_sma9():
    result = run(CONFIGS / "sma9.toml", seed=0)
    assert np.isnan(result.trace["opposition"]).all()
    fig = dance_figure(result.trace, result.scenario, result.outcome)
    for gid in (GID_OPINION_PANEL, GID_OPINION, GID_ELECTION, GID_RATIFICATION, GID_VOTE):
        assert not _by_gid(fig, gid)
    assert fig.axes[-1].get_xlabel().startswith("month")
    assert two_level.opposition(result.trace.drop(columns="opposition")) is None


def test_episodes_pair_each_initialled_deal_with_the_next_vote(race):
    """Read from the records alone: a vote in the month of initialling counts for it."""
    from negotiation_sim.events import Record, encode

    trace = race.trace.iloc[:6].copy()
    cells = ["", encode([Record("initialled", None, {"amount_krw_bn": 1600.0})]),
             encode([Record("rejected", "rok", {"amount_krw_bn": 1600.0}),
                     Record("initialled", None, {"amount_krw_bn": 1580.0})]),
             "", encode([Record("ratified", None, {"amount_krw_bn": 1580.0})]), ""]
    trace["events"] = cells
    eps = two_level.episodes(parse_events(trace), race.scenario)
    assert [(e.initialled, e.vote, e.passed, e.side, e.amount) for e in eps] == [
        (1, 2, False, "rok", 1600.0), (2, 4, True, None, 1580.0)]
    assert [e.due for e in eps] == [1 + 4, 2 + 4]
