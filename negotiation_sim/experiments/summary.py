"""What a sweep found: agreement rate, gaps, amounts, overall and by swept parameter.

``summarize(runs)`` takes a runs table or a sweep folder and returns one row for all
runs, then one row per value of each swept parameter (or per combination of the
``by`` parameters). A parameter with more than ``MAX_LEVELS`` distinct values (random,
Latin hypercube and Sobol' designs) is cut into quantile bins, each labelled by the
median of its values. Failed runs are counted, never averaged.

Every column is defined in ``columns.COLUMNS`` (shown by ``summarize --help`` and in
docs/batches.md). Lead months need the month the agreement in force expires: read from
a swept ``agreement_in_force.expires``, else the folder's manifest, else ``expiry=``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UsageError
from ..outcome import OUTCOME_FIELDS
from .chunks import ID_COLUMNS
from .store import RUNS, read_runs

if TYPE_CHECKING:
    from ..packages import PackageSpace

BASE_COLUMNS = frozenset((*ID_COLUMNS, "seed", *OUTCOME_FIELDS, "error"))
NEEDED = ["agreed", "agreement_month", "gap_months", "censored", "amount_krw_bn",
          "increase_pct", "error"]
STATS = ["runs", "failed", "agreement_rate", "agreed_before_expiry", "gap_share", "gap_mean",
         "gap_p10", "gap_median", "gap_p90", "lead_p10", "lead_median", "lead_p90",
         "censored", "amount_mean", "amount_p10", "amount_median", "amount_p90",
         "increase_mean", "increase_p10", "increase_median", "increase_p90"]
# Package statistics (issue 12), after STATS when the scenario negotiates the term
# (``term_*``), the escalator number (``escalator_pct_*``; ``cap_binds_share`` for a
# CPI- or budget-linked rule) or a side item (``in_kind_pct_*``, ``wage_share_pct_*``);
# columns.COLUMNS says what each holds.
PACKAGE_STATS = {"term_years": ["term_p10", "term_median", "term_p90"],
                 "escalator_pct": ["escalator_pct_p10", "escalator_pct_median",
                                   "escalator_pct_p90"],
                 "cap_binds": ["cap_binds_share"],
                 **{item: [f"{item}_p10", f"{item}_median", f"{item}_p90"]
                    for item in ("in_kind_pct", "wage_share_pct")}}
MAX_LEVELS = 25  # more distinct values than this: quantile bins
EXPIRY_KEY = "agreement_in_force.expires"


def swept_parameters(columns: Sequence[str]) -> list[str]:
    """Columns of a runs table that are swept parameters."""
    return [c for c in columns if c not in BASE_COLUMNS]


COMPACT = ("ok", "agreed", "gap_months", "lead_months", "censored", "amount_krw_bn",
           "increase_pct", *PACKAGE_STATS)


def manifest_expiry(folder: str | Path) -> str | None:
    """The expiry month of the scenario a results folder's manifest resolved, if any."""
    import json

    try:
        meta = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    resolved = meta.get("resolved_config") if isinstance(meta, dict) else None
    if isinstance(resolved, dict) and isinstance(resolved.get("scenario"), dict) \
            and "agreement_in_force" in resolved["scenario"]:
        resolved = resolved["scenario"]  # a sweep's: {"sweep": ..., "scenario": ...}
    try:
        expiry = resolved["agreement_in_force"]["expires"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return expiry if isinstance(expiry, str) else None


def manifest_package(folder: str | Path) -> PackageSpace | None:
    """The package space of the scenario a results folder's manifest resolved, if any
    (None: no manifest, or one written before packages)."""
    import json

    from ..scenario import package_space

    try:
        meta = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        resolved = meta["resolved_config"]
        if "new_agreement" not in resolved:
            resolved = resolved["scenario"]  # a sweep's: {"sweep": ..., "scenario": ...}
        return package_space(resolved["new_agreement"], resolved.get("us"), resolved.get("rok"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load(runs: pd.DataFrame | str | Path, expiry: str | None = None,
         package: PackageSpace | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A compact runs table for summaries, and the swept parameters.

    Columns: the parameters, ``ok`` (the run did not fail), ``agreed``, ``gap_months``,
    ``lead_months`` (NaN without an agreement or a known expiry), ``censored``,
    ``amount_krw_bn``, ``increase_pct`` as plain numpy columns (about 60 bytes a run);
    when ``package`` (read from a folder's manifest when not given) negotiates them, also
    ``term_years``, ``escalator_pct``, ``cap_binds`` and the side items' ``in_kind_pct``
    and ``wage_share_pct`` (``distribution.package_keys``).
    Read from disk, only these columns are read, one row group (chunk) at a time.
    """
    from .distribution import package_columns

    if isinstance(runs, pd.DataFrame):
        if "ok" in runs.columns and "error" not in runs.columns:
            return runs, swept_parameters([c for c in runs.columns if c not in COMPACT])
        params = swept_parameters(runs.columns)
        wanted = [*params, *NEEDED, *package_columns(package)]
        return _compact({c: runs[c] for c in wanted}, params, len(runs), expiry,
                        package), params
    path = Path(runs)
    file = path / RUNS if path.is_dir() else path
    if not file.exists():
        read_runs(path)  # raises the one-line error
    if expiry is None:
        expiry = manifest_expiry(file.parent)
    if package is None:
        package = manifest_package(file.parent)
    reader = _open_runs(file)  # one row group (chunk) in memory
    params = swept_parameters(reader.schema_arrow.names)
    if not set(package_columns(package)) <= set(reader.schema_arrow.names):
        package = None  # runs written before packages (or side items)
    wanted = [*params, *NEEDED, *package_columns(package)]
    n = reader.metadata.num_rows
    columns: dict[str, np.ndarray] = {}
    start = 0
    for i in range(reader.num_row_groups):
        with _foreign(file):
            group = reader.read_row_group(i, columns=wanted)
            part = _compact({c: group.column(c).to_pandas() for c in wanted},
                            params, group.num_rows, expiry, package)
        for name in part.columns:
            if name not in columns:
                columns[name] = np.empty(n, dtype=part[name].to_numpy().dtype)
            columns[name][start:start + len(part)] = part[name].to_numpy()
        start += len(part)
    pa.default_memory_pool().release_unused()
    if not columns:
        return _compact({c: pd.Series([], dtype=float) for c in wanted}, params, 0, expiry,
                        package), params
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


def _compact(columns: dict[str, pd.Series], params: list[str], n: int,
             expiry: str | None = None, package: PackageSpace | None = None) -> pd.DataFrame:
    from .distribution import lead_months, package_arrays, package_columns

    ok = columns["error"].isna().to_numpy(dtype=bool)
    out = {p: columns[p].to_numpy() for p in params}
    out["ok"] = ok
    out["agreed"] = columns["agreed"].fillna(False).to_numpy(dtype=bool) & ok
    out["gap_months"] = columns["gap_months"].fillna(0).to_numpy(dtype=np.int32)
    expires = columns.get(EXPIRY_KEY, expiry)
    if expires is None or not n:
        out["lead_months"] = np.full(n, np.nan)
    else:
        lead = lead_months(columns["agreement_month"].to_numpy(dtype=object), expires)
        out["lead_months"] = np.where(out["agreed"], lead, np.nan)
    out["censored"] = columns["censored"].fillna(False).to_numpy(dtype=bool) & ok
    for c in ("amount_krw_bn", "increase_pct"):
        out[c] = columns[c].astype(float).to_numpy(dtype=float, na_value=np.nan)
    if package is not None and "term_years" in columns:
        out |= package_arrays(pd.DataFrame({
            "agreed": out["agreed"],
            **{c: columns[c].to_numpy() for c in package_columns(package)}}), package)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def levels(values: pd.Series | np.ndarray, bins: int = 5) -> tuple[np.ndarray, list]:
    """Each run's group code and the groups' labels, in order: the values themselves, or,
    when a numeric parameter has more than ``MAX_LEVELS`` values, quantile bins labelled
    by the median of the values in each."""
    values = pd.Series(values)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique() > MAX_LEVELS:
        x = values.astype(float)
        cut = pd.qcut(x, bins, duplicates="drop")
        codes = cut.cat.codes.to_numpy(dtype=np.int64)
        medians = x.groupby(codes).median()
        return codes, [float(medians[i]) for i in range(len(cut.cat.categories))]
    uniques, codes = np.unique(values.to_numpy(), return_inverse=True)
    return codes.astype(np.int64).ravel(), [_native(v) for v in uniques]


def _native(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


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
        "agreed_before_expiry": float((agreed[ok] & (gap == 0)).mean()) if n_ok else np.nan,
        "gap_share": float((gap > 0).mean()) if n_ok else np.nan,
        "gap_mean": float(gap.mean()) if n_ok else np.nan,
    }
    q = np.quantile(gap, [0.1, 0.5, 0.9]) if n_ok else [np.nan] * 3
    out |= {"gap_p10": float(q[0]), "gap_median": float(q[1]), "gap_p90": float(q[2])}
    lead = _quantiles(column("lead_months")[agreed], "lead")
    out |= {k: lead[k] for k in ("lead_p10", "lead_median", "lead_p90")}
    out["censored"] = int(column("censored").sum())
    out |= _quantiles(column("amount_krw_bn")[agreed], "amount")
    out |= _quantiles(column("increase_pct")[agreed], "increase")
    return out | _package_stats(runs, column, agreed)


def _package_stats(runs: pd.DataFrame, column: Any, agreed: np.ndarray) -> dict[str, float]:
    """``PACKAGE_STATS`` of the package columns a ``load`` table has (agreed runs)."""
    out: dict[str, float] = {}
    if "term_years" in runs.columns:
        q = _quantiles(column("term_years")[agreed], "term")
        out |= {k: q[k] for k in PACKAGE_STATS["term_years"]}
    if "escalator_pct" in runs.columns:
        q = _quantiles(column("escalator_pct")[agreed], "escalator_pct")
        out |= {k: q[k] for k in PACKAGE_STATS["escalator_pct"]}
    if "cap_binds" in runs.columns:
        binds = column("cap_binds")[agreed]
        out["cap_binds_share"] = float(binds.mean()) if len(binds) else np.nan
    for item in ("in_kind_pct", "wage_share_pct"):
        if item in runs.columns:
            q = _quantiles(column(item)[agreed], item)
            out |= {k: q[k] for k in PACKAGE_STATS[item]}
    return out


def package_stats(columns: Sequence[str]) -> list[str]:
    """The ``PACKAGE_STATS`` columns of a ``load`` table with these columns."""
    return [s for key, names in PACKAGE_STATS.items() if key in columns for s in names]


def summarize(runs: pd.DataFrame | str | Path, by: Sequence[str] | None = None,
              bins: int = 5, expiry: str | None = None,
              package: PackageSpace | None = None) -> pd.DataFrame:
    """Summary rows: all runs, then by each swept parameter (or jointly by ``by``); the
    package statistics too when ``package`` (else a folder's manifest) negotiates them."""
    table, params = load(runs, expiry, package)
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
    return pd.DataFrame(rows, columns=["group", *params, *STATS,
                                       *package_stats(table.columns)])


def format_summary(table: pd.DataFrame) -> str:
    """A readable text table of ``summarize`` output (columns: ``columns.PRINTED``)."""
    from ..formatting import human

    extra = package_stats([k for k, names in PACKAGE_STATS.items() if names[0] in table])
    params = [c for c in table.columns if c not in ("group", *STATS, *extra)
              and not table[c].map(_missing).all()]
    show = pd.DataFrame({"group": table["group"]})
    for p in params:
        show[p] = table[p].map(lambda v: "" if _missing(v) else human(v))

    def pct(column: str) -> list[str]:
        return [f"{100 * v:.1f}" if not np.isnan(v) else "-" for v in table[column]]

    def spread(prefix: str, mid: str = "median") -> list[str]:
        return [f"{human(md)} [{human(lo)}, {human(hi)}]" if not np.isnan(md) else "-"
                for md, lo, hi in zip(table[f"{prefix}_{mid}"], table[f"{prefix}_p10"],
                                      table[f"{prefix}_p90"], strict=True)]

    show["runs"] = table["runs"].astype(int).map(human)
    show["failed"] = table["failed"].astype(int)
    show["agreed %"] = pct("agreement_rate")
    show["before expiry %"] = pct("agreed_before_expiry")
    show["gap %"] = pct("gap_share")
    show["gap months p50 [p10, p90]"] = spread("gap")
    show["lead months p50 [p10, p90]"] = spread("lead")
    show["censored"] = table["censored"].astype(int)
    show["amount bn won p50 [p10, p90]"] = [
        f"{md:,.0f} [{lo:,.0f}, {hi:,.0f}]" if not np.isnan(md) else "-"
        for md, lo, hi in zip(table.amount_median, table.amount_p10, table.amount_p90,
                              strict=True)]
    show["increase % p50"] = [f"{v:.1f}" if not np.isnan(v) else "-"
                              for v in table["increase_median"]]
    if "term_median" in table:
        show["term years p50 [p10, p90]"] = spread("term")
    if "escalator_pct_median" in table:
        show["escalator % p50 [p10, p90]"] = spread("escalator_pct")
    if "cap_binds_share" in table:
        show["cap binds %"] = pct("cap_binds_share")
    if "in_kind_pct_median" in table:
        show["in kind % p50 [p10, p90]"] = spread("in_kind_pct")
    if "wage_share_pct_median" in table:
        show["wage share % p50 [p10, p90]"] = spread("wage_share_pct")
    return show.to_string(index=False)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
