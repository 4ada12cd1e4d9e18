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
    p.add_argument("--plot", metavar="PNG", nargs="?", const="forecast.png",
                   help="fan chart of the cumulative probability of a deal by month and the "
                   "amount distribution (default forecast.png)")
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
    scenario = load_scenario(args.scenario)
    outcomes = predict(scenario, config.parameters, samples, weights, draws, seed)
    summary = summarize(outcomes)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{scenario.name}: {draws} posterior draws")
        print(f"  agreed before expiry: {summary['p_agreed_before_expiry']:.0%}; "
              f"a gap: {summary['p_gap']:.0%}")
        for key in ("lead_months", "gap_months", "increase_pct", "agreement_month"):
            q = summary[key]
            print(f"  {key:<16} p10 {q['p10']}  p50 {q['p50']}  p90 {q['p90']}")
    if args.plot:
        _plot(outcomes, scenario, Path(args.plot))
    return 0


def _plot(outcomes, scenario, path: Path) -> None:  # noqa: ANN001 - pandas/scenario types
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    months = sorted(set(outcomes["agreement_month"].astype(str)[agreed]))
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    month_col = outcomes["agreement_month"].astype(str).to_numpy()
    cum = [float(np.mean(agreed & (month_col <= m))) for m in months]
    a.step(range(len(months)), cum, where="post")
    a.set_xticks(range(0, len(months), max(1, len(months) // 8)),
                 months[:: max(1, len(months) // 8)], rotation=45, fontsize=7)
    a.set_ylabel("P(deal by month)")
    a.set_title(scenario.name, fontsize=9)
    b.hist(outcomes["amount_krw_bn"].to_numpy()[agreed], bins=30)
    b.set_xlabel("agreed amount, bn won")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
