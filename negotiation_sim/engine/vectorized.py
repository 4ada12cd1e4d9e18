"""The array engine: many negotiations at once, one array element per run.

It loops the Mesa model's month (model.py) over whole arrays of runs: the same event
order, the same state transitions (``state``: the agents' classes and this module's
``_Negotiators`` / ``_Principals`` share them, only the storage differs), the same
events (``events``), the same maths (``rules`` and the tactics' ``offer`` / ``accepts``,
called with arrays), the same draws (``draws``: a run reads ``u(seed, month, stream)``
from the same cells). Only the looping differs, which is why both engines give the
same outcomes (``tests/test_conformance.py``) while this one is a few hundred times
faster on large batches (``benchmarks/bench_engines.py``, ``docs/engines.md``).

* Runs go through in chunks of ``CHUNK``: peak memory is flat in the batch size.
* In a chunk the month loop works on the runs still talking; runs that agreed are
  dropped once they are a quarter of the arrays, and the loop stops when none is left.
* Override columns holding numbers (openings, bottom lines, gap costs, thresholds,
  probabilities, tactic parameters, ...) become per-run arrays: tactics are built
  with array parameters. Columns that change a run's structure (tactic or rule names,
  protocol, round schedule, dates, event sides) split the batch into groups, each
  with one scenario validated by ``Scenario.with_overrides``.
* A feature this engine cannot run (today: a tactic or acceptance rule defined outside
  ``negotiation_sim.tactics``, whose code may not work on arrays) is reported by
  ``unsupported_feature``; ``engine.simulate_batch`` then sends the whole batch to the
  Mesa engine, with one warning line on the ``negotiation_sim.engine`` logger. This
  module never imports the Mesa model.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from .. import draws, packages, protocol, ratification, rules
from ..calendar import format_month
from ..events import LeaderChange, Record, Schedule
from ..outcome import MONTH_FIELDS, OUTCOME_FIELDS
from ..scenario import Scenario, Side
from ..schema import EVENTS, SECTIONS, SIDES
from ..state import (
    ALL,
    OPP_PACKAGE,
    OWN_PACKAGE,
    ArrayStore,
    NegotiatorState,
    PrincipalState,
    is_positions,
)
from ..tactics import ACCEPTANCE, HISTORY, OFFERING, make_acceptance, make_offering
from ..tactics.packaged import ISSUES
from .grouping import hashable

CHUNK = 16384  # runs per chunk: arrays of 128 kB stay in the CPU's L2 cache
COMPACT_BELOW = 0.75  # drop finished runs once fewer than this share is still talking
BUILTIN_MODULES = ("negotiation_sim.tactics.offering", "negotiation_sim.tactics.acceptance")
log = logging.getLogger("negotiation_sim.engine")

# Keys whose numeric values can differ from run to run within one array batch.
_SIDE_NUMBERS = {"opening", "bottom_line", "gap_cost", "gap_sensitivity", "renewal_pct"}
_PRINCIPAL_NUMBERS = {"veto_threshold", "veto_probability", "reset_demand"}
_EVENT_NUMBERS = {"probability", "factor", "delta", "gap_cost_factor", "after_gap_months",
                  "veto_threshold", "veto_probability", "reset_demand", "bottom_line", "demand"}
_SCENARIO_NUMBERS = {"scenario.krw_per_usd", "agreement_in_force.amount_krw_bn",
                     "new_agreement.term_years"}


# --- entry point ------------------------------------------------------------------


def simulate_vectorized(scenario: Scenario, overrides: pd.DataFrame | None,
                        seeds: np.ndarray, chunk: int = CHUNK) -> pd.DataFrame:
    """Outcomes of one run per (overrides row, seed), as ``simulate_mesa`` gives them."""
    seeds = np.asarray(seeds, dtype=np.int64)
    if overrides is None:
        overrides = pd.DataFrame(index=range(len(seeds)))
    overrides = overrides.reset_index(drop=True)
    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} override rows but {len(seeds)} seeds")
    feature = unsupported_feature(scenario, overrides)
    if feature is not None:
        raise ValueError(f"fast engine: {feature}; run it with simulate_batch, which falls "
                         "back to the mesa engine")
    out = _Outcomes(len(seeds))
    for group_scenario, rows, per_run in _groups(scenario, overrides):
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            _Talks(group_scenario, {k: v[start:start + chunk] for k, v in per_run.items()},
                   seeds[part], part, out).run()
    return out.table()


def unsupported_feature(scenario: Scenario, overrides: pd.DataFrame | None) -> str | None:
    """What in this batch the array engine cannot run (None: it can run all of it)."""
    for side in SIDES:
        spec = scenario.side(side)
        for part, registry, base in (("tactic", OFFERING, spec.tactic),
                                     ("acceptance", ACCEPTANCE, spec.acceptance)):
            column = f"{side}.{part}.name"
            names = {base}
            if overrides is not None and column in overrides.columns:
                names = set(overrides[column].unique())
            for name in sorted(map(str, names)):
                cls = registry.get(name)
                if cls is not None and cls.__module__ not in BUILTIN_MODULES:
                    return (f"{side}.{part} {name!r} is defined in {cls.__module__}, outside "
                            "negotiation_sim.tactics (not checked to work on arrays)")
    return None


# --- grouping and per-run parameters ----------------------------------------------


def _is_per_run(key: str, column: pd.Series, scenario: Scenario) -> bool:
    """Can this override column vary within one array batch? (The stated term is the
    horizon of every valuation when a package is negotiated: structural then.)"""
    if column.dtype.kind not in "iuf":
        return False
    parts = key.split(".")
    if key in _SCENARIO_NUMBERS:
        return not (key == "new_agreement.term_years" and scenario.package.negotiated)
    if len(parts) == 2:
        return parts[0] in SIDES and parts[1] in _SIDE_NUMBERS
    if len(parts) != 3:
        return False
    head, mid, leaf = parts
    if head in SIDES:
        return (mid == "principal" and leaf in _PRINCIPAL_NUMBERS) or (
            mid in ("tactic", "acceptance") and leaf != "name")
    return head == "events" and mid.isdigit() and leaf in _EVENT_NUMBERS


def _groups(scenario: Scenario, overrides: pd.DataFrame):
    """(scenario, row positions, per-run arrays) for each structurally distinct group."""
    n = len(overrides)
    per_run_cols = [c for c in overrides.columns if _is_per_run(c, overrides[c], scenario)]
    structural = [c for c in overrides.columns if c not in per_run_cols]
    if structural:
        members: dict[tuple, list[int]] = {}
        columns = [overrides[c].tolist() for c in structural]
        for i, key in enumerate(zip(*columns, strict=True)):
            members.setdefault(tuple(map(hashable, key)), []).append(i)
        groups = [np.asarray(rows, dtype=np.int64) for rows in members.values()]
    else:
        groups = [np.arange(n, dtype=np.int64)]
    values = {c: overrides[c].to_numpy() for c in per_run_cols}
    for rows in groups:
        if len(rows) == 0:
            continue
        record = overrides.iloc[[rows[0]]].to_dict("records")[0] if len(overrides.columns) \
            else {}
        group_scenario = scenario.with_overrides(record) if record else scenario
        per_run = {c: values[c][rows] for c in per_run_cols}
        bad = _invalid_rows(group_scenario, per_run)
        for i in np.flatnonzero(bad):  # let the reference validator word the error
            scenario.with_overrides(overrides.iloc[[rows[i]]].to_dict("records")[0])
        yield group_scenario, rows, per_run


def _invalid_rows(sc: Scenario, per_run: dict[str, np.ndarray]) -> np.ndarray:
    """Rows whose per-run values the scenario validator would reject (vectorized)."""
    n = len(next(iter(per_run.values()))) if per_run else 0
    bad = np.zeros(n, dtype=bool)
    for key, v in per_run.items():
        head, *rest = key.split(".")
        if head in SIDES and rest[0] in ("tactic", "acceptance"):
            name = sc.side(head).tactic if rest[0] == "tactic" else sc.side(head).acceptance
            registry = OFFERING if rest[0] == "tactic" else ACCEPTANCE
            spec = {p.name: p for p in registry[name].params}.get(rest[1])
            if spec is None:
                continue  # with_overrides on the group's first row has already refused it
            low, high, integer = spec.low, spec.high, spec.integer
        else:
            if head == "events":
                field = EVENTS[sc.resolved["events"][int(rest[0])]["type"]].get(rest[1])
            else:
                field = SECTIONS[".".join([head, *rest[:-1]])].get(rest[-1])
            if field is None:
                continue
            low, high, integer = field.low, field.high, field.kind == "integer"
        x = v.astype(np.float64)
        ok = (x >= low) & (x <= high)
        if integer:
            ok &= x == np.floor(x)
        bad |= ~ok
    # Cross-checks of scenario.py that numbers can break: bottom line vs opening, and a
    # new leader's demand vs the negotiator's bottom line.
    for side in SIDES:
        spec = sc.side(side)
        opening = per_run.get(f"{side}.opening", spec.opening)
        floor = per_run.get(f"{side}.bottom_line", spec.bottom_line)
        bad |= spec.sign * (np.asarray(opening) - floor) < 0
        for ev in sc.events:
            if isinstance(ev, LeaderChange) and ev.side == side and ev.demand is not None:
                demand = per_run.get(f"events.{ev.index}.demand", ev.demand)
                new_floor = per_run.get(f"events.{ev.index}.bottom_line", ev.bottom_line)
                if ev.bottom_line is None:
                    new_floor = floor
                bad |= spec.sign * (np.asarray(demand) - new_floor) < 0
    return bad


# --- outcomes -------------------------------------------------------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while many small tuples are made: each of its
    passes walks every tracked object of the batch, so the payment paths of 10^5 runs
    took three times as long with it on (tuples of floats hold no cycles)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class _Outcomes:
    """The batch's outcome columns, filled as runs finish; the table wraps these very
    arrays (no copy), so a batch's memory is its outcome table plus one chunk's arrays."""

    def __init__(self, n: int) -> None:
        self.columns = {
            "agreed": np.zeros(n, dtype=bool),
            "agreement_month": np.full(n, -1, dtype=np.int32),  # month number; text at the end
            "amount_krw_bn": np.full(n, np.nan),
            "amount_usd_m": np.full(n, np.nan),
            "increase_pct": np.full(n, np.nan),
            "gap_months": np.zeros(n, dtype=np.int64),
            "censored": np.ones(n, dtype=bool),
            "rounds_held": np.zeros(n, dtype=np.int64),
            "walkouts": np.zeros(n, dtype=np.int64),
            "vetoes": np.zeros(n, dtype=np.int64),
            "tentative_deals": np.zeros(n, dtype=np.int64),
            "term_years": np.zeros(n, dtype=np.int64),
            "lead_months": np.zeros(n, dtype=np.int64),
            "initialled_month": np.full(n, -1, dtype=np.int32),
            "ratified": np.zeros(n, dtype=bool),
            "ratified_month": np.full(n, -1, dtype=np.int32),
            "rejections": np.zeros(n, dtype=np.int64),
            "us_leader_change_month": np.full(n, -1, dtype=np.int32),
            "rok_leader_change_month": np.full(n, -1, dtype=np.int32),
            "escalator": np.full(n, "none", dtype=object),
            "escalator_pct": np.zeros(n),
            "payments_krw_bn": np.full(n, None, dtype=object),
            "total_krw_bn": np.full(n, np.nan),
            "total_discounted_krw_bn": np.full(n, np.nan),
            "in_kind_pct": np.full(n, np.nan),
            "wage_share_pct": np.full(n, np.nan),
        }
        assert tuple(self.columns) == OUTCOME_FIELDS

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def table(self) -> pd.DataFrame:
        columns = dict(self.columns)
        for name in MONTH_FIELDS:  # month numbers, -1 where it did not happen
            columns[name] = _month_text(columns[name], columns[name] >= 0)
        text = pd.Series(["none"]).dtype  # the rule names as the Mesa engine's table has them
        if text != np.dtype(object):
            columns["escalator"] = pd.array(columns["escalator"], dtype=text)
        return pd.DataFrame(columns, columns=list(OUTCOME_FIELDS), copy=False)


def _month_text(numbers: np.ndarray, agreed: np.ndarray) -> Any:
    """'YYYY-MM' (missing where not agreed) in the dtype pandas gives a column of such
    text, as the Mesa engine's table has it: built from a dictionary of the few distinct
    months, without a Python string object per run when pandas stores text in Arrow."""
    if not agreed.any():
        return np.full(len(numbers), None, dtype=object)
    first = int(numbers[agreed].min())
    codes = numbers - np.int32(first)  # 0 for the first month any run agreed in
    codes[~agreed] = 0
    labels = [format_month(first + i) for i in range(int(codes.max()) + 1)]
    dtype = pd.Series(labels[:1]).dtype
    if getattr(dtype, "storage", None) != "pyarrow":
        return np.where(agreed, np.array(labels, dtype=object)[codes], None)
    import pyarrow as pa

    text = pa.DictionaryArray.from_arrays(pa.array(codes, mask=~agreed),
                                          pa.array(labels, pa.string()))
    return pd.array(text.cast(pa.large_string()), dtype=dtype)


# --- the month loop ---------------------------------------------------------------


def _full(n: int, value: Any) -> np.ndarray:
    """A fresh float array of ``n`` runs from a scalar or per-run value."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)  # a copy
    return np.full(n, value, dtype=np.float64)


def _per_run(value: Any, n: int) -> np.ndarray:
    """``value`` as an array over the ``n`` runs (a read-only view if it was shared)."""
    if isinstance(value, np.ndarray) and value.shape == (n,):
        return value
    return np.broadcast_to(value, (n,))


def _pick(value: Any, where: Any) -> Any:
    """The values of runs ``where`` (positions) of a per-run array; a per-run array
    itself for ``ALL`` or a mask (see ``state.ArrayStore``); a shared scalar as it is."""
    return value[where] if isinstance(value, np.ndarray) and is_positions(where) else value


def _mask(where: Any, n: int) -> Any:
    """``where`` (ALL, a mask or positions) as a boolean mask over ``n`` runs."""
    if where is ALL:
        return True
    if is_positions(where):
        mask = np.zeros(n, dtype=bool)
        mask[where] = True
        return mask
    return where


def _owned(value: Any) -> Any:
    """A per-run column as this chunk's own float array; a shared scalar as it is."""
    return value.astype(np.float64) if isinstance(value, np.ndarray) else value


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


class _Principals(ArrayStore, PrincipalState):
    """One side's principal in every run of a chunk (``agents.Principal`` as arrays)."""

    def __init__(self, spec: Side, param: Callable[[str, Any], Any], n: int) -> None:
        side = spec.side
        self.sign = spec.sign
        pr = spec.principal
        self.label = pr.label
        self.veto_threshold = _full(n, param(f"{side}.principal.veto_threshold",
                                             _nan_if_none(pr.veto_threshold)))
        self.veto_probability = _owned(param(f"{side}.principal.veto_probability",
                                             pr.veto_probability))
        self.reset_demand = _owned(param(f"{side}.principal.reset_demand",
                                         _nan_if_none(pr.reset_demand)))
        self.threshold_known = np.zeros(n, dtype=bool)

    def known_threshold(self) -> Any:
        # Until a veto reveals a threshold in some run, plain False: the cheap branch of
        # rules.bottom_line.
        return self.threshold_known if self.threshold_known.any() else False


class _Negotiators(ArrayStore, NegotiatorState):
    """One side's negotiator in every run of a chunk (``agents.Negotiator`` as arrays)."""

    def __init__(self, spec: Side, principal: _Principals, param: Callable[[str, Any], Any],
                 n: int, floor: Any, space: packages.PackageSpace) -> None:
        side = self.side = spec.side
        self.sign = spec.sign
        self.spec = spec
        self.principal = principal
        self.floor = floor
        self.foresight = _owned(param(f"{side}.foresight", spec.foresight))
        self.foresees = bool(np.any(self.foresight > 0))
        self.mandate = _full(n, param(f"{side}.bottom_line", spec.bottom_line))
        self.gap_cost = _full(n, param(f"{side}.gap_cost", spec.gap_cost))
        self.gap_sensitivity = _full(n, param(f"{side}.gap_sensitivity", spec.gap_sensitivity))
        self.gap_cost_factor: Any = 1.0
        self.pressure = np.zeros(n)
        self.pressure_at_mandate = np.zeros(n)
        self.anchor_demand = _full(n, param(f"{side}.opening", spec.opening))
        self.anchor_month = np.zeros(n, dtype=np.int64)
        self.own_last = self.anchor_demand.copy()
        offering = OFFERING[spec.tactic]
        self.stochastic = offering.classifier.stochastic
        self.opp_history = (np.full((n, HISTORY), np.nan)
                            if offering.classifier.reacts_to_opponent else None)
        self.space = space
        self.package_choice = spec.package_choice
        self.renewal_pct = _owned(param(f"{side}.renewal_pct", spec.renewal_pct))
        for name in OWN_PACKAGE + OPP_PACKAGE:
            setattr(self, name, np.full(n, np.nan))

    def build(self, param: Callable[[str, Any], Any]) -> None:
        """(Re)build the tactic objects with this chunk's per-run parameter arrays."""
        spec, side = self.spec, self.side
        self.tactic = make_offering(spec.tactic, **{
            k: param(f"{side}.tactic.{k}", v) for k, v in spec.tactic_params.items()})
        self.acceptance = make_acceptance(spec.acceptance, **{
            k: param(f"{side}.acceptance.{k}", v) for k, v in spec.acceptance_params.items()})


class _Talks:
    """One chunk of runs of one scenario, stepped month by month as arrays.

    It is what events see of the negotiation (``events.Talks``), as the Mesa model is
    for one run.
    """

    def __init__(self, sc: Scenario, per_run: dict[str, np.ndarray], seeds: np.ndarray,
                 rows: np.ndarray, out: _Outcomes) -> None:
        n = len(seeds)
        self.sc, self.out = sc, out
        self.per_run = per_run
        self.rows = rows  # positions in the batch
        self.key = draws.seed_key(seeds)
        self.alive = np.ones(n, dtype=bool)
        self.us_proposes = np.full(n, sc.first_mover == "us")
        self.walkouts = np.zeros(n, dtype=np.int64)
        self.vetoes = np.zeros(n, dtype=np.int64)
        self.tentative_deals = np.zeros(n, dtype=np.int64)
        self.principals = {s: _Principals(sc.side(s), self._param, n) for s in SIDES}
        in_force = self._param("agreement_in_force.amount_krw_bn", sc.amount_in_force)
        self.negotiators = {
            s: _Negotiators(sc.side(s), self.principals[s], self._param, n,
                            rules.in_force_floor(sc.side(s).sign, _owned(in_force), sc.floor),
                            sc.package)
            for s in SIDES}
        for negotiator in self.negotiators.values():
            negotiator.build(self._param)
        self.schedule = Schedule.of(sc.events)
        self.shock_fired = {e.index: np.zeros(n, dtype=bool) for e in self.schedule.shocks
                            if e.random}
        self.election_won: dict[int, np.ndarray] = {}
        self.rounds_held = np.zeros(n, dtype=np.int64)
        self.pending = np.zeros(n, dtype=bool)  # an approved deal awaits ratification
        self.pending_package = tuple(np.full(n, np.nan) for _ in range(ISSUES))
        self.vote_month = np.full(n, -1, dtype=np.int64)
        self.rejections = np.zeros(n, dtype=np.int64)
        self.leader_change = {s: np.full(n, -1, dtype=np.int64) for s in SIDES}
        self.in_force = _owned(in_force)
        self.opinion = sc.opinion
        if sc.opinion:
            self.attitudes = {i: np.full(n, c.initial) for i, c in enumerate(sc.opinion.cohorts)}
            self.opposition = _full(n, rules.opinion(sc.opinion.weights, [
                c.initial for c in sc.opinion.cohorts]))
        self.position = np.arange(n)  # chunk position of each run still in the arrays
        # By chunk position (never compacted): the agreed deal's initialled month (else the
        # last month), its package, the last approved deal's month, the ratification month.
        self.deals = SimpleNamespace(month=np.full(n, sc.n_months - 1),
                                     package=np.full((n, ISSUES), np.nan),
                                     initialled=np.full(n, -1), ratified=np.full(n, -1))

    def _param(self, key: str, default: Any) -> Any:
        return self.per_run.get(key, default)

    # --- what events see (events.Talks) ---------------------------------------------

    def negotiator(self, side: str) -> _Negotiators:
        return self.negotiators[side]

    def principal(self, side: str) -> _Principals:
        return self.principals[side]

    def param(self, key: str, default: Any, where: Any = ALL) -> Any:
        """A run parameter: this chunk's per-run values if overridden, else the scenario's."""
        return _pick(self.per_run.get(key, default), where)

    def record(self, record: Record) -> None:
        """The array engine keeps outcomes only, no per-month records."""

    def took_office(self, side: str, month: int, where: Any) -> None:
        first = self.leader_change[side]  # runs that have agreed are over: not counted
        self.leader_change[side] = np.where((first < 0) & self.alive & _mask(where, len(first)),
                                            month, first)

    # --- one month, in the Mesa model's order ---------------------------------------

    def run(self) -> None:
        sc = self.sc
        for m in range(sc.n_months):
            rounds = sc.round_counts[m]
            self._draw_events(m, rounds > 0)
            self.schedule.start_month(self, m, sc.expiry, self.shock_fired, self.election_won,
                                      self.event_u.get)
            rok = self.negotiators["rok"]
            if self.opinion:
                rok.put("floor", rules.win_set_limit(self.in_force, self.opinion.max_increase_pct,
                                                     self.opposition, rok.anchor_demand))
            if self.opinion:  # what the public reacts to this month
                self.month_us_offer = np.full(len(self.alive), np.nan)
                self.us_walked = np.zeros(len(self.alive), dtype=bool)
                self.us_vetoed = np.zeros(len(self.alive), dtype=bool)
            self.voted = False  # runs whose legislature votes this month hold no round
            if self.pending.any():
                self._vote(m)
            for r in range(rounds):
                if not self._round(m, r):
                    break
            if rules.in_gap(m, sc.expiry):  # a gap month for the runs still talking
                for negotiator in self.negotiators.values():
                    negotiator.bear_gap_month()
            if self.opinion:
                self._public(m)
            alive = np.count_nonzero(self.alive)
            if alive == 0:
                break
            if alive < COMPACT_BELOW * len(self.alive):
                self._compact()
        self._retire(np.arange(len(self.alive)))

    def _draw_events(self, m: int, held: bool) -> None:
        """This month's uniforms of the random events that may read one, in one go."""
        due = self.schedule.drawn(m, held)
        self.event_u: dict[int, np.ndarray] = {}
        if due:
            u = draws.uniform_at(self.key, m, [draws.STREAM_EVENTS + i for i in due])
            self.event_u = {i: u[:, j] for j, i in enumerate(due)}

    def _walked(self, m: int, r: int) -> tuple[np.ndarray | bool, np.ndarray | bool]:
        """Runs in which a side walks out of round ``r`` (True: all), and in which the
        US does."""
        walked: np.ndarray | bool = False
        by_us: np.ndarray | bool = False
        randoms = [e.index for e in self.schedule.walkouts if e.random]
        u = self.event_u
        if r and randoms:  # a month's later rounds read their own streams
            cells = draws.uniform_at(self.key, m, [draws.stream(draws.STREAM_EVENTS + i, r)
                                                   for i in randoms])
            u = {i: cells[:, j] for j, i in enumerate(randoms)}
        for ev in self.schedule.walkouts:  # the first walk-out of a run is the one counted
            out = ev.walks_out(self, m, u.get(ev.index))
            first = ~walked if isinstance(walked, np.ndarray) else True
            if out is True:
                return True, by_us | first if ev.side == "us" else by_us
            if isinstance(out, np.ndarray):
                if ev.side == "us":
                    by_us = by_us | (out & first)
                walked = walked | out
        return walked, by_us

    def _round(self, m: int, r: int) -> bool:
        """Round ``r`` of month ``m`` for the runs still talking; False when none is."""
        talking = self.alive & ~self.pending if self.sc.ratification else self.alive
        if self.voted is not False:
            talking = talking & ~self.voted
        if not talking.any():
            return False
        self.rounds_held += talking
        walked, by_us = self._walked(m, r)
        if self.opinion:
            self.us_walked |= by_us & talking
        if walked is True:
            self.walkouts += talking
            return True
        talked = talking if walked is False else talking & ~walked  # rounds that took place
        self.walkouts += walked & talking
        us, rok = self.negotiators["us"], self.negotiators["rok"]
        views = {}
        offers = {}
        n = len(self.alive)
        for s, negotiator in self.negotiators.items():
            u = (draws.uniform_at(self.key, m, draws.stream(draws.STREAM_TACTIC[s], r))
                 if negotiator.stochastic else 0.0)
            views[s] = negotiator.view(m, u)
            offer = negotiator.tactic.offer(views[s])
            if negotiator.foresees:
                offer = negotiator.anticipate(offer, self.schedule.outlook(
                    self, s, m, self.election_won))
            offers[s] = _per_run(offer, n)
        result = protocol.exchange(self.sc, us, rok, (views["us"], views["rok"]),
                                   (offers["us"], offers["rok"]), self.us_proposes,
                                   ALL if talked.all() else talked)
        if self.sc.protocol == "alternating":
            self.us_proposes = rules.next_proposer(self.us_proposes, talked)
        deal = _per_run(result.deal, n) & talked
        if self.opinion:
            self.month_us_offer = np.where(talked, result.us[0], self.month_us_offer)
        idx = np.flatnonzero(deal)
        if idx.size:
            self._initialled(m, r, idx, tuple(_per_run(x, n)[idx] for x in result.agreed))
        return True

    def _initialled(self, m: int, r: int, idx: np.ndarray, package: tuple[np.ndarray, ...]
                    ) -> None:
        """Leaders review the deals initialled in runs ``idx`` (what each is worth to their
        side); vetoes re-anchor. Approved deals are agreed, or await their legislature's
        vote."""
        self.tentative_deals[idx] += 1
        u = draws.uniform_at(self.key[idx], m,
                             [draws.stream(draws.STREAM_VETO[s], r) for s in SIDES])
        veto = {s: self.principals[s].vetoes(self.negotiators[s].worth(package, idx), u[:, j],
                                             idx)
                for j, s in enumerate(SIDES)}
        agreed = ~(veto["us"] | veto["rok"])
        done = idx[agreed]
        self.deals.initialled[self.position[done]] = m
        delay = ratification.delay(self.sc.ratification)
        kept = tuple(x[agreed] for x in package)
        if delay is None:
            self._in_force(done, m, kept, m)
        else:
            self.pending[done] = True
            for held, x in zip(self.pending_package, kept, strict=True):
                held[done] = x
            self.vote_month[done] = m + delay
        if self.opinion:
            self.us_vetoed[idx[veto["us"]]] = True
        for s, negotiator in self.negotiators.items():
            v = idx[veto[s]]
            if v.size == 0:
                continue
            self.vetoes[v] += 1
            negotiator.after_veto(m, v)

    def _vote(self, m: int) -> None:
        """The legislatures vote on the deals whose vote falls in month ``m``."""
        voting = self.pending & (self.vote_month == m)
        idx = np.flatnonzero(voting)
        if idx.size == 0:
            return
        self.voted = voting
        package = tuple(x[idx] for x in self.pending_package)
        increase = rules.increase_pct(package[0], _pick(self.in_force, idx))
        rejected = {}
        for side, rat in self.sc.ratification.items():
            opposition = (_pick(self.opposition, idx) if self.opinion and side == "rok"
                          else 0.0)
            u = draws.uniform_at(self.key[idx], m, ratification.streams(rat))
            rejected[side] = ~ratification.passes(rat, increase, opposition,
                                                  [u[:, j] for j in range(u.shape[1])])
        self.pending[idx] = False
        lost = np.zeros(idx.size, dtype=bool)
        for mask in rejected.values():
            lost |= mask
        ok = idx[~lost]
        self._in_force(ok, self.deals.initialled[self.position[ok]],
                       tuple(x[~lost] for x in package), m)
        self.rejections[idx[lost]] += 1
        for side, mask in rejected.items():
            if mask.any():
                negotiator = self.negotiators[side]
                lost_package = tuple(x[mask] for x in package)
                negotiator.after_rejection(negotiator.worth(lost_package, idx[mask]), m,
                                           idx[mask])

    def _in_force(self, idx: np.ndarray, initialled: Any, package: tuple[np.ndarray, ...],
                  m: int) -> None:
        """Deals in force in runs ``idx`` (initialled in ``initialled``, in force in ``m``)."""
        pos = self.position[idx]
        self.deals.month[pos] = initialled
        for i, x in enumerate(package):
            self.deals.package[pos, i] = x
        self.deals.ratified[pos] = m
        self.alive[idx] = False

    def _public(self, m: int) -> None:
        """The month's stimulus moves every cohort; the public's opposition follows."""
        op, sc = self.opinion, self.sc
        furlough: Any = False
        for ev in self.schedule.furloughs:
            if ev.side == "rok":
                furlough = furlough | ev.starts(self, m, sc.expiry)
        stimulus = op.stimulus(self.month_us_offer, self.in_force, self.us_walked, furlough,
                               self.us_vetoed)
        for i, c in enumerate(op.cohorts):
            self.attitudes[i] = rules.attitude_after(self.attitudes[i], c.baseline,
                                                     c.persistence, c.response, stimulus)
        self.opposition = rules.opinion(op.weights, [self.attitudes[i]
                                                     for i in range(len(op.cohorts))])

    # --- bookkeeping ----------------------------------------------------------------

    def _retire(self, idx: np.ndarray) -> None:
        """Write the outcome rows of runs ``idx`` (agreed, or censored at the horizon)."""
        sc, out, rows = self.sc, self.out, self.rows[idx]
        pos = self.position[idx]
        end = self.deals.month[pos]
        deal = self.deals.package[pos]
        amount = deal[:, 0]
        agreed = ~self.alive[idx]
        krw = self.param("scenario.krw_per_usd", sc.krw_per_usd, idx)
        in_force = self.param("agreement_in_force.amount_krw_bn", sc.amount_in_force, idx)
        last = sc.n_months - 1
        out["agreed"][rows] = agreed
        out["agreement_month"][rows] = np.where(agreed, sc.talks_start + end, -1)
        out["amount_krw_bn"][rows] = amount
        out["amount_usd_m"][rows] = rules.usd_m(amount, krw)
        out["increase_pct"][rows] = rules.increase_pct(amount, in_force)
        out["gap_months"][rows] = rules.gap_months(agreed, end, sc.expiry, last)
        out["censored"][rows] = ~agreed
        out["rounds_held"][rows] = self.rounds_held[idx]
        out["walkouts"][rows] = self.walkouts[idx]
        out["vetoes"][rows] = self.vetoes[idx]
        out["tentative_deals"][rows] = self.tentative_deals[idx]
        stated = self.param("new_agreement.term_years", sc.term_years, idx)
        term = deal[:, 1]
        negotiated = sc.package.negotiated
        out["term_years"][rows] = np.where(agreed, term, stated) if negotiated else stated
        out["lead_months"][rows] = rules.lead_months(agreed, end, sc.expiry, last)
        initialled = self.deals.initialled[pos]
        out["initialled_month"][rows] = np.where(initialled >= 0, sc.talks_start + initialled, -1)
        out["ratified"][rows] = agreed
        out["ratified_month"][rows] = np.where(agreed, sc.talks_start + self.deals.ratified[pos],
                                               -1)
        out["rejections"][rows] = self.rejections[idx]
        for s in SIDES:
            first = self.leader_change[s][idx]
            out[f"{s}_leader_change_month"][rows] = np.where(first >= 0, sc.talks_start + first,
                                                             -1)
        pct = deal[:, 2] if negotiated else np.full(idx.size, sc.escalator_pct)
        self._package(rows, agreed, amount, out["term_years"][rows], np.where(agreed, pct,
                                                                              sc.escalator_pct))
        for i, item in enumerate(sc.package.items, start=3):
            out[f"{item.name}_pct"][rows] = np.where(agreed, deal[:, i], item.stated)

    def _package(self, rows: np.ndarray, agreed: np.ndarray, amount: np.ndarray,
                 term: np.ndarray, pct: np.ndarray) -> None:
        """The package columns of runs ``rows``: rule, escalator number, payment path (a
        list per agreed run) and its totals, from ``packages`` as the Mesa model has them."""
        sc, out = self.sc, self.out
        out["escalator"][rows] = sc.package.escalator
        out["escalator_pct"][rows] = packages.escalator_pct_label(sc.package, pct)
        done = np.flatnonzero(agreed)
        if done.size == 0:
            return
        path, paid, discounted = packages.settled(sc.package, amount[done], term[done],
                                                  pct[done])
        out["total_krw_bn"][rows[done]] = paid
        out["total_discounted_krw_bn"][rows[done]] = discounted
        column, term = out["payments_krw_bn"], term[done]
        with _collector_paused():  # a tuple of floats per run: nothing for it to collect
            for t in np.unique(term).tolist():  # one slice per term length
                same = term == t
                paths = list(map(tuple, path[same, :t].tolist()))
                column[rows[done[same]]] = np.fromiter(paths, dtype=object, count=len(paths))

    def _compact(self) -> None:
        """Drop the runs that have agreed from every per-run array."""
        n = len(self.alive)
        self._retire(np.flatnonzero(~self.alive))
        keep = np.flatnonzero(self.alive)

        def shrink(holder: dict[str, Any]) -> None:
            for name, value in holder.items():
                if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n:
                    holder[name] = value[keep]
                elif isinstance(value, dict):
                    shrink(value)
                elif isinstance(value, tuple) and all(isinstance(x, np.ndarray) for x in value):
                    holder[name] = tuple(x[keep] if x.ndim and x.shape[0] == n else x
                                         for x in value)

        for obj in (self, *self.negotiators.values(), *self.principals.values()):
            shrink(vars(obj))
        for negotiator in self.negotiators.values():
            negotiator.build(self._param)
