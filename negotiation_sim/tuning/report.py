"""What a tuning run leaves behind: the tuned scenarios, the fit table and the report.

``write_outputs`` writes, into one folder:

* ``best/<cycle>.toml``: each cycle's scenario with the best parameters applied, a full
  scenario file that ``negotiation-sim run`` and ``sweep`` accept;
* ``best_params.json``: the tuned values, the per-cycle values they map to, the losses;
* ``fit.csv``: observed vs simulated per cycle (median and 10-90% interval);
* ``report.md`` with ``fit.png``, ``history.png`` and ``importances.png``;
* ``manifest.json`` in the layout every command writes (``storage.manifest``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..parameters import cycle_overrides
from ..storage import ResultsFolder
from .config import TuneConfig
from .seeds import SeedCheck
from .seeds import markdown as seeds_markdown
from .study import FitResult, searched

QUANTITIES = (("gap_months", "gap months", "{:.0f}"), ("change_pct", "first-year change %",
                                                        "{:+.1f}"),
              ("rounds", "rounds", "{:.0f}"))


def fit_table(result: FitResult, config: TuneConfig) -> pd.DataFrame:
    """One row per cycle: observed, simulated median and 10-90%, errors, loss."""
    rows = []
    for cycle in config.cycles:
        fit = result.fits[cycle.name]
        s = fit.summary()
        row: dict[str, Any] = {"cycle": cycle.name, "held_out": cycle.name == result.holdout}
        for key, _, _ in QUANTITIES:
            row[f"{key}_observed"] = float(cycle.observed[key])
            row[f"{key}_median"] = s[f"{key}_median"]
            row[f"{key}_q10"] = s[f"{key}_q10"]
            row[f"{key}_q90"] = s[f"{key}_q90"]
            row[f"{key}_error"] = s[f"{key}_median"] - float(cycle.observed[key])
        row["before_expiry_observed"] = bool(cycle.observed["agreed_before_expiry"])
        row["before_expiry_share"] = s["before_expiry_share"]
        row["agreed_share"] = s["agreed_share"]
        row["loss"] = fit.loss
        row.update({f"loss_{k}": v for k, v in fit.terms.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def tuned_scenarios(result: FitResult, config: TuneConfig) -> dict[str, dict[str, Any]]:
    """Each cycle's resolved scenario dict with the tuned values applied."""
    import copy

    out = {}
    for cycle in config.cycles:
        overrides = cycle_overrides(cycle.scenario, config.parameters, result.values)
        scenario = cycle.scenario.with_overrides(overrides)
        raw = copy.deepcopy(scenario.resolved)
        raw["scenario"]["name"] = f"{scenario.name}_tuned"
        raw["scenario"]["description"] = (f"{scenario.description} Tuned: study "
                                          f"{result.study_name}, trial {result.best_trial}.")
        out[cycle.name] = raw
    return out


def write_best_scenarios(result: FitResult, config: TuneConfig,
                         folder: ResultsFolder) -> list[str]:
    """``best/<cycle>.toml`` for every cycle; their names inside ``folder``."""
    import tomli_w

    names = []
    for name, raw in tuned_scenarios(result, config).items():
        header = (f"# {name} with the parameters of study {result.study_name}, trial "
                  f"{result.best_trial} (loss {result.best_loss:.4g}), written by "
                  f"negotiation-sim tune {config.source}.\n")
        if name == result.holdout:
            header += "# This cycle was held out of the fit: these values were not fitted to it.\n"
        folder.write_text(f"best/{name}.toml", header + tomli_w.dumps(raw))
        names.append(f"best/{name}.toml")
    return names


def importances(study: Any, names: Sequence[str]) -> dict[str, float]:
    """Optuna's parameter importances (PED-ANOVA in Optuna 5); empty if too few trials."""
    import optuna

    if not names:
        return {}
    try:
        found = optuna.importance.get_param_importances(study, params=list(names))
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}
    return {k: float(v) for k, v in found.items() if math.isfinite(v)}


def trials_table(study: Any) -> pd.DataFrame:
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return pd.DataFrame({"number": [t.number for t in done],
                         "value": [float(t.value) for t in done]})


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _param_rows(result: FitResult, config: TuneConfig) -> list[str]:
    lines = ["| parameter | mode | bounds | tuned | " + " | ".join(config.cycle_names) + " |",
             "|---|---|---|---|" + "---|" * len(config.cycles)]
    mapped = {c.name: cycle_overrides(c.scenario, config.parameters, result.values)
              for c in config.cycles}
    for p in config.parameters:
        per_cycle = []
        for cycle in config.cycles:
            keys = p.targets(cycle.scenario)
            per_cycle.append(", ".join(_fmt(mapped[cycle.name][k]) for k in keys) or "-")
        scale = " (log)" if p.log else ""
        note = " (not identified: default)" if p.name in result.unidentified else ""
        lines.append(f"| `{p.name}` | {p.mode} | [{p.low:g}, {p.high:g}]{scale} | "
                     f"{_fmt(result.values[p.name])}{note} | " + " | ".join(per_cycle) + " |")
    return lines


def _fit_rows(table: pd.DataFrame) -> list[str]:
    head = "| cycle | role | " + " | ".join(
        f"{label}: record / simulated median [10-90%]" for _, label, _ in QUANTITIES)
    lines = [head + " | agreed before expiry: record / share | agreed by the horizon | loss |",
             "|---|---|" + "---|" * len(QUANTITIES) + "---|---|---|"]
    for row in table.to_dict("records"):
        cells = []
        for key, _, fmt in QUANTITIES:
            cells.append(f"{fmt.format(row[f'{key}_observed'])} / "
                         f"{fmt.format(row[f'{key}_median'])} "
                         f"[{fmt.format(row[f'{key}_q10'])}, {fmt.format(row[f'{key}_q90'])}]")
        role = "held out" if row["held_out"] else "fit"
        record = "yes" if row["before_expiry_observed"] else "no"
        lines.append(f"| {row['cycle']} | {role} | " + " | ".join(cells)
                     + f" | {record} / {row['before_expiry_share']:.0%} | "
                     f"{row['agreed_share']:.0%} | {row['loss']:.4g} |")
    return lines


@dataclass(frozen=True)
class FitErrors:
    """In-sample errors (fit cycles, weighted as in the objective) and the held-out cycle's."""

    in_sample_loss: float
    in_sample_abs_gap_error: float
    in_sample_abs_change_error: float
    holdout: str | None = None
    out_of_sample_loss: float | None = None
    out_of_sample_gap_error: float | None = None
    out_of_sample_change_error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As written to best_params.json (out-of-sample keys only with a holdout)."""
        out: dict[str, Any] = {"in_sample_loss": self.in_sample_loss,
                               "in_sample_abs_gap_error": self.in_sample_abs_gap_error,
                               "in_sample_abs_change_error": self.in_sample_abs_change_error}
        if self.holdout is not None:
            out.update(holdout=self.holdout, out_of_sample_loss=self.out_of_sample_loss,
                       out_of_sample_gap_error=self.out_of_sample_gap_error,
                       out_of_sample_change_error=self.out_of_sample_change_error)
        return out


def _weighted_mean(values: pd.Series, weights: np.ndarray) -> float:
    """Sum of weight x value over the sum of weights (``loss.total_loss``'s formula)."""
    den = float(weights.sum())
    return float((weights * values.to_numpy(dtype=np.float64)).sum() / den) if den else 0.0


def error_summary(result: FitResult, table: pd.DataFrame, config: TuneConfig) -> FitErrors:
    """In-sample and (with a holdout) out-of-sample errors, as reported.

    In-sample means use the config's cycle weights, as the objective does, so the
    in-sample loss equals the study's best value.
    """
    fit_rows = table[~table["held_out"]]
    weights = np.array([config.cycle(name).weight for name in fit_rows["cycle"]])
    errors = FitErrors(
        in_sample_loss=_weighted_mean(fit_rows["loss"], weights),
        in_sample_abs_gap_error=_weighted_mean(fit_rows["gap_months_error"].abs(), weights),
        in_sample_abs_change_error=_weighted_mean(fit_rows["change_pct_error"].abs(), weights))
    if result.holdout is None:
        return errors
    row = table[table["held_out"]].iloc[0]
    return FitErrors(errors.in_sample_loss, errors.in_sample_abs_gap_error,
                     errors.in_sample_abs_change_error, result.holdout, float(row["loss"]),
                     float(row["gap_months_error"]), float(row["change_pct_error"]))


@dataclass(frozen=True)
class TuneSession:
    """How this tune command ran: what the report and manifest record beside the fit."""

    storage: str  # the study's storage URL
    command: str  # the command line
    added: int  # trials this command added
    seconds: float
    engine: str


TUNE_SEED_SCHEME = ("every trial simulates each cycle with draws.run_seeds(base_seed, "
                    "range(replications)) (common random numbers); worker i's sampler is "
                    "seeded from SeedSequence([base_seed, trials already in the study, i])")


def resolved_config(config: TuneConfig) -> dict[str, Any]:
    """The tuning config as read, with each cycle's scenario resolved."""
    return {**config.raw, "scenarios": {c.name: c.scenario.resolved for c in config.cycles}}


def write_outputs(result: FitResult, config: TuneConfig, study: Any, folder: ResultsFolder,
                  session: TuneSession, seed_check: SeedCheck | None = None) -> FitErrors:
    """Write the tuned scenarios, tables, figures, report.md and manifest.json."""
    from ..viz.tuning import fit_figure, history_figure, importance_figure

    table = fit_table(result, config)
    folder.write_csv("fit.csv", table)
    scenario_paths = write_best_scenarios(result, config, folder)
    names = [p.name for p in searched(config, [config.cycle(c) for c in result.fit_cycles])]
    imp = importances(study, names)
    trials = trials_table(study)
    label = f"{config.name}" + (f", {result.holdout} held out" if result.holdout else "")
    fit_figure(table, folder.file("fit.png"), f"Record vs model ({label})")
    history_figure(trials, folder.file("history.png"),
                   f"Optimisation history: {result.study_name}")
    importance_figure(imp, folder.file("importances.png"), f"Parameter importances: {label}")
    errors = error_summary(result, table, config)
    extra = {"tuner_seeds": seed_check.to_dict()} if seed_check is not None else {}
    folder.write_json("best_params.json", {
        "study": result.study_name, "storage": session.storage,
        "best_trial": result.best_trial, "best_loss": result.best_loss,
        "values": result.values, "unidentified": list(result.unidentified),
        "fit_cycles": list(result.fit_cycles), "holdout": result.holdout,
        "errors": errors.to_dict(), "importances": imp,
        "per_cycle": {c.name: cycle_overrides(c.scenario, config.parameters, result.values)
                      for c in config.cycles},
        "engine": session.engine, **extra,
    })
    md = _markdown(result, config, table, imp, errors, trials, session, scenario_paths,
                   seed_check)
    folder.write_text("report.md", md)
    folder.write_manifest(
        "tune", command_line=session.command, config=config.source,
        resolved_config=resolved_config(config),
        seeds={"base_seed": config.seed, "scheme": TUNE_SEED_SCHEME},
        study=result.study_name, storage=session.storage, engine=session.engine,
        holdout=result.holdout, trials_added=session.added, trials=len(trials),
        seconds=session.seconds,
        **({"tuner_seeds": len(seed_check.bests)} if seed_check is not None else {}))
    return errors


def _markdown(result: FitResult, config: TuneConfig, table: pd.DataFrame,
              imp: dict[str, float], errors: FitErrors, trials: pd.DataFrame,
              session: TuneSession, scenario_paths: list[str],
              seed_check: SeedCheck | None = None) -> str:
    storage, command, added = session.storage, session.command, session.added
    seconds, engine = session.seconds, session.engine
    lines = [f"# Fit report: {config.name}" + (f" ({result.holdout} held out)"
                                                if result.holdout else ""), "",
             f"Command: `{command}`  ", f"Study `{result.study_name}` in `{storage}`: "
             f"{len(trials)} completed trials ({added} added by this run in {seconds:.1f} s, "
             f"engine `{engine}`); best trial {result.best_trial}, loss "
             f"{result.best_loss:.4g}.  ",
             f"Each trial simulates every fit cycle {config.replications} times with the same "
             f"seeds (base seed {config.seed}); loss formula in `docs/tuning.md`.", ""]
    warning = seed_check.warning() if seed_check is not None else None
    if warning:
        lines += [f"> **{warning}**", ""]
    lines += ["## Observed vs simulated", "", *_fit_rows(table), "",
              "A run without agreement by the horizon counts as a 0% change (the amount in "
              "force stays frozen) and its gap is censored at the horizon.", "",
              "![observed vs simulated](fit.png)", ""]
    lines += ["## Errors", ""]
    lines.append(f"In sample ({', '.join(result.fit_cycles)}): mean loss "
                 f"{errors.in_sample_loss:.4g}; mean absolute error of the median gap "
                 f"{errors.in_sample_abs_gap_error:.2f} months and of the median "
                 f"first-year change {errors.in_sample_abs_change_error:.2f} points.")
    if result.holdout is not None:
        lines.append("")
        lines.append(f"Out of sample ({result.holdout}, not used in the fit): loss "
                     f"{errors.out_of_sample_loss:.4g}; median gap off by "
                     f"{errors.out_of_sample_gap_error:+.1f} months, median first-year "
                     f"change off by {errors.out_of_sample_change_error:+.2f} points.")
        if result.unidentified:
            lines.append("")
            lines.append("Parameters that only the held-out cycle uses cannot be fitted "
                         "without it and stay at their default: "
                         + ", ".join(f"`{n}`" for n in result.unidentified) + ".")
    lines += ["", "## Best parameters", "",
              "Tuned value, and the value it gives each cycle (after the mode and the bottom-"
              "line clip; `-`: the cycle has no such key).", "",
              *_param_rows(result, config), "",
              "Tuned scenarios (accepted by `run` and `sweep`): "
              + ", ".join(f"`{p}`" for p in scenario_paths), ""]
    if seed_check is not None:
        lines += seeds_markdown(seed_check)
    lines += ["## Parameter importances", ""]
    if imp:
        lines += ["| parameter | importance |", "|---|---|"]
        lines += [f"| `{k}` | {v:.3f} |" for k, v in imp.items()]
        lines += ["", "![importances](importances.png)"]
    else:
        lines.append("Not available (too few completed trials).")
    lines += ["", "## Optimisation history", "", "![history](history.png)", ""]
    return "\n".join(lines)


def leave_one_out_markdown(config: TuneConfig, folds: Sequence[tuple[str, FitErrors]],
                           command: str) -> str:
    """The summary of a leave-one-out validation: one line per (folder, held-out errors)."""
    lines = [f"# Leave-one-out validation: {config.name}", "", f"Command: `{command}`", "",
             "Each row fits every other cycle, then predicts the held-out one.", "",
             "| held out | in-sample loss | out-of-sample loss | median gap error (months) | "
             "median change error (points) | report |",
             "|---|---|---|---|---|---|"]
    for folder, e in folds:
        lines.append(f"| {e.holdout} | {e.in_sample_loss:.4g} | "
                     f"{e.out_of_sample_loss:.4g} | {e.out_of_sample_gap_error:+.1f} | "
                     f"{e.out_of_sample_change_error:+.2f} | [{folder}]({folder}/report.md) |")
    return "\n".join(lines) + "\n"
