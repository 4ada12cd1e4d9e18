"""A sweep end to end: config -> design -> chunks -> evaluator -> parts -> results folder.

``run_sweep`` is what the command line calls (``SweepOptions`` say how to run, a
``SweepReport`` says what happened); ``sweep`` is the Python API and returns the runs
table. The simulation is a pure function of (scenario, parameters, seed), so
the results depend only on the config and each run's index, never on the evaluator,
the number of workers, the order chunks finish in, or how often the sweep was resumed.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .. import storage
from ..engine import resolve_engine
from ..errors import UsageError
from ..outcome import OUTCOME_FIELDS
from .chunks import ChunkPlan, ChunkTask, evaluate_chunk
from .config import SweepConfig, load_sweep
from .evaluators import default_workers, make_evaluator
from .progress import Progress
from .store import (
    MANIFEST,
    RUNS,
    SUMMARY,
    TRACES,
    SweepFolder,
    read_runs,
    runs_schema,
    runs_table,
)
from .summary import summarize

SEED_SCHEME = ("negotiation_sim.draws.run_seeds(base_seed, [run_id]): SeedSequence(base_seed, "
               "spawn_key=(run_id // 4096,)) mixed with run_id % 4096")


@dataclass(frozen=True)
class SweepOptions:
    """How to run a sweep (what to run is its ``SweepConfig``).

    ``workers``: local processes (default: every CPU; 1 runs in this process).
    ``scheduler``: ``"local"`` for a new Dask ``LocalCluster``, or a scheduler address
    (``tcp://host:8786``). ``out``: results folder (default ``results/<name>``); an
    existing one needs ``resume`` (keep finished chunks) or ``force`` (replace).
    ``traces``: also write per-month traces. ``engine``: ``simulate_batch`` engine
    (default: the package's). ``progress``: ``"bar"``, ``"lines"``, ``"off"`` or None
    (auto), written to ``stream`` (default stderr). ``command_line``: recorded in the
    manifest.
    """

    workers: int | None = None
    scheduler: str | None = None
    out: str | Path | None = None
    resume: bool = False
    force: bool = False
    traces: bool = False
    engine: str | None = None
    progress: str | None = None
    stream: Any = None
    command_line: str | None = None


@dataclass(frozen=True)
class SweepReport:
    """What a finished sweep wrote and how it went."""

    out: Path
    config: SweepConfig
    runs: int
    failed: int
    ran_runs: int
    seconds: float
    manifest: dict[str, Any]
    summary: pd.DataFrame

    @property
    def rate(self) -> float:
        return self.ran_runs / self.seconds if self.seconds > 0 else 0.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _identity(cfg: SweepConfig, plan: ChunkPlan, engine: str, traces: bool) -> dict[str, Any]:
    what = {"resolved": cfg.resolved, "engine": engine, "traces": traces, "runs": plan.n_runs,
            "chunk_size": plan.chunk_size}
    text = json.dumps(what, sort_keys=True, default=str)
    return {"name": cfg.name, "config": cfg.source, "engine": engine, "traces": traces,
            "runs": plan.n_runs, "chunks": plan.n_chunks, "chunk_size": plan.chunk_size,
            "fingerprint": hashlib.sha256(text.encode()).hexdigest()}


def _failed_table(schema: pa.Schema, task: ChunkTask, replications: int,
                  error: str) -> pa.Table:
    outcomes = pd.DataFrame(index=range(len(task.run_ids)), columns=list(OUTCOME_FIELDS),
                            dtype=object)
    outcomes["error"] = error
    return runs_table(schema, task.run_ids, replications, task.overrides, task.seeds, outcomes)


def run_sweep(config: SweepConfig | str | Path, options: SweepOptions | None = None,
              **changes: Any) -> SweepReport:
    """Run (or resume) a sweep into its results folder.

    ``options`` (default ``SweepOptions()``), with any field replaced by a keyword of
    the same name: ``run_sweep(cfg, workers=1, out=path)``.
    """
    opts = replace(options or SweepOptions(), **changes)
    cfg = config if isinstance(config, SweepConfig) else load_sweep(config)
    engine = resolve_engine(opts.engine)
    traces, resume, force = opts.traces, opts.resume, opts.force
    if opts.workers is not None and opts.workers < 1:
        raise UsageError(f"--workers {opts.workers}: allowed: an integer >= 1")
    plan = ChunkPlan(cfg.n_runs, cfg.chunk_size_for(engine), cfg.replications)
    stream = opts.stream if opts.stream is not None else sys.stderr
    evaluator = make_evaluator(_capped_workers(opts.workers, opts.scheduler, plan, stream),
                               opts.scheduler)
    identity = _identity(cfg, plan, engine, traces)
    out = Path(opts.out or Path("results") / cfg.name)
    SweepFolder.check(out, identity, resume, force)  # before starting any worker
    failed_chunks: dict[int, str] = {}
    ran = 0
    clock = time.perf_counter()
    folder: SweepFolder | None = None
    try:
        with evaluator as ev:  # workers start here, before any thread of ours
            folder = SweepFolder.open(out, identity, resume, force)
            schema = runs_schema(cfg.parameters)
            done, bad = folder.verify_parts(plan, schema, traces)
            for line in bad:
                print(line, file=stream, flush=True)
            todo = [k for k in range(plan.n_chunks) if k not in done]
            design = cfg.design()
            previous = _read_manifest(folder.path) if resume else {}
            session: dict[str, Any] = {"started": _now(), "chunks_before": len(done)}
            if bad:
                session["damaged_parts"] = bad
            manifest = _manifest(cfg, plan, engine, traces, folder, previous, opts.command_line)

            def save(status: str, **extra: Any) -> None:
                manifest.update(status=status, **extra)
                folder.write_json(MANIFEST, manifest)

            session.update(ev.describe())
            save("running", sessions=[*previous.get("sessions", []), session])
            initial = sum(len(plan.run_ids(k)) for k in done)
            with Progress(plan.n_runs, initial, cfg.name, stream=opts.stream,
                          mode=opts.progress) as bar:
                tasks = plan.tasks(todo, design, cfg.scenario, cfg.seed, engine, traces)
                try:
                    for task, result, exc in ev.imap_unordered(evaluate_chunk, tasks):
                        n = len(task.run_ids)
                        ran += n
                        if exc is None:
                            table = runs_table(schema, task.run_ids, cfg.replications,
                                               task.overrides, task.seeds, result.outcomes)
                            folder.write_part(task.index, table, result.traces)
                            bar.update(n, result.failed)
                        else:
                            failed_chunks[task.index] = (f"chunk failed: {type(exc).__name__}: "
                                                         f"{exc}")
                            bar.update(n, n)
                except KeyboardInterrupt:
                    session.update(stopped=_now(), chunks_after=len(folder.done_chunks()))
                    save("interrupted")
                    raise

        def failed_table(k: int) -> pa.Table:
            task = plan.task(k, design, cfg.scenario, cfg.seed, engine, False)
            return _failed_table(schema, task, cfg.replications, failed_chunks[k])

        info = folder.consolidate(plan, schema, set(failed_chunks), failed_table, traces)
        seconds = time.perf_counter() - clock
        summary = summarize(folder.path / RUNS)
        folder.write_csv(SUMMARY, summary)
        session.update(finished=_now(), seconds=round(seconds, 3), runs_run=ran,
                       rate_runs_per_s=round(ran / seconds, 1) if seconds > 0 else None)
        outputs = [RUNS, SUMMARY, MANIFEST] + ([TRACES] if traces and info.trace_rows else [])
        save("complete", finished=session["finished"], completed_runs=info.runs - info.failed,
             failed_runs=info.failed, failed_chunks=sorted(failed_chunks),
             failures=info.failures, trace_rows=info.trace_rows if traces else None,
             outputs=outputs)
    finally:
        if folder is not None:
            folder.unlock()
    return SweepReport(folder.path, cfg, info.runs, info.failed, ran, seconds, manifest, summary)


def _capped_workers(workers: int | None, scheduler: str | None, plan: ChunkPlan,
                    stream: Any) -> int | None:
    """``workers``, but never more local processes than the sweep has chunks.

    A cap on the user's ``--workers`` is said in one line; the default (every CPU) is
    capped silently.
    """
    chunks = max(1, plan.n_chunks)
    if scheduler not in (None, "local"):
        return workers
    if workers is None:
        return None if scheduler else min(default_workers(), chunks)
    if workers <= chunks:
        return workers
    print(f"--workers {workers}: capped at {chunks} (the sweep has {chunks} "
          f"chunk{'s' if chunks != 1 else ''} of work)", file=stream, flush=True)
    return chunks


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _manifest(cfg: SweepConfig, plan: ChunkPlan, engine: str, traces: bool,
              folder: SweepFolder, previous: dict[str, Any],
              command_line: str | None) -> dict[str, Any]:
    return storage.manifest(
        "sweep", command_line=command_line, config=cfg.source, resolved_config=cfg.resolved,
        seeds={"base_seed": cfg.seed, "scheme": SEED_SCHEME, "column": "runs.parquet:seed"},
        name=cfg.name, out=str(folder.path), status="running",
        started=previous.get("started", _now()), finished=None, engine=engine,
        traces=traces, sampler=cfg.sampler, parameters=cfg.parameter_paths,
        points=cfg.n_points, replications=cfg.replications, runs=plan.n_runs,
        chunk_size=plan.chunk_size, chunks=plan.n_chunks, completed_runs=None,
        failed_runs=None, failures=[])


def sweep(config: SweepConfig | str | Path, options: SweepOptions | None = None,
          **changes: Any) -> pd.DataFrame:
    """Run a sweep and return its runs table (also written to its folder).

    ``config``: a sweep config file (or a loaded ``SweepConfig``); ``options`` and
    keywords as for ``run_sweep`` (see ``SweepOptions``: ``workers``, ``scheduler``,
    ``out``, ``resume``, ``force``, ``traces``, ``engine``, ``progress``), except that
    progress is off unless asked for.
    """
    opts = replace(options or SweepOptions(progress="off"), **changes)
    return read_runs(run_sweep(config, opts).out)
