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

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
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
    """The runs table (only the needed columns when read from disk) and its parameters."""
    if isinstance(runs, pd.DataFrame):
        return runs, swept_parameters(runs.columns)
    path = Path(runs)
    file = path / RUNS if path.is_dir() else path
    if not file.exists():
        read_runs(path)  # raises the one-line error
    params = swept_parameters(pq.read_schema(file).names)
    return read_runs(file, columns=[*params, *NEEDED]), params


def levels(values: pd.Series, bins: int = 5) -> pd.Series:
    """Group labels: the values, or quantile bins when there are many numeric values."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric or values.nunique() <= MAX_LEVELS:
        return values
    cut = pd.qcut(values.astype(float), bins, duplicates="drop")
    labels = {iv: f"{_g(iv.left)}-{_g(iv.right)}" for iv in cut.cat.categories}
    return cut.cat.rename_categories(labels)


def _g(x: float) -> str:
    return f"{x:.4g}"


def _quantiles(x: pd.Series, prefix: str) -> dict[str, float]:
    x = x.dropna().astype(float)
    if x.empty:
        return {f"{prefix}_{k}": np.nan for k in ("mean", "p10", "median", "p90")}
    q = np.quantile(x.to_numpy(), [0.1, 0.5, 0.9])
    return {f"{prefix}_mean": float(x.mean()), f"{prefix}_p10": float(q[0]),
            f"{prefix}_median": float(q[1]), f"{prefix}_p90": float(q[2])}


def stats(runs: pd.DataFrame) -> dict[str, float]:
    """The summary statistics of one group of runs."""
    failed = runs["error"].notna()
    ok = runs[~failed]
    agreed = ok["agreed"].astype(bool)
    gap = ok["gap_months"].astype(float)
    out: dict[str, float] = {
        "runs": len(runs), "failed": int(failed.sum()),
        "agreement_rate": float(agreed.mean()) if len(ok) else np.nan,
        "gap_share": float((gap > 0).mean()) if len(ok) else np.nan,
        "gap_mean": float(gap.mean()) if len(ok) else np.nan,
        "gap_median": float(gap.median()) if len(ok) else np.nan,
        "gap_p90": float(np.quantile(gap, 0.9)) if len(ok) else np.nan,
        "censored": int(ok["censored"].astype(bool).sum()),
    }
    deals = ok[agreed]
    out |= _quantiles(deals["amount_krw_bn"], "amount")
    out |= _quantiles(deals["increase_pct"], "increase")
    return out


def summarize(runs: pd.DataFrame | str | Path, by: Sequence[str] | None = None,
              bins: int = 5) -> pd.DataFrame:
    """Summary rows: all runs, then by each swept parameter (or jointly by ``by``)."""
    df, params = load(runs)
    for name in by or ():
        if name not in params:
            raise UsageError(f"--by {name}: not a swept parameter; allowed: "
                             f"{', '.join(params) or '(none)'}")
    rows = [{"group": "all", **stats(df)}]
    groupings = [[p] for p in params] if not by else [list(by)]
    for cols in groupings:
        keys = [levels(df[c], bins).rename(c) for c in cols]
        for values, group in df.groupby(keys, sort=True, observed=True):
            values = values if isinstance(values, tuple) else (values,)
            rows.append({"group": " x ".join(cols), **dict(zip(cols, values, strict=True)),
                         **stats(group)})
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
