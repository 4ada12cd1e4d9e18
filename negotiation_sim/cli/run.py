"""``negotiation-sim run``: one negotiation, printed or written to a folder."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from . import overrides_from, path_option, seed_option

if TYPE_CHECKING:
    import pandas as pd

    from ..packages import PackageSpace
    from ..scenario import Scenario


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
    p.add_argument("--replications", metavar="N", help="run N times (replication i with seed "
                   "draws.run_seeds(SEED, [i]), as a sweep would) and report the outcome "
                   "distribution: shares agreed, before expiry, in a gap; p10/p50/p90 of "
                   "agreement month, gap and lead months, amount and increase")
    p.add_argument("--engine", metavar="NAME", help="with --replications: fast (default) or "
                   "mesa")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from .. import storage
    from ..api import run
    from ..scenario import load_scenario

    seed_option(args.seed)
    path_option(args.out, "--out")
    overrides = overrides_from(args.set)
    if args.replications is not None or args.engine is not None:
        return _replicated(args, overrides)
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
    print(report(scenario, outcome, result.trace))
    if folder is not None:
        print(f"\nwrote {folder.path}/trace.csv, trace.parquet, outcome.json, manifest.json")
    return 0


def report(scenario: Scenario, outcome: dict, trace: pd.DataFrame) -> str:
    """What ``run`` prints for one run: the outcome in words, then the month table (each
    side's package next to its offer when the package is negotiated)."""
    import pandas as pd

    from .. import events
    from ..outcome import unit_label

    space = scenario.package
    cols = ["month", "round_held", "us_offer", "rok_offer", "us_bottom_line", "rok_bottom_line",
            "in_gap", "events"]
    table = trace[cols].round(1)
    if space.negotiated:  # each side's term, escalator and side items, next to its offer
        for side in ("us", "rok"):
            table.insert(cols.index("rok_offer") + (1 if side == "us" else 2),
                         f"{side}_package", package_column(trace, side, space))
    table["events"] = table["events"].map(lambda cell: events.describe(cell, space.escalator))
    with pd.option_context("display.max_colwidth", None):  # a package with side items
        head = _outcome_table(outcome, scenario.krw_per_usd, space).to_string(header=False)
    return "\n".join([f"{scenario.name}: {scenario.description}", head, "",
                      table.rename(columns=unit_label).to_string(index=False)])


def _replicated(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    """``run --replications N``: the outcome distribution over N seeds."""
    from .. import storage
    from ..engine import resolve_engine
    from ..errors import UsageError
    from ..experiments import distribution as dist
    from ..scenario import load_scenario
    from . import positive_int

    if args.replications is None:
        raise UsageError("--engine: needs --replications N (one run always uses Mesa)")
    n = positive_int(args.replications, "--replications", None)
    assert n is not None
    engine = resolve_engine(args.engine)
    scenario = load_scenario(args.config, overrides)
    folder = storage.ResultsFolder.create(args.out) if args.out else None
    outcomes = dist.replicate(scenario, n, seed=args.seed, engine=engine)
    summary = dist.distribution(outcomes, dist.expiry_month(scenario), scenario.package)
    if folder is not None:
        folder.write_parquet("runs.parquet", dist.runs_table(outcomes))
        folder.write_json("distribution.json", summary)
        folder.write_manifest(
            "run", command_line=_command_line(args), config=str(args.config),
            resolved_config=scenario.resolved, overrides=overrides, engine=engine,
            replications=n, seeds={"base_seed": args.seed, "scheme": dist.SEED_SCHEME,
                                   "column": "runs.parquet:seed"})
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{scenario.name}: {scenario.description}")
    print(f"{n:,} runs (seeds draws.run_seeds({args.seed}, [0..{n - 1}])), engine {engine}\n")
    print(dist.format_distribution(summary))
    if folder is not None:
        print(f"\nwrote {folder.path}/runs.parquet, distribution.json, manifest.json")
    return 0


def _command_line(args: argparse.Namespace) -> str:
    sets = [f"--set {item}" for item in args.set or []]
    extra = [] if args.replications is None else [f"--replications {args.replications}"]
    extra += [] if args.engine is None else [f"--engine {args.engine}"]
    return " ".join(["negotiation-sim run", str(args.config), f"--seed {args.seed}", *sets,
                     *extra, f"--out {args.out}"])


def package_column(trace: pd.DataFrame, side: str, space: PackageSpace) -> pd.Series:
    """A side's package on the table each month, compact and only the negotiated issues:
    '6y, cap 5.5%', '1y', 'cap 1%', 'cap 1%, 20% in kind, 40% wages'; '-' when no offer
    is on the table."""
    import pandas as pd

    from ..formatting import negotiated_items, package_text

    show_term, show_pct = space.term_max > space.term_min, space.pct_high > space.pct_low
    prefix = f"{side}_offer_"

    def cell(row: pd.Series) -> str:
        term, pct = row[f"{prefix}term"], row[f"{prefix}escalator_pct"]
        if term != term:  # NaN: no offer this month
            return "-"
        return package_text(space.escalator if show_pct else None,
                            term if show_term else None, pct if show_pct else None,
                            compact=True, items=negotiated_items(space, row, prefix))

    return pd.Series([cell(row) for _, row in trace.iterrows()], index=trace.index,
                     dtype=object)


def _outcome_table(o: dict, rate: float, space: PackageSpace | None = None) -> pd.Series:
    """The outcome in words; the agreed package (with its side items when negotiated) and
    its payments when ``space`` negotiates more than the amount."""
    import pandas as pd

    from ..formatting import negotiated_items, package_text

    amount = "-" if o["amount_krw_bn"] is None else (
        f"{o['amount_krw_bn']:,.1f} bn won (${o['amount_usd_m']:,.0f}M at {rate:,.0f} won/$), "
        f"{o['increase_pct']:+.1f}%")
    gap = f"{o['gap_months']} months" + (" (censored at horizon)" if o["censored"] else "")
    rows = {
        "agreed": o["agreed"], "agreement month": o["agreement_month"] or "-",
        "first-year amount": amount, "gap": gap, "rounds held": o["rounds_held"],
        "walk-outs": o["walkouts"], "vetoes": o["vetoes"],
    }
    if space is not None and space.negotiated:  # the agreed package and what it pays
        paid = o["payments_krw_bn"]
        rows["package"] = "-" if not paid else package_text(
            o["escalator"], o["term_years"], o["escalator_pct"], long=True,
            items=negotiated_items(space, o))
        yearly = "" if not paid or len(paid) == 1 else (
            f", {paid[0]:,.1f} a year" if paid[0] == paid[-1]
            else f", {paid[0]:,.1f} to {paid[-1]:,.1f} a year")
        rows["payments"] = "-" if not paid else f"{o['total_krw_bn']:,.1f} bn won in all{yearly}"
    return pd.Series(rows)
