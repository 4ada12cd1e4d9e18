"""``negotiation-sim calibrate``: ABC-SMC posterior over the recorded cycles (pyabc)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate", help="Bayesian calibration (ABC-SMC) over the recorded cycles",
        description="Infer a posterior over the config's shared behavioural parameters from "
        "every recorded cycle with ABC-SMC (pyabc) on the fast engine, and write "
        "posterior.parquet (samples and weights), identifiability.csv, predictive.csv, "
        "report.md, marginals.png and predictive.png. The SQLite history (abc.db) lets a "
        "killed run continue: run the same command again.")
    p.add_argument("config", help="calibration config TOML, e.g. configs/calibrate_history.toml")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument("--workers", metavar="N", default="1", help="worker processes (default 1; "
                   "the posterior is the same for any number)")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address (or local): "
                   "evaluate particles on that cluster, same posterior as locally")
    p.add_argument("--seed", metavar="N", help="seed (default: the config's)")
    p.add_argument("--no-seed-check", action="store_true", help="skip the second-seed run of "
                   "the identifiability table")
    p.add_argument("--leave-one-out", action="store_true", help="also calibrate without each "
                   "cycle in turn and check the held-out record against the 50%%/80%% "
                   "posterior-predictive intervals")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..calibration.abc import run_abc, setup_progress
    from ..calibration.config import load_calibrate_config
    from ..calibration.report import (
        coverage_text,
        identifiability,
        predictive_table,
        write_figures,
        write_posterior,
        write_report,
    )
    from ..errors import UsageError
    from . import positive_int

    config = load_calibrate_config(args.config)
    workers = positive_int(args.workers, "--workers", 1)
    try:
        seed = config.seed if args.seed is None else int(args.seed)
    except ValueError:
        raise UsageError(f"--seed {args.seed}: not an integer; allowed: 0 or more") from None
    out = Path(args.out or Path("results") / config.name)
    out.mkdir(parents=True, exist_ok=True)
    setup_progress()
    command = f"negotiation-sim calibrate {args.config}" + "".join(
        f" {flag} {value}" for flag, value in (("--out", args.out), ("--seed", args.seed),
                                               ("--workers", args.workers if workers > 1 else None),
                                               ("--scheduler", args.scheduler)) if value)
    run = {"workers": workers, "scheduler": args.scheduler,
           "log": lambda line: print(line, file=sys.stderr, flush=True)}
    result = run_abc(config, out / "abc", seed=seed, **run)
    other = None if args.no_seed_check else run_abc(config, out / "abc-seed2", seed=seed + 1,
                                                    **run)
    ident = identifiability(config, result, other)
    predictive = predictive_table(config, result, seed)
    loo = None
    if args.leave_one_out:
        import pandas as pd

        rows = []
        for cycle in config.cycles:
            part = config.without(cycle.name)
            held = run_abc(part, out / f"loo-{cycle.name}", seed=seed, **run)
            rows.append(predictive_table(part, held, seed, cycles=(cycle,)))
        loo = pd.concat(rows, ignore_index=True)
        loo.to_csv(out / "leave_one_out.csv", index=False)
    write_posterior(out, result)
    (out / "calibration.txt").write_text(str(Path(args.config).resolve()), encoding="utf-8")
    ident.to_csv(out / "identifiability.csv", index=False)
    predictive.to_csv(out / "predictive.csv", index=False)
    write_figures(out, config, result, predictive)
    write_report(out, config, result, ident, predictive,
                 command + (" --leave-one-out" if loo is not None else ""), loo)
    print(f"{config.name}: {len(result.generations)} generations, final epsilon "
          f"{result.generations['epsilon'].iloc[-1]:.3g}, {result.seconds:.1f} s")
    print(ident.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if loo is not None:
        print(coverage_text(loo))
    print(f"wrote {out}/: posterior.parquet, report.md, identifiability.csv, predictive.csv, "
          "marginals.png, predictive.png")
    return 0
