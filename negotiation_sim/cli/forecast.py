"""``negotiation-sim forecast``: the posterior-predictive distribution for a scenario."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "forecast", help="posterior-predictive forecast of a scenario from a calibration",
        description="Apply a calibration's posterior (negotiation-sim calibrate) to any "
        "scenario, each parameter by its mode relative to the scenario's facts, and report "
        "the distribution of the outcome.")
    p.add_argument("scenario", help="scenario TOML")
    p.add_argument("--calibration", metavar="DIR", required=True,
                   help="folder written by negotiation-sim calibrate")
    p.add_argument("--config", metavar="FILE", help="the calibration config (default: the "
                   "one recorded in DIR/calibration.txt)")
    p.add_argument("--draws", metavar="N", default="1000", help="posterior draws (default 1000)")
    p.add_argument("--seed", metavar="N", default="0", help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--plot", metavar="FILE.png", nargs="?", const="",
                   help="draw a fan chart of the probability of a deal in force by each month "
                   "(expiry marked) and the first-year amount distribution (amount in force "
                   "marked), as a PNG (default DIR/forecast-<scenario file name>.png)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import json

    from ..calibration.config import load_calibrate_config
    from ..calibration.predictive import predict, summarize
    from ..calibration.report import read_posterior
    from ..errors import UsageError
    from ..scenario import load_scenario
    from . import positive_int

    folder = Path(args.calibration)
    samples, weights = read_posterior(folder)
    recorded = folder / "calibration.txt"
    if args.config is None and not recorded.exists():
        raise UsageError(f"--calibration {folder}: no calibration.txt; allowed: --config FILE")
    source = args.config or recorded.read_text(encoding="utf-8").strip()
    config = load_calibrate_config(source)
    draws = positive_int(args.draws, "--draws", 1000)
    try:
        seed = int(args.seed)
    except ValueError:
        raise UsageError(f"--seed {args.seed}: not an integer; allowed: 0 or more") from None
    plot = _plot_path(args.plot, folder, Path(args.scenario))
    scenario = load_scenario(args.scenario)
    outcomes = predict(scenario, config.parameters, samples, weights, draws, seed,
                       hierarchy=config.hierarchy)
    summary = summarize(outcomes)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{scenario.name}: {draws} posterior draws")
        print(f"  agreed before expiry: {summary['p_agreed_before_expiry']:.0%}; "
              f"a gap: {summary['p_gap']:.0%}; a deal by the horizon: "
              f"{summary['p_agreed']:.0%}")
        for key in ("lead_months", "gap_months", "increase_pct", "agreement_month"):
            q = summary[key]
            cells = (f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in q.items())
            print(f"  {key:<16} " + "  ".join(cells))
    if plot is not None:
        import sys

        from ..viz.forecast import write_forecast_figure

        write_forecast_figure(outcomes, scenario, plot)
        print(f"wrote {plot}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _plot_path(text: str | None, folder: Path, scenario: Path) -> Path | None:
    """Where ``--plot`` writes: None without it; the calibration folder by default."""
    from ..errors import UsageError

    if text is None:
        return None
    path = Path(text) if text.strip() else folder / f"forecast-{scenario.stem}.png"
    if path.suffix.lower() != ".png":
        raise UsageError(f"--plot {text}: not a .png file name; allowed: a path ending in "
                         f".png (or no value: {folder}/forecast-<scenario>.png)")
    return path
