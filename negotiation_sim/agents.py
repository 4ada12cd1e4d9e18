"""The Mesa agents: a negotiator and a principal (leader) per side.

Negotiators only propose and respond, seeing a read-only ``NegotiationView``; the
model (the mechanism) owns the clock, the deadline and the record. Their state
transitions (``state.NegotiatorState``, ``state.PrincipalState``) are the ones the
array engine runs on arrays; here each value is one run's plain number.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from . import rules
from .events import Principal as PrincipalProfile
from .opinion import Cohort as CohortSpec
from .scenario import Side
from .state import OPP_PACKAGE, OWN_PACKAGE, NegotiatorState, PrincipalState, ScalarStore
from .tactics import HISTORY, NegotiationView, make_acceptance, make_offering

if TYPE_CHECKING:
    from .model import SMAModel


def _number(value: float | None) -> float:
    """A profile's optional amount as a float (NaN: absent)."""
    return math.nan if value is None else float(value)


class Principal(ScalarStore, PrincipalState, mesa.Agent):
    """A side's leader: holds the veto threshold, can be replaced by a new profile."""

    def __init__(self, model: SMAModel, side: str, profile: PrincipalProfile) -> None:
        super().__init__(model)
        self.side = side
        self.sign = 1.0 if side == "us" else -1.0
        self.take_office(profile.label, _number(profile.veto_threshold),
                         profile.veto_probability, _number(profile.reset_demand))

    def review(self, amount: float, u: float) -> bool:
        """Veto (True) or approve an initialled deal."""
        return bool(self.vetoes(amount, u))


class Negotiator(ScalarStore, NegotiatorState, mesa.Agent):
    """A side's negotiator: demand, bottom line, tactic, acceptance rule, gap pressure."""

    def __init__(self, model: SMAModel, spec: Side, principal: Principal) -> None:
        super().__init__(model)
        self.side = spec.side
        self.sign = spec.sign
        self.principal = principal
        self.tactic = make_offering(spec.tactic, **spec.tactic_params)
        self.acceptance = make_acceptance(spec.acceptance, **spec.acceptance_params)
        sc = model.settings
        self.floor = rules.in_force_floor(self.sign, sc.amount_in_force, sc.floor)
        self.foresight = spec.foresight
        self.mandate = spec.bottom_line
        self.gap_cost = spec.gap_cost
        self.gap_sensitivity = spec.gap_sensitivity
        self.gap_cost_factor = 1.0  # raised while a furlough hits this side
        self.pressure = 0.0
        self.pressure_at_mandate = 0.0
        self.opp_history: Any = (np.full(HISTORY, np.nan)
                                 if self.tactic.classifier.reacts_to_opponent else None)
        self.offer = math.nan
        self.space = sc.package
        self.package_choice = spec.package_choice
        self.renewal_pct = spec.renewal_pct
        for name in OWN_PACKAGE + OPP_PACKAGE:
            setattr(self, name, math.nan)
        self.reanchor(spec.opening, 0)

    @property
    def bottom_line(self) -> float:
        """Current bottom line: the mandate moved by gap costs, within a known threshold."""
        return float(self.current_bottom_line())

    def propose(self, view: NegotiationView, outlook: tuple[Any, Any] | None = None) -> float:
        """Table this round's demand (adjusted for a transition it sees coming)."""
        self.offer = float(self.anticipate(self.tactic.offer(view), outlook))
        return self.offer



class Cohort(ScalarStore, mesa.Agent):
    """A cohort of the ROK public: its share opposed to conceding more (``opinion``)."""

    def __init__(self, model: SMAModel, spec: CohortSpec) -> None:
        super().__init__(model)
        self.spec = spec
        self.attitude = spec.initial

    def react(self, stimulus: float) -> None:
        """A month passes: the attitude decays toward its baseline and moves with what
        the other side did."""
        c = self.spec
        self.attitude = float(rules.attitude_after(self.attitude, c.baseline, c.persistence,
                                                   c.response, stimulus))
