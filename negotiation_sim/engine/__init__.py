"""Engines: how many runs are looped. Every engine maps the same inputs to the same
outcome table.

``simulate_batch(scenario, overrides, seeds, engine=...)`` runs one negotiation per row:
``overrides`` is a DataFrame whose columns are dotted scenario keys (one row per run,
may have no columns), ``seeds`` the runs' integer seeds. It returns a DataFrame with
``OUTCOME_FIELDS`` columns, one row per run, in input order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..scenario import Scenario
from .mesa_engine import simulate_mesa
from .vectorized import simulate_vectorized, unsupported_feature

log = logging.getLogger("negotiation_sim.engine")

ENGINES: dict[str, Callable[[Scenario, pd.DataFrame, np.ndarray], pd.DataFrame]] = {
    "mesa": simulate_mesa,  # the reference: one Mesa model object per run
    "fast": simulate_vectorized,  # all runs as numpy arrays; same outcomes (conformance test)
}
# What batches and tuning use unless told otherwise. simulate_batch falls back from "fast"
# to "mesa" (one warning line on the "negotiation_sim.engine" logger) for a feature the
# array engine lacks.
DEFAULT_ENGINE = "fast"

__all__ = ["DEFAULT_ENGINE", "ENGINES", "resolve_engine", "simulate_batch",
           "unsupported_feature"]


def resolve_engine(name: str | None) -> str:
    """The engine a command uses: ``name`` (checked), else ``DEFAULT_ENGINE``."""
    from ..errors import UsageError

    if name is None:
        return DEFAULT_ENGINE
    if name not in ENGINES:
        raise UsageError(f"--engine {name}: unknown engine; allowed: {', '.join(ENGINES)}")
    return name


def simulate_batch(scenario: Scenario, overrides: pd.DataFrame | None, seeds: np.ndarray,
                   engine: str = DEFAULT_ENGINE) -> pd.DataFrame:
    """Outcomes of one run per (overrides row, seed)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    if overrides is None:
        overrides = pd.DataFrame(index=range(len(seeds)))
    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} override rows but {len(seeds)} seeds")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
    overrides = overrides.reset_index(drop=True)
    if engine == "fast" and (feature := unsupported_feature(scenario, overrides)) is not None:
        log.warning("fast engine: %s; running these %d runs on the mesa engine",
                    feature, len(seeds))
        engine = "mesa"
    return ENGINES[engine](scenario, overrides, seeds)
