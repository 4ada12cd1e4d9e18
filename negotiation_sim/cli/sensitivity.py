"""``negotiation-sim sensitivity``: Sobol' indices of the outcome over parameter ranges."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity", help="Sobol' sensitivity indices (SALib) with bootstrap intervals",
        description="Run a scenario over a Saltelli/Sobol' design of the config's parameters "
        "and write first-order and total Sobol' indices, with bootstrap confidence intervals, "
        "for the share of runs ending in a gap, the gap months and the first-year change: "
        "sobol.csv, points.parquet, sensitivity.md and sobol.png.")
    p.add_argument("config", help="sensitivity config TOML, e.g. configs/sensitivity_sma11.toml")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument("--workers", metavar="N", default="1", help="worker processes (default 1); "
                   "the numbers do not depend on it")
    p.add_argument("--engine", metavar="NAME", help="simulation engine: mesa or fast (default: "
                   "the package default)")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "off"), default="auto",
                   help="progress display on stderr (default: a bar on a terminal, lines "
                   "otherwise)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..engine import resolve_engine
    from ..storage import ResultsFolder
    from ..tuning.sensitivity import load_sensitivity_config, run_sensitivity, write_outputs
    from . import path_option, positive_int

    config = load_sensitivity_config(args.config)
    workers = positive_int(args.workers, "--workers", 1)
    engine = resolve_engine(args.engine)
    out = ResultsFolder.create(path_option(args.out, "--out") or Path("results") / config.name)
    command = f"negotiation-sim sensitivity {args.config}" + (
        f" --workers {workers}" if workers != 1 else "") + (
        f" --engine {args.engine}" if args.engine else "") + (
        f" --out {args.out}" if args.out else "")
    result = run_sensitivity(config, workers=workers, engine=engine,
                             progress=None if args.progress == "auto" else args.progress)
    write_outputs(config, result, out, command)
    print(f"{config.name}: {config.n_runs:,} runs ({config.n_points:,} points x "
          f"{config.replications} replications) with {engine} in {result.seconds:.1f} s")
    print()
    print(f"{'output':<11} {'parameter':<36} {'S1':>14} {'ST':>14}")
    for r in result.table.to_dict("records"):
        if r["S1"] != r["S1"]:  # NaN: output constant over the design
            print(f"{r['output']:<11} {r['parameter']:<36} {'-':>14} {'-':>14}")
            continue
        s1 = f"{r['S1']:.3f}±{r['S1_conf']:.3f}"
        st = f"{r['ST']:.3f}±{r['ST_conf']:.3f}"
        print(f"{r['output']:<11} {r['parameter']:<36} {s1:>14} {st:>14}")
    print()
    print(f"wrote {out.path}/: sensitivity.md, sobol.png, sobol.csv, points.parquet, manifest.json")
    return 0
