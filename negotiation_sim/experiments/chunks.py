"""The unit of work: a chunk of consecutive runs, and the pure function that runs it.

Run ``i`` of a sweep is design point ``i // replications``, replication
``i % replications``, with seed ``draws.run_seeds(base_seed, [i])``. Chunk ``k`` holds
runs ``k * chunk_size`` up to the next chunk, so the partition depends only on the
config, never on the number of workers. ``evaluate_chunk`` maps a chunk's parameters
and seeds to its outcomes through ``engine.simulate_batch``; a run whose parameters do
not validate, or that raises, gets its error recorded and empty outcomes.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import engine as engine_module
from ..draws import run_seeds
from ..outcome import OUTCOME_FIELDS, Outcome
from ..scenario import Scenario

ID_COLUMNS = ("run_id", "point", "replication")


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (picklable, a few KB)."""

    index: int
    run_ids: np.ndarray
    points: np.ndarray  # design point of each run
    scenario: Scenario
    overrides: pd.DataFrame  # one row per run, columns = dotted scenario keys
    seeds: np.ndarray
    engine: str
    traces: bool = False


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's outcomes (``OUTCOME_FIELDS`` + ``error``, one row per run, in order)."""

    index: int
    outcomes: pd.DataFrame
    traces: pd.DataFrame | None
    seconds: float

    @property
    def failed(self) -> int:
        return int(self.outcomes["error"].notna().sum())


@dataclass(frozen=True)
class ChunkPlan:
    """How a sweep's runs are cut into chunks."""

    n_runs: int
    chunk_size: int
    replications: int

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.chunk_size)

    def run_ids(self, k: int) -> np.ndarray:
        start = k * self.chunk_size
        return np.arange(start, min(start + self.chunk_size, self.n_runs), dtype=np.int64)

    def task(self, k: int, design: pd.DataFrame, scenario: Scenario, base_seed: int,
             engine: str, traces: bool) -> ChunkTask:
        ids = self.run_ids(k)
        points = ids // self.replications
        overrides = design.iloc[points].reset_index(drop=True)
        return ChunkTask(k, ids, points, scenario, overrides, run_seeds(base_seed, ids), engine,
                         traces)

    def tasks(self, chunks: list[int], design: pd.DataFrame, scenario: Scenario,
              base_seed: int, engine: str, traces: bool) -> Iterator[ChunkTask]:
        """Tasks made lazily, so memory does not grow with the number of chunks."""
        for k in chunks:
            yield self.task(k, design, scenario, base_seed, engine, traces)


def outcome_types() -> dict[str, str]:
    """Column type of each outcome field (from the ``Outcome`` annotations)."""
    hints = typing.get_type_hints(Outcome)
    out = {}
    for name in OUTCOME_FIELDS:
        text = str(hints.get(name, float))
        out[name] = ("list" if "tuple" in text else "bool" if "bool" in text
                     else "str" if "str" in text
                     else "int64" if "int" in text else "float64")
    return out


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def evaluate_chunk(task: ChunkTask) -> ChunkResult:
    """Run one chunk; never raises for a bad run (its error is recorded instead)."""
    started = time.perf_counter()
    n = len(task.run_ids)
    errors = np.full(n, None, dtype=object)
    scenarios: dict[int, Scenario] = {}
    for point, first in zip(*np.unique(task.points, return_index=True), strict=True):
        record = task.overrides.iloc[[first]].to_dict("records")[0]  # native Python values
        try:
            scenarios[int(point)] = task.scenario.with_overrides(record) if record else \
                task.scenario
        except Exception as exc:  # a bad value for this point: every run of it fails
            errors[task.points == point] = _error_text(exc)
    ok = np.equal(errors, None)
    good = _simulate(task, ok, errors) if ok.any() else None
    if good is not None and len(good) == n:  # the usual case: every run ran
        outcomes = good.reset_index(drop=True).loc[:, list(OUTCOME_FIELDS)]
    else:
        outcomes = pd.DataFrame(index=range(n), columns=list(OUTCOME_FIELDS), dtype=object)
        if good is not None and len(good):
            outcomes.loc[good.index, list(OUTCOME_FIELDS)] = good[list(OUTCOME_FIELDS)] \
                .to_numpy(dtype=object)
    trace = _traces(task, scenarios, errors) if task.traces else None
    outcomes["error"] = errors
    return ChunkResult(task.index, outcomes, trace, time.perf_counter() - started)


def _simulate(task: ChunkTask, ok: np.ndarray, errors: np.ndarray) -> pd.DataFrame:
    """Outcomes of the valid runs, batched; one by one if the batch raises."""
    rows = np.flatnonzero(ok)
    overrides = task.overrides.iloc[rows].reset_index(drop=True)
    try:
        out = engine_module.simulate_batch(task.scenario, overrides, task.seeds[rows],
                                           engine=task.engine)
        out.index = rows
        return out
    except Exception:  # isolate the run(s) that raise
        pass
    parts = []
    for j, row in enumerate(rows):
        try:
            one = engine_module.simulate_batch(task.scenario, overrides.iloc[[j]],
                                               task.seeds[[row]], engine=task.engine)
        except Exception as exc:
            errors[row] = _error_text(exc)
            continue
        one.index = [row]
        parts.append(one)
    return pd.concat(parts) if parts else pd.DataFrame(columns=list(OUTCOME_FIELDS))


def _traces(task: ChunkTask, scenarios: dict[int, Scenario], errors: np.ndarray
            ) -> pd.DataFrame:
    """Per-month traces of the valid runs from the Mesa model (collection on)."""
    from ..model import SMAModel

    tables = []
    for i in range(len(task.run_ids)):
        if errors[i] is not None:
            continue
        try:
            model = SMAModel(scenarios[int(task.points[i])], rng=int(task.seeds[i]),
                             collect=True)
            model.run()
            trace = model.trace()
        except Exception as exc:
            errors[i] = "trace: " + _error_text(exc)
            continue
        trace.insert(0, "run_id", np.int64(task.run_ids[i]))
        tables.append(trace)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
