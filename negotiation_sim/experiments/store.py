"""Where results go: a sweep folder with parts, consolidated tables and a manifest.

Layout of ``results/<name>/``::

    parts/sweep.json            what sweep this folder holds (checked by --resume)
    parts/runs-000042.parquet   one finished chunk (written atomically)
    parts/traces-000042.parquet its per-month traces (--traces)
    runs.parquet                every run, sorted by run_id (one row group per chunk)
    traces.parquet              every trace month, by run_id (--traces)
    manifest.json               resolved config, seeds, versions, commit, times, counts
    summary.csv                 agreement rate, gaps, amounts, overall and by parameter

A chunk's part file exists only once the chunk is finished, so a sweep stopped at any
moment (Ctrl-C, kill -9) resumes with the chunks that have no part. Consolidation
streams the parts in chunk order into ``runs.parquet``, one chunk in memory at a time.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import storage
from ..columns import FIGURES  # what summarize --plot writes
from ..errors import UsageError
from ..outcome import OUTCOME_FIELDS
from ..parameters import Parameter
from .chunks import ID_COLUMNS, ChunkPlan, outcome_types

RUNS, TRACES, MANIFEST, SUMMARY, PARTS = ("runs.parquet", "traces.parquet", "manifest.json",
                                         "summary.csv", "parts")
OWN_FILES = (RUNS, TRACES, MANIFEST, SUMMARY, *FIGURES)
IDENTITY = "sweep.json"
MAX_FAILURES_LISTED = 100
_PART = re.compile(r"^runs-(\d+)\.parquet$")
_ARROW = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "str": pa.string(),
          "list": pa.list_(pa.float64())}


def runs_schema(parameters: Sequence[Parameter]) -> pa.Schema:
    """Columns of runs.parquet: ids, swept parameters, seed, outcome fields, error."""
    fields = [pa.field(name, pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(p.name, _ARROW[p.dtype]) for p in parameters]
    fields.append(pa.field("seed", pa.int64()))
    fields += [pa.field(name, _ARROW[kind]) for name, kind in outcome_types().items()]
    fields.append(pa.field("error", pa.string()))
    return pa.schema(fields)


def runs_table(schema: pa.Schema, run_ids: np.ndarray, replications: int,
               overrides: pd.DataFrame, seeds: np.ndarray, outcomes: pd.DataFrame) -> pa.Table:
    """One chunk's rows in the runs schema (missing outcomes become nulls)."""
    columns: dict[str, Any] = {
        "run_id": run_ids, "point": run_ids // replications, "replication": run_ids % replications,
        **{c: overrides[c].to_numpy() for c in overrides.columns}, "seed": seeds,
        **{c: outcomes[c].to_numpy() if outcomes[c].dtype.kind in "biuf" else outcomes[c]
           for c in (*OUTCOME_FIELDS, "error")},
    }
    arrays = [pa.array(columns[f.name], type=f.type, from_pandas=True) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class Consolidated:
    """What consolidation found: counts and the first failures."""

    runs: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    trace_rows: int = 0


class SweepFolder(storage.ResultsFolder):
    """A sweep's output folder (see the module docstring for its layout)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.parts = self.path / PARTS

    # --- opening -------------------------------------------------------------------

    @staticmethod
    def check(path: str | Path, identity: dict[str, Any], resume: bool = False,
              force: bool = False, flag: str = "--out") -> None:
        """Raise ``UsageError`` if the sweep may not write there; changes nothing."""
        out = Path(path)
        if resume and force:
            raise UsageError("--resume and --force: allowed: one of them (resume keeps "
                             "finished chunks, force discards them)")
        occupied = out.is_dir() and any(out.iterdir())
        if out.exists() and not out.is_dir():
            raise UsageError(f"{flag} {out}: is a file; allowed: a folder")
        if occupied and not (resume or force):
            raise UsageError(f"{flag} {out}: folder exists and is not empty; allowed: a new "
                             "folder, --resume to continue this sweep, or --force to replace "
                             "its results")
        ident = out / PARTS / IDENTITY
        if resume and occupied:
            if not ident.exists():
                raise UsageError(f"--resume {out}: not a sweep folder (no {PARTS}/{IDENTITY}); "
                                 "allowed: a folder a sweep wrote, or --force to start over")
            stored = json.loads(ident.read_text(encoding="utf-8"))
            if stored.get("fingerprint") != identity["fingerprint"]:
                raise UsageError(f"--resume {out}: the folder holds a different sweep (config, "
                                 "engine, chunk size or --traces changed); allowed: the same "
                                 "config and options, or --force to start over")

    @classmethod
    def open(cls, path: str | Path, identity: dict[str, Any], resume: bool = False,
             force: bool = False, flag: str = "--out") -> SweepFolder:
        """Check the folder, then create, clear (``force``) or reopen (``resume``) it."""
        cls.check(path, identity, resume, force, flag)
        folder = cls(storage.prepare_dir(path, flag))
        ident = folder.parts / IDENTITY
        if force:
            folder.clear()
        folder.parts.mkdir(exist_ok=True)
        for stale in folder.parts.glob(".*.tmp"):  # left by a kill during a write
            stale.unlink(missing_ok=True)
        storage.write_json(ident, identity)
        return folder

    def clear(self) -> None:
        """Remove what a sweep writes here (never other files)."""
        shutil.rmtree(self.parts, ignore_errors=True)
        for name in OWN_FILES:
            (self.path / name).unlink(missing_ok=True)

    # --- parts ---------------------------------------------------------------------

    def done_chunks(self) -> set[int]:
        if not self.parts.is_dir():
            return set()
        return {int(m.group(1)) for p in self.parts.iterdir() if (m := _PART.match(p.name))}

    def part_path(self, k: int, kind: str = "runs") -> Path:
        return self.parts / f"{kind}-{k:06d}.parquet"

    def write_part(self, k: int, table: pa.Table, traces: pd.DataFrame | None) -> None:
        """Traces first, then runs: a runs part marks its chunk finished."""
        if traces is not None:
            trace_table = pa.Table.from_pandas(traces, preserve_index=False)
            trace_table = trace_table.replace_schema_metadata(None)
            storage.write_bytes_via(self.part_path(k, "traces"),
                                    lambda p: pq.write_table(trace_table, p))
        storage.write_bytes_via(self.part_path(k, "runs"), lambda p: pq.write_table(table, p))

    # --- consolidation -------------------------------------------------------------

    def consolidate(self, plan: ChunkPlan, schema: pa.Schema, failed: Collection[int],
                    failed_table: Callable[[int], pa.Table], traces: bool) -> Consolidated:
        """Stream parts into runs.parquet in chunk order, one chunk in memory at a time.

        A chunk that failed as a whole has no part (so --resume runs it again); its
        runs are written from ``failed_table(k)``, with their error.
        """
        info = Consolidated()
        params = [f.name for f in schema][len(ID_COLUMNS):schema.get_field_index("seed")]

        def write(path: Path) -> None:
            with pq.ParquetWriter(path, schema) as writer:
                for k in range(plan.n_chunks):
                    if k in failed:
                        table = failed_table(k)
                    else:
                        table = pq.read_table(self.part_path(k), schema=schema)
                    writer.write_table(table, row_group_size=max(1, table.num_rows))
                    self._count(table, params, info)

        self.write_via(RUNS, write)
        if traces:
            info.trace_rows = self._consolidate_traces(plan)
        return info

    @staticmethod
    def _count(table: pa.Table, params: list[str], info: Consolidated) -> None:
        info.runs += table.num_rows
        errors = table.column("error")
        n_failed = table.num_rows - errors.null_count
        info.failed += n_failed
        if n_failed and len(info.failures) < MAX_FAILURES_LISTED:
            rows = table.select(["run_id", *params, "seed", "error"]).to_pandas()
            rows = rows[rows["error"].notna()].head(MAX_FAILURES_LISTED - len(info.failures))
            info.failures += rows.to_dict("records")

    def _consolidate_traces(self, plan: ChunkPlan) -> int:
        paths = [self.part_path(k, "traces") for k in range(plan.n_chunks)]
        tables = (pq.read_table(p) for p in paths if p.exists())
        first = next((t for t in tables if t.num_columns), None)
        if first is None:
            return 0
        rows = 0

        def write(path: Path) -> None:
            nonlocal rows
            with pq.ParquetWriter(path, first.schema) as writer:
                for p in paths:
                    if not p.exists():
                        continue
                    table = pq.read_table(p)
                    if table.num_rows:
                        writer.write_table(table.cast(first.schema))
                        rows += table.num_rows

        self.write_via(TRACES, write)
        return rows


def read_runs(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """runs.parquet of a sweep folder (or the file itself) as a DataFrame.

    Failed runs have missing outcomes, so columns use pandas' nullable types (Int64,
    boolean, string) whether or not a run failed.
    """
    path = Path(path)
    file = path / RUNS if path.is_dir() else path
    if not file.exists():
        hint = (" (the sweep has not finished: run it again with --resume)"
                if (path / PARTS).is_dir() else "")
        raise UsageError(f"{path}: no {RUNS}{hint}; allowed: a sweep results folder")
    return pd.read_parquet(file, columns=columns, dtype_backend="numpy_nullable")
