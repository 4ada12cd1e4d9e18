"""``negotiation-sim run``: one negotiation, printed or written to a folder."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from . import overrides_from, path_option, seed_option

if TYPE_CHECKING:
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one negotiation from a scenario file",
                       description="Run one negotiation and report its outcome.")
    p.add_argument("config", help="scenario TOML file, e.g. configs/sma11.toml")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", dest="set",
                   help="override a scenario key, e.g. --set us.tactic.beta=0.5 (repeatable)")
    p.add_argument("--out", metavar="DIR", help="write trace.csv, trace.parquet, "
                   "outcome.json and manifest.json to DIR")
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from .. import events, storage
    from ..api import run
    from ..scenario import load_scenario

    seed_option(args.seed)
    path_option(args.out, "--out")
    overrides = overrides_from(args.set)
    scenario = load_scenario(args.config, overrides)
    folder = storage.ResultsFolder.create(args.out) if args.out is not None else None
    result = run(scenario, seed=args.seed)
    outcome = result.outcome.to_dict()
    if folder is not None:
        storage.write_run(folder, result, config=str(args.config), overrides=overrides,
                          command_line=_command_line(args))
    if args.json:
        print(json.dumps(outcome))
        return 0
    print(f"{scenario.name}: {scenario.description}")
    print(_outcome_table(outcome, scenario.krw_per_usd).to_string(header=False))
    print()
    cols = ["month", "round_held", "us_offer", "rok_offer", "us_bottom_line", "rok_bottom_line",
            "in_gap", "events"]
    table = result.trace[cols].round(1)
    table["events"] = table["events"].map(events.describe)
    print(table.to_string(index=False))
    if folder is not None:
        print(f"\nwrote {folder.path}/trace.csv, trace.parquet, outcome.json, manifest.json")
    return 0


def _command_line(args: argparse.Namespace) -> str:
    sets = [f"--set {item}" for item in args.set or []]
    return " ".join(["negotiation-sim run", str(args.config), f"--seed {args.seed}", *sets,
                     f"--out {args.out}"])


def _outcome_table(o: dict, rate: float) -> pd.Series:
    import pandas as pd

    amount = "-" if o["amount_krw_bn"] is None else (
        f"{o['amount_krw_bn']:,.1f} bn won (${o['amount_usd_m']:,.0f}M at {rate:,.0f} won/$), "
        f"{o['increase_pct']:+.1f}%")
    gap = f"{o['gap_months']} months" + (" (censored at horizon)" if o["censored"] else "")
    return pd.Series({
        "agreed": o["agreed"], "agreement month": o["agreement_month"] or "-",
        "first-year amount": amount, "gap": gap, "rounds held": o["rounds_held"],
        "walk-outs": o["walkouts"], "vetoes": o["vetoes"],
    })
