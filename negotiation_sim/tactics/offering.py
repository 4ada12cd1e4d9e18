"""Offering tactics: what a negotiator asks for in a round.

Families from Faratin, Sierra & Jennings (1998): time-dependent (polynomial and
exponential), behaviour-dependent (tit-for-tat), plus a hard-line tactic. Every
offer lies between the anchor demand and the current bottom line.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Classifier, Component, NegotiationView, Param, clip_between, lag

_BETA = Param("beta", 1.0, 0.01, 100.0, "", "concession shape: <1 Boulware, 1 linear, >1 Conceder")
_K = Param("k", 0.0, 0.0, 1.0, "", "share of the range conceded at once (t=0)")
_DEADLINE = Param(
    "deadline_months", 12, 1, 600, "months", "months from the anchor to reach the bottom line",
    integer=True,
)


class Offering(Component):
    """Base class: ``offer(view)`` returns this round's demand (KRW bn)."""

    registry: ClassVar[dict[str, type[Component]]] = {}

    def offer(self, view: NegotiationView) -> Any:
        raise NotImplementedError


def polynomial_fraction(t: Any, deadline: Any, beta: Any, k: Any) -> Any:
    """Faratin's polynomial a(t) = k + (1 - k) (min(t, T) / T) ** (1 / beta).

    Powers go through ``np.power`` even for one run: numpy's scalar ``**`` calls the C
    library's pow, its array loop a SIMD routine, and the two can differ in the last
    bit; one routine for both keeps the two engines' offers bit-identical.
    """
    tau = np.minimum(t, deadline) / deadline
    return k + (1.0 - k) * np.power(tau, 1.0 / beta)


def exponential_fraction(t: Any, deadline: Any, beta: Any, k: Any) -> Any:
    """Faratin's exponential a(t) = exp((1 - min(t, T) / T) ** beta * ln k), k > 0."""
    tau = np.minimum(t, deadline) / deadline
    return np.exp(np.power(1.0 - tau, beta) * np.log(k))


def time_dependent_offer(opening: Any, bottom_line: Any, fraction: Any) -> Any:
    """offer = o + a (b - o)."""
    return opening + fraction * (bottom_line - opening)


class TimeDependent(Offering):
    """Polynomial time-dependent concession toward the bottom line by the deadline."""

    name = "time_dependent"
    classifier = Classifier(uses_time=True)
    params = (_BETA, _K, _DEADLINE)

    def offer(self, view: NegotiationView) -> Any:
        a = polynomial_fraction(view.t, self.deadline_months, self.beta, self.k)
        return time_dependent_offer(view.opening, view.bottom_line, a)


class Boulware(TimeDependent):
    """Time-dependent, conceding late (beta 0.2 by default)."""

    name = "boulware"
    params = (Param("beta", 0.2, 0.01, 1.0, "", "concession shape, < 1"), _K, _DEADLINE)


class Linear(TimeDependent):
    """Time-dependent, conceding the same amount each month (beta fixed at 1)."""

    name = "linear"
    params = (Param("beta", 1.0, 1.0, 1.0, "", "fixed at 1"), _K, _DEADLINE)


class Conceder(TimeDependent):
    """Time-dependent, conceding early (beta 5 by default)."""

    name = "conceder"
    params = (Param("beta", 5.0, 1.0, 100.0, "", "concession shape, > 1"), _K, _DEADLINE)


class ExponentialTimeDependent(Offering):
    """Exponential time-dependent concession (k > 0 is the share conceded at t=0)."""

    name = "time_exponential"
    classifier = Classifier(uses_time=True)
    params = (_BETA, Param("k", 0.01, 1e-6, 1.0, "", "share conceded at t=0 (> 0)"), _DEADLINE)

    def offer(self, view: NegotiationView) -> Any:
        a = exponential_fraction(view.t, self.deadline_months, self.beta, self.k)
        return time_dependent_offer(view.opening, view.bottom_line, a)


class RelativeTitForTat(Offering):
    """Mirror the opponent's relative concession over the last ``window`` rounds.

    new = own_last * opp[window back] / opp[latest], clipped between demand and bottom
    line; with too little history the negotiator holds its last offer. A window above 1
    is Faratin's averaged tit-for-tat.
    """

    name = "tit_for_tat"
    classifier = Classifier(reacts_to_opponent=True)
    params = (Param("window", 1, 1, 7, "rounds", "rounds of opponent history compared", True),)

    def offer(self, view: NegotiationView) -> Any:
        older = lag(view.opp_history, self.window)
        newer = lag(view.opp_history, 0)
        mirrored = view.own_last * (older / newer)
        mirrored = np.where(np.isnan(mirrored), view.own_last, mirrored)
        return clip_between(mirrored, view.opening, view.bottom_line)


class AveragedTitForTat(RelativeTitForTat):
    """Relative tit-for-tat averaged over three rounds."""

    name = "averaged_tit_for_tat"
    params = (Param("window", 3, 1, 7, "rounds", "rounds of opponent history compared", True),)


class RandomAbsoluteTitForTat(Offering):
    """Mirror the opponent's absolute concession plus a random extra concession.

    new = own_last - (opp[latest] - opp[window back]) - sign * noise * u
    """

    name = "random_tit_for_tat"
    classifier = Classifier(reacts_to_opponent=True, stochastic=True)
    params = (
        Param("window", 1, 1, 7, "rounds", "rounds of opponent history compared", True),
        Param("noise_krw_bn", 10.0, 0.0, 1000.0, "KRW bn", "largest random extra concession"),
    )

    def offer(self, view: NegotiationView) -> Any:
        moved = lag(view.opp_history, 0) - lag(view.opp_history, self.window)
        moved = np.where(np.isnan(moved), 0.0, moved)
        raw = view.own_last - moved - view.sign * self.noise_krw_bn * view.u
        return clip_between(raw, view.opening, view.bottom_line)


class HardLine(Offering):
    """Hold the demand until accumulated gap cost reaches a threshold, then offer the
    bottom line."""

    name = "hard_line"
    classifier = Classifier(uses_pressure=True)
    params = (
        Param("pressure_threshold", 6.0, 0.0, 1e6, "cost units", "gap cost that breaks the line"),
    )

    def offer(self, view: NegotiationView) -> Any:
        return np.where(view.pressure >= self.pressure_threshold, view.bottom_line, view.opening)
