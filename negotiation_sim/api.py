"""The Python API in three lines:

>>> import negotiation_sim as ns
>>> scenario = ns.load_scenario("configs/sma11.toml").with_overrides({"us.opening": 4600})
>>> result = ns.run(scenario, seed=1)   # result.outcome, result.trace (DataFrame)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .model import SMAModel, release
from .outcome import Outcome
from .scenario import Scenario, load_scenario


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    seed: int
    outcome: Outcome
    trace: pd.DataFrame


def run(scenario: Scenario | str | Path, seed: int = 0,
        overrides: dict[str, Any] | None = None, trace: bool = True) -> RunResult:
    """Run one negotiation with the Mesa model; ``overrides`` use dotted key paths."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    model = SMAModel(scenario, rng=seed, collect=trace)
    outcome = model.run()
    table = model.trace() if trace else pd.DataFrame()
    release(model)
    return RunResult(scenario, model.seed, outcome, table)
