"""What a calibration writes: posterior, identifiability, posterior predictive, figures.

Widths are measured on the unit scale of each prior (log scale for ``log`` parameters),
where the prior's 80% interval is 0.8 wide; a ratio near 1 means the record says little
about that parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..draws import run_seeds
from ..parameters import Parameter
from .abc import AbcResult, missing_draws
from .config import CalCycle, CalibrateConfig
from .predictive import interval_hits, predict

STRONG = 0.5  # |weighted correlation| listed as strong


def to_unit(p: Parameter, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if p.log:
        return np.log(x / p.low) / np.log(p.high / p.low)
    return (x - p.low) / (p.high - p.low)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> np.ndarray:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / np.sum(w)
    return np.interp(qs, cum - 0.5 * w[order] / np.sum(w), x[order])


def identifiability(config: CalibrateConfig, result: AbcResult,
                    other: AbcResult | None = None) -> pd.DataFrame:
    """Per parameter: 80% interval, width ratio to the prior, strong correlations, seeds."""
    rows = []
    top = config.top_parameters
    units = {p.name: to_unit(p, result.samples[p.name].to_numpy()) for p in top}
    w = result.weights
    for p in top:
        lo, med, hi = weighted_quantiles(result.samples[p.name].to_numpy(), w, [0.1, 0.5, 0.9])
        ulo, uhi = weighted_quantiles(units[p.name], w, [0.1, 0.9])
        strong = []
        for q in top:
            if q.name == p.name:
                continue
            r = _wcorr(units[p.name], units[q.name], w)
            if abs(r) >= STRONG:
                strong.append(f"{q.name} ({r:+.2f})")
        row: dict[str, Any] = {"parameter": p.name, "p10": lo, "median": med, "p90": hi,
                               "width_ratio": float((uhi - ulo) / 0.8),
                               "strong_correlations": "; ".join(strong) or "none"}
        if other is not None:
            olo, ohi = weighted_quantiles(other.samples[p.name].to_numpy(), other.weights,
                                          [0.1, 0.9])
            row["seed2_p10"], row["seed2_p90"] = olo, ohi
            row["seeds_agree"] = bool(lo <= ohi and olo <= hi)
        rows.append(row)
    return pd.DataFrame(rows)


def _wcorr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    sx = np.sqrt(np.average((x - mx) ** 2, weights=w))
    sy = np.sqrt(np.average((y - my) ** 2, weights=w))
    return float(cov / (sx * sy)) if sx > 0 and sy > 0 else 0.0


def cycle_predictive(config: CalibrateConfig, cycle: CalCycle, result: AbcResult,
                     draws: int, seed: int) -> pd.DataFrame:
    """Posterior-predictive timing and change of one recorded cycle (missing facts drawn)."""
    seeds = run_seeds(seed, np.arange(draws) + 1_000_000)
    outcomes = predict(cycle.cycle.scenario, config.parameters, result.samples, result.weights,
                       draws, seed, extra=missing_draws(cycle, seeds),
                       extra_parameters=cycle.missing, hierarchy=config.hierarchy,
                       key=cycle.name)
    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "timing": -outcomes["lead_months"].to_numpy(dtype=np.float64),
        "change": np.where(agreed, outcomes["increase_pct"].to_numpy(dtype=np.float64), 0.0)})


def predictive_table(config: CalibrateConfig, result: AbcResult, seed: int,
                     cycles: tuple[CalCycle, ...] | None = None) -> pd.DataFrame:
    rows = []
    for cycle in cycles or config.cycles:
        pred = cycle_predictive(config, cycle, result, config.predictive_draws, seed)
        hits = interval_hits(pred["timing"].to_numpy(), pred["change"].to_numpy(),
                             cycle.cycle.observed)
        if np.isnan(float(cycle.cycle.observed["gap_months"])):
            # The record lacks the agreement month: no timing to cover (not a miss).
            hits.update({"timing_in50": np.nan, "timing_in80": np.nan})
        rows.append({"cycle": cycle.name, "weight": cycle.weight, **hits})
    frame = pd.DataFrame(rows)
    for column in ("timing_in50", "timing_in80", "change_in50", "change_in80"):
        if frame[column].isna().any():
            frame[column] = frame[column].astype("float64")
    return frame


def write_posterior(out: Path, result: AbcResult) -> None:
    frame = result.samples.copy()
    frame["weight"] = result.weights
    frame.to_parquet(out / "posterior.parquet", index=False)
    result.generations.to_csv(out / "generations.csv", index=False)


def read_posterior(folder: Path) -> tuple[pd.DataFrame, np.ndarray]:
    path = Path(folder) / "posterior.parquet"
    if not path.exists():
        from ..errors import UsageError

        raise UsageError(f"--calibration {folder}: no posterior.parquet; allowed: a folder "
                         "written by negotiation-sim calibrate")
    frame = pd.read_parquet(path)
    weights = frame.pop("weight").to_numpy(dtype=np.float64)
    return frame, weights / weights.sum()


def _md(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines)


def write_report(out: Path, config: CalibrateConfig, result: AbcResult, ident: pd.DataFrame,
                 predictive: pd.DataFrame, command: str, loo: pd.DataFrame | None = None) -> None:
    parts = [f"# Calibration: {config.name}", "", f"`{command}`", "",
             f"ABC-SMC (pyabc) on {', '.join(config.cycle_names)}: {config.population} "
             f"particles, {config.replications} runs per cycle and particle, "
             f"{len(result.generations)} generations, {result.seconds:.0f} s.", "",
             "## Generations", "", _md(result.generations), "",
             "## Identifiability", "",
             "`width_ratio`: posterior 80% width over the prior's (unit scale); "
             "`seeds_agree`: the 80% intervals of two seeds overlap.", "", _md(ident), "",
             "![marginals](marginals.png)", "",
             "## Posterior predictive per cycle against the record", "",
             _md(predictive), "", "![predictive](predictive.png)", ""]
    if loo is not None:
        parts += ["## Leave one cycle out", "", _md(loo), "", coverage_text(loo), ""]
    (out / "report.md").write_text("\n".join(parts), encoding="utf-8")


def coverage_text(loo: pd.DataFrame) -> str:
    """Shares of held-out cycles inside their intervals (timing: cycles with a month)."""
    timed = loo[pd.to_numeric(loo["timing_observed"]).notna()]
    t50, t80 = (timed[c].astype(float).mean() for c in ("timing_in50", "timing_in80"))
    return (f"Coverage of the held-out record: timing {t50:.0%} in 50%, {t80:.0%} in 80% of "
            f"{len(timed)} "
            f"cycles with an agreement month (median 80% width "
            f"{timed['timing_width80'].median():.1f} months); change "
            f"{loo['change_in50'].astype(float).mean():.0%} in 50%, "
            f"{loo['change_in80'].astype(float).mean():.0%} in 80% of {len(loo)} "
            f"(median 80% width {loo['change_width80'].median():.1f} points).")


def write_figures(out: Path, config: CalibrateConfig, result: AbcResult,
                  predictive: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(config.top_parameters)
    fig, axes = plt.subplots(1, n, figsize=(3 * n, 2.6))
    for ax, p in zip(np.atleast_1d(axes), config.top_parameters, strict=True):
        x = result.samples[p.name].to_numpy()
        bins = np.geomspace(p.low, p.high, 21) if p.log else np.linspace(p.low, p.high, 21)
        ax.hist(x, bins=bins, weights=result.weights, density=True, color="tab:blue",
                alpha=0.7, label="posterior")
        ax.axhline(1.0 / (p.high - p.low) if not p.log else np.nan, color="grey", ls="--")
        if p.log:
            ax.set_xscale("log")
        ax.set_title(p.name, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "marginals.png", dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    y = np.arange(len(predictive))
    for ax, name, unit in ((axes[0], "timing", "gap months (negative: before expiry)"),
                           (axes[1], "change", "first-year change, %")):
        ax.hlines(y, predictive[f"{name}_p10"], predictive[f"{name}_p90"], lw=4, alpha=0.5,
                  label="80% predictive")
        ax.plot(predictive[f"{name}_p50"], y, "o", color="tab:blue", label="median")
        ax.plot(predictive[f"{name}_observed"], y, "x", color="tab:red", ms=9, label="record")
        ax.set_yticks(y, predictive["cycle"])
        ax.set_xlabel(unit)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "predictive.png", dpi=100)
    plt.close(fig)
