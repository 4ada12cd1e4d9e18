"""Ratification at home (level II): a deal both leaders approved is not in force until
the ratifying side's legislature consents.

For the ROK that is the National Assembly: a few party blocs with seat shares, each
voting yes with a probability that falls with the increase the deal brings and with
public opposition (``rules.yes_probability``); the deal passes with more than
``majority`` of the seats (``rules.ratifies``). The vote comes ``delay_months`` after the
deal is initialled; talks pause meanwhile. A rejection sends the talks back: the
negotiator of the ratifying side restarts from its last offer and may no longer concede
as far as the rejected amount. The US side ratifies nothing by default (an executive
agreement) and can be given a legislature the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import draws, rules
from .fields import SIDES, Field, number, shares_problems

SETTINGS = {
    "delay_months": Field("integer", 5, 0, 60, unit="months", doc="from the initialled deal to "
                          "the vote (the 11th SMA: initialled 2021-03, consent 2021-08)"),
    "majority": number(0.5, 0.0, 1.0, "seat share", "the deal passes with more than this share "
                       "of the seats voting yes"),
}
BLOC = {
    "name": Field("text", doc="party or bloc"),
    "seats": number(low=0.0, high=1.0, doc="its share of the seats (shares sum to 1)"),
    "support": number(3.0, -50.0, 50.0, "logit", "base support for a deal"),
    "increase_sensitivity": number(0.1, 0.0, 10.0, "logit per %", "less support per percent "
                                   "of increase"),
    "opinion_sensitivity": number(2.0, 0.0, 50.0, "logit", "less support at full public "
                                  "opposition (0 without public opinion)"),
}


@dataclass(frozen=True)
class Bloc:
    name: str
    seats: float
    support: float
    increase_sensitivity: float
    opinion_sensitivity: float


@dataclass(frozen=True)
class Ratification:
    """One side's legislature (``[ratification.rok]``)."""

    side: str
    delay_months: int
    majority: float
    blocs: tuple[Bloc, ...]

    @classmethod
    def from_table(cls, side: str, t: dict[str, Any]) -> Ratification:
        blocs = tuple(Bloc(b["name"], float(b["seats"]), float(b["support"]),
                           float(b["increase_sensitivity"]), float(b["opinion_sensitivity"]))
                      for b in t["blocs"])
        return cls(side, int(t["delay_months"]), float(t["majority"]), blocs)

    @property
    def seats(self) -> tuple[float, ...]:
        return tuple(b.seats for b in self.blocs)


def problems(side: str, t: dict[str, Any]) -> list[tuple[str, str]]:
    """Checks across keys: at least one bloc; seat shares summing to 1."""
    return shares_problems(f"ratification.{side}.blocs", t.get("blocs", []), "seats",
                           "ratification.<side>.blocs")


def delay(legislatures: dict[str, Ratification]) -> int | None:
    """Months from an approved deal to the vote (the longest of the ratifying sides');
    None when no side ratifies: the deal is in force at once."""
    return max((r.delay_months for r in legislatures.values()), default=None)


def streams(rat: Ratification) -> list[int]:
    """The draws of a vote: one per bloc (``draws.STREAM_VOTE``)."""
    return [draws.STREAM_VOTE[rat.side] + i for i in range(len(rat.blocs))]


def passes(rat: Ratification, increase_pct: Any, opposition: Any, u: list[Any]) -> Any:
    """The vote: each bloc says yes when its draw is below its yes-probability; the deal
    passes with more than ``majority`` of the seats."""
    yes = [ub < rules.yes_probability(b.support, b.increase_sensitivity,
                                      b.opinion_sensitivity, increase_pct, opposition)
           for b, ub in zip(rat.blocs, u, strict=True)]
    return rules.ratifies(rat.seats, yes, rat.majority)


__all__ = ["BLOC", "SETTINGS", "SIDES", "Bloc", "Ratification", "delay", "passes", "problems",
           "streams"]
