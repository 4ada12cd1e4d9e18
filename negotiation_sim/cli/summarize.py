"""``negotiation-sim summarize``: what a sweep found, overall and by parameter."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    from ..columns import DEFAULT_HEATMAPS, PLOT_METRICS, help_text

    p = sub.add_parser(
        "summarize", help="summarize a sweep's results folder (tables, --plot figures)",
        description="Shares agreed, agreed before expiry and in a gap; gap and lead months, "
        "amounts and increases: over all runs and by each swept parameter, or jointly by "
        "the --by parameters.", epilog=help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", help="a sweep results folder (holding runs.parquet)")
    p.add_argument("--by", nargs="+", action="extend", metavar="PARAM",
                   help="group jointly by these swept parameters (e.g. --by us.opening "
                   "rok.bottom_line)")
    p.add_argument("--bins", metavar="N", default="5", help="quantile bins for parameters "
                   "with more than 25 values (default 5); with at most 25, a group per value")
    p.add_argument("--plot", action="store_true", help="write figures into DIR: with one "
                   "parameter (the first of --by, else the only swept one) response_curves.png; "
                   "with two, heatmap_METRIC.png for each --metric; always gap_histogram.png")
    p.add_argument("--metric", action="append", choices=list(PLOT_METRICS),
                   metavar="METRIC", help="heatmap statistic (repeatable; default "
                   f"{' and '.join(DEFAULT_HEATMAPS)}); one of: {', '.join(PLOT_METRICS)}")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..columns import (
        CURVES_FIGURE,
        DEFAULT_HEATMAPS,
        HISTOGRAM_FIGURE,
        heatmap_figure,
    )
    from ..experiments.summary import format_summary, load, summarize

    bins = positive_int(args.bins, "--bins", 5)
    assert bins is not None
    table = summarize(args.dir, by=args.by, bins=bins)
    print(format_summary(table))
    if not args.plot:
        return 0
    from ..viz.batch import gap_histogram, heatmap, response_curves

    folder = Path(args.dir) if Path(args.dir).is_dir() else Path(args.dir).parent
    runs, params = load(args.dir)
    by = list(args.by or [])
    pair = (by + [p for p in params if p not in by])[:2]
    wrote = []
    if len(by) == 1 or len(params) == 1:
        wrote.append(response_curves(runs, pair[0], folder / CURVES_FIGURE, bins))
    elif len(pair) == 2:
        for metric in args.metric or DEFAULT_HEATMAPS:
            wrote.append(heatmap(runs, pair[0], pair[1], folder / heatmap_figure(metric),
                                 metric, bins))
    wrote.append(gap_histogram(runs, folder / HISTOGRAM_FIGURE))
    print("\nwrote " + ", ".join(str(p) for p in wrote))
    return 0
