"""The reference engine: one Mesa model object per run, collection off."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import SMAModel
from ..outcome import OUTCOME_FIELDS
from ..scenario import Scenario


def simulate_mesa(scenario: Scenario, overrides: pd.DataFrame, seeds: np.ndarray) -> pd.DataFrame:
    rows = []
    columns = list(overrides.columns)
    records = overrides.to_dict("records") if columns else [{}] * len(seeds)
    cache: dict[tuple, Scenario] = {}
    for record, seed in zip(records, seeds, strict=True):
        key = tuple(record.get(c) for c in columns)
        if key not in cache:
            cache[key] = scenario.with_overrides(record) if record else scenario
        model = SMAModel(cache[key], rng=int(seed), collect=False)
        rows.append(model.run().to_dict())
    return pd.DataFrame(rows, columns=list(OUTCOME_FIELDS))
