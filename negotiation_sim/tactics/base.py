"""What every tactic component shares: parameters, a classifier, a registry, a view.

A negotiator's tactic has two parts, as in NegMAS: an *offering* part (what to ask
for this round) and an *acceptance* part (whether to take the opponent's offer).
Each part is a small class with a ``name``, a typed ``classifier`` and declared
``params``; defining the class registers it (Axelrod-style: collections come from
the metadata, not from hand-kept lists).

All methods are written with numpy operations so that the same code serves one
negotiation (scalars, in the Mesa model) and many at once (arrays, in the engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

HISTORY = 8  # opponent offers a negotiator can see (most recent last)


@dataclass(frozen=True)
class Classifier:
    """What a component uses; the registry can be filtered on these."""

    uses_time: bool = False
    reacts_to_opponent: bool = False
    uses_pressure: bool = False
    stochastic: bool = False


@dataclass(frozen=True)
class Param:
    """One numeric parameter of a component: default, bounds, unit, meaning."""

    name: str
    default: float
    low: float
    high: float
    unit: str = ""
    doc: str = ""
    integer: bool = False

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is allowed, else what is allowed."""
        if type(value) in (int, float) and self.low <= value <= self.high and (
                not self.integer or float(value).is_integer()):
            return None  # the common case, without numpy (one model per run builds these)
        allowed = f"allowed: {'integer' if self.integer else 'number'} in [{self.low}, {self.high}]"
        # One number (a scenario's value), or a numpy array of them (one per run, from the
        # engine); a list, table or text from a file is not a number, even an empty list.
        if isinstance(value, bool) or not isinstance(value, int | float | np.number | np.ndarray):
            return f"{value!r} is not a number; {allowed}"
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            return f"{value!r} is not a number; {allowed}"
        if self.integer and arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
            return f"{value!r} is not an integer; {allowed}"
        if not np.all((arr >= self.low) & (arr <= self.high)):
            return f"{value!r} out of range; {allowed}"
        return None


@dataclass(frozen=True)
class NegotiationView:
    """Read-only state one negotiator sees when it offers or responds.

    Amounts are KRW billion. ``sign`` is +1 for the side that wants more (US) and -1
    for the side that wants to pay less (ROK), so "at least as good" is
    ``sign * (x - y) >= 0`` for both. Fields may be scalars or arrays of runs.
    """

    sign: Any
    month: Any  # months since talks started
    t: Any  # months since this negotiator's current anchor (start, veto, new leader)
    opening: Any  # demand at the anchor
    bottom_line: Any  # current bottom line (mandate moved by gap costs)
    pressure: Any  # accumulated gap cost of this side
    own_last: Any  # own previous offer (the anchor demand before the first)
    opp_history: Any  # (..., HISTORY) opponent offers, most recent last, NaN if none
    u: Any  # this side's uniform draw for this month (stochastic tactics)


class Component:
    """Base of offering and acceptance components."""

    name: ClassVar[str] = ""
    classifier: ClassVar[Classifier] = Classifier()
    params: ClassVar[tuple[Param, ...]] = ()
    registry: ClassVar[dict[str, type[Component]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "registry" in cls.__dict__:
            return
        if "name" in cls.__dict__ and cls.name:
            cls.registry[cls.name] = cls

    def __init__(self, **values: Any) -> None:
        problems = self.check(values)
        if problems:
            key, message = problems[0]
            raise ValueError(f"{self.name}.{key}: {message}")
        for p in self.params:
            setattr(self, p.name, values.get(p.name, p.default))

    @classmethod
    def check(cls, values: dict[str, Any]) -> list[tuple[str, str]]:
        """Every problem with ``values`` as (key, message)."""
        known = {p.name: p for p in cls.params}
        problems = []
        for key, value in values.items():
            if key not in known:
                allowed = ", ".join(known) or "none"
                problems.append((key, f"unknown parameter of {cls.name!r}; allowed: {allowed}"))
            elif (msg := known[key].problem(value)) is not None:
                problems.append((key, msg))
        return problems

    def values(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({args})"


def select(registry: dict[str, type[Component]], **filters: bool) -> list[str]:
    """Names in ``registry`` whose classifier matches every filter, e.g. stochastic=True."""
    return sorted(
        name
        for name, cls in registry.items()
        if all(getattr(cls.classifier, key) == want for key, want in filters.items())
    )


def clip_between(x: Any, a: Any, b: Any) -> Any:
    """Clip ``x`` into the closed interval spanned by ``a`` and ``b`` (either order)."""
    return np.minimum(np.maximum(x, np.minimum(a, b)), np.maximum(a, b))


def lag(history: Any, w: Any) -> Any:
    """The opponent offer ``w`` rounds before the latest (w=0 is the latest)."""
    w = np.asarray(w)
    if w.ndim == 0:
        return history[..., HISTORY - 1 - int(w)]
    idx = (HISTORY - 1 - w.astype(np.int64))[..., None]
    return np.take_along_axis(history, idx, axis=-1)[..., 0]
