"""Repeated tuner seeds: the same fit from differently seeded samplers, and whether they agree.

``tune --seeds N`` adds the same trials to N studies that differ only in their sampler's
seed (the objective, its common random numbers and the trial budget are the same): the
main study and ``<study>-seed1`` ... ``<study>-seed<N-1>``. A point fit means something
only if the seeds land in the same place. They disagree when

* a parameter's best values span more than ``PARAMETER_TOLERANCE`` (a quarter) of its
  range, measured in the unit cube the search covers (log scale for ``log`` parameters,
  index for discrete sets), or
* the best losses differ by more than ``LOSS_TOLERANCE`` (25%) of the smallest, with a
  floor of ``LOSS_FLOOR`` loss units (near a perfect fit a relative spread means little).

Disagreeing parameters are not identified by the point fit (a flat loss) or the search has
not converged; ``calibrate`` gives their posterior instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..parameters import Parameter

PARAMETER_TOLERANCE = 0.25  # share of a parameter's range (unit cube)
LOSS_TOLERANCE = 0.25  # share of the smallest best loss
LOSS_FLOOR = 0.2  # loss units: the relative tolerance applies to at least this


def repeat_study_name(name: str, repeat: int) -> str:
    """The study of tuner seed ``repeat`` (0 is the main study itself)."""
    return f"{name}-seed{repeat}" if repeat else name


def to_unit(parameter: Parameter, value: Any) -> float:
    """Where ``value`` lies in the parameter's search range, 0 to 1 (``from_unit``'s inverse
    for continuous ranges; log scale where ``log``; a discrete value's index)."""
    if parameter.values is not None:
        k = len(parameter.values)
        return parameter.values.index(value) / (k - 1) if k > 1 else 0.0
    low, high = float(parameter.low), float(parameter.high)  # type: ignore[arg-type]
    if high == low:
        return 0.0
    if parameter.log and not parameter.integer:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (float(value) - low) / (high - low)


@dataclass(frozen=True)
class SeedBest:
    """One tuner seed's best trial."""

    study: str
    trial: int
    loss: float
    values: dict[str, Any]


@dataclass(frozen=True)
class SeedCheck:
    """The best trials of every tuner seed and where they disagree."""

    bests: tuple[SeedBest, ...]
    spans: dict[str, float]  # parameter: span of its best values, share of its range
    disagree: tuple[str, ...]  # parameters whose span exceeds PARAMETER_TOLERANCE
    loss_spread: float  # max - min best loss
    losses_disagree: bool

    @property
    def agree(self) -> bool:
        return not self.disagree and not self.losses_disagree

    def warning(self) -> str | None:
        """The report's one warning line, or None when the seeds agree."""
        if self.agree:
            return None
        parts = []
        if self.disagree:
            parts.append("best values of " + ", ".join(
                f"{n} (span {self.spans[n]:.0%} of its range)" for n in self.disagree)
                + f" differ by more than {PARAMETER_TOLERANCE:.0%} of their range")
        if self.losses_disagree:
            losses = [b.loss for b in self.bests]
            parts.append(f"best losses differ ({min(losses):.4g} to {max(losses):.4g})")
        return (f"WARNING: the {len(self.bests)} tuner seeds disagree: " + "; ".join(parts)
                + ". The point fit does not identify these; run `negotiation-sim calibrate` "
                "for their posterior (docs/calibration.md).")

    def to_dict(self) -> dict[str, Any]:
        """As written to best_params.json."""
        return {"seeds": [{"study": b.study, "best_trial": b.trial, "best_loss": b.loss,
                           "values": b.values} for b in self.bests],
                "spans": self.spans, "disagree": list(self.disagree),
                "loss_spread": self.loss_spread, "losses_disagree": self.losses_disagree,
                "tolerances": {"parameter_range_share": PARAMETER_TOLERANCE,
                               "loss_share": LOSS_TOLERANCE, "loss_floor": LOSS_FLOOR}}


def best_of(study: Any) -> SeedBest:
    """A study's best completed trial; refused when it has none."""
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise UsageError(f"--seeds: study {study.study_name} has no completed trial; "
                         "allowed: --trials N >= 1 to run every seed")
    best = study.best_trial
    return SeedBest(study.study_name, best.number, float(best.value), dict(best.params))


def compare_seeds(parameters: Sequence[Parameter], bests: Sequence[SeedBest]) -> SeedCheck:
    """Spans of the best values (unit cube) and of the best losses across tuner seeds."""
    spans = {}
    for p in parameters:
        found = [to_unit(p, b.values[p.name]) for b in bests if p.name in b.values]
        if len(found) == len(bests):
            spans[p.name] = max(found) - min(found)
    disagree = tuple(n for n, s in spans.items() if s > PARAMETER_TOLERANCE)
    losses = [b.loss for b in bests]
    spread = max(losses) - min(losses)
    return SeedCheck(tuple(bests), spans, disagree, spread,
                     spread > LOSS_TOLERANCE * max(min(losses), LOSS_FLOOR))


def markdown(check: SeedCheck) -> list[str]:
    """The report's section on repeated tuner seeds."""
    lines = ["## Repeated tuner seeds", ""]
    warning = check.warning()
    lines += [f"**{warning}**" if warning else
              f"The {len(check.bests)} tuner seeds agree: every parameter's best values lie "
              f"within {PARAMETER_TOLERANCE:.0%} of its range and the best losses within "
              f"{LOSS_TOLERANCE:.0%} (at least {LOSS_FLOOR:g}).", ""]
    names = list(check.spans)
    lines += ["| study | best trial | loss | " + " | ".join(f"`{n}`" for n in names) + " |",
              "|---|---|---|" + "---|" * len(names)]
    for b in check.bests:
        lines.append(f"| `{b.study}` | {b.trial} | {b.loss:.4g} | "
                     + " | ".join(_fmt(b.values[n]) for n in names) + " |")
    lines.append("| span (share of range) | | "
                 f"{check.loss_spread:.4g} | " + " | ".join(
                     f"**{check.spans[n]:.0%}**" if n in check.disagree
                     else f"{check.spans[n]:.0%}" for n in names) + " |")
    lines += ["", "Each seed's study has the same objective (the same common random numbers) "
              "and trial budget; only its sampler's seed differs.", ""]
    return lines


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)
