"""A tuning run end to end: add trials, fit the best trial, write the folder; leave-one-out.

``fit_fold`` is one study (all cycles, or all but a held-out one) into its folder;
``leave_one_out`` is one fold per cycle, each in ``holdout-<cycle>/``, and the summary
``leave_one_out.md``. The command line only parses flags, calls these and prints.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..storage import ResultsFolder
from .config import TuneConfig
from .report import (
    TUNE_SEED_SCHEME,
    FitErrors,
    TuneSession,
    fit_table,
    leave_one_out_markdown,
    resolved_config,
    write_outputs,
)
from .seeds import SeedCheck, best_of, compare_seeds, repeat_study_name
from .study import FitResult, fitted, optimize, searched, study_name_for

LEAVE_ONE_OUT = "leave_one_out.md"


@dataclass(frozen=True)
class TuneOptions:
    """How to run a tuning config (what to fit is its ``TuneConfig``)."""

    url: str  # Optuna storage URL
    trials: int  # trials to add to each study (0: report the stored study)
    study: str | None = None  # study name (default: the config's name)
    workers: int = 1
    engine: str = "fast"
    command: str = ""  # the command line, for the report and manifest
    quiet: bool = False  # no progress lines on stderr
    progress: str | None = None  # bar | lines | off | None (a bar on a terminal, else lines)
    seeds: int = 1  # tuner seeds: the main study and seeds - 1 repeats (``tuning.seeds``)


@dataclass(frozen=True)
class Fold:
    """One fitted study: its result, fit table, errors, and where they were written."""

    result: FitResult
    study: Any  # the optuna Study
    folder: ResultsFolder
    table: pd.DataFrame
    errors: FitErrors
    trials: int  # trials added by this run
    seconds: float
    workers: int
    engine: str
    seed_check: SeedCheck | None = None  # with several tuner seeds: do they agree


def fold_folder(out: ResultsFolder, holdout: str | None) -> ResultsFolder:
    """Where a fold writes: ``out`` itself, or ``holdout-<cycle>/`` inside it."""
    return out.subfolder(f"holdout-{holdout}") if holdout else out


def fit_fold(config: TuneConfig, out: ResultsFolder, options: TuneOptions,
             holdout: str | None = None) -> Fold:
    """Add the trials to the study of ``holdout``, fit its best trial, write its folder."""
    name = study_name_for(config, options.study, holdout)
    folder = fold_folder(out, holdout)
    if options.trials and not options.quiet and options.progress != "off":
        print(f"{config.name}: adding {options.trials} trials to study {name!r} with "
              f"{options.workers} worker{'s' if options.workers != 1 else ''}, engine "
              f"{options.engine} ...", file=sys.stderr)
    start = time.perf_counter()
    study = optimize(config, options.url, name, options.trials, workers=options.workers,
                     holdout=holdout, engine=options.engine, quiet=options.quiet,
                     progress=options.progress)
    seconds = time.perf_counter() - start
    result = fitted(config, study, holdout, options.engine)
    start = time.perf_counter()
    check = repeat_seeds(config, options, name, holdout, study)
    seconds += time.perf_counter() - start
    session = TuneSession(options.url, options.command, options.trials, seconds,
                          options.engine)
    errors = write_outputs(result, config, study, folder, session, check)
    return Fold(result, study, folder, fit_table(result, config), errors, options.trials,
                seconds, options.workers, options.engine, check)


def repeat_seeds(config: TuneConfig, options: TuneOptions, name: str, holdout: str | None,
                 study: Any) -> SeedCheck | None:
    """With ``options.seeds`` > 1: add the same trials to each repeat study (its own sampler
    seed) and compare every seed's best trial; None with one seed."""
    if options.seeds <= 1:
        return None
    bests = [best_of(study)]
    for repeat in range(1, options.seeds):
        other = repeat_study_name(name, repeat)
        if options.trials and not options.quiet and options.progress != "off":
            print(f"{config.name}: tuner seed {repeat}: adding {options.trials} trials to "
                  f"study {other!r} ...", file=sys.stderr)
        bests.append(best_of(optimize(config, options.url, other, options.trials,
                                      workers=options.workers, holdout=holdout,
                                      engine=options.engine, quiet=options.quiet,
                                      progress=options.progress, repeat=repeat)))
    fit = [c for c in config.cycles if c.name != holdout]
    return compare_seeds(searched(config, fit), bests)


@dataclass(frozen=True)
class LeaveOneOut:
    """Every fold of a leave-one-out validation and the summary file."""

    folds: list[Fold]
    summary: ResultsFolder


def leave_one_out(config: TuneConfig, out: ResultsFolder, options: TuneOptions,
                  on_fold: Callable[[Fold], None] | None = None) -> LeaveOneOut:
    """Fit without each cycle in turn (one study each), then write ``leave_one_out.md``.

    ``on_fold`` is called with each fold as it finishes (the CLI prints it).
    """
    folds = []
    for cycle in config.cycle_names:
        fold = fit_fold(config, out, options, cycle)
        folds.append(fold)
        if on_fold is not None:
            on_fold(fold)
    rows = [(fold.folder.path.name, fold.errors) for fold in folds]
    out.write_text(LEAVE_ONE_OUT, leave_one_out_markdown(config, rows, options.command))
    out.write_manifest(
        "tune", command_line=options.command, config=config.source,
        resolved_config=resolved_config(config),
        seeds={"base_seed": config.seed, "scheme": TUNE_SEED_SCHEME}, storage=options.url,
        engine=options.engine, leave_one_out=[f.result.study_name for f in folds])
    return LeaveOneOut(folds, out)

