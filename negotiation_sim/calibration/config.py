"""The calibration config: cycles with their record and missing facts, priors, ABC settings.

A ``[calibrate]`` table (``configs/calibrate_history.toml``) holds the cycles like
``[[tune.cycles]]`` (scenario, record) plus, per cycle, ``missing``: facts the record lacks,
each with a prior (a parameter spec whose mode is relative to that cycle's facts). Missing
facts are drawn afresh in every simulated run, so the posterior averages over them; they
are never shared across cycles. ``parameters`` are the shared behavioural parameters, with
priors uniform on ``[low, high]`` (log-uniform with ``log = true``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..configfile import TopTable, read_toml
from ..errors import ScenarioError
from ..parameters import MISSING, Parameter, parse_parameters
from ..tuning import record
from ..tuning.config import Cycle, check_applies, tune_from_dict
from .hierarchy import Hierarchy, parse_hierarchy

CALIBRATE_KEYS = ("name", "seed", "replications", "population", "generations",
                  "min_acceptance", "max_seconds", "predictive_draws", "timing_scale",
                  "change_scale", "distance", "cycles", "parameters", "hierarchy")
DISTANCES = ("mae", "crps")
# The record's confidence marks as weights of a cycle's observation in the distance.
CONFIDENCE_WEIGHTS = {"high": 1.0, "medium-high": 0.75, "medium": 0.5, "low": 0.25}
# What a cycle without ``record`` may give inline: the change, and the timing if known.
INLINE_OBSERVED = ("gap_months", "change_pct")
_UNUSED = {"gap_months": 0, "change_pct": 0.0, "rounds": 0, "agreed_before_expiry": False}


@dataclass(frozen=True)
class CalCycle:
    """One recorded cycle: scenario (facts), observation, its weight and missing facts."""

    cycle: Cycle
    missing: tuple[Parameter, ...]
    weight: float

    @property
    def name(self) -> str:
        return self.cycle.name


@dataclass(frozen=True)
class CalibrateConfig:
    name: str
    source: str
    cycles: tuple[CalCycle, ...]
    parameters: tuple[Parameter, ...]
    seed: int = 0
    replications: int = 20
    population: int = 100
    generations: int = 8
    min_acceptance: float = 0.02
    max_seconds: float | None = None  # an optional wall-time guard (off by default)
    predictive_draws: int = 400
    timing_scale: float = 3.0
    change_scale: float = 2.0
    distance: str = "mae"
    hierarchy: Hierarchy | None = None

    @property
    def cycle_names(self) -> list[str]:
        return [c.name for c in self.cycles]

    @property
    def top_parameters(self) -> tuple[Parameter, ...]:
        """What ABC infers: the shared parameters and, with a hierarchy, their spread."""
        extra = (self.hierarchy.spread,) if self.hierarchy is not None else ()
        return self.parameters + extra

    def without(self, name: str) -> CalibrateConfig:
        """The same config without one cycle (leave-one-out)."""
        return replace(self, cycles=tuple(c for c in self.cycles if c.name != name))

    def fingerprint(self) -> str:
        """What a stored history must match to be resumed."""
        facts = {
            "cycles": [[c.name, c.cycle.scenario.resolved, c.cycle.observed, c.weight,
                        [p.describe() for p in c.missing]] for c in self.cycles],
            "parameters": {p.name: p.describe() for p in self.parameters},
            "settings": [self.seed, self.replications, self.population, self.timing_scale,
                         self.change_scale],
        }
        if self.distance != "mae" or self.hierarchy is not None:  # older runs still resume
            facts["model"] = [self.distance,
                              self.hierarchy.describe() if self.hierarchy else None]
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()
                              ).hexdigest()[:16]


def confidence_weight(cycle: int) -> float:
    """The weakest confidence mark among the record cells an observation rests on."""
    text = str(record.observed(cycle)["confidence"])
    marks = [m.split("(")[0].strip() for part in text.split(";") for m in [part.split(":")[-1]]]
    found = [CONFIDENCE_WEIGHTS[m] for m in marks if m in CONFIDENCE_WEIGHTS]
    return min(found) if found else CONFIDENCE_WEIGHTS["medium"]


def load_calibrate_config(path: str | Path) -> CalibrateConfig:
    """Read and validate a calibration config; raise ``ScenarioError`` on bad input."""
    return calibrate_from_dict(read_toml(path), str(path), Path(path).parent)


def calibrate_from_dict(raw: dict[str, Any], source: str = "<calibrate>",
                        base_dir: Path | None = None) -> CalibrateConfig:
    top = TopTable(raw, "calibrate", CALIBRATE_KEYS, source)
    table, problem = top.table, top.problem
    name = top.name()
    seed = top.integer("seed", 0, 0, 2**32 - 1)
    replications = top.integer("replications", 20, 1, 10**5)
    population = top.integer("population", 100, 2, 10**6)
    generations = top.integer("generations", 8, 1, 1000)
    draws = top.integer("predictive_draws", 400, 1, 10**6)
    numbers: dict[str, Any] = {}
    for key, default, lo in (("min_acceptance", 0.02, 0.0), ("max_seconds", None, 0.0),
                             ("timing_scale", 3.0, 0.0), ("change_scale", 2.0, 0.0)):
        value = table.get(key, default)
        if value is None:
            numbers[key] = None
            continue
        if not (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and value > lo):
            problem(key, f"{value!r} is not allowed; allowed: a number > {lo:g}")
            value = default
        numbers[key] = None if value is None else float(value)
    distance = table.get("distance", "mae")
    if distance not in DISTANCES:
        problem("distance", f"{distance!r} is not allowed; allowed: {', '.join(DISTANCES)}")
    cycles_raw = table.get("cycles")
    missing_raw: list[Any] = []
    inline: list[dict[str, float] | None] = []
    plain = []
    if isinstance(cycles_raw, list):
        for i, spec in enumerate(cycles_raw):
            spec = dict(spec) if isinstance(spec, dict) else spec
            missing_raw.append(spec.pop("missing", None) if isinstance(spec, dict) else None)
            inline.append(_inline_observed(spec, f"cycles.{i}", problem))
            if inline[-1] is not None:
                spec["observed"] = dict(_UNUSED)  # replaced below; tune needs every key
            plain.append(spec)
    top.raise_if_any()
    tune = tune_from_dict({"tune": {"name": name, "replications": replications, "seed": seed,
                                    "cycles": plain, "parameters": table.get("parameters")}},
                          source, base_dir)
    hierarchy = parse_hierarchy(table.get("hierarchy"), tune.parameters, top.problem)
    top.raise_if_any()
    cycles = []
    for i, (cycle, spec) in enumerate(zip(tune.cycles, missing_raw, strict=True)):
        missing: list[Parameter] = []
        if spec is not None:
            problems: list[tuple[str, str]] = []
            where = f"calibrate.cycles.{i}.missing"
            missing = parse_parameters(
                spec, MISSING, lambda k, m, w=where, out=problems: out.append(
                    (f"{w}{'.' + k if k else ''}", m)))
            if problems:
                raise ScenarioError(problems, source)
            check_applies(tuple(missing), (cycle,), source, f"calibrate.cycles.{i}.missing")
        weight = cycle.weight * (confidence_weight(cycle.record) if cycle.record else 1.0)
        if inline[i] is not None:
            cycle = replace(cycle, observed=inline[i])
        cycles.append(CalCycle(cycle, tuple(missing), weight))
    return CalibrateConfig(name=name, source=source, cycles=tuple(cycles),
                           parameters=tune.parameters, seed=seed, replications=replications,
                           population=population, generations=generations,
                           predictive_draws=draws, distance=distance, hierarchy=hierarchy,
                           **numbers)


def _inline_observed(spec: Any, where: str, problem: Any) -> dict[str, float] | None:
    """A cycle's own ``observed = { change_pct = X[, gap_months = G] }`` (no ``record``).

    For cycles the record gives only partly (an amount in dollars, a year without a month):
    the config cites the record for each number. Without ``gap_months`` the cycle's timing
    is not observed (NaN): it is left out of the distance and of timing coverage.
    """
    if not isinstance(spec, dict) or "record" in spec or "observed" not in spec:
        return None
    raw = spec["observed"]
    if not isinstance(raw, dict) or "change_pct" not in raw or set(raw) - set(INLINE_OBSERVED):
        problem(f"{where}.observed", f"{raw!r} is not allowed; allowed: (without record) "
                "{ change_pct = X } or { change_pct = X, gap_months = G }")
        return None
    out = {"gap_months": math.nan, "change_pct": math.nan}
    for key, value in raw.items():
        if not (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value)):
            problem(f"{where}.observed.{key}", f"{value!r} is not allowed; allowed: a number")
            return None
        out[key] = float(value)
    return out
