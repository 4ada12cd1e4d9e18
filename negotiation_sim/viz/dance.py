"""The negotiation dance: both sides' offers month by month, and the story around them.

One figure per run, drawn from the run's trace (``outcome.TRACE_FIELDS``): offers
(solid, a marker per round), bottom lines moving with gap costs (dashed), the expiry
of the agreement in force (vertical line), the gap period (shaded), rounds and
walk-outs (a rug along the bottom), events (leader changes, furloughs, shocks), the
vetoed tentative deals and the agreement with its amount; bn won on the left axis and
US dollars on the right. The two-level game (``two_level``): elections and a winning
challenger's inauguration, initialled deals awaiting ratification and the vote, and a
strip under the main panel with the ROK public's opposition when the trace has it.

A high opening (the US asked for ~5,750 bn won in 2019, five times the endgame) would
squash the endgame into a sliver, so when the outliers would take more than the
endgame's own height the y axis is broken: a short upper panel for the openings and a
tall lower panel where the gap, the veto and the deal are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import events as events_lib
from ..events import Furlough, LeaderChange, Record, Shock, Walkout
from ..formatting import negotiated_items, package_text
from ..outcome import Outcome
from ..scenario import Scenario
from . import two_level
from .style import (
    ACCENT,
    GAP_COLOR,
    NEUTRAL,
    SIDE_COLORS,
    VETO_COLOR,
    new_figure,
    usd_axis,
)

SIDE_NAME = {"us": "US", "rok": "ROK"}
# Break the y axis when the offers above the endgame band span more than this many
# times the band's own height.
BREAK_RATIO = 1.0
# Walk-outs get a text label only when this few; the rug along the bottom marks them all.
MAX_WALKOUT_LABELS = 3
# Artist ids (``Artist.get_gid()``) so tests and callers can find the story's parts.
GID_GAP, GID_EXPIRY, GID_VETO, GID_AGREEMENT = "gap", "expiry", "veto", "agreement"
GID_GUIDE = "guide"  # reference lines labels may cover
GID_PACKAGE = "package"  # an offer's term/escalator label where the side's package changes
GID_ELECTION, GID_INAUGURATION = two_level.GID_ELECTION, two_level.GID_INAUGURATION
GID_INITIALLED, GID_RATIFICATION = two_level.GID_INITIALLED, two_level.GID_RATIFICATION
GID_VOTE, GID_OPINION = two_level.GID_VOTE, two_level.GID_OPINION
GID_OPINION_PANEL = two_level.GID_OPINION_PANEL


@dataclass(frozen=True)
class DanceEvent:
    """One thing that happened in a month: an ``events.Record`` and its trace row."""

    month: int  # row index in the trace (month index from talks start)
    record: Record

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def side(self) -> str | None:
        return self.record.side


def parse_events(trace: pd.DataFrame) -> list[DanceEvent]:
    """The records of the trace's ``events`` column, each with its month."""
    return [DanceEvent(month, record)
            for month, cell in enumerate(trace["events"])
            for record in events_lib.decode(cell)]


def _outcome_dict(outcome: Outcome | dict[str, Any] | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return outcome.to_dict() if isinstance(outcome, Outcome) else dict(outcome)


def _finite(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _y_bands(trace: pd.DataFrame, scenario: Scenario,
             amount: float | None) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """(lower band limits, upper band limits or None when one axis is enough); the upper
    band has more headroom for the package labels when the package is negotiated."""
    endgame = np.concatenate([
        _finite(trace["us_bottom_line"]), _finite(trace["rok_bottom_line"]),
        _finite(trace["rok_offer"]), [scenario.amount_in_force],
        [] if amount is None or not math.isfinite(amount) else [amount],
    ])
    everything = np.concatenate([endgame, _finite(trace["us_offer"])])
    lo, hi, top = everything.min(), endgame.max(), everything.max()
    span = max(hi - lo, 0.02 * hi, 1.0)
    lower = (lo - 0.22 * span, hi + 0.36 * span)  # room for the rug below, labels above
    if top - hi <= BREAK_RATIO * span:
        return (lo - 0.22 * span, max(top, hi) + 0.36 * span), None
    headroom = 0.3 if scenario.package.negotiated else 0.08
    return lower, (lower[1], top + headroom * (top - lower[1]))


def _month_ticks(labels: list[str]) -> tuple[list[int], list[str]]:
    n = len(labels)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if n / s <= 9), 48)
    # Start on a calendar month that is a multiple of the step (Jan, Apr, Jul, ...).
    first = next((i for i, lab in enumerate(labels)
                  if (int(lab[5:7]) - 1) % step == 0), 0) if step in (2, 3, 6, 12) else 0
    ticks = list(range(first, n, step))
    return ticks, [labels[i] for i in ticks]


def _event_label(ev: DanceEvent, scenario: Scenario) -> str | None:
    who = SIDE_NAME.get(ev.side or "", "")
    if ev.kind == Walkout.kind:
        return f"{who} walks out"
    fields = ev.record.fields
    if ev.kind == Furlough.kind:
        factor = fields.get("gap_cost_factor")
        extra = f" (gap cost x{factor:g})" if factor is not None else ""
        return f"{who} furlough{extra}"
    if ev.kind == LeaderChange.kind:
        return f"new {who} leader: {fields['label']}"
    if ev.kind == Shock.kind:
        return f"shock: {fields['target']}"
    return None


def dance_figure(trace: pd.DataFrame, scenario: Scenario,
                 outcome: Outcome | dict[str, Any] | None = None, *, seed: int | None = None,
                 horizon_months: int | None = None, detached: bool = False,
                 size: tuple[float, float] = (10.0, 6.4)) -> Any:
    """Draw the negotiation dance of one run; returns the matplotlib Figure.

    ``trace`` is ``RunResult.trace`` (or the DataCollector table so far, for a live
    view); ``outcome`` supplies the agreed amount; ``horizon_months`` fixes the x range
    (the dashboard uses the whole horizon so the picture does not rescale each step).
    Parts of the story carry gids (``GID_GAP``, ``GID_EXPIRY``, ``GID_VETO``,
    ``GID_AGREEMENT``, ``GID_ELECTION``, ``GID_INAUGURATION``, ``GID_INITIALLED``,
    ``GID_RATIFICATION``, ``GID_VOTE``, ``GID_OPINION``) so they can be found on the
    Figure; the opinion strip is a child axes of the main panel (``GID_OPINION_PANEL``).
    """
    out = _outcome_dict(outcome)
    trace = trace.reset_index(drop=True)
    n = len(trace)
    width = max(n, horizon_months or 0, scenario.expiry + 2)
    labels = [scenario.month_label(i) for i in range(width)]
    x_end = width - 0.5
    agreed = bool(out["agreed"]) if out is not None else bool(n and trace["agreed"].iloc[-1])
    amount = out.get("amount_krw_bn") if out is not None else None
    amount = float(amount) if amount is not None else math.nan
    deal_month = (labels.index(out["agreement_month"]) if agreed and out is not None
                  and out.get("agreement_month") in labels else (n - 1 if agreed else None))
    title = f"{scenario.name}: the negotiation dance" + (
        f" (seed {seed})" if seed is not None else "")

    if n == 0:
        fig, ax = new_figure(size=size, detached=detached)
        ax.text(0.5, 0.5, "no month simulated yet: press Step or Play", ha="center",
                va="center", transform=ax.transAxes, color=NEUTRAL)
        _expiry(ax, scenario, labels)
        ax.set_xlim(-0.5, x_end)
        ticks, tick_labels = _month_ticks(labels)
        ax.set_xticks(ticks, tick_labels)
        ax.set_yticks([])
        ax.set_ylabel("first-year amount (bn won)")
        fig.suptitle(title)
        return fig

    lower, upper = _y_bands(trace, scenario, amount)
    if upper is None:
        fig, main = new_figure(size=size, detached=detached)
        axes = [main]
    else:
        fig, (top, main) = new_figure(2, 1, size=size, detached=detached, sharex=True,
                                      gridspec_kw={"height_ratios": [1, 3.2]})
        axes = [top, main]
        top.set_ylim(*upper)
    main.set_ylim(*lower)
    x = np.arange(n)

    handles: dict[str, Any] = {}
    movable: list[tuple[Any, list[tuple[float, float, str, str]]]] = []
    fixed: list[Any] = []
    gap_label: tuple[Any, float, float, int] | None = None
    for ax in axes:
        label = _gap(ax, scenario, n, deal_month, agreed, x_end, label=ax is main)
        if label is not None:
            gap_label = label
            fixed.append(label[0])
        expiry_label = _expiry(ax, scenario, labels, annotate=ax is main)
        if expiry_label is not None:
            movable.append((expiry_label, [(expiry_label.get_position()[0], y, "right",
                                            "center") for y in (0.5, 0.4, 0.6, 0.3, 0.7)]))
        for side in ("us", "rok"):
            color = SIDE_COLORS[side]
            offers = trace[f"{side}_offer"].to_numpy(dtype=float)
            held = np.isfinite(offers)
            line, = ax.plot(x[held], offers[held], "-o", color=color, lw=1.8, ms=3.8,
                            zorder=4, label=f"{SIDE_NAME[side]} offer")
            bottom, = ax.plot(x, trace[f"{side}_bottom_line"].to_numpy(dtype=float), "--",
                              color=color, lw=1.2, alpha=0.8, drawstyle="steps-mid", zorder=3,
                              label=f"{SIDE_NAME[side]} bottom line (moves with gap costs)")
            handles[f"{side}_offer"], handles[f"{side}_bottom"] = line, bottom
        handles["in_force"] = ax.axhline(
            scenario.amount_in_force, color=NEUTRAL, lw=0.9, ls=":", zorder=2,
            label=f"agreement in force: {scenario.amount_in_force:,.1f} bn won",
            gid=GID_GUIDE)
        ax.set_xlim(-0.5, x_end)
        usd_axis(ax, scenario.krw_per_usd, label="" if ax is not main else None)

    if upper is not None:
        _break_marks(top, main)
        top.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
        top.spines["bottom"].set_visible(False)
        main.spines["top"].set_visible(False)

    if scenario.package.negotiated:
        fixed += _package_labels(axes, trace, scenario)
    events = parse_events(trace)
    marks = two_level.elections(events, scenario, n)
    handles.update(two_level.draw_calendar(axes, marks))
    handles.update(_rug(main, trace, events))
    fixed += _events(main, events, scenario, two_level.calendar_labels(events, marks, scenario))
    for marker, note in _vetoes(main, trace, events, scenario):
        handles["veto"] = marker
        movable.append((note, _offsets(48, 40)))
    if agreed and deal_month is not None and math.isfinite(amount):
        handles["agreement"], note = _agreement(main, deal_month, amount, out, scenario)
        movable.append((note, _offsets(-30, -30)))
    votes, notes = two_level.draw_ratification(main, two_level.episodes(events, scenario),
                                               scenario)
    handles.update(votes)
    movable += [(note, _offsets(14, 22)) for note in notes]
    opposition = two_level.opposition(trace)
    strip = None if opposition is None else two_level.opinion_strip(
        main, opposition, marks, scenario.expiry + 0.5)

    ticks, tick_labels = _month_ticks(labels)
    main.set_xticks(ticks, tick_labels)
    main.set_xticks(range(width), minor=True)
    (main if strip is None else strip).set_xlabel(
        "month (rug along the bottom: rounds held; x: walk-outs)")
    main.set_ylabel("first-year amount (bn won)")
    fig.align_ylabels(axes)
    fig.suptitle(title)
    axes[0].set_title(_summary(out, trace, scenario), loc="left", fontsize=9,
                      fontweight="normal", color=NEUTRAL)
    order = ["us_offer", "us_bottom", "rok_offer", "rok_bottom", "in_force", "round",
             "walkout", "veto", "agreement", "election", "inauguration", "ratification",
             "ratified", "rejected"]
    _legend(fig, [handles[k] for k in order if k in handles])
    for text in [*fixed, *(t for t, _ in movable)]:
        text.set_in_layout(False)  # labels inside the axes: the layout need not see them
    fig.draw_without_rendering()  # run the layout once so display coordinates are final
    if gap_label is not None:
        _fit_gap_label(main, *gap_label)
    _arrange(main, movable, fixed)
    return fig


def _legend(fig: Any, shown: list[Any]) -> None:
    """A legend under the axes with as many columns as fit the figure's width."""
    for ncol in (5, 4, 3, 2):
        legend = fig.legend(shown, [h.get_label() for h in shown], loc="outside lower center",
                            ncol=ncol)
        if legend.get_window_extent().width <= fig.bbox.width - 8 or ncol == 2:
            return
        legend.remove()


def _fit_gap_label(ax: Any, text: Any, start: float, stop: float, months: int) -> None:
    """Shorten the gap label until it fits inside the shaded span."""
    from matplotlib.text import Text

    x0, x1 = ax.transData.transform([(start, 0), (stop, 0)])[:, 0]
    for candidate in (text.get_text(), f"gap: {months} months", f"gap\n{months} mo."):
        text.set_text(candidate)
        if Text.get_window_extent(text).width <= (x1 - x0) + 4:
            return


def _summary(out: dict[str, Any] | None, trace: pd.DataFrame, scenario: Scenario) -> str:
    if out is None:
        return f"{len(trace)} months simulated"
    if out["agreed"]:
        ratified = (f"; ratified {out['ratified_month']}" if out.get("ratified_month")
                    and out["ratified_month"] != out["agreement_month"] else "")
        return (f"Deal {out['agreement_month']} at {out['amount_krw_bn']:,.1f} bn won "
                f"({out['increase_pct']:+.1f}% on {scenario.amount_in_force:,.1f}) after a "
                f"{out['gap_months']}-month gap{ratified}; {_counts(out)}")
    last = trace["month"].iloc[-1]
    if len(trace) >= scenario.n_months:
        return (f"No deal by the horizon ({last}): {out['gap_months']}-month gap, censored; "
                f"{_counts(out)}")
    return f"No deal yet ({last}); {_counts(out)}"


def _counts(out: dict[str, Any]) -> str:
    parts = [(out["rounds_held"], "round"), (out["walkouts"], "walk-out"),
             (out["vetoes"], "veto")]
    if out.get("rejections"):
        parts.append((out["rejections"], "rejected deal"))
    return ", ".join(f"{k} {word}{'' if k == 1 else ('es' if word == 'veto' else 's')}"
                     for k, word in parts)


def _gap(ax: Any, scenario: Scenario, n: int, deal_month: int | None, agreed: bool,
         x_end: float, label: bool) -> tuple[Any, float, float, int] | None:
    """Shade the months with no agreement in force (after expiry, until the deal);
    returns the label with the span it must fit in, if ``label``."""
    start = scenario.expiry + 0.5
    stop = float(deal_month) if agreed and deal_month is not None else min(n - 0.5, x_end)
    if stop <= start:
        return None
    span = ax.axvspan(start, stop, color=GAP_COLOR, alpha=0.55, lw=0, zorder=0,
                      label="gap: no agreement in force")
    span.set_gid(GID_GAP)
    if not label:
        return None
    months = (deal_month - scenario.expiry) if agreed and deal_month is not None \
        else n - 1 - scenario.expiry
    text = ax.text((start + stop) / 2, 0.075, f"gap: no agreement in force ({months} months)",
                   transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                   fontsize=8.5, color="#8a6d1f", fontweight="bold", zorder=6,
                   linespacing=1.0)
    return text, start, stop, months


def _expiry(ax: Any, scenario: Scenario, labels: list[str], annotate: bool = True) -> Any:
    x = scenario.expiry + 0.5
    line = ax.axvline(x, color=NEUTRAL, lw=1.3, zorder=2)
    line.set_gid(GID_EXPIRY)
    if not annotate:
        return None
    return ax.text(x - 0.12, 0.5, f"old agreement expires ({labels[scenario.expiry]})",
                   transform=ax.get_xaxis_transform(), rotation=90, ha="right",
                   va="center", fontsize=8, color=NEUTRAL, zorder=7,
                   bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))


def _break_marks(top: Any, bottom: Any) -> None:
    kw = dict(marker=[(-1, -0.5), (1, 0.5)], markersize=9, linestyle="none", color="k",
              mec="k", mew=1, clip_on=False)
    top.plot([0], [0], transform=top.transAxes, **kw)
    bottom.plot([0], [1], transform=bottom.transAxes, **kw)


def _rug(ax: Any, trace: pd.DataFrame, events: list[DanceEvent]) -> dict[str, Any]:
    """Rounds held (ticks) and walk-outs (crosses) along the bottom of the axes."""
    xt = ax.get_xaxis_transform()
    held = np.flatnonzero(trace["round_held"].to_numpy(dtype=bool))
    out: dict[str, Any] = {}
    out["round"], = ax.plot(held, np.full(held.size, 0.03), "|", color=NEUTRAL, ms=9,
                            mew=1.2, transform=xt, clip_on=False, label="round held")
    for ev in events:
        if ev.kind == Walkout.kind:
            out["walkout"], = ax.plot([ev.month], [0.03], "x", color=SIDE_COLORS[ev.side],
                                      ms=8, mew=2, transform=xt, zorder=6,
                                      label="walk-out (colour: who walked)")
    return out


def _events(ax: Any, events: list[DanceEvent], scenario: Scenario,
            labels: dict[int, str] | None = None) -> list[Any]:
    """Label furloughs, leader changes, elections, shocks (and walk-outs, when there are
    at most ``MAX_WALKOUT_LABELS``; the rug marks them all) at the top, in up to three
    rows; ``labels`` (by position in ``events``) overrides ``_event_label``."""
    xt = ax.get_xaxis_transform()
    walkouts = sum(ev.kind == Walkout.kind for ev in events)
    by_month: dict[int, list[str]] = {}
    for i, ev in enumerate(events):
        label = (labels or {}).get(i) or _event_label(ev, scenario)
        if label and (ev.kind != Walkout.kind or walkouts <= MAX_WALKOUT_LABELS):
            by_month.setdefault(ev.month, []).append(label)
    x_lo, x_hi = ax.get_xlim()
    fig_w_px = ax.figure.get_figwidth() * ax.figure.dpi
    px_per_month = 0.85 * fig_w_px * ax.get_position().width / (x_hi - x_lo)
    row_end = [-math.inf] * 3  # where the last label of each row ends (months)
    texts = []
    for month in sorted(by_month):
        text = "; ".join(by_month[month])
        width = (len(text) * 5.2 + 8) / px_per_month  # ~5 px a character at 8 pt
        right = month + width > x_hi
        x0, x1 = (month - width, month) if right else (month, month + width)
        free = [i for i, end in enumerate(row_end) if end < x0]
        row = free[0] if free else int(np.argmin(row_end))
        row_end[row] = x1
        y = 0.975 - 0.07 * row
        ax.plot([month, month], [y - 0.03, 0.05], color=NEUTRAL, lw=0.7, ls=(0, (1, 2)),
                transform=xt, zorder=1, gid=GID_GUIDE)
        texts.append(ax.text(month, y, text, transform=xt,
                             ha="right" if right else "left", va="top", fontsize=8,
                             color="#333333", zorder=7,
                             bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none",
                                       alpha=0.8)))
    return texts


def package_changes(trace: pd.DataFrame, side: str, scenario: Scenario
                    ) -> list[tuple[int, str]]:
    """(month, label) where a side's offered package first shows and where its term,
    escalator or a side item's share differs from its previous offer: '5y', 'cap 5.5%',
    '6y, cap 1%', 'cap 1%, 20% in kind' (only the negotiated issues)."""
    space = scenario.package
    show_term, show_pct = space.term_max > space.term_min, space.pct_high > space.pct_low
    offers = trace[f"{side}_offer"].to_numpy(dtype=float)
    terms = trace[f"{side}_offer_term"].to_numpy(dtype=float)
    pcts = trace[f"{side}_offer_escalator_pct"].to_numpy(dtype=float)
    items = [(item.name, trace[f"{side}_offer_{item.name}_pct"].to_numpy(dtype=float))
             for item in space.items if item.negotiated]
    out: list[tuple[int, str]] = []
    last: tuple[float, ...] | None = None
    for month in np.flatnonzero(np.isfinite(offers)):
        shares = [(name, float(levels[month])) for name, levels in items]
        now = (terms[month] if show_term else 0.0, pcts[month] if show_pct else 0.0,
               *(share for _, share in shares))
        if now != last:
            out.append((int(month), package_text(
                space.escalator if show_pct else None, now[0] if show_term else None,
                now[1] if show_pct else None, compact=True, items=shares)))
        last = now
    return out


def _package_labels(axes: list[Any], trace: pd.DataFrame, scenario: Scenario) -> list[Any]:
    """Small labels in each side's colour on the offers where its package changes (US
    above its offer, ROK below), on the panel that shows the offer (gid ``GID_PACKAGE``)."""
    texts = []
    for side, dy, va in (("us", 5, "bottom"), ("rok", -5, "top")):
        offers = trace[f"{side}_offer"].to_numpy(dtype=float)
        previous, raised = -2, False
        for month, label in package_changes(trace, side, scenario):
            raised = month == previous + 1 and not raised  # labels of next months stagger
            previous = month
            y = offers[month]
            ax = next((a for a in reversed(axes) if min(a.get_ylim()) <= y
                       <= max(a.get_ylim())), axes[-1])
            text = ax.annotate(label, xy=(month, y), xytext=(0, dy * (2.6 if raised else 1)),
                               textcoords="offset points", ha="center", va=va, fontsize=6.5,
                               color=SIDE_COLORS[side], zorder=7, gid=GID_PACKAGE)
            texts.append(text)
    return texts


def _vetoes(ax: Any, trace: pd.DataFrame, events: list[DanceEvent],
            scenario: Scenario) -> list[tuple[Any, Any]]:
    """Mark each vetoed tentative deal and name who vetoed it (and its term and
    escalator when the package is negotiated): [(marker, note)]."""
    out = []
    for month in sorted({ev.month for ev in events if ev.kind == events_lib.VETO}):
        who = [ev.side for ev in events if ev.kind == events_lib.VETO and ev.month == month]
        row = trace.iloc[month]
        offers = _finite([row["us_offer"], row["rok_offer"]])
        if offers.size == 0:
            continue
        lo, hi = offers.min(), offers.max()
        deal = row.get("deal_amount", np.nan)  # traces before deal_amount: offers' range
        mid = float(deal) if np.isfinite(deal) else (lo + hi) / 2
        if np.isfinite(deal):
            lo = hi = mid
        marker, = ax.plot([month], [mid], "D", ms=9, mfc="white", mec=VETO_COLOR, mew=2,
                          zorder=8, label="tentative deal vetoed")
        names = ", ".join(f"{SIDE_NAME[s]} ({row[f'{s}_leader']})" for s in who if s)
        amount = f"{lo:,.0f}-{hi:,.0f}" if hi - lo >= 1 else f"{mid:,.0f}"
        deal = next((ev.record for ev in events if ev.month == month
                     and ev.kind == events_lib.TENTATIVE_DEAL), None)
        package = "" if deal is None else two_level.deal_package(deal, scenario)
        note = ax.annotate(f"VETO by {names}\nof tentative deal at {amount} bn won"
                           + (f"\n{package}" if package else ""),
                           xy=(month, mid), xytext=(48, 48), textcoords="offset points",
                           ha="left", va="bottom", fontsize=8.5, color=VETO_COLOR,
                           fontweight="bold", zorder=9,
                           bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=VETO_COLOR,
                                     lw=0.8),
                           arrowprops=dict(arrowstyle="-|>", color=VETO_COLOR, lw=1.2))
        note.set_gid(GID_VETO)
        out.append((marker, note))
    return out


def _agreement(ax: Any, month: int, amount: float, out: dict[str, Any] | None,
               scenario: Scenario) -> tuple[Any, Any]:
    star, = ax.plot([month], [amount], "*", ms=17, color=ACCENT, mec="white", mew=0.8,
                    zorder=10, label="agreement")
    usd = amount * 1000.0 / scenario.krw_per_usd
    pct = (amount / scenario.amount_in_force - 1.0) * 100.0
    label = out["agreement_month"] if out is not None else scenario.month_label(month)
    package = ""
    if scenario.package.negotiated and out is not None and out.get("term_years") is not None:
        package = "\n" + package_text(out.get("escalator"), out["term_years"],
                                       out.get("escalator_pct"), long=True,
                                       items=negotiated_items(scenario.package, out))
    note = ax.annotate(f"DEAL {label}\n{amount:,.1f} bn won (\\${usd:,.0f}M), {pct:+.1f}%"
                       + package,
                       xy=(month, amount), xytext=(-30, -30), textcoords="offset points",
                       ha="right", va="top", fontsize=9, fontweight="bold", color=ACCENT,
                       zorder=11,
                       bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=ACCENT, lw=0.9),
                       arrowprops=dict(arrowstyle="-|>", color=ACCENT, lw=1.3))
    note.set_gid(GID_AGREEMENT)
    return star, note


# --- label placement ---------------------------------------------------------------


def _arrange(ax: Any, movable: list[tuple[Any, list[tuple[float, float, str, str]]]],
             fixed: list[Any]) -> None:
    """Put each movable label at the candidate position that covers the least.

    A candidate is (x, y, ha, va) in the label's own coordinates (offset points for
    annotations). The cost counts plotted points under the label, overlap with labels
    already placed, any part outside the axes and, for annotations, the arrow's length;
    ties keep the earlier candidate.
    """
    arrows = {text for text, _ in movable if hasattr(text, "arrow_patch")}
    points, weights = _line_points(ax)
    frame = ax.get_window_extent()
    placed = [_box(t) for t in fixed]
    for text, candidates in movable:
        best, best_cost = candidates[0], math.inf
        for cand in candidates:
            _put(text, cand)
            box = _box(text)
            inside = weights[(points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                             & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)].sum()
            outside = box.width * box.height - _overlap(box, frame)
            cost = inside + sum(_overlap(box, other) for other in placed) / 4.0 \
                + outside / 4.0 + 0.05 * math.hypot(*cand[:2]) * (text in arrows)
            if cost < best_cost - 1e-9:
                best, best_cost = cand, cost
        _put(text, best)
        placed.append(_box(text))


def _box(text: Any, pad: float = 8.0) -> Any:
    """Display extent of a label's text and its frame (not an annotation's arrow)."""
    from matplotlib.text import Text

    return Text.get_window_extent(text).padded(pad)


def _offsets(dx0: float, dy0: float) -> list[tuple[float, float, str, str]]:
    """Candidate text offsets (points) around an annotated point, preferred one first."""
    grid = [(dx, dy) for dy in (30, -25, 55, -50, 85, -80, 120, -110)
            for dx in (30, -30, 90, -90, 160, -160, 240, -240)]
    grid.sort(key=lambda d: (abs(d[0]) + abs(d[1])))
    return [(dx, dy, "left" if dx > 0 else "right", "bottom" if dy > 0 else "top")
            for dx, dy in [(dx0, dy0), *grid]]


def _put(text: Any, cand: tuple[float, float, str, str]) -> None:
    x, y, ha, va = cand
    text.set_position((x, y))
    text.set_horizontalalignment(ha)
    text.set_verticalalignment(va)


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def _line_points(ax: Any, step_px: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Display coordinates along every line in ``ax``, one point every few pixels, and
    each point's weight (guide lines, gid ``GID_GUIDE``, count a tenth)."""
    chunks, weights = [np.empty((0, 2))], [np.empty(0)]
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0:
            continue
        disp = line.get_transform().transform(xy)
        parts = [disp]
        if line.get_linestyle() not in ("None", "", " "):
            for a, b in zip(disp[:-1], disp[1:], strict=True):
                k = int(np.hypot(*(b - a)) // step_px)
                if k > 1:
                    parts.append(a + np.linspace(0.0, 1.0, k)[:, None] * (b - a))
        pts = np.concatenate(parts)
        chunks.append(pts)
        weights.append(np.full(len(pts), 0.1 if line.get_gid() == GID_GUIDE else 1.0))
    return np.concatenate(chunks), np.concatenate(weights)
