"""The negotiators' and principals' state transitions, written once for both engines.

A side's state is a handful of named values (mandate, pressure, anchor demand, veto
threshold, ...). The Mesa model holds one run's values as plain numbers on its agents;
the array engine holds a batch's values as numpy arrays, one element per run. The
transitions below (re-anchor a demand, set a new mandate, bear a gap month, remember the
opponent's offer, take office, reveal a threshold after a veto) are written once, over
``take``/``put`` of named values; each engine supplies only the storage:

* ``ScalarStore`` (the Mesa agents): ``where`` is always ``ALL``, values are numbers;
* ``ArrayStore`` (the array engine): ``where`` selects runs (``ALL``, a boolean mask or
  positions), values are arrays over the selected runs or scalars for all of them.

The maths inside the transitions lives in ``rules``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import packages, rules
from .tactics import NegotiationView, packaged

ALL = slice(None)  # every run (the only selection a single run has)


class ScalarStore:
    """Storage of one run's state as plain attributes."""

    def take(self, name: str, where: Any = ALL) -> Any:
        return getattr(self, name)

    def put(self, name: str, value: Any, where: Any = ALL) -> None:
        setattr(self, name, value)


class ArrayStore:
    """Storage of a batch's state as numpy arrays over runs (scalars where shared).

    ``where`` is ``ALL``; a boolean mask over the runs, with values given for every run
    (only the selected runs change); or run positions, with values for those positions.
    A write never changes an array in place (it stores a new one), so a stored array may
    be shared with a caller, e.g. a per-run parameter column, without being altered.
    """

    def take(self, name: str, where: Any = ALL) -> Any:
        value = getattr(self, name)
        if isinstance(value, np.ndarray) and is_positions(where):
            return value[where]
        return value

    def put(self, name: str, value: Any, where: Any = ALL) -> None:
        current = getattr(self, name)
        if where is ALL:
            if isinstance(current, np.ndarray):
                if np.shape(value) != current.shape:
                    value = np.full(current.shape, value, dtype=current.dtype)
                elif value.dtype != current.dtype:
                    value = value.astype(current.dtype)
            setattr(self, name, value)
        elif is_positions(where):
            changed = current.copy()
            changed[where] = value
            setattr(self, name, changed)
        else:  # a mask: keep the unselected runs' values
            mask = where.reshape(where.shape + (1,) * (np.ndim(current) - 1))
            setattr(self, name, np.where(mask, value, current))


def is_positions(where: Any) -> bool:
    """``where`` lists run positions (rather than being ALL or a boolean mask)."""
    return isinstance(where, np.ndarray) and where.dtype != bool


class PrincipalState:
    """A side's leader: veto threshold and probability, demand after a veto.

    Mixed into a store (``ScalarStore`` or ``ArrayStore``), which comes first in the
    bases and supplies ``take`` and ``put``.
    """

    sign: Any
    take: Any
    put: Any

    def take_office(self, label: str, veto_threshold: Any, veto_probability: Any,
                    reset_demand: Any, where: Any = ALL) -> None:
        """A new profile; its threshold is not yet known to anyone (NaN: never vetoes,
        NaN reset demand: the threshold)."""
        self.put("label", label, where)
        self.put("veto_threshold", veto_threshold, where)
        self.put("veto_probability", veto_probability, where)
        self.put("reset_demand", reset_demand, where)
        self.put("threshold_known", False, where)

    def vetoes(self, amount: Any, u: Any, where: Any = ALL) -> Any:
        """Review an initialled deal."""
        return rules.vetoes(self.sign, amount, self.take("veto_threshold", where),
                            self.take("veto_probability", where), u)

    def demand_after_veto(self, where: Any = ALL) -> Any:
        return rules.demand_after_veto(self.take("veto_threshold", where),
                                       self.take("reset_demand", where))

    def known_threshold(self) -> Any:
        """Which runs know the threshold (plain False while none does)."""
        return self.threshold_known


class NegotiatorState:
    """A side's negotiator: demand, mandate, gap pressure, tactic, acceptance rule.

    When term or escalator is negotiated it also holds the package space (``space``),
    how it picks a package (``package_choice``), the change it expects at the next
    negotiation (``renewal_pct``), and its own and the opponent's last packages
    (``OWN_PACKAGE``, ``OPP_PACKAGE``; NaN before the first).
    """

    sign: Any
    principal: PrincipalState
    floor: Any  # no bottom line past this amount (None: no floor)
    space: packages.PackageSpace
    package_choice: str
    take: Any
    put: Any

    def reanchor(self, demand: Any, month: Any, where: Any = ALL) -> None:
        """Restart the tactic from ``demand`` at ``month`` (start, veto, new leader)."""
        self.put("anchor_demand", demand, where)
        self.put("anchor_month", month, where)
        self.put("own_last", demand, where)

    def set_mandate(self, bottom_line: Any, where: Any = ALL) -> None:
        """A new mandate; gap pressure moves it from here on."""
        self.put("mandate", bottom_line, where)
        self.put("pressure_at_mandate", self.take("pressure", where), where)

    def bear_gap_month(self, where: Any = ALL) -> None:
        """A month without an agreement in force costs this side."""
        self.put("pressure", rules.gap_pressure(
            self.take("pressure", where), self.take("gap_cost", where),
            self.take("gap_cost_factor", where)), where)

    def current_bottom_line(self) -> Any:
        p = self.principal
        return rules.bottom_line(self.mandate, self.sign, self.gap_sensitivity, self.pressure,
                                 self.pressure_at_mandate, p.known_threshold(),
                                 p.veto_threshold, self.floor)

    def view(self, month: int, u: Any) -> NegotiationView:
        """The read-only state this negotiator's tactic sees this round."""
        return NegotiationView(
            sign=self.sign, month=month, t=month - self.anchor_month,
            opening=self.anchor_demand, bottom_line=self.current_bottom_line(),
            pressure=self.pressure, own_last=self.own_last, opp_history=self.opp_history, u=u)

    def observe(self, own_offer: Any, opponent_offer: Any, where: Any = ALL) -> None:
        """After a round: remember one's own offer and the opponent's (tit-for-tat
        tactics look back)."""
        self.put("own_last", own_offer, where)
        if self.opp_history is not None:
            self.put("opp_history", rules.remember(self.take("opp_history", where),
                                                   opponent_offer), where)

    def anticipate(self, offer: Any, outlook: tuple[Any, Any] | None, where: Any = ALL) -> Any:
        """This round's offer adjusted for a transition it sees coming (``outlook``:
        hurry and stall weights from ``events.Schedule.outlook``), by its foresight."""
        if outlook is None:
            return offer
        foresight = self.take("foresight", where)
        hurry, stall = outlook
        return rules.anticipated_offer(offer, self.take("own_last", where),
                                       self.current_bottom_line(), foresight * hurry,
                                       foresight * stall)

    def after_rejection(self, amount: Any, month: Any, where: Any = ALL) -> None:
        """The legislature rejected ``amount``: the leader will not let it be agreed
        again (its threshold moves there, and is known), and the negotiator restarts from
        its last offer."""
        p = self.principal
        stricter = self.sign * np.fmax(self.sign * p.take("veto_threshold", where),
                                       self.sign * amount)
        p.put("veto_threshold", stricter, where)
        p.put("threshold_known", True, where)
        self.reanchor(self.take("own_last", where), month, where)

    def after_veto(self, month: Any, where: Any = ALL) -> None:
        """The leader vetoed: its threshold is now known, the demand restarts from it
        (or from the leader's reset demand)."""
        self.principal.put("threshold_known", True, where)
        self.reanchor(self.principal.demand_after_veto(where), month, where)

    # --- packages: term and escalator negotiated (``space.negotiated``) -----------

    def preferences(self, view: NegotiationView) -> packages.Preferences:
        """This round's preferences over packages: ideal at the anchor demand, bottom at
        the current bottom line (utility 1 and 0)."""
        return packages.Preferences(self.sign, view.opening, view.bottom_line,
                                    self.renewal_pct)

    def package_for(self, offer: Any, view: NegotiationView, judge: NegotiatorState,
                    where: Any = ALL) -> tuple[Any, ...]:
        """The package this round's tactic amount stands for (its target utility: the
        share of the way from bottom line to opening it keeps), as the side's
        ``package_choice`` picks it, followed by its worth to this side and to ``judge``
        (the other side) (``where``: ALL or a mask of the runs that table one; NaN in the
        others)."""
        return packaged.choose(self.space, self.valuation(), self.preferences(view),
                               self.package_choice, offer,
                               tuple(getattr(self, name) for name in OWN_PACKAGE),
                               tuple(getattr(self, name) for name in OPP_PACKAGE),
                               None if where is ALL else where, offered=True,
                               judge=judge.valuation())

    def valuation(self, where: Any = ALL) -> packages.Valuation:
        """This side's weights over the package grid at its expected renewal (cached:
        per scenario when one number, per stored array when one per run)."""
        renewal = self.take("renewal_pct", where)
        per_run = isinstance(renewal, np.ndarray) and renewal.ndim > 0
        if not per_run or where is not ALL:  # (a few runs: vetoes, rejections; not kept)
            return packages.valuation(self.space, self.sign, renewal)
        held = getattr(self, "_valued", None)
        if held is None or held[0] is not renewal:
            held = (renewal, packages.valuation(self.space, self.sign, renewal))
            self._valued = held
        return held[1]

    def worth(self, package: tuple[Any, Any, Any], where: Any = ALL) -> Any:
        """The package as a first-year amount under the stated term and escalator, at
        this side's expected renewal: what its acceptance rule, its memory of offers and
        its leader's threshold compare (utility increases with it for the US, decreases
        for the ROK); with a single issue, the amount."""
        if not self.space.negotiated:
            return package[0]
        return packages.worth_on_grid(self.space, self.valuation(where), package)

    def observe_package(self, own: tuple[Any, ...], opponent: tuple[Any, ...],
                        where: Any = ALL) -> None:
        """Remember one's own package (the trade-off moves from it) and the opponent's
        (it moves toward it); side items only when some is negotiated."""
        kept = len(OWN_PACKAGE) if self.space.items_negotiated else 3
        for names, package in ((OWN_PACKAGE, own), (OPP_PACKAGE, opponent)):
            for name, value in zip(names[:kept], package[:kept], strict=True):
                self.put(name, value, where)


# The last packages a negotiator remembers: (amount, term, escalator number, side items).
OWN_PACKAGE = ("own_amount", "own_term", "own_pct", "own_in_kind", "own_wage_share")
OPP_PACKAGE = ("opp_amount", "opp_term", "opp_pct", "opp_in_kind", "opp_wage_share")
