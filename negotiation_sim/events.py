"""Scenario events, one class per kind, and the record of what happened in a month.

Each kind holds, in one place: its keys in a scenario file (``fields``), how a checked
``[[events]]`` table becomes the event (``from_table``), the checks that need the rest
of the scenario (``cross_problems``), when it fires and its effect on the negotiation
(written over the shared state transitions of ``state`` and the rules of ``rules``,
so the Mesa model and the array engine run the same code), and the ``Record`` of what
happened that the trace stores (as JSON in its ``events`` column) and the figures read.

The engines hand an event a ``Talks`` view: the negotiator and principal of a side,
per-run parameter values, and where a record goes. ``where`` selects runs (``ALL`` for
one run in the Mesa model; a mask or positions in the array engine).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from . import formatting, rules
from .fields import SIDES, Field, amount, number
from .state import ALL, NegotiatorState, PrincipalState

# --- what happened -------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One thing that happened in a month: its kind, the side concerned (if any) and
    the kind's fields (a new leader's label, a shock's target, a deal's amount...)."""

    kind: str
    side: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **({"side": self.side} if self.side else {}), **self.fields}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Record:
        rest = {k: v for k, v in d.items() if k not in ("kind", "side")}
        return cls(d["kind"], d.get("side"), rest)

    def describe(self, escalator: str | None = None) -> str:
        """A short human text: 'walkout (us)', 'leader_change (us: Biden)'; a deal of a
        negotiated package in words: 'tentative deal 1,165.8 bn won, 6 years, cap 1%'
        (``escalator``: the scenario's rule name, for how its number reads), with the side
        items a deal record carries when some is negotiated ('..., cap 6%, 20% in kind')."""
        if "term_years" in self.fields and "amount_krw_bn" in self.fields:
            who = f" ({self.side})" if self.side else ""
            items = [(name, self.fields[f"{name}_pct"]) for name in formatting.ITEM_WORDS
                     if f"{name}_pct" in self.fields]
            return (f"{self.kind.replace('_', ' ')}{who} {self.fields['amount_krw_bn']:,.1f} "
                    "bn won, "
                    + formatting.package_text(escalator, self.fields["term_years"],
                                              self.fields.get("escalator_pct"), items=items))
        detail = ", ".join(f"{v:g}" if isinstance(v, float) else str(v)
                           for v in self.fields.values())
        who = ": ".join(filter(None, [self.side, detail]))
        return f"{self.kind} ({who})" if who else self.kind


# Kinds recorded by the protocol itself (not scenario events): a deal initialled and
# vetoed, a leader's veto, a deal both leaders approved that awaits ratification, the
# legislature's consent or rejection, and the deal in force.
TENTATIVE_DEAL, VETO, AGREEMENT = "tentative_deal", "veto", "agreement"
INITIALLED, RATIFIED, REJECTED = "initialled", "ratified", "rejected"


def encode(records: list[Record]) -> str:
    """A month's records as the trace's ``events`` cell (JSON list; '' when none)."""
    if not records:
        return ""
    return json.dumps([r.to_json() for r in records], separators=(",", ":"))


def decode(cell: Any) -> list[Record]:
    """The records of one ``events`` cell ('' / None / NaN: none)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell == "":
        return []
    return [Record.from_json(d) for d in json.loads(cell)]


def describe(cell: Any, escalator: str | None = None) -> str:
    """An ``events`` cell as text for tables: 'walkout (us); agreement (1187.8)'
    (``escalator``: the scenario's rule, for deals of negotiated packages)."""
    return "; ".join(r.describe(escalator) for r in decode(cell))


# --- what the engines give an event -----------------------------------------------


class Talks(Protocol):
    """What an event sees of the negotiation (the Mesa model or an array chunk)."""

    def negotiator(self, side: str) -> NegotiatorState: ...

    def principal(self, side: str) -> PrincipalState: ...

    def param(self, key: str, default: Any, where: Any = ALL) -> Any:
        """This run's (these runs') value of a scenario key."""

    def record(self, record: Record) -> None:
        """Note what happened this month (the array engine keeps no trace)."""

    def took_office(self, side: str, month: int, where: Any) -> None:
        """A new leader of ``side`` took office in the runs ``where``."""


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


# --- the kinds ------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """A leader's profile (the initial one of a side, or a successor's)."""

    label: str
    veto_threshold: float | None
    veto_probability: float
    reset_demand: float | None

    @classmethod
    def from_table(cls, d: dict[str, Any]) -> Principal:
        return cls(label=d.get("label", "leader"), veto_threshold=d.get("veto_threshold"),
                   veto_probability=float(d.get("veto_probability", 1.0)),
                   reset_demand=d.get("reset_demand"))


class Event:
    """Base of the event kinds; ``index`` is the event's position in the scenario."""

    kind: ClassVar[str]
    fields: ClassVar[dict[str, Field]]
    KINDS: ClassVar[dict[str, type[Event]]] = {}
    index: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.KINDS[cls.kind] = cls

    @classmethod
    def table_problems(cls, table: dict[str, Any]) -> list[tuple[str, str]]:
        """Problems of one checked table on its own (key relative to the event)."""
        return []

    @classmethod
    def cross_problems(cls, table: dict[str, Any], month: int | None, ctx: dict[str, Any]
                       ) -> list[tuple[str, str]]:
        """Problems that need the rest of the scenario (``ctx``: round months, sides)."""
        return []

    def key(self, name: str) -> str:
        return f"events.{self.index}.{name}"


def _one_of_month_or_probability(kind: str, table: dict[str, Any]) -> list[tuple[str, str]]:
    if ("month" in table) == ("probability" in table):
        return [("", f"a {kind} needs exactly one of month or probability")]
    return []


@dataclass(frozen=True)
class Walkout(Event):
    """A side walks out of a round (scheduled, or with a chance in every round): no
    offers that round, and the alternating proposer keeps its turn."""

    kind: ClassVar[str] = "walkout"
    fields: ClassVar[dict[str, Field]] = {
        "side": Field("choice", choices=SIDES, doc="who walks out"),
        "month": Field("month", None, doc="scheduled month (must be a round month)"),
        "probability": number(None, 0.0, 1.0, "per round", "chance of a walk-out in each round"),
    }
    index: int
    side: str
    month: int | None  # month index from talks start
    probability: float | None

    @classmethod
    def from_table(cls, index: int, t: dict[str, Any], month: int | None,
                   start: int = 0) -> Walkout:
        return cls(index, t["side"], month, t.get("probability"))

    @classmethod
    def table_problems(cls, table: dict[str, Any]) -> list[tuple[str, str]]:
        return _one_of_month_or_probability(cls.kind, table)

    @classmethod
    def cross_problems(cls, table: dict[str, Any], month: int | None, ctx: dict[str, Any]
                       ) -> list[tuple[str, str]]:
        if month is not None and month not in ctx["round_months"]:
            return [("month", f"{table['month']} is not a round month; allowed: a month in the "
                     "round schedule")]
        return []

    @property
    def random(self) -> bool:
        return self.probability is not None

    def walks_out(self, talks: Talks, month: int, u: Any) -> Any:
        """Whether this walk-out happens in this month's round (u: its draw)."""
        return rules.fires(self.month, month, talks.param(self.key("probability"),
                                                          self.probability), u)

    def record(self) -> Record:
        return Record(self.kind, self.side)


@dataclass(frozen=True)
class Furlough(Event):
    """Once a gap is ``after_gap_months`` old, local employees are furloughed and the
    side's gap cost is multiplied by ``gap_cost_factor`` (April 2020)."""

    kind: ClassVar[str] = "furlough"
    fields: ClassVar[dict[str, Field]] = {
        "side": Field("choice", "rok", choices=SIDES, doc="whose gap cost rises"),
        "after_gap_months": Field("integer", 3, 0, 600, unit="months",
                                  doc="furlough starts once this many gap months have passed"),
        "gap_cost_factor": number(2.0, 0.0, 1e3, "x", "multiplies the side's gap cost"),
    }
    index: int
    side: str
    after_gap_months: int
    gap_cost_factor: float

    @classmethod
    def from_table(cls, index: int, t: dict[str, Any], month: int | None,
                   start: int = 0) -> Furlough:
        return cls(index, t["side"], int(t["after_gap_months"]), float(t["gap_cost_factor"]))

    def starts(self, talks: Talks, month: int, expiry: int) -> Any:
        """Does the furlough begin this month (per run)?"""
        after = talks.param(self.key("after_gap_months"), self.after_gap_months)
        return rules.gap_age(month, expiry) == after

    def apply(self, talks: Talks, month: int, expiry: int) -> None:
        """Set this month's gap-cost factor of the side (1 before the furlough)."""
        age = rules.gap_age(month, expiry)
        after = talks.param(self.key("after_gap_months"), self.after_gap_months)
        factor = talks.param(self.key("gap_cost_factor"), self.gap_cost_factor)
        talks.negotiator(self.side).put("gap_cost_factor",
                                        rules.furlough_factor(age, after, factor))
        if age == self.after_gap_months:
            talks.record(Record(self.kind, self.side, {"gap_cost_factor": self.gap_cost_factor}))


@dataclass(frozen=True)
class LeaderChange(Event):
    """A known succession: a new leader takes over in ``month`` with its own profile,
    optionally a new mandate (bottom line) and a new demand to restart from."""

    kind: ClassVar[str] = "leader_change"
    fields: ClassVar[dict[str, Field]] = {
        "side": Field("choice", choices=SIDES, doc="whose leader changes"),
        "month": Field("month", doc="month the new leader takes over"),
        "label": Field("text", "new leader"),
        "veto_threshold": amount(None, "new leader's threshold; absent: none"),
        "veto_probability": number(1.0, 0.0, 1.0),
        "reset_demand": amount(None),
        "bottom_line": amount(None, "new mandate (absent: unchanged)"),
        "demand": amount(None, "new demand the negotiator restarts from"),
    }
    index: int
    side: str
    month: int
    principal: Principal
    bottom_line: float | None
    demand: float | None

    @classmethod
    def from_table(cls, index: int, t: dict[str, Any], month: int | None,
                   start: int = 0) -> LeaderChange:
        return cls(index, t["side"], int(month or 0), Principal.from_table(t),
                   t.get("bottom_line"), t.get("demand"))

    @classmethod
    def cross_problems(cls, table: dict[str, Any], month: int | None, ctx: dict[str, Any]
                       ) -> list[tuple[str, str]]:
        side, demand = table["side"], table.get("demand")
        floor = table.get("bottom_line", ctx["sides"][side].get("bottom_line"))
        sign = 1.0 if side == "us" else -1.0
        if demand is not None and floor is not None and sign * (demand - floor) < 0:
            return [("bottom_line", f"{floor:g} is on the wrong side of the demand {demand:g}; "
                     "allowed: bottom line on the conceding side")]
        return []

    def fire(self, talks: Talks, month: int) -> None:
        take_over(talks, self, self.principal, month, ALL)


def take_over(talks: Talks, ev: LeaderChange | Election, profile: Principal, month: int,
              where: Any) -> None:
    """A new leader takes office in the runs ``where``: its profile, and optionally a new
    mandate and a demand the negotiator restarts from (numbers per run: ``ev``'s keys)."""
    key = ev.key
    talks.principal(ev.side).take_office(
        profile.label,
        talks.param(key("veto_threshold"), _nan_if_none(profile.veto_threshold), where),
        talks.param(key("veto_probability"), profile.veto_probability, where),
        talks.param(key("reset_demand"), _nan_if_none(profile.reset_demand), where), where)
    negotiator = talks.negotiator(ev.side)
    if ev.bottom_line is not None:
        negotiator.set_mandate(talks.param(key("bottom_line"), ev.bottom_line, where), where)
    if ev.demand is not None:
        negotiator.reanchor(talks.param(key("demand"), ev.demand, where), month, where)
    talks.took_office(ev.side, month, where)
    talks.record(Record(LeaderChange.kind, ev.side, {"label": profile.label}))


_PROFILE = {key: LeaderChange.fields[key] for key in (
    "label", "veto_threshold", "veto_probability", "reset_demand", "bottom_line", "demand")}


@dataclass(frozen=True)
class Election(Event):
    """A scheduled election of a side's leader: the result is known in ``month`` (the
    challenger wins with ``probability``, drawn from the run's own stream) and a winning
    challenger takes office in ``inauguration`` with its own profile (a new mandate, veto
    threshold, demand); otherwise the incumbent carries on. Negotiators with foresight
    see it coming (``Schedule.outlook``)."""

    kind: ClassVar[str] = "election"
    fields: ClassVar[dict[str, Field]] = {
        "side": Field("choice", choices=SIDES, doc="whose leader is elected"),
        "month": Field("month", doc="election month; the result is known in it"),
        "inauguration": Field("month", doc="month a winning challenger takes office"),
        "probability": number(0.5, 0.0, 1.0, "", "chance the challenger wins"),
        **{**_PROFILE, "label": Field("text", "challenger", doc="the challenger")},
    }
    index: int
    side: str
    month: int
    inauguration: int
    probability: float
    principal: Principal  # the challenger's profile
    bottom_line: float | None
    demand: float | None

    @classmethod
    def from_table(cls, index: int, t: dict[str, Any], month: int | None,
                   start: int = 0) -> Election:
        from .calendar import parse_month

        return cls(index, t["side"], int(month or 0), parse_month(t["inauguration"]) - start,
                   float(t["probability"]), Principal.from_table(t), t.get("bottom_line"),
                   t.get("demand"))

    @classmethod
    def cross_problems(cls, table: dict[str, Any], month: int | None, ctx: dict[str, Any]
                       ) -> list[tuple[str, str]]:
        from .calendar import parse_month

        if parse_month(table["inauguration"]) < parse_month(table["month"]):
            return [("inauguration", f"{table['inauguration']} is before the election "
                     f"{table['month']}; allowed: the election month or later")]
        return LeaderChange.cross_problems(table, month, ctx)

    def decide(self, talks: Talks, u: Any) -> Any:
        """Does the challenger win (in the election month; u: its draw)?"""
        return rules.fires(None, self.month, talks.param(self.key("probability"),
                                                         self.probability), u)

    def chance(self, talks: Talks) -> Any:
        return talks.param(self.key("probability"), self.probability)


SHOCK_TARGETS = tuple(f"{side}.{key}" for side in SIDES
                      for key in ("bottom_line", "gap_cost", "gap_sensitivity", "veto_threshold"))


@dataclass(frozen=True)
class Shock(Event):
    """An outside shock moves one parameter once: new = old * factor + delta, in a
    scheduled month or with a chance each month."""

    kind: ClassVar[str] = "shock"
    fields: ClassVar[dict[str, Field]] = {
        "target": Field("choice", choices=SHOCK_TARGETS, doc="parameter moved"),
        "month": Field("month", None, doc="scheduled month"),
        "probability": number(None, 0.0, 1.0, "per month", "chance each month (fires once)"),
        "factor": number(1.0, 0.0, 1e3, "x", "new = old * factor + delta"),
        "delta": number(0.0, -1e6, 1e6, "KRW bn or units"),
    }
    index: int
    target: str
    month: int | None
    probability: float | None
    factor: float
    delta: float

    @classmethod
    def from_table(cls, index: int, t: dict[str, Any], month: int | None,
                   start: int = 0) -> Shock:
        return cls(index, t["target"], month, t.get("probability"), float(t["factor"]),
                   float(t["delta"]))

    @classmethod
    def table_problems(cls, table: dict[str, Any]) -> list[tuple[str, str]]:
        return _one_of_month_or_probability(cls.kind, table)

    @property
    def random(self) -> bool:
        return self.month is None

    @property
    def side(self) -> str:
        return self.target.split(".")[0]

    def due(self, talks: Talks, month: int, u: Any, fired: Any) -> Any:
        """Fires this month: in its scheduled month, or (random) once, when its draw is
        below its probability (``fired``: where it has fired before)."""
        if not self.random:
            return self.month == month
        hit = rules.fires(None, month, talks.param(self.key("probability"), self.probability), u)
        return ~fired & hit if isinstance(fired, np.ndarray) else not fired and hit

    def fire(self, talks: Talks, where: Any = ALL) -> None:
        side, name = self.target.split(".")
        holder: Any = (talks.principal(side) if name == "veto_threshold"
                       else talks.negotiator(side))
        attr = "mandate" if name == "bottom_line" else name
        factor = talks.param(self.key("factor"), self.factor, where)
        delta = talks.param(self.key("delta"), self.delta, where)
        holder.put(attr, rules.shocked(holder.take(attr, where), factor, delta), where)
        talks.record(Record(self.kind, side, {"target": self.target}))


@dataclass(frozen=True)
class Schedule:
    """A scenario's events by kind, each list in scenario order."""

    leader_changes: tuple[LeaderChange, ...]
    walkouts: tuple[Walkout, ...]
    furloughs: tuple[Furlough, ...]
    shocks: tuple[Shock, ...]
    elections: tuple[Election, ...]

    @classmethod
    def of(cls, events: tuple[Event, ...]) -> Schedule:
        def kind(k: type) -> tuple:
            return tuple(e for e in events if isinstance(e, k))

        return cls(kind(LeaderChange), kind(Walkout), kind(Furlough), kind(Shock),
                   kind(Election))

    def drawn(self, month: int, round_held: bool) -> list[int]:
        """Indices of the events that read a uniform this month (random shocks; elections
        in their month; random walk-outs when a round is held)."""
        due = [e.index for e in self.shocks if e.random]
        due += [e.index for e in self.elections if e.month == month]
        if round_held:
            due += [e.index for e in self.walkouts if e.random]
        return due

    def start_month(self, talks: Talks, month: int, expiry: int, fired: dict[int, Any],
                    won: dict[int, Any], draw: Any) -> None:
        """Fire what is due at the start of ``month``, in this order: leader changes,
        election results and inaugurations, shocks (``fired`` tracks random ones, per
        run), furloughs. ``won[index]``: where an election's challenger won;
        ``draw(index)`` is an event's uniform this month."""
        for ev in self.leader_changes:
            if ev.month == month:
                ev.fire(talks, month)
        for ev in self.elections:
            if ev.month == month:
                won[ev.index] = ev.decide(talks, draw(ev.index))
                talks.record(Record(ev.kind, ev.side, {"challenger": ev.principal.label}))
            if ev.inauguration == month and ev.index in won:
                where = won[ev.index]
                if isinstance(where, np.ndarray):
                    if where.any():
                        take_over(talks, ev, ev.principal, month, where)
                elif where:
                    take_over(talks, ev, ev.principal, month, ALL)
        for ev in self.shocks:
            due = ev.due(talks, month, draw(ev.index) if ev.random else None,
                         fired.get(ev.index, False))
            if isinstance(due, np.ndarray):
                if due.any():
                    fired[ev.index] = fired[ev.index] | due
                    ev.fire(talks, due)
            elif due:
                fired[ev.index] = True
                ev.fire(talks)
        for ev in self.furloughs:
            ev.apply(talks, month, expiry)

    def outlook(self, talks: Talks, side: str, month: int, won: dict[int, Any]
                ) -> tuple[Any, Any] | None:
        """What a negotiator with foresight expects of the nearest pending transition:
        (hurry, stall) weights in [0, 1] before its own ``foresight`` scales them, or None
        when no election is pending.

        The transition is the next election whose inauguration lies ahead and whose
        challenger may still take office: weight ``w`` is the challenger's chance before
        the result and 1 or 0 after it. Of one's own leader, the incumbent's negotiator
        hurries to close while it can (``w`` times the urgency of the inauguration). Of
        the counterpart, a challenger whose bottom line is worse for this side makes it
        hurry in the same way; a friendlier one makes it stall (weight ``w``).
        """
        pending = [e for e in self.elections if e.inauguration > month
                   and not (e.index in won and _none(won[e.index]))]
        if not pending:
            return None
        ev = min(pending, key=lambda e: (e.inauguration, e.index))
        w = won[ev.index] * 1.0 if ev.index in won else ev.chance(talks)
        hurry = w * rules.urgency(month, ev.inauguration)
        if ev.side == side:
            return hurry, 0.0
        if ev.bottom_line is None:
            return None
        counterpart = talks.negotiator(ev.side)
        sign = -counterpart.sign  # this side's sign
        change = talks.param(ev.key("bottom_line"), ev.bottom_line) - \
            counterpart.current_bottom_line()
        worse = sign * change < 0
        return np.where(worse, hurry, 0.0), np.where(worse, 0.0, w)


def _none(value: Any) -> bool:
    """No run's challenger won (a plain False, or an all-False mask)."""
    return not value.any() if isinstance(value, np.ndarray) else not value


KINDS = Event.KINDS
EVENT_TYPES = tuple(KINDS)
EVENTS: dict[str, dict[str, Field]] = {kind: cls.fields for kind, cls in KINDS.items()}
EVENT_COMMON = {"type": Field("choice", choices=EVENT_TYPES, doc="event type")}
