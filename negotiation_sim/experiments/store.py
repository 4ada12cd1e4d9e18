"""Where results go: a sweep folder with parts, consolidated tables and a manifest.

Layout of ``results/<name>/``::

    .lock                       held by the one process writing here (``storage.FolderLock``)
    parts/sweep.json            what sweep this folder holds (checked by --resume)
    parts/parts.jsonl           each part's chunk, rows and SHA-256, appended before the part
    parts/runs-000042.parquet   one finished chunk (written atomically)
    parts/traces-000042.parquet its per-month traces (--traces)
    runs.parquet                every run, sorted by run_id (one row group per chunk)
    traces.parquet              every trace month, by run_id (--traces)
    manifest.json               resolved config, seeds, versions, commit, times, counts
    summary.csv                 agreement rate, gaps, amounts, overall and by parameter

A chunk's part file exists only once the chunk is finished, so a sweep stopped at any
moment (Ctrl-C, kill -9) resumes with the chunks that have no part. A part is never
trusted on resume: it must match the checksum recorded for it, be readable, have the
sweep's columns and hold exactly the run_ids its chunk owns; one that does not is named,
removed and its chunk run again (``verify_parts``). Consolidation streams the parts in
chunk order into ``runs.parquet``, one chunk in memory at a time, and checks that every
run_id appears once, in order, before the file is renamed into place.
"""

from __future__ import annotations

import hashlib
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
INDEX = "parts.jsonl"
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
        self.lock: storage.FolderLock | None = None

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
        holder = storage.FolderLock.holder(out) if occupied else None
        if holder is not None:
            used = "--resume" if resume else "--force" if force else flag
            raise UsageError(storage.in_use(out, holder, used))
        if occupied and not (resume or force):
            raise UsageError(f"{flag} {out}: folder exists and is not empty; allowed: a new "
                             "folder, --resume to continue this sweep, or --force to replace "
                             "its results")
        ident = out / PARTS / IDENTITY
        if resume and occupied:
            if not ident.exists():
                raise UsageError(f"--resume {out}: not a sweep folder (no {PARTS}/{IDENTITY}); "
                                 "allowed: a folder a sweep wrote, or --force to start over")
            stored = _read_identity(ident)
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
        used = "--resume" if resume else "--force" if force else flag
        folder.lock = storage.FolderLock(folder.path, used).acquire()
        try:
            ident = folder.parts / IDENTITY
            if force:
                folder.clear()
            storage.makedirs(folder.parts)
            for stale in folder.parts.glob(".*.tmp"):  # left by a kill during a write
                stale.unlink(missing_ok=True)
            storage.write_json(ident, identity)
            folder._compact_index()
        except BaseException:
            folder.unlock()
            raise
        return folder

    def unlock(self) -> None:
        """Let another writer in (the sweep is over, or failed)."""
        if self.lock is not None:
            self.lock.release()

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
            self._write_part(k, "traces", trace_table)
        self._write_part(k, "runs", table)

    def _write_part(self, k: int, kind: str, table: pa.Table) -> None:
        """Record the part's checksum in the index, then write the part atomically.

        In that order a kill between the two leaves a record without a part (the chunk
        simply runs again), never a finished part without its record.
        """
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = sink.getvalue()
        record = {"chunk": k, "kind": kind, "rows": table.num_rows,
                  "sha256": hashlib.sha256(data).hexdigest()}
        storage.append_line(self.parts / INDEX, json.dumps(record))
        storage.write_bytes_via(self.part_path(k, kind), lambda p: p.write_bytes(data))

    def _index(self) -> dict[tuple[str, int], str]:
        """(kind, chunk) -> recorded SHA-256; torn or foreign lines are skipped."""
        out: dict[tuple[str, int], str] = {}
        try:
            lines = (self.parts / INDEX).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return out
        for line in lines.splitlines():
            try:
                rec = json.loads(line)
                out[(str(rec["kind"]), int(rec["chunk"]))] = str(rec["sha256"])
            except (ValueError, TypeError, KeyError):
                continue
        return out

    def _compact_index(self) -> None:
        """Rewrite the index with its whole lines only (a kill may have torn the last)."""
        if not (self.parts / INDEX).exists():
            return
        lines = [json.dumps({"chunk": k, "kind": kind, "sha256": digest})
                 for (kind, k), digest in sorted(self._index().items())]
        storage.write_text(self.parts / INDEX, "".join(f"{line}\n" for line in lines))

    def verify_parts(self, plan: ChunkPlan, schema: pa.Schema,
                     traces: bool) -> tuple[set[int], list[str]]:
        """Finished chunks whose parts pass every check, and one line per bad part.

        A part passes if it matches the checksum recorded when it was written (parts
        written before checksums were recorded are taken on their content alone), is
        readable, has the sweep's columns and holds exactly its chunk's run_ids. A bad
        part (and its chunk's other part) is removed, so its chunk runs again.
        """
        index = self._index()
        done, bad = set(), []
        for k in sorted(self.done_chunks()):
            kinds = ("runs", "traces") if traces else ("runs",)
            problem = None
            for kind in kinds:
                problem = self._part_problem(k, kind, index.get((kind, k)), plan, schema)
                if problem:
                    bad.append(f"{problem}; running chunk {k} again")
                    break
            if problem or k >= plan.n_chunks:
                for kind in ("runs", "traces"):
                    self.part_path(k, kind).unlink(missing_ok=True)
            else:
                done.add(k)
        return done, bad

    def _part_problem(self, k: int, kind: str, digest: str | None, plan: ChunkPlan,
                      schema: pa.Schema) -> str | None:
        """Why part ``k`` of ``kind`` cannot be trusted, or None."""
        path = self.part_path(k, kind)
        if k >= plan.n_chunks:
            return f"{path}: chunk {k} is not part of this sweep ({plan.n_chunks} chunks)"
        try:
            data = path.read_bytes()
        except OSError as exc:
            return f"{path}: cannot read ({exc.strerror or exc})"
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            return f"{path}: damaged (its checksum differs from the one recorded for it)"
        try:
            table = pq.read_table(pa.BufferReader(data))
        except (pa.ArrowException, OSError, ValueError) as exc:
            return f"{path}: damaged (unreadable: {_first_line(exc)})"
        if kind == "traces":
            return None
        if not table.schema.equals(schema):
            return f"{path}: damaged (its columns are not this sweep's)"
        return _ids_problem(path, table, plan, k)

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
                    table = failed_table(k) if k in failed else self._read_part(k, schema)
                    problem = _ids_problem(self.part_path(k), table, plan, k)
                    if problem:  # the folder changed under the sweep: write nothing
                        raise UsageError(f"{problem}; {RUNS} not written; allowed: run "
                                         "again with --resume (bad parts are run again)")
                    writer.write_table(table, row_group_size=max(1, table.num_rows))
                    self._count(table, params, info)
            if info.runs != plan.n_runs:
                raise UsageError(f"{self.path}: {info.runs:,} runs found, {plan.n_runs:,} "
                                 f"expected; {RUNS} not written; allowed: run again with "
                                 "--resume")

        self.write_via(RUNS, write)
        if traces:
            info.trace_rows = self._consolidate_traces(plan)
        return info

    def _read_part(self, k: int, schema: pa.Schema) -> pa.Table:
        path = self.part_path(k)
        try:
            return pq.read_table(path, schema=schema)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise UsageError(f"{path}: damaged (unreadable: {_first_line(exc)}); {RUNS} not "
                             "written; allowed: run again with --resume (bad parts are run "
                             "again)") from None

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


def _ids_problem(path: Path, table: pa.Table, plan: ChunkPlan, k: int) -> str | None:
    """Why ``table`` is not chunk ``k``'s runs (its run_ids, in order), or None."""
    want = plan.run_ids(k)
    got = table.column("run_id").to_numpy(zero_copy_only=False)
    if len(got) == len(want) and np.array_equal(got, want):
        return None
    span = f"{got.min()}-{got.max()}" if len(got) else "none"
    return (f"{path}: damaged (holds {len(got):,} runs, run_ids {span}; chunk {k} owns "
            f"{len(want):,}, run_ids {want[0]}-{want[-1]})")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def _read_identity(path: Path) -> dict[str, Any]:
    """parts/sweep.json, or a one-line ``UsageError`` if it is damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume {path.parent.parent}: {path} is damaged ({_first_line(exc)})"
                         "; allowed: a folder a sweep wrote, or --force to start over") from None
    if not isinstance(data, dict):
        raise UsageError(f"--resume {path.parent.parent}: {path} is damaged (not a JSON "
                         "object); allowed: a folder a sweep wrote, or --force to start over")
    return data


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
