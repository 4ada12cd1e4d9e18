"""The reference engine: one Mesa model object per run, collection off."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import SMAModel, release
from ..outcome import OUTCOME_FIELDS
from ..scenario import Scenario
from .grouping import hashable


def simulate_mesa(scenario: Scenario, overrides: pd.DataFrame, seeds: np.ndarray) -> pd.DataFrame:
    # Outcome columns as flat lists: no per-run container for the garbage collector to
    # traverse again and again while the batch grows.
    table: dict[str, list] = {name: [] for name in OUTCOME_FIELDS}
    columns = list(overrides.columns)
    records = overrides.to_dict("records") if columns else [{}] * len(seeds)
    cache: dict[tuple, Scenario] = {}
    for record, seed in zip(records, seeds, strict=True):
        key = tuple(hashable(record.get(c)) for c in columns)
        if key not in cache:
            cache[key] = scenario.with_overrides(record) if record else scenario
        model = SMAModel(cache[key], rng=int(seed), collect=False)
        outcome = model.run()
        release(model)
        for name, values in table.items():
            values.append(getattr(outcome, name))
    return pd.DataFrame(table, columns=list(OUTCOME_FIELDS))
