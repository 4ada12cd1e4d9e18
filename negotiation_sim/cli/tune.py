"""``negotiation-sim tune``: fit behavioural parameters to the historical record (Optuna)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import positive_int


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
    group = p.add_mutually_exclusive_group()
    group.add_argument("--holdout", metavar="CYCLE", help="fit without this cycle and report "
                       "how well it is predicted, beside the in-sample error")
    group.add_argument("--leave-one-out", action="store_true", help="do --holdout for every "
                       "cycle in turn (one study each) and summarise")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument("--engine", metavar="NAME", help="simulation engine: mesa or fast (default: "
                   "the package default)")
    p.set_defaults(func=main)


def _command(args: argparse.Namespace, trials: int, workers: int) -> str:
    parts = ["negotiation-sim tune", args.config, f"--trials {trials}"]
    if workers != 1:
        parts.append(f"--workers {workers}")
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
    from ..storage import prepare_dir
    from ..tuning.config import load_tune_config
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
    engine = resolve_engine(args.engine)
    if args.holdout is not None:
        fit_cycles_for(config, args.holdout)  # refuse a bad cycle before any work
    if args.leave_one_out and len(config.cycles) < 2:
        raise UsageError(f"--leave-one-out: {config.source} has one cycle; allowed: a config "
                         "with two or more cycles")
    storage = make_storage(args.storage) if args.storage else None  # bad URL: fail first
    out = prepare_dir(args.out or Path("results") / config.name)
    url = args.storage or default_storage(out)
    storage = storage or make_storage(url)
    holdouts = config.cycle_names if args.leave_one_out else [args.holdout]
    for holdout in holdouts:  # a study made with another config fails here too
        open_study(config, url, study_name_for(config, args.study, holdout),
                   fit_cycles_for(config, holdout), storage=storage)
    command = _command(args, trials, workers)
    try:
        if args.leave_one_out:
            return _leave_one_out(config, args, url, out, trials, workers, engine, command)
        fold = _fit(config, args, url, out, trials, workers, engine, command, args.holdout)
    except KeyboardInterrupt:
        print(f"interrupted: finished trials are kept in {url}; run the same command to "
              "continue", file=sys.stderr)
        return 130
    _print_fold(fold)
    return 0


def _fit(config: Any, args: argparse.Namespace, url: str, out: Path, trials: int,
         workers: int, engine: str, command: str, holdout: str | None) -> dict[str, Any]:
    from ..tuning.report import fit_table, write_outputs
    from ..tuning.study import fitted, optimize, study_name_for

    name = study_name_for(config, args.study, holdout)
    folder = out / f"holdout-{holdout}" if holdout else out
    if trials:
        print(f"{config.name}: adding {trials} trials to study {name!r} with {workers} "
              f"worker{'s' if workers != 1 else ''}, engine {engine} ...", file=sys.stderr)
    start = time.perf_counter()
    study = optimize(config, url, name, trials, workers=workers, holdout=holdout, engine=engine)
    seconds = time.perf_counter() - start
    result = fitted(config, study, holdout, engine)
    errors = write_outputs(result, config, study, folder, storage=url, command=command,
                           added=trials, seconds=seconds, engine=engine)
    return {"config": config, "result": result, "study": study, "folder": folder,
            "seconds": seconds, "trials": trials, "errors": errors,
            "table": fit_table(result, config), "workers": workers, "engine": engine}


def _print_fold(fold: dict[str, Any]) -> None:
    result, table, errors = fold["result"], fold["table"], fold["errors"]
    n_done = len(fold["study"].trials)
    print(f"study {result.study_name}: {fold['trials']} trials added in {fold['seconds']:.1f} s "
          f"({fold['workers']} worker{'s' if fold['workers'] != 1 else ''}, engine "
          f"{fold['engine']}); {n_done} in the study; best trial {result.best_trial}, loss "
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
    line = (f"in-sample loss {errors['in_sample_loss']:.4f} (mean |gap error| "
            f"{errors['in_sample_abs_gap_error']:.2f} months, mean |change error| "
            f"{errors['in_sample_abs_change_error']:.2f} points)")
    if result.holdout:
        line += (f"; out-of-sample ({result.holdout}) loss {errors['out_of_sample_loss']:.4f} "
                 f"(gap error {errors['out_of_sample_gap_error']:+.1f} months, change error "
                 f"{errors['out_of_sample_change_error']:+.2f} points)")
    print(line)
    folder = fold["folder"]
    print(f"wrote {folder}/: report.md, fit.png, history.png, importances.png, fit.csv, "
          f"best_params.json, best/*.toml")


def _leave_one_out(config: Any, args: argparse.Namespace, url: str, out: Path, trials: int,
                   workers: int, engine: str, command: str) -> int:
    from ..storage import write_text
    from ..tuning.report import leave_one_out_markdown

    rows = []
    for cycle in config.cycle_names:
        fold = _fit(config, args, url, out, trials, workers, engine, command, cycle)
        _print_fold(fold)
        print()
        rows.append({**fold["errors"], "folder": f"holdout-{cycle}"})
    path = write_text(out / "leave_one_out.md", leave_one_out_markdown(config, rows, command))
    print(f"{'held out':<9} {'in-sample loss':>15} {'out-of-sample loss':>19} "
          f"{'gap error':>10} {'change error':>13}")
    for r in rows:
        print(f"{r['holdout']:<9} {r['in_sample_loss']:>15.4f} {r['out_of_sample_loss']:>19.4f} "
              f"{r['out_of_sample_gap_error']:>+10.1f} {r['out_of_sample_change_error']:>+13.2f}")
    print(f"wrote {path}")
    return 0
