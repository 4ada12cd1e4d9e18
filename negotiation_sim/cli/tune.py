"""``negotiation-sim tune``: fit behavioural parameters to the historical record (Optuna)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from . import path_option, positive_int

if TYPE_CHECKING:
    from ..tuning.runner import Fold, LeaveOneOut


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune", help="fit agent parameters to the SMA record (Optuna), validate out of sample",
        description="Add trials to an Optuna study that fits the config's free parameters to "
        "the observed outcomes of its cycles (gap months, first-year change, rounds, agreed "
        "before expiry; loss in docs/tuning.md), then write the best parameters as scenario "
        "files (best/<cycle>.toml) and a fit report (report.md, fit.png, history.png, "
        "importances.png). Running the same command again continues the study.")
    p.add_argument("config", help="tuning config TOML, e.g. configs/tune_history.toml")
    p.add_argument("--trials", metavar="N", help="trials to add to the study (default: the "
                   "config's trials; 0 rewrites the report from the stored study)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL shared by all workers "
                   "(default: sqlite:///<out>/study.db; e.g. postgresql://user@host/db to share "
                   "a study across machines)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the config's name; "
                   "with --holdout C: NAME-holdout-C)")
    p.add_argument("--workers", metavar="N", default="1", help="worker processes sharing the "
                   "study (default 1); the trials are split exactly between them")
    p.add_argument("--seeds", metavar="N", default="1", help="tuner seeds (default 1): also add "
                   "the trials to N-1 studies NAME-seed1... that differ only in the sampler's "
                   "seed, and warn when their best parameters or losses disagree")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--holdout", metavar="CYCLE", help="fit without this cycle and report "
                       "how well it is predicted, beside the in-sample error")
    group.add_argument("--leave-one-out", action="store_true", help="do --holdout for every "
                       "cycle in turn (one study each) and summarise")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument("--engine", metavar="NAME", help="simulation engine: mesa or fast (default: "
                   "the package default)")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "off"), default="auto",
                   help="progress display on stderr (default: a bar on a terminal, lines "
                   "otherwise; several workers print lines)")
    p.set_defaults(func=main)


def _command(args: argparse.Namespace, trials: int, workers: int, seeds: int = 1) -> str:
    parts = ["negotiation-sim tune", args.config, f"--trials {trials}"]
    if workers != 1:
        parts.append(f"--workers {workers}")
    if seeds != 1:
        parts.append(f"--seeds {seeds}")
    for flag, value in (("--storage", args.storage), ("--study", args.study),
                        ("--holdout", args.holdout), ("--out", args.out),
                        ("--engine", args.engine)):
        if value:
            parts.append(f"{flag} {value}")
    if args.leave_one_out:
        parts.append("--leave-one-out")
    return " ".join(parts)


def main(args: argparse.Namespace) -> int:
    from ..engine import resolve_engine
    from ..storage import ResultsFolder
    from ..tuning.config import load_tune_config
    from ..tuning.runner import TuneOptions, fit_fold, leave_one_out
    from ..tuning.study import (
        default_storage,
        fit_cycles_for,
        make_storage,
        open_study,
        study_name_for,
    )

    config = load_tune_config(args.config)
    trials = positive_int(args.trials, "--trials", config.trials, 0,
                          " (0: report the stored study without new trials)")
    workers = positive_int(args.workers, "--workers", 1)
    seeds = positive_int(args.seeds, "--seeds", 1)
    engine = resolve_engine(args.engine)
    if args.holdout is not None:
        fit_cycles_for(config, args.holdout)  # refuse a bad cycle before any work
    if args.leave_one_out and len(config.cycles) < 2:
        raise UsageError(f"--leave-one-out: {config.source} has one cycle; allowed: a config "
                         "with two or more cycles")
    path_option(args.storage, "--storage", "an Optuna storage URL")
    path_option(args.study, "--study", "a study name")
    storage = make_storage(args.storage) if args.storage else None  # bad URL: fail first
    out_path = Path(path_option(args.out, "--out") or Path("results") / config.name)
    if trials == 0 and args.storage is None and not (out_path / "study.db").is_file():
        raise UsageError(f"--trials 0: no study in {out_path / 'study.db'} to report; "
                         "allowed: --trials N >= 1 (or --storage URL of a stored study)")
    out = ResultsFolder.create(out_path)
    url = args.storage or default_storage(out.path)
    storage = storage or make_storage(url)
    holdouts = config.cycle_names if args.leave_one_out else [args.holdout]
    for holdout in holdouts:  # a study made with another config fails here too
        open_study(config, url, study_name_for(config, args.study, holdout),
                   fit_cycles_for(config, holdout), storage=storage)
    options = TuneOptions(url=url, trials=trials, study=args.study, workers=workers,
                          engine=engine, command=_command(args, trials, workers, seeds),
                          progress=None if args.progress == "auto" else args.progress,
                          seeds=seeds)
    try:
        if args.leave_one_out:
            done = leave_one_out(config, out, options, on_fold=_print_fold_and_space)
            _print_leave_one_out(done)
            return 0
        fold = fit_fold(config, out, options, args.holdout)
    except KeyboardInterrupt:
        print(f"interrupted: finished trials are kept in {url}; run the same command to "
              "continue", file=sys.stderr)
        return 130
    _print_fold(fold)
    return 0


def _print_fold(fold: Fold) -> None:
    result, table, errors = fold.result, fold.table, fold.errors
    n_done = len(fold.study.trials)
    print(f"study {result.study_name}: {fold.trials} trials added in {fold.seconds:.1f} s "
          f"({fold.workers} worker{'s' if fold.workers != 1 else ''}, engine "
          f"{fold.engine}); {n_done} in the study; best trial {result.best_trial}, loss "
          f"{result.best_loss:.4f}")
    print()
    print(f"{'cycle':<8} {'role':<9} {'gap record/median [10-90%]':<28} "
          f"{'change % record/median [10-90%]':<34} {'rounds':<12} loss")
    for row in table.to_dict("records"):
        role = "held out" if row["held_out"] else "fit"
        gap = (f"{row['gap_months_observed']:.0f} / {row['gap_months_median']:.0f} "
               f"[{row['gap_months_q10']:.0f}, {row['gap_months_q90']:.0f}]")
        chg = (f"{row['change_pct_observed']:+.1f} / {row['change_pct_median']:+.1f} "
               f"[{row['change_pct_q10']:+.1f}, {row['change_pct_q90']:+.1f}]")
        rnd = f"{row['rounds_observed']:.0f} / {row['rounds_median']:.0f}"
        print(f"{row['cycle']:<8} {role:<9} {gap:<28} {chg:<34} {rnd:<12} {row['loss']:.4f}")
    print()
    line = (f"in-sample loss {errors.in_sample_loss:.4f} (mean |gap error| "
            f"{errors.in_sample_abs_gap_error:.2f} months, mean |change error| "
            f"{errors.in_sample_abs_change_error:.2f} points)")
    if result.holdout:
        line += (f"; out-of-sample ({result.holdout}) loss {errors.out_of_sample_loss:.4f} "
                 f"(gap error {errors.out_of_sample_gap_error:+.1f} months, change error "
                 f"{errors.out_of_sample_change_error:+.2f} points)")
    print(line)
    if fold.seed_check is not None:
        check = fold.seed_check
        losses = ", ".join(f"{b.loss:.4f}" for b in check.bests)
        print(f"{len(check.bests)} tuner seeds, best losses {losses}")
        print(check.warning() or "the tuner seeds agree (best values within a quarter of "
              "each range, best losses within 25%)")
    print(f"wrote {fold.folder.path}/: report.md, fit.png, history.png, importances.png, "
          "fit.csv, best_params.json, best/*.toml, manifest.json")


def _print_fold_and_space(fold: Fold) -> None:
    _print_fold(fold)
    print()


def _print_leave_one_out(done: LeaveOneOut) -> None:
    print(f"{'held out':<9} {'in-sample loss':>15} {'out-of-sample loss':>19} "
          f"{'gap error':>10} {'change error':>13}")
    for fold in done.folds:
        e = fold.errors
        print(f"{e.holdout:<9} {e.in_sample_loss:>15.4f} {e.out_of_sample_loss:>19.4f} "
              f"{e.out_of_sample_gap_error:>+10.1f} {e.out_of_sample_change_error:>+13.2f}")
    print(f"wrote {done.summary.path / 'leave_one_out.md'}")
