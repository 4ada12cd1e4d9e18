"""Public opinion in the ROK (level II of Putnam's two-level game).

The public is a few cohorts (e.g. progressives, moderates, conservatives), each with a
population share and an attitude: the share of it opposed to conceding more. Each month
an attitude decays toward its baseline and moves with what the US side did that month
(``stimulus``: how far its demand is above the amount in force, a walk-out, a furlough,
a vetoed deal; ``rules.attitude_after``). The public's opposition (``rules.opinion``)
narrows the ROK negotiator's win-set: the most it may agree to
(``rules.win_set_ceiling``) falls from ``max_increase_pct`` above the amount in force
toward no increase as opposition grows; and it feeds the National Assembly's vote
(``ratification``).

The Mesa model holds each cohort as an agent (``agents.Cohort``, in an AgentSet); the
array engine holds one array per cohort over the runs. Both call these functions in the
same order, so the aggregate is the same run by run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .fields import Field, number, shares_problems

SETTINGS = {
    "max_increase_pct": number(30.0, 0.0, 1000.0, "%", "the ROK win-set with no opposition: the "
                               "most it may agree to, in percent above the amount in force"),
    "demand_weight": number(0.2, 0.0, 100.0, "per 100%", "stimulus of a US demand 100% above "
                            "the amount in force (in rounds held)"),
    "walkout_weight": number(0.1, 0.0, 100.0, "", "stimulus of a US walk-out"),
    "furlough_weight": number(0.2, 0.0, 100.0, "", "stimulus of the month a furlough starts"),
    "veto_weight": number(0.1, 0.0, 100.0, "", "stimulus of a US veto of an initialled deal"),
}
COHORT = {
    "name": Field("text", doc="who the cohort is"),
    "share": number(low=0.0, high=1.0, doc="its share of the population (shares sum to 1)"),
    "baseline": number(0.5, 0.0, 1.0, "", "its share opposed to conceding, at rest"),
    "initial": number(None, 0.0, 1.0, "", "its share opposed at talks start (default: "
                      "baseline)"),
    "persistence": number(0.8, 0.0, 1.0, "per month", "how much of a deviation from the "
                          "baseline is left after a month"),
    "response": number(0.5, 0.0, 10.0, "", "how strongly it reacts to the month's stimulus"),
}


@dataclass(frozen=True)
class Cohort:
    name: str
    share: float
    baseline: float
    initial: float
    persistence: float
    response: float


@dataclass(frozen=True)
class Opinion:
    """A scenario's public: settings and cohorts (``[opinion]``)."""

    max_increase_pct: float
    demand_weight: float
    walkout_weight: float
    furlough_weight: float
    veto_weight: float
    cohorts: tuple[Cohort, ...]

    @classmethod
    def from_table(cls, t: dict[str, Any]) -> Opinion:
        cohorts = tuple(Cohort(c["name"], float(c["share"]), float(c["baseline"]),
                               float(c.get("initial", c["baseline"])), float(c["persistence"]),
                               float(c["response"])) for c in t["cohorts"])
        return cls(*(float(t[k]) for k in SETTINGS), cohorts=cohorts)

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(c.share for c in self.cohorts)

    def stimulus(self, us_offer: Any, amount_in_force: Any, walkout: Any, furlough: Any,
                 veto: Any) -> Any:
        """What the US side did this month, as one number (0: nothing that moves opinion).

        ``us_offer`` is NaN in a month without US offers; flags are 0/1 (or bools)."""
        excess = np.maximum(us_offer / amount_in_force - 1.0, 0.0)
        excess = np.where(np.isnan(excess), 0.0, excess)
        return (self.demand_weight * excess + self.walkout_weight * walkout
                + self.furlough_weight * furlough + self.veto_weight * veto)


def problems(t: dict[str, Any]) -> list[tuple[str, str]]:
    """Checks across keys: at least one cohort; shares summing to 1."""
    return shares_problems("opinion.cohorts", t.get("cohorts", []), "share", "opinion.cohorts")
