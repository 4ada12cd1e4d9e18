"""What a sweep found: agreement rate, gaps, amounts, overall and by swept parameter.

``summarize(runs)`` takes a runs table or a sweep folder and returns one row for all
runs, then one row per value of each swept parameter (or per combination of the
``by`` parameters). Parameters with many distinct values (random, Latin hypercube and
Sobol' designs) are cut into quantile bins. Failed runs are counted, never averaged.

Columns: ``runs``, ``failed``; ``agreement_rate`` (share of valid runs ending in an
agreement); ``gap_share`` (share with at least one gap month: talks outlasted the
agreement in force); ``gap_mean``, ``gap_median``, ``gap_p90`` (gap months, censored
runs counted up to the horizon) and ``censored`` (runs with no agreement by the
horizon); ``amount_*`` and ``increase_*`` (first-year amount, KRW bn, and its increase
over the agreement in force, %, among agreements: mean, 10th, 50th, 90th percentile).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UsageError
from ..outcome import OUTCOME_FIELDS
from .chunks import ID_COLUMNS
from .store import RUNS, read_runs

BASE_COLUMNS = frozenset((*ID_COLUMNS, "seed", *OUTCOME_FIELDS, "error"))
NEEDED = ["agreed", "gap_months", "censored", "amount_krw_bn", "increase_pct", "error"]
STATS = ["runs", "failed", "agreement_rate", "gap_share", "gap_mean", "gap_median", "gap_p90",
         "censored", "amount_mean", "amount_p10", "amount_median", "amount_p90",
         "increase_mean", "increase_p10", "increase_median", "increase_p90"]
MAX_LEVELS = 12  # more distinct values than this: quantile bins


def swept_parameters(columns: Sequence[str]) -> list[str]:
    """Columns of a runs table that are swept parameters."""
    return [c for c in columns if c not in BASE_COLUMNS]


def load(runs: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, list[str]]:
    """A compact runs table for summaries, and the swept parameters.

    Columns: the parameters, ``ok`` (the run did not fail), ``agreed``, ``gap_months``,
    ``censored``, ``amount_krw_bn``, ``increase_pct`` as plain numpy columns (about 50
    bytes a run). Read from disk, only these columns are read, one row group (chunk) at a time.
    """
    if isinstance(runs, pd.DataFrame):
        if "ok" in runs.columns and "error" not in runs.columns:
            return runs, swept_parameters([c for c in runs.columns if c != "ok"])
        params = swept_parameters(runs.columns)
        return _compact({c: runs[c] for c in [*params, *NEEDED]}, params, len(runs)), params
    path = Path(runs)
    file = path / RUNS if path.is_dir() else path
    if not file.exists():
        read_runs(path)  # raises the one-line error
    reader = _open_runs(file)  # one row group (chunk) in memory
    params = swept_parameters(reader.schema_arrow.names)
    n = reader.metadata.num_rows
    columns: dict[str, np.ndarray] = {}
    start = 0
    for i in range(reader.num_row_groups):
        with _foreign(file):
            group = reader.read_row_group(i, columns=[*params, *NEEDED])
            part = _compact({c: group.column(c).to_pandas() for c in [*params, *NEEDED]},
                            params, group.num_rows)
        for name in part.columns:
            if name not in columns:
                columns[name] = np.empty(n, dtype=part[name].to_numpy().dtype)
            columns[name][start:start + len(part)] = part[name].to_numpy()
        start += len(part)
    pa.default_memory_pool().release_unused()
    if not columns:
        return _compact({c: pd.Series([], dtype=float) for c in [*params, *NEEDED]}, params,
                        0), params
    return pd.DataFrame(columns, copy=False), params


_WRITTEN_BY = "a runs.parquet written by `negotiation-sim sweep`"


@contextmanager
def _foreign(file: Path) -> Iterator[None]:
    """Turn what a damaged or foreign Parquet file raises into one line naming it."""
    try:
        yield
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"{file}: cannot read as a sweep's runs table ({reason}); allowed: "
                         f"{_WRITTEN_BY}") from None


def _open_runs(file: Path) -> pq.ParquetFile:
    """``file`` opened as a sweep's runs table: Parquet, with the outcome columns."""
    with _foreign(file):
        reader = pq.ParquetFile(file, pre_buffer=False)
    missing = [c for c in NEEDED if c not in reader.schema_arrow.names]
    if missing:
        raise UsageError(f"{file}: missing columns {', '.join(missing)}; allowed: "
                         f"{_WRITTEN_BY} (columns {', '.join(NEEDED)} and the swept "
                         "parameters)")
    return reader


def _compact(columns: dict[str, pd.Series], params: list[str], n: int) -> pd.DataFrame:
    ok = columns["error"].isna().to_numpy(dtype=bool)
    out = {p: columns[p].to_numpy() for p in params}
    out["ok"] = ok
    out["agreed"] = columns["agreed"].fillna(False).to_numpy(dtype=bool) & ok
    out["gap_months"] = columns["gap_months"].fillna(0).to_numpy(dtype=np.int32)
    out["censored"] = columns["censored"].fillna(False).to_numpy(dtype=bool) & ok
    for c in ("amount_krw_bn", "increase_pct"):
        out[c] = columns[c].astype(float).to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def levels(values: pd.Series | np.ndarray, bins: int = 5) -> tuple[np.ndarray, list]:
    """Each run's group code and the groups' labels, in order: the values themselves, or
    quantile bins (labelled low-high) when a numeric parameter has many values."""
    values = pd.Series(values)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique() > MAX_LEVELS:
        cut = pd.qcut(values.astype(float), bins, duplicates="drop")
        labels = [f"{_g(iv.left)}-{_g(iv.right)}" for iv in cut.cat.categories]
        return cut.cat.codes.to_numpy(dtype=np.int64), labels
    uniques, codes = np.unique(values.to_numpy(), return_inverse=True)
    return codes.astype(np.int64).ravel(), [_native(v) for v in uniques]


def _native(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _g(x: float) -> str:
    return f"{x:.4g}"


def _quantiles(x: np.ndarray, prefix: str) -> dict[str, float]:
    x = x[~np.isnan(x)]
    if not len(x):
        return {f"{prefix}_{k}": np.nan for k in ("mean", "p10", "median", "p90")}
    q = np.quantile(x, [0.1, 0.5, 0.9])
    return {f"{prefix}_mean": float(x.mean()), f"{prefix}_p10": float(q[0]),
            f"{prefix}_median": float(q[1]), f"{prefix}_p90": float(q[2])}


def stats(runs: pd.DataFrame, rows: np.ndarray | None = None) -> dict[str, float]:
    """Summary statistics of a ``load`` table, or of its ``rows``."""
    def column(name: str) -> np.ndarray:
        values = runs[name].to_numpy()
        return values if rows is None else values[rows]

    ok = column("ok")
    n, n_ok = len(ok), int(ok.sum())
    gap = column("gap_months")[ok]
    agreed = column("agreed")
    out: dict[str, float] = {
        "runs": n, "failed": n - n_ok,
        "agreement_rate": float(agreed[ok].mean()) if n_ok else np.nan,
        "gap_share": float((gap > 0).mean()) if n_ok else np.nan,
        "gap_mean": float(gap.mean()) if n_ok else np.nan,
        "gap_median": float(np.median(gap)) if n_ok else np.nan,
        "gap_p90": float(np.quantile(gap, 0.9)) if n_ok else np.nan,
        "censored": int(column("censored").sum()),
    }
    out |= _quantiles(column("amount_krw_bn")[agreed], "amount")
    out |= _quantiles(column("increase_pct")[agreed], "increase")
    return out


def summarize(runs: pd.DataFrame | str | Path, by: Sequence[str] | None = None,
              bins: int = 5) -> pd.DataFrame:
    """Summary rows: all runs, then by each swept parameter (or jointly by ``by``)."""
    table, params = load(runs)
    for name in by or ():
        if name not in params:
            raise UsageError(f"--by {name}: not a swept parameter; allowed: "
                             f"{', '.join(params) or '(none)'}")
    rows = [{"group": "all", **stats(table)}]
    groupings = [[p] for p in params] if not by else [list(by)]
    for cols in groupings:
        coded = [levels(table[c], bins) for c in cols]
        dims = tuple(len(labels) for _, labels in coded)
        joint = np.ravel_multi_index([codes for codes, _ in coded], dims)
        order = np.argsort(joint, kind="stable")  # one pass, then a slice per group
        present, starts = np.unique(joint[order], return_index=True)
        ends = [*starts[1:], len(order)]
        for code, lo, hi in zip(present, starts, ends, strict=True):
            index = np.unravel_index(code, dims)
            values = {c: coded[j][1][index[j]] for j, c in enumerate(cols)}
            rows.append({"group": " x ".join(cols), **values, **stats(table, order[lo:hi])})
    return pd.DataFrame(rows, columns=["group", *params, *STATS])


def format_summary(table: pd.DataFrame) -> str:
    """A readable text table of ``summarize`` output."""
    params = [c for c in table.columns if c not in ("group", *STATS)
              and not table[c].map(_missing).all()]
    show = pd.DataFrame({"group": table["group"]})
    for p in params:
        show[p] = table[p].map(lambda v: "" if _missing(v) else _g(v) if isinstance(
            v, float) else str(v))
    show["runs"] = table["runs"].astype(int)
    show["failed"] = table["failed"].astype(int)
    show["agree%"] = (100 * table["agreement_rate"]).round(1)
    show["gap%"] = (100 * table["gap_share"]).round(1)
    show["gap mean/med/p90"] = [
        f"{m:.1f}/{md:g}/{p:g}" if not np.isnan(m) else "-"
        for m, md, p in zip(table.gap_mean, table.gap_median, table.gap_p90, strict=True)]
    show["censored"] = table["censored"].astype(int)
    show["amount med [p10-p90]"] = [
        f"{md:,.0f} [{lo:,.0f}-{hi:,.0f}]" if not np.isnan(md) else "-"
        for md, lo, hi in zip(table.amount_median, table.amount_p10, table.amount_p90,
                              strict=True)]
    show["increase% med"] = table["increase_median"].round(1)
    return show.to_string(index=False)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
