"""Cycle-level random effects: a shared mean plus a shared spread times a per-cycle draw.

``[calibrate.hierarchy]`` names some shared parameters (``parameters``) and gives a prior
for one more top-level parameter, their ``spread``. In every simulated run of a cycle, each
named parameter takes ``mean + spread * z``: ``mean`` is the shared parameter's value,
``z`` a standard normal drawn per run from the run seeds and the cycle's name (one ``z``
per run, the same for every named parameter: the cycle's zone of agreement moves as a
whole). So the runs of a cycle integrate over the cycle-level variation, the way missing
facts are marginalised, and a held-out or new cycle is predicted with it too. A spread of
0 gives exactly the non-hierarchical values.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..parameters import Parameter

HIERARCHY_KEYS = ("parameters", "spread")
SPREAD = "hierarchy.spread"  # the spread's column in posterior.parquet


@dataclass(frozen=True)
class Hierarchy:
    """The parameters that vary by cycle and the prior of their common spread."""

    parameters: tuple[str, ...]
    spread: Parameter

    def describe(self) -> dict[str, Any]:
        return {"parameters": list(self.parameters), "spread": self.spread.describe()}


def cycle_effects(seeds: np.ndarray, key: str) -> np.ndarray:
    """One standard normal per run, from the run seeds and the cycle's (scenario's) name."""
    salt = zlib.crc32(key.encode("utf-8"))
    rng = np.random.default_rng(np.random.SeedSequence([int(s) for s in seeds[:4]]
                                                       + [len(seeds), 13, salt]))
    return rng.standard_normal(len(seeds))


def apply_effects(hierarchy: Hierarchy | None, values: Mapping[str, Any],
                  z: np.ndarray) -> dict[str, Any]:
    """``values`` with each named parameter at ``mean + spread * z`` (one per run)."""
    out = dict(values)
    if hierarchy is None or SPREAD not in values:
        return out
    spread = np.asarray(values[SPREAD], dtype=np.float64)
    for name in hierarchy.parameters:
        if name in out:
            out[name] = np.asarray(out[name], dtype=np.float64) + spread * z
    return out


def parse_hierarchy(raw: Any, parameters: tuple[Parameter, ...],
                    problem: Callable[[str, str], None]) -> Hierarchy | None:
    """``[calibrate.hierarchy]`` checked against the shared parameters; None if absent."""
    if raw is None:
        return None
    where = "hierarchy"
    if not isinstance(raw, dict):
        problem(where, f"{raw!r} is not allowed; allowed: a table with {HIERARCHY_KEYS}")
        return None
    for key in raw:
        if key not in HIERARCHY_KEYS:
            problem(f"{where}.{key}", f"unknown key; allowed: {', '.join(HIERARCHY_KEYS)}")
            return None
    continuous = {p.name for p in parameters if not p.discrete and not p.integer
                  and not p.log}
    names = raw.get("parameters")
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        problem(f"{where}.parameters", f"{names!r} is not allowed; allowed: a non-empty list "
                "of shared parameter names")
        return None
    for name in names:
        if name not in continuous:
            problem(f"{where}.parameters", f"{name!r} is not a shared parameter with a "
                    f"linear prior; allowed: {', '.join(sorted(continuous)) or 'none'}")
            return None
    if len(set(names)) != len(names):
        problem(f"{where}.parameters", f"{names!r} names a parameter twice")
        return None
    spec = raw.get("spread")
    if not (isinstance(spec, dict) and set(spec) == {"low", "high"}
            and all(isinstance(spec[k], int | float) and not isinstance(spec[k], bool)
                    and math.isfinite(spec[k]) for k in spec)
            and 0 <= spec["low"] < spec["high"]):
        problem(f"{where}.spread", f"{spec!r} is not allowed; allowed: {{ low = L, high = H }} "
                "with 0 <= L < H (the parameters' units)")
        return None
    return Hierarchy(tuple(names), Parameter(SPREAD, low=float(spec["low"]),
                                             high=float(spec["high"])))
