"""``negotiation-sim sweep``: a batch of runs from a sweep config into a results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import WriteError
from . import path_option, positive_int

EXIT_FAILED_RUNS = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run a parameter sweep with replications into a results folder",
        description="Run every run of a sweep config (a scenario plus a [sweep] table: "
        "parameters, sampler grid|random|lhs|sobol, replications, seed) in chunks, and write "
        "runs.parquet, manifest.json and summary.csv. Exit 0 if every run succeeded, 1 if "
        "some failed (recorded with their error) or the disk filled up with finished chunks "
        "kept (--resume continues), 2 on bad input, 130 if interrupted.")
    p.add_argument("config", help="sweep config TOML, e.g. configs/sweep_sma11.toml")
    p.add_argument("--workers", metavar="N", help="local worker processes (default: every "
                   "CPU; 1 runs in this process); with --scheduler local, the cluster's size")
    p.add_argument("--scheduler", metavar="ADDRESS|local", help="send chunks to a Dask "
                   "scheduler (tcp://host:8786), or start a local Dask cluster")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep in "
                   "its folder, keeping finished chunks")
    p.add_argument("--force", action="store_true", help="replace the results in an existing "
                   "folder")
    p.add_argument("--traces", action="store_true", help="also write per-month traces "
                   "(traces.parquet, from the Mesa model)")
    p.add_argument("--engine", metavar="NAME", help="simulation engine (mesa, fast; default: "
                   "the package default)")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "off"), default="auto",
                   help="progress display (default: a bar on a terminal, lines otherwise)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..experiments.config import load_sweep
    from ..experiments.runner import SweepOptions, run_sweep
    from ..experiments.summary import format_summary

    workers = positive_int(args.workers, "--workers", None)
    config = load_sweep(args.config)
    out = Path(args.out) if path_option(args.out, "--out") else Path("results") / config.name
    try:
        report = run_sweep(config, SweepOptions(
            workers=workers, scheduler=args.scheduler, out=out, resume=args.resume,
            force=args.force, traces=args.traces, engine=args.engine,
            progress=None if args.progress == "auto" else args.progress,
            command_line=_command_line(args)))
    except KeyboardInterrupt:
        print(f"interrupted: finished chunks are kept in {out}/parts; continue with: "
              f"{_again(args)}", file=sys.stderr)
        return 130
    except WriteError as exc:  # a full disk: keep what finished, say how to go on
        kept = _finished_parts(out)
        if not kept:
            raise
        print(f"error: {exc}; {kept:,} finished chunks are kept in {out}/parts; after freeing "
              f"space continue with: {_again(args)}", file=sys.stderr)
        return EXIT_FAILED_RUNS
    m = report.manifest
    print(f"{config.name}: {report.runs:,} runs ({config.n_points:,} points x "
          f"{config.replications} replications, {config.sampler}) with {m['engine']}; "
          f"ran {report.ran_runs:,} in {report.seconds:.1f} s "
          f"({report.rate:,.0f} runs/s)")
    print()
    print(format_summary(report.summary))
    print()
    files = ", ".join(m["outputs"])
    print(f"wrote {report.out}/: {files}")
    if report.failed:
        first = m["failures"][0]["error"] if m["failures"] else ""
        print(f"{report.failed:,} of {report.runs:,} runs failed (see the error column of "
              f"runs.parquet); first: {first}", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def _again(args: argparse.Namespace) -> str:
    """The command that continues this sweep."""
    return " ".join(["negotiation-sim sweep", str(args.config), "--resume",
                     *(["--out", str(args.out)] if args.out else []),
                     *(["--engine", args.engine] if args.engine else []),
                     *(["--traces"] if args.traces else [])])


def _finished_parts(out: Path) -> int:
    from ..experiments.store import PARTS

    return sum(1 for _ in (out / PARTS).glob("runs-*.parquet")) if (out / PARTS).is_dir() else 0


def _command_line(args: argparse.Namespace) -> str:
    parts = ["negotiation-sim sweep", str(args.config)]
    for flag, value in (("--workers", args.workers), ("--scheduler", args.scheduler),
                        ("--out", args.out), ("--engine", args.engine)):
        if value:
            parts.append(f"{flag} {value}")
    parts += [flag for flag, on in (("--resume", args.resume), ("--force", args.force),
                                    ("--traces", args.traces)) if on]
    return " ".join(parts)
