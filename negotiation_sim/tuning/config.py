"""The tuning config: which cycles, which free parameters, the loss weights, the seeds.

A tuning config is a TOML file with a ``[tune]`` table (see ``configs/tune_history.toml``)::

    [tune]
    name = "tune_history"      # study name and results/<name>/ by default
    replications = 100         # runs per cycle per trial, the same seeds in every trial
    seed = 2024                # base seed: run r gets draws.run_seeds(seed, [r])
    sampler = "tpe"            # tpe | random (Optuna; seeded)
    trials = 50                # trials per invocation unless --trials says otherwise

    [[tune.cycles]]
    name = "sma11"             # label for --holdout and the report
    scenario = "history/sma11.toml"   # relative to this file
    record = 11                # SMA number: observed outcome from negotiation_sim/data
    weight = 1.0               # weight of this cycle in the loss
    # observed = { gap_months = 15, change_pct = 13.9, rounds = 9, agreed_before_expiry = false }

    [tune.loss]                # weight and scale of each term (docs/tuning.md)
    gap_months = { weight = 1.0, scale = 3.0 }
    change_pct = { weight = 1.0, scale = 2.0 }
    rounds = { weight = 0.1, scale = 3.0 }
    before_expiry = { weight = 0.5 }

    [tune.parameters]          # free parameters (modes: negotiation_sim/parameters.py)
    "us.tactic.beta" = { low = 0.05, high = 5.0, log = true }
    "rok.bottom_line" = { mode = "percent_above_amount", low = 0.0, high = 20.0 }

Every problem is reported like a scenario problem: ``FILE: KEY: message; allowed: ...``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..calendar import format_month
from ..configfile import NAME, TopTable, read_toml
from ..errors import ScenarioError
from ..parameters import MONTH_MODE, TUNED, Parameter, cycle_overrides, parse_parameters
from ..scenario import Scenario, load_scenario
from . import record

SAMPLERS = ("tpe", "random")
TUNE_KEYS = ("name", "replications", "seed", "sampler", "trials", "startup_trials", "cycles",
             "loss", "parameters")
CYCLE_KEYS = ("name", "scenario", "record", "weight", "observed")
OBSERVED_KEYS = ("gap_months", "change_pct", "rounds", "agreed_before_expiry")
PACKAGE_KEYS = ("term_years", "escalator_pct")  # observed where the record gives them
LOSS_TERMS = {"gap_months": (1.0, 3.0), "change_pct": (1.0, 2.0), "rounds": (0.1, 3.0),
              "before_expiry": (0.5, 1.0),
              # the package (issue 12): off unless the config weighs them
              "term_years": (0.0, 1.0), "escalator_pct": (0.0, 1.0)}


@dataclass(frozen=True)
class LossTerm:
    weight: float
    scale: float


@dataclass(frozen=True)
class Cycle:
    """One negotiation to fit: its scenario (facts fixed) and its observed outcome."""

    name: str
    scenario: Scenario
    observed: dict[str, Any]
    weight: float = 1.0
    record: int | None = None
    path: str = ""


@dataclass(frozen=True)
class TuneConfig:
    name: str
    source: str
    cycles: tuple[Cycle, ...]
    parameters: tuple[Parameter, ...]
    loss: dict[str, LossTerm]
    replications: int = 100
    seed: int = 0
    sampler: str = "tpe"
    trials: int = 50
    startup_trials: int = 10
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def cycle_names(self) -> list[str]:
        return [c.name for c in self.cycles]

    def cycle(self, name: str) -> Cycle:
        for c in self.cycles:
            if c.name == name:
                return c
        raise KeyError(name)

    def fingerprint(self) -> str:
        """What a stored study must match to be continued (cycles, parameters, loss, seeds)."""
        facts = {
            "cycles": [[c.name, c.scenario.resolved, c.observed, c.weight] for c in self.cycles],
            "parameters": {p.name: p.describe() for p in self.parameters},
            "loss": {k: [t.weight, t.scale] for k, t in self.loss.items()},
            "replications": self.replications, "seed": self.seed, "sampler": self.sampler,
        }
        text = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_tune_config(path: str | Path) -> TuneConfig:
    """Read and validate a tuning config; raise ``ScenarioError`` on bad input."""
    source = str(path)
    raw = read_toml(path)
    return tune_from_dict(raw, source, Path(path).parent)


def tune_from_dict(raw: dict[str, Any], source: str = "<tune>",
                   base_dir: Path | None = None) -> TuneConfig:
    top = TopTable(raw, "tune", TUNE_KEYS, source)
    table, problem = top.table, top.problem
    for key in raw:
        if key != "tune":
            top.problems.append((key, "unknown section; allowed: [tune] (scenarios are files "
                                 "named in [[tune.cycles]])"))
    name = top.name()
    sampler = table.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        problem("sampler", f"{sampler!r} is not allowed; allowed: {', '.join(SAMPLERS)}")
    replications = top.integer("replications", 100, 1, 10**6)
    seed = top.integer("seed", 0, 0, 2**63 - 1)
    trials = top.integer("trials", 50, 1, 10**6)
    startup = top.integer("startup_trials", 10, 1, 10**6)
    loss = _loss(table.get("loss", {}), problem)
    params = parse_parameters(table.get("parameters"), TUNED, lambda k, m: problem(
        f"parameters{'.' + k if k else ''}", m))
    cycles = _cycles(table.get("cycles"), base_dir or Path("."), problem)
    top.raise_if_any()
    config = TuneConfig(name=name, source=source, cycles=tuple(cycles), parameters=tuple(params),
                        loss=loss, replications=replications, seed=seed, sampler=sampler,
                        trials=trials, startup_trials=startup, raw=raw)
    check_applies(config.parameters, config.cycles, source, "tune.parameters")
    return config


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _loss(raw: Any, problem: Any) -> dict[str, LossTerm]:
    out = {k: LossTerm(w, s) for k, (w, s) in LOSS_TERMS.items()}
    if not isinstance(raw, dict):
        problem("loss", f"{raw!r} is not a table; allowed: [tune.loss] with "
                f"{', '.join(LOSS_TERMS)}")
        return out
    for key, spec in raw.items():
        if key not in LOSS_TERMS:
            problem(f"loss.{key}", f"unknown term; allowed: {', '.join(LOSS_TERMS)}")
            continue
        if not isinstance(spec, dict) or set(spec) - {"weight", "scale"}:
            problem(f"loss.{key}", f"{spec!r} is not allowed; allowed: {{ weight = W, "
                    "scale = S }")
            continue
        weight = spec.get("weight", out[key].weight)
        scale = spec.get("scale", out[key].scale)
        if not (_number(weight) and weight >= 0):
            problem(f"loss.{key}.weight", f"{weight!r} is not allowed; allowed: a number >= 0")
            continue
        if not (_number(scale) and scale > 0):
            problem(f"loss.{key}.scale", f"{scale!r} is not allowed; allowed: a number > 0")
            continue
        out[key] = LossTerm(float(weight), float(scale))
    return out


def _cycles(raw: Any, base_dir: Path, problem: Any) -> list[Cycle]:
    if not isinstance(raw, list) or not raw:
        problem("cycles", "missing or empty; allowed: [[tune.cycles]] tables with name, "
                "scenario, record (or observed)")
        return []
    out: list[Cycle] = []
    for i, spec in enumerate(raw):
        where = f"cycles.{i}"
        if not isinstance(spec, dict):
            problem(where, "is not a table; allowed: [[tune.cycles]] with name, scenario, record")
            continue
        unknown = [k for k in spec if k not in CYCLE_KEYS]
        if unknown:
            problem(f"{where}.{unknown[0]}", f"unknown key; allowed: {', '.join(CYCLE_KEYS)}")
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problem(f"{where}.name", f"{name!r} is not allowed; allowed: a label of letters, "
                    "digits, _ . -")
            continue
        if name in [c.name for c in out]:
            problem(f"{where}.name", f"{name!r} is used twice; allowed: distinct names")
            continue
        ref = spec.get("scenario")
        if not isinstance(ref, str):
            problem(f"{where}.scenario", f"{ref!r} is not a path; allowed: a scenario file "
                    "relative to this config")
            continue
        weight = spec.get("weight", 1.0)
        if not (_number(weight) and weight > 0):
            problem(f"{where}.weight", f"{weight!r} is not allowed; allowed: a number > 0")
            continue
        observed = _observed(spec, where, problem)
        if observed is None:
            continue
        scenario = load_scenario(base_dir / ref)
        out.append(Cycle(name, scenario, observed, float(weight), spec.get("record"),
                         str(base_dir / ref)))
    return out


def _observed(spec: dict[str, Any], where: str, problem: Any) -> dict[str, Any] | None:
    """The cycle's observed outcome: from the record, with any inline values on top."""
    observed: dict[str, Any] = {}
    number = spec.get("record")
    if number is not None:
        try:
            row = record.observed(int(number)) if isinstance(number, int) and not isinstance(
                number, bool) else None
        except KeyError:
            row = None
        if row is None:
            known = ", ".join(str(c) for c in record.observed_outcomes()["cycle"])
            problem(f"{where}.record", f"{number!r} has no observed outcome in the record; "
                    f"allowed: {known}")
            return None
        # Timing as the loss compares it: gap months, negative before expiry (-lead).
        observed = {"gap_months": -int(row["lead_months"]), "change_pct": float(row["change_pct"]),
                    "rounds": int(row["formal_rounds"]),
                    "agreed_before_expiry": bool(row["agreed_before_expiry"]),
                    "term_years": int(row["term_years"])}
        if row["escalator"]:  # the record's rule in the model's terms (NaN: no cap)
            observed["escalator_pct"] = float(row["escalator_pct"])
    inline = spec.get("observed", {})
    if not isinstance(inline, dict):
        problem(f"{where}.observed", f"{inline!r} is not a table; allowed: "
                f"{{ {', '.join(OBSERVED_KEYS)} }}")
        return None
    for key, value in inline.items():
        if key not in OBSERVED_KEYS + PACKAGE_KEYS:
            problem(f"{where}.observed.{key}", "unknown key; allowed: "
                    f"{', '.join(OBSERVED_KEYS + PACKAGE_KEYS)}")
            return None
        ok = isinstance(value, bool) if key == "agreed_before_expiry" else _number(value)
        if not ok:
            problem(f"{where}.observed.{key}", f"{value!r} is not allowed; allowed: "
                    + ("true or false" if key == "agreed_before_expiry" else "a number"))
            return None
        observed[key] = value
    missing = [k for k in OBSERVED_KEYS if k not in observed]
    if missing:
        problem(where, f"observed {', '.join(missing)} missing; allowed: record = N (an SMA "
                "in negotiation_sim/data) or observed = { ... } with every key")
        return None
    return observed


def check_applies(parameters: tuple[Parameter, ...], cycles: tuple[Cycle, ...] | list,
                  source: str, prefix: str) -> None:
    """Every parameter applies somewhere, and its bounds give valid scenarios everywhere."""
    problems = []
    for p in parameters:
        where = [c for c in cycles if p.targets(c.scenario)]
        if not where:
            names = ", ".join(c.name for c in cycles)
            problems.append((f"{prefix}.{p.name}", f"sets no key in any cycle's scenario "
                             f"({names}); allowed: a key the scenario files set"))
            continue
        for c in where:
            for value in (p.low, p.high, p.start):
                overrides = cycle_overrides(c.scenario, [p], {p.name: value})
                try:
                    c.scenario.with_overrides(overrides)
                except ScenarioError as exc:
                    key, message = exc.problems[0]
                    shown = (format_month(int(value)) if p.mode == MONTH_MODE
                             else f"{value:g}")
                    problems.append((f"{prefix}.{p.name}", f"value {shown} gives an invalid "
                                     f"{c.name} scenario ({key}: {message})"))
                    break
    if problems:
        raise ScenarioError(problems, source)
