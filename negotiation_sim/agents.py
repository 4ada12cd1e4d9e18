"""The Mesa agents: a negotiator and a principal (leader) per side.

Negotiators only propose and respond, seeing a read-only ``NegotiationView``; the
model (the mechanism) owns the clock, the deadline and the record.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import rules
from .scenario import Principal as PrincipalSpec
from .scenario import Side
from .tactics import HISTORY, NegotiationView, make_acceptance, make_offering

if TYPE_CHECKING:
    from .model import SMAModel


class Principal(mesa.Agent):
    """A side's leader: holds the veto threshold, can be replaced by a new profile."""

    def __init__(self, model: SMAModel, side: str, spec: PrincipalSpec) -> None:
        super().__init__(model)
        self.side = side
        self.sign = 1.0 if side == "us" else -1.0
        self.adopt(spec)

    def adopt(self, spec: PrincipalSpec) -> None:
        """Take office with a new profile; its threshold is not yet known to anyone."""
        self.label = spec.label
        self.veto_threshold = math.nan if spec.veto_threshold is None else spec.veto_threshold
        self.veto_probability = spec.veto_probability
        self.reset_demand = spec.reset_demand
        self.threshold_known = False

    def vetoes(self, amount: float, u: float) -> bool:
        """Review an initialled deal."""
        return bool(rules.vetoes(self.sign, amount, self.veto_threshold,
                                 self.veto_probability, u))

    def demand_after_veto(self) -> float:
        return self.veto_threshold if self.reset_demand is None else self.reset_demand


class Negotiator(mesa.Agent):
    """A side's negotiator: demand, bottom line, tactic, acceptance rule, gap pressure."""

    def __init__(self, model: SMAModel, spec: Side, principal: Principal) -> None:
        super().__init__(model)
        self.side = spec.side
        self.sign = spec.sign
        self.principal = principal
        self.tactic = make_offering(spec.tactic, **spec.tactic_params)
        self.acceptance = make_acceptance(spec.acceptance, **spec.acceptance_params)
        self.mandate = spec.bottom_line
        self.gap_cost = spec.gap_cost
        self.gap_sensitivity = spec.gap_sensitivity
        self.gap_cost_factor = 1.0  # raised while a furlough hits this side
        self.pressure = 0.0
        self.pressure_at_mandate = 0.0
        self.opp_history = np.full(HISTORY, np.nan)
        self.offer = math.nan
        self.reanchor(spec.opening, 0)

    def reanchor(self, demand: float, month: int) -> None:
        """Restart the tactic from ``demand`` at ``month`` (start, veto, new leader)."""
        self.anchor_demand = demand
        self.anchor_month = month
        self.own_last = demand

    def set_mandate(self, bottom_line: float) -> None:
        self.mandate = bottom_line
        self.pressure_at_mandate = self.pressure

    @property
    def bottom_line(self) -> float:
        p = self.principal
        return float(rules.bottom_line(self.mandate, self.sign, self.gap_sensitivity,
                                       self.pressure, self.pressure_at_mandate,
                                       p.threshold_known, p.veto_threshold))

    def view(self, month: int, u: float) -> NegotiationView:
        return NegotiationView(
            sign=self.sign, month=month, t=month - self.anchor_month,
            opening=self.anchor_demand, bottom_line=self.bottom_line, pressure=self.pressure,
            own_last=self.own_last, opp_history=self.opp_history, u=u,
        )

    def propose(self, view: NegotiationView) -> float:
        """Table this round's demand."""
        self.offer = float(self.tactic.offer(view))
        self.own_last = self.offer
        return self.offer

    def responds(self, view: NegotiationView, received: float) -> bool:
        """Would I accept ``received`` rather than hold my own offer?"""
        return bool(self.acceptance.accepts(view, received, self.offer))

    def observe(self, opponent_offer: float) -> None:
        """Remember the opponent's offer (tit-for-tat tactics look back)."""
        self.opp_history[:-1] = self.opp_history[1:]
        self.opp_history[-1] = opponent_offer

    def bear_gap_month(self) -> None:
        """A month without an agreement in force costs this side."""
        self.pressure += self.gap_cost * self.gap_cost_factor
