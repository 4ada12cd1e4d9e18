"""The two-level game on the negotiation dance: elections, inaugurations, ratification
and the ROK public's opposition.

Read from a run's trace (the ``events`` records and the ``opposition`` column) and its
scenario (an election's inauguration month, a legislature's delay), and drawn on the
dance's axes by ``dance.dance_figure``:

- an election: a dash-dot line in the result month; its label says whether the
  challenger won (a ``leader_change`` of that side naming the challenger follows), the
  incumbent stays (the inauguration month passed without one) or it is not known yet;
- the inauguration of a winning challenger: a solid line in the month it takes office;
- ratification: the initialled deal (a hollow circle), a bracket at its amount from
  the initialled month to the vote (dashed to the month the vote is due while it is
  pending), and the vote: a check mark (ratified) or a cross (rejected); a rejected or
  pending deal's note names its term and escalator when the package is negotiated;
- public opinion: a strip under the main panel with the share of the ROK public opposed
  (0-1) month by month, when the trace has it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import events as events_lib
from ..events import Election, LeaderChange
from ..formatting import package_text
from ..scenario import Scenario
from .style import ACCENT, ELECTION_COLOR, NEUTRAL, ROK_COLOR, VETO_COLOR

if TYPE_CHECKING:
    from .dance import DanceEvent

SIDE_NAME = {"us": "US", "rok": "ROK"}
# Artist ids (``Artist.get_gid()``) of the two-level parts of the dance figure.
GID_ELECTION = "election"  # line in an election's result month (one per price panel)
GID_INAUGURATION = "inauguration"  # line in the month a winning challenger takes office
GID_INITIALLED = "initialled"  # marker of a deal both leaders approved
GID_RATIFICATION = "ratification"  # bracket from the initialled month to the vote
GID_VOTE = "vote"  # the vote's mark: check (ratified) or cross (rejected)
GID_OPINION = "opinion"  # the opposition line in the opinion strip
GID_OPINION_PANEL = "opinion_panel"  # the strip's axes
# The strip's place under the main panel, in the main panel's axes fraction.
STRIP_BOUNDS = (0.0, -0.26, 1.0, 0.2)


@dataclass(frozen=True)
class ElectionMark:
    """A scheduled election as the trace tells it."""

    side: str
    month: int  # result month (trace row)
    challenger: str
    won: bool | None  # None: the trace ends before the inauguration month
    inauguration: int | None  # month the challenger took office (or is due to)


@dataclass(frozen=True)
class Episode:
    """One initialled deal and what became of it."""

    initialled: int  # trace row
    amount: float
    vote: int | None  # trace row of the vote (None: still pending)
    passed: bool | None  # None: pending
    side: str | None  # whose legislature rejected it (rejections name it)
    due: int  # month the vote is due (initialled + the legislature's delay)
    package: str = ""  # term and escalator in words, when the package is negotiated


def elections(events: list[DanceEvent], scenario: Scenario, n: int) -> list[ElectionMark]:
    """Each election record with its result: the challenger won when a leader change of
    that side naming the challenger follows; the incumbent stays when the trace passed
    the inauguration month without one."""
    scheduled = {(e.side, e.month): e for e in scenario.events if isinstance(e, Election)}
    out = []
    for ev in events:
        if ev.kind != Election.kind:
            continue
        challenger = str(ev.record.fields.get("challenger", "challenger"))
        took = next((c.month for c in events if c.kind == LeaderChange.kind
                     and c.side == ev.side and c.month >= ev.month
                     and c.record.fields.get("label") == challenger), None)
        sched = scheduled.get((ev.side or "", ev.month))
        due = sched.inauguration if sched is not None else None
        if took is not None:
            won: bool | None = True
        elif due is not None and n - 1 >= due:
            won = False
        else:
            won = None
        out.append(ElectionMark(ev.side or "", ev.month, challenger, won,
                                took if took is not None else due))
    return out


def calendar_labels(events: list[DanceEvent], marks: list[ElectionMark],
                    scenario: Scenario) -> dict[int, str]:
    """Labels, by position in ``events``, for election records and for the leader changes
    that are a winning challenger's inauguration (the dance labels the rest)."""
    labels: dict[int, str] = {}
    by_month = {(m.side, m.month): m for m in marks}
    inaugurated = {(m.side, m.inauguration, m.challenger): m for m in marks if m.won}
    for i, ev in enumerate(events):
        who = SIDE_NAME.get(ev.side or "", "")
        if ev.kind == Election.kind and (ev.side, ev.month) in by_month:
            m = by_month[(ev.side, ev.month)]
            labels[i] = (f"{who} election: {m.challenger} wins" if m.won
                         else f"{who} election: incumbent stays" if m.won is False
                         else f"{who} election (challenger: {m.challenger})")
        elif ev.kind == LeaderChange.kind:
            m = inaugurated.get((ev.side, ev.month, ev.record.fields.get("label")))
            if m is not None:
                labels[i] = (f"{who} inauguration: {m.challenger} "
                             f"(won {scenario.month_label(m.month)})")
    return labels


def draw_calendar(axes: list[Any], marks: list[ElectionMark]) -> dict[str, Any]:
    """Election lines (result month) and inauguration lines on every price panel;
    returns legend handles."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for m in marks:
            handles["election"] = ax.axvline(
                m.month, color=ELECTION_COLOR, lw=1.3, ls="-.", zorder=2, gid=GID_ELECTION,
                label="election (result month)")
            if m.won and m.inauguration is not None:
                handles["inauguration"] = ax.axvline(
                    m.inauguration, color=ELECTION_COLOR, lw=1.6, zorder=2,
                    gid=GID_INAUGURATION, label="challenger takes office")
    return handles


def deal_package(record: events_lib.Record, scenario: Scenario) -> str:
    """A deal record's term, escalator and negotiated side items in words ('6 years,
    budget-linked capped at 6%', '..., 20% in kind, 40% wages'), '' when the scenario
    does not negotiate them (the record has no term)."""
    fields = record.fields
    if "term_years" not in fields:
        return ""
    items = [(item.name, fields[f"{item.name}_pct"]) for item in scenario.package.items
             if item.negotiated and f"{item.name}_pct" in fields]
    return package_text(scenario.package.escalator, fields["term_years"],
                        fields.get("escalator_pct"), long=True, items=items)


def episodes(events: list[DanceEvent], scenario: Scenario) -> list[Episode]:
    """Pair each initialled deal with the next vote (ratified or rejected) after it."""
    delay = max((r.delay_months for r in scenario.ratification.values()), default=0)
    votes = [ev for ev in events
             if ev.kind in (events_lib.RATIFIED, events_lib.REJECTED)]
    out, used = [], 0
    for ev in events:
        if ev.kind != events_lib.INITIALLED:
            continue
        amount = float(ev.record.fields.get("amount_krw_bn", math.nan))
        package = deal_package(ev.record, scenario)
        vote = next((v for v in votes[used:] if v.month >= ev.month), None)
        if vote is None:
            out.append(Episode(ev.month, amount, None, None, None, ev.month + delay, package))
            continue
        used = votes.index(vote) + 1
        out.append(Episode(ev.month, amount, vote.month, vote.kind == events_lib.RATIFIED,
                           vote.side, ev.month + delay, package))
    return out


def draw_ratification(ax: Any, eps: list[Episode], scenario: Scenario
                      ) -> tuple[dict[str, Any], list[Any]]:
    """The initialled deals, the wait for the vote and the vote on ``ax``; returns legend
    handles and the vote notes (annotations for the dance to place)."""
    handles: dict[str, Any] = {}
    notes = []
    for ep in eps:
        if not math.isfinite(ep.amount):
            continue
        end = ep.vote if ep.vote is not None else ep.due
        handles["ratification"], = ax.plot(
            [ep.initialled, end], [ep.amount, ep.amount], color=ACCENT, lw=2.2,
            ls="-" if ep.vote is not None else "--", marker="|", ms=12, mew=2.2, zorder=9,
            gid=GID_RATIFICATION, label="deal initialled (o), awaiting the vote")
        handles["initialled"], = ax.plot(
            [ep.initialled], [ep.amount], "o", ms=8, mfc="white", mec=ACCENT, mew=2,
            zorder=9.5, gid=GID_INITIALLED, label="deal initialled by both leaders")
        if ep.vote is None:
            text, color = f"vote due {scenario.month_label(ep.due)}", ACCENT
        elif ep.passed:
            handles["ratified"], = ax.plot(
                [ep.vote], [ep.amount], marker=r"$\checkmark$", ls="none", ms=13,
                color=ACCENT, zorder=10, gid=GID_VOTE, label="ratified")
            text, color = (f"ratified {scenario.month_label(ep.vote)}\n"
                           f"({ep.vote - ep.initialled} months after initialling)"), ACCENT
        else:
            handles["rejected"], = ax.plot(
                [ep.vote], [ep.amount], "X", ms=12, color=VETO_COLOR, mec="white", mew=0.8,
                zorder=10, gid=GID_VOTE, label="rejected in the vote")
            who = SIDE_NAME.get(ep.side or "", "")
            text, color = (f"REJECTED {scenario.month_label(ep.vote)}"
                           f"{f' by the {who} legislature' if who else ''}"), VETO_COLOR
        if ep.package and not ep.passed:  # the ratified deal's package is on the DEAL note
            text += f"\n{ep.amount:,.1f} bn won, {ep.package}"
        notes.append(ax.annotate(
            text, xy=(end, ep.amount), xytext=(14, 22), textcoords="offset points",
            ha="left", va="bottom", fontsize=8, color=color, fontweight="bold", zorder=11,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=color, lw=0.7),
            arrowprops=dict(arrowstyle="-", color=color, lw=0.9)))
    return handles, notes


def opposition(trace: pd.DataFrame) -> np.ndarray | None:
    """The trace's ``opposition`` column, or None when it has no value (no [opinion])."""
    if "opposition" not in trace:
        return None
    values = trace["opposition"].to_numpy(dtype=float)
    return values if np.isfinite(values).any() else None


def opinion_strip(main: Any, values: np.ndarray, marks: list[ElectionMark],
                  expiry: float) -> Any:
    """A strip under ``main`` (sharing its x axis) with the share of the ROK public
    opposed, 0-1; the expiry and the election lines carry on through it."""
    strip = main.inset_axes(STRIP_BOUNDS, sharex=main)
    strip.set_gid(GID_OPINION_PANEL)
    x = np.arange(len(values))
    strip.fill_between(x, values, 0.0, color=ROK_COLOR, alpha=0.12, lw=0)
    strip.plot(x, values, "-", color=ROK_COLOR, lw=1.6, gid=GID_OPINION,
               label="ROK public opposed")
    strip.axvline(expiry, color=NEUTRAL, lw=1.0, zorder=2)
    for m in marks:
        strip.axvline(m.month, color=ELECTION_COLOR, lw=1.0, ls="-.", zorder=2)
        if m.won and m.inauguration is not None:
            strip.axvline(m.inauguration, color=ELECTION_COLOR, lw=1.2, zorder=2)
    strip.set_ylim(0.0, 1.0)
    strip.set_yticks([0.0, 0.5, 1.0], ["0", "50%", "100%"])
    strip.set_ylabel("ROK public\nopposed", fontsize=8)
    strip.tick_params(axis="y", labelsize=7.5)
    main.tick_params(axis="x", which="both", labelbottom=False)
    return strip
