"""``negotiation-sim summarize``: what a sweep found, overall and by parameter."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "summarize", help="summarize a sweep's results folder (tables, --plot figures)",
        description="Agreement rate, share of runs with a gap, gap months (mean, median, "
        "90th percentile, censored runs), amounts and increases: over all runs and by each "
        "swept parameter, or jointly by the --by parameters.")
    p.add_argument("dir", metavar="DIR", help="a sweep results folder (holding runs.parquet)")
    p.add_argument("--by", nargs="+", action="extend", metavar="PARAM",
                   help="group jointly by these swept parameters (e.g. --by us.opening "
                   "rok.bottom_line)")
    p.add_argument("--bins", metavar="N", default="5", help="quantile bins for parameters "
                   "with many values (default 5)")
    p.add_argument("--plot", action="store_true", help="write agreement_heatmap.png, "
                   "gap_heatmap.png and gap_histogram.png into DIR")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..experiments.store import FIGURES
    from ..experiments.summary import format_summary, load, summarize

    table = summarize(args.dir, by=args.by, bins=positive_int(args.bins, "--bins", 5))
    print(format_summary(table))
    if not args.plot:
        return 0
    from ..viz.batch import gap_histogram, heatmap

    folder = Path(args.dir) if Path(args.dir).is_dir() else Path(args.dir).parent
    runs, params = load(args.dir)
    wrote = [gap_histogram(runs, folder / FIGURES[1])]
    by = list(args.by or [])
    pair = (by + [p for p in params if p not in by])[:2]
    if len(pair) == 2:
        wrote.insert(0, heatmap(runs, pair[0], pair[1], folder / FIGURES[0]))
        wrote.insert(1, heatmap(runs, pair[0], pair[1], folder / FIGURES[2], "gap_median"))
    print("\nwrote " + ", ".join(str(p) for p in wrote))
    if len(pair) < 2:
        print("(no heatmap: it needs two swept parameters)")
    return 0
