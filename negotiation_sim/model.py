"""The Mesa model: where time passes, one step per calendar month.

Each month, in order: (1) events due fire (leader changes, shocks, furlough, walk-
outs); (2) if a round is held, the protocol runs; (3) an initialled deal goes to both
leaders, and a veto re-anchors the vetoing side's demand; (4) a month past expiry
without a deal is a gap month and both sides bear its cost; (5) the month is recorded.
The run ends at agreement or after the horizon month.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from . import draws, events, packages, protocol, ratification, rules
from .agents import Cohort, Negotiator, Principal
from .events import Record, Schedule, Walkout
from .outcome import TRACE_FIELDS, Outcome
from .scenario import Scenario, flat_to_dotted, load_scenario
from .state import ALL
from .tactics.packaged import ISSUES, Package


def _resolve_scenario(scenario: Scenario | str | Path, params: dict[str, Any]) -> Scenario:
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if params:
        scenario = scenario.with_overrides({flat_to_dotted(k): v for k, v in params.items()})
    return scenario


def _seed_from(rng: Any) -> int:
    """An integer seed for the run's draws from whatever Mesa accepts as ``rng``."""
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63 - 1))
    if isinstance(rng, int | np.integer) and rng >= 0:
        return int(rng)
    raise ValueError(f"rng must be a non-negative integer seed, got {rng!r}")


class SMAModel(mesa.Model):
    """US and ROK negotiators bargaining over the SMA's first-year amount.

    Parameters are plain keywords so ``mesa.batch_run`` can sweep them: ``scenario``
    (a ``Scenario`` or a TOML path), ``rng`` (integer seed), ``collect`` (record the
    per-month trace), and any scenario key by its flat name (``us_opening``,
    ``us_tactic_beta``, ``rok_principal_veto_threshold``, ``events_2_probability``).
    The validated scenario is ``model.settings`` (Mesa 3.5 reserves ``model.scenario``).
    """

    def __init__(self, scenario: Scenario | str | Path = "configs/sma11.toml", *,
                 rng: Any = None, collect: bool = True, **params: Any) -> None:
        if "seed" in params:  # older Mesa batch_run passes seed=
            rng = params.pop("seed")
        self.seed = _seed_from(rng)
        super().__init__(rng=self.seed)
        self.settings = sc = _resolve_scenario(scenario, params)
        self.collect = collect
        self.u = draws.uniforms(self.seed, sc.n_months, sc.random_streams).tolist()

        self.principals = {s: Principal(self, s, sc.side(s).principal) for s in ("us", "rok")}
        self.negotiators = {s: Negotiator(self, sc.side(s), self.principals[s])
                            for s in ("us", "rok")}
        self.negotiator_set = self.agents_by_type[Negotiator]
        self.cohorts = [Cohort(self, c) for c in sc.opinion.cohorts] if sc.opinion else []
        self.schedule = Schedule.of(sc.events)
        self.shock_fired: dict[int, bool] = {}
        self.election_won: dict[int, bool] = {}
        self.key = draws.seed_key(self.seed)

        self.month_index = 0
        self.us_proposes = sc.first_mover == "us"
        self.agreed = False
        self.agreement_month: int | None = None
        self.amount = math.nan
        self.package: Package = (math.nan,) * ISSUES  # the agreed package
        self.deal: Package = (math.nan,) * ISSUES  # last initialled (vetoed or not)
        self.rounds_held = self.walkouts = self.vetoes = self.tentative_deals = 0
        self.pending: Package | None = None  # approved, awaiting the vote
        self.initialled_month: int | None = None
        self.vote_month = -1
        self.ratified_month: int | None = None
        self.rejections = 0
        self.leader_change_month: dict[str, int] = {}
        self.opposition = (rules.opinion(sc.opinion.weights, [c.attitude for c in self.cohorts])
                           if sc.opinion else math.nan)
        self.records: list[Record] = []  # what happened this month

        self.datacollector = mesa.DataCollector(
            model_reporters={name: f"rec_{name}" for name in TRACE_FIELDS}
        )

    # --- what events see (events.Talks) -----------------------------------------

    def negotiator(self, side: str) -> Negotiator:
        return self.negotiators[side]

    def principal(self, side: str) -> Principal:
        return self.principals[side]

    def param(self, key: str, default: Any, where: Any = ALL) -> Any:
        """A run parameter: the scenario already holds this run's values."""
        return default

    def record(self, record: Record) -> None:
        self.records.append(record)

    def took_office(self, side: str, month: int, where: Any) -> None:
        self.leader_change_month.setdefault(side, month)

    # --- one month -------------------------------------------------------------

    def step(self) -> None:
        m, sc = self.month_index, self.settings
        u = self.u[m]
        self.records = []
        self.schedule.start_month(self, m, sc.expiry, self.shock_fired, self.election_won,
                                  lambda i: u[draws.STREAM_EVENTS + i])
        us, rok = self.negotiators["us"], self.negotiators["rok"]
        if sc.opinion:  # the public's opposition narrows the ROK win-set
            rok.put("floor", rules.win_set_limit(sc.amount_in_force, sc.opinion.max_increase_pct,
                                                 self.opposition, rok.anchor_demand))
        # Bottom lines at the start of the month, for the trace only.
        b_us, b_rok = (us.bottom_line, rok.bottom_line) if self.collect else (math.nan,) * 2
        offered: dict[str, Package] = {"us": (math.nan,) * ISSUES, "rok": (math.nan,) * ISSUES}
        us_walked = us_vetoed = False
        held = False
        if self.pending is not None:
            if m == self.vote_month:
                self._vote(m)
        else:
            for r in range(sc.round_counts[m]):
                held = True
                self.rounds_held += 1
                walkout = self._walkout(m, u, r)
                if walkout is not None:
                    self.walkouts += 1
                    us_walked = us_walked or walkout.side == "us"
                    self.record(walkout.record())
                    continue
                offered = self._round(m, u, r)
                us_vetoed = us_vetoed or any(rec.kind == events.VETO and rec.side == "us"
                                             for rec in self.records)
                if self.agreed or self.pending is not None:
                    break
        in_gap = not self.agreed and rules.in_gap(m, sc.expiry)
        if in_gap:
            self.negotiator_set.do("bear_gap_month")
        if sc.opinion:
            furlough = any(f.side == "rok" and f.starts(self, m, sc.expiry)
                           for f in self.schedule.furloughs)
            stimulus = sc.opinion.stimulus(offered["us"][0], sc.amount_in_force, us_walked,
                                           furlough, us_vetoed)
            self.agents_by_type[Cohort].do("react", float(stimulus))
            self.opposition = rules.opinion(sc.opinion.weights,
                                            [c.attitude for c in self.cohorts])
        self._record(m, held, offered, b_us, b_rok, in_gap)
        self.month_index += 1
        if self.agreed or self.month_index >= sc.n_months:
            self.running = False

    def _walkout(self, m: int, u: list[float], r: int) -> Walkout | None:
        """The walk-out that cancels this round, if any (in the scenario's order)."""
        for ev in self.schedule.walkouts:
            if ev.walks_out(self, m, u[draws.stream(draws.STREAM_EVENTS + ev.index, r)]):
                return ev
        return None

    def _round(self, m: int, u: list[float], r: int) -> dict[str, Package]:
        """One round: offers, responses and settlement (``protocol.exchange``); returns the
        packages tabled."""
        us, rok = self.negotiators["us"], self.negotiators["rok"]
        view_us = us.view(m, u[draws.stream(draws.STREAM_TACTIC["us"], r)])
        view_rok = rok.view(m, u[draws.stream(draws.STREAM_TACTIC["rok"], r)])
        x_us = us.propose(view_us, self._outlook(us, m))
        x_rok = rok.propose(view_rok, self._outlook(rok, m))
        result = protocol.exchange(self.settings, us, rok, (view_us, view_rok), (x_us, x_rok),
                                   self.us_proposes)
        if self.settings.protocol == "alternating":
            self.us_proposes = rules.next_proposer(self.us_proposes)
        if result.deal:
            self._initialled(m, tuple(map(float, result.agreed)), u, r)
        return {"us": result.us, "rok": result.rok}

    def _outlook(self, negotiator: Negotiator, m: int) -> tuple[Any, Any] | None:
        if not negotiator.foresight:
            return None
        return self.schedule.outlook(self, negotiator.side, m, self.election_won)

    def _initialled(self, m: int, package: Package, u: list[float],
                    r: int) -> None:
        """Both leaders review an initialled deal (what it is worth to their side); a veto
        re-anchors that side. An approved deal is agreed, or awaits its legislature's
        vote."""
        self.tentative_deals += 1
        self.deal = package
        data = self._deal_data(package)
        vetoing = [s for s, p in self.principals.items()
                   if p.review(self.negotiators[s].worth(package),
                               u[draws.stream(draws.STREAM_VETO[s], r)])]
        if not vetoing:
            self.initialled_month = m
            delay = ratification.delay(self.settings.ratification)
            if delay is None:
                self._in_force(m, m, package)
            else:
                self.pending, self.vote_month = package, m + delay
                self.record(Record(events.INITIALLED, None, data))
            return
        self.record(Record(events.TENTATIVE_DEAL, None, data))
        for s in vetoing:
            self.vetoes += 1
            self.negotiators[s].after_veto(m)
            self.record(Record(events.VETO, s))

    def _deal_data(self, package: Package) -> dict[str, Any]:
        """A deal's record: its amount, and term, escalator and side items when
        negotiated (the side items when some is)."""
        space = self.settings.package
        if not space.negotiated:
            return {"amount_krw_bn": package[0]}
        data = {"amount_krw_bn": package[0], "term_years": int(package[1]),
                "escalator_pct": package[2]}
        if space.items_negotiated:
            data.update({f"{item.name}_pct": level
                         for item, level in zip(space.items, package[3:], strict=True)})
        return data

    def _vote(self, m: int) -> None:
        """The legislatures vote on the pending deal: in force, or back to the table."""
        sc, package = self.settings, self.pending
        increase = rules.increase_pct(package[0], sc.amount_in_force)
        opposition = self.opposition if sc.opinion else 0.0
        rejected = []
        for side, rat in sc.ratification.items():
            u = draws.uniform_at(self.key, m, ratification.streams(rat)).tolist()
            if not ratification.passes(rat, increase, opposition if side == "rok" else 0.0, u):
                rejected.append(side)
        self.pending = None
        data = self._deal_data(package)
        if not rejected:
            self.record(Record(events.RATIFIED, None, data))
            self._in_force(self.initialled_month, m, package)
            return
        self.rejections += 1
        for side in rejected:
            negotiator = self.negotiators[side]
            negotiator.after_rejection(negotiator.worth(package), m)
            self.record(Record(events.REJECTED, side, data))

    def _in_force(self, initialled: int, m: int, package: Package) -> None:
        self.agreed, self.agreement_month = True, initialled
        self.amount, self.package = package[0], package
        self.ratified_month = m
        self.record(Record(events.AGREEMENT, None, self._deal_data(package)))

    def _record(self, m: int, held: bool, offered: dict[str, Package],
                b_us: float, b_rok: float, in_gap: bool) -> None:
        if not self.collect:
            return
        self.rec_month = self.settings.month_label(m)
        self.rec_round_held = held
        (self.rec_us_offer, self.rec_us_offer_term, self.rec_us_offer_escalator_pct,
         self.rec_us_offer_in_kind_pct, self.rec_us_offer_wage_share_pct) = map(
            float, offered["us"])
        (self.rec_rok_offer, self.rec_rok_offer_term, self.rec_rok_offer_escalator_pct,
         self.rec_rok_offer_in_kind_pct, self.rec_rok_offer_wage_share_pct) = map(
            float, offered["rok"])
        self.rec_distance = self.rec_us_offer - self.rec_rok_offer
        self.rec_us_bottom_line, self.rec_rok_bottom_line = b_us, b_rok
        self.rec_in_gap = in_gap
        self.rec_gap_months = max(0, m - self.settings.expiry) if in_gap or self.agreed else 0
        self.rec_us_leader = self.principals["us"].label
        self.rec_rok_leader = self.principals["rok"].label
        self.rec_events = events.encode(self.records)
        self.rec_agreed = self.agreed
        dealt = any(r.kind in (events.AGREEMENT, events.TENTATIVE_DEAL, events.INITIALLED)
                    for r in self.records)
        (self.rec_deal_amount, self.rec_deal_term, self.rec_deal_escalator_pct,
         self.rec_deal_in_kind_pct, self.rec_deal_wage_share_pct) = (
            self.deal if dealt else (math.nan,) * ISSUES)
        self.rec_opposition = float(self.opposition)
        self.datacollector.collect(self)

    # --- results ----------------------------------------------------------------

    def run(self) -> Outcome:
        """Step to agreement or horizon; return the outcome."""
        while self.running:
            self.step()
        return self.outcome()

    def outcome(self) -> Outcome:
        sc = self.settings
        last = self.month_index - 1
        end = self.agreement_month if self.agreed else 0
        gap = int(rules.gap_months(self.agreed, end, sc.expiry, last))
        amount = self.amount if self.agreed else math.nan

        def label(month: int | None) -> str | None:
            return None if month is None else sc.month_label(month)

        _, term, pct, *items = self.package if self.agreed else protocol.stated(sc, amount)
        path, paid, discounted = (packages.settled(sc.package, amount, int(term), pct)
                                  if self.agreed else (None, math.nan, math.nan))

        return Outcome(
            agreed=self.agreed,
            agreement_month=label(self.agreement_month),
            amount_krw_bn=amount,
            amount_usd_m=rules.usd_m(amount, sc.krw_per_usd),
            increase_pct=float(rules.increase_pct(amount, sc.amount_in_force)),
            gap_months=gap,
            censored=not self.agreed,
            rounds_held=self.rounds_held,
            walkouts=self.walkouts,
            vetoes=self.vetoes,
            tentative_deals=self.tentative_deals,
            term_years=int(term),
            lead_months=int(rules.lead_months(self.agreed, end, sc.expiry, last)),
            initialled_month=label(self.initialled_month),
            ratified=self.agreed,
            ratified_month=label(self.ratified_month),
            rejections=self.rejections,
            us_leader_change_month=label(self.leader_change_month.get("us")),
            rok_leader_change_month=label(self.leader_change_month.get("rok")),
            escalator=sc.package.escalator,
            escalator_pct=float(packages.escalator_pct_label(sc.package, pct)),
            payments_krw_bn=None if path is None else tuple(path.tolist()),
            total_krw_bn=float(paid),
            total_discounted_krw_bn=float(discounted),
            in_kind_pct=float(items[0]),
            wage_share_pct=float(items[1]),
        )

    def trace(self):  # -> pandas.DataFrame
        """The per-month table from the DataCollector."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df.loc[:, list(TRACE_FIELDS)]


def release(model: SMAModel) -> None:
    """Let a finished run's model be garbage-collected.

    Mesa before 3.4 keeps every model as a key of the class attribute ``Agent._ids``
    (mesa issue #3179, fixed by mesa PR #3180), so a batch would keep all its models
    alive: about 37 kB per run, 3.7 GB for 10^5 runs. The model is done, so its entry
    (its agents' id counter) is no longer needed.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
