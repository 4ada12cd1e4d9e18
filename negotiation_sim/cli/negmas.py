"""``negotiation-sim negmas``: NegMAS negotiators on a scenario's packages, next to ours."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from . import overrides_from, positive_int

EXAMPLE = """example:
  negotiation-sim negmas configs/sma11.toml --set rok.bottom_line=1300 \\
      --negotiators AspirationNegotiator AspirationNegotiator \\
      --negotiators BoulwareTBNegotiator NaiveTitForTatNegotiator --steps 1000 --runs 2

NegMAS sides see the scenario's initial openings and bottom lines only: gap pressure,
leaders, events, the public and the legislature are not exported (docs/negmas.md).
Needs the negmas extra: pip install -e ".[negmas]"."""


def register(sub: argparse._SubParsersAction) -> None:
    import textwrap

    from ..interop import NEGMAS_AMOUNTS as DEFAULT_AMOUNTS
    from ..interop import NEGMAS_STEPS as DEFAULT_STEPS

    p = sub.add_parser(
        "negmas", help="run NegMAS negotiators on a scenario's packages, next to our model",
        description=textwrap.fill(
            "Export the scenario's package space (first-year amount on a grid, term, "
            "escalator) and both sides' utilities (0 at the bottom-line package = NegMAS's "
            "reserved value, 1 at the ideal package) to NegMAS, run each pair of NegMAS "
            "negotiators (US first) for N steps at seeds SEED..SEED+RUNS-1, and print one "
            "table with our model's runs at the same seeds: who negotiated, agreed, amount, "
            "term, escalator, each side's utility, steps (NegMAS steps; rounds held for "
            "ours).", 88),
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="scenario TOML file, e.g. configs/sma11.toml")
    p.add_argument("--negotiators", nargs=2, action="append", metavar=("US_CLASS", "ROK_CLASS"),
                   help="a NegMAS pair: class names of negmas.sao (e.g. AspirationNegotiator, "
                   "BoulwareTBNegotiator, NaiveTitForTatNegotiator) or module:Class "
                   "(repeatable; default AspirationNegotiator AspirationNegotiator)")
    p.add_argument("--steps", metavar="N", help=f"NegMAS steps per negotiation (default "
                   f"{DEFAULT_STEPS})")
    p.add_argument("--runs", metavar="N", help="seeds per pair, and our runs (default 1)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0): our run i is "
                   "`negotiation-sim run CONFIG --seed SEED+i`; NegMAS's global random and "
                   "numpy.random are seeded with SEED+i")
    p.add_argument("--amounts", metavar="N", help=f"grid size of the first-year amount "
                   f"(default {DEFAULT_AMOUNTS})")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", dest="set",
                   help="override a scenario key, as for run (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..interop import negmas as nm
    from ..scenario import load_scenario

    steps = positive_int(args.steps, "--steps", nm.DEFAULT_STEPS)
    runs = positive_int(args.runs, "--runs", 1)
    amounts = positive_int(args.amounts, "--amounts", nm.DEFAULT_AMOUNTS, low=2)
    assert steps is not None and runs is not None and amounts is not None
    nm.check_seeds(args.seed, runs)
    scenario = load_scenario(args.config, overrides_from(args.set))
    pairs = [tuple(p) for p in args.negotiators or [nm.DEFAULT_PAIR]]
    for us, rok in pairs:  # every class checked before anything runs
        nm.negotiator_class(us)
        nm.negotiator_class(rok)
    table = nm.compare(scenario, pairs, steps=steps, runs=runs, seed=args.seed,
                       n_amounts=amounts)
    values = nm.issue_values(scenario, amounts)
    if args.json:
        print(json.dumps({
            "scenario": scenario.name, "steps": steps, "runs": runs, "seed": args.seed,
            "issues": {k: {"low": v[0], "high": v[-1], "values": len(v)}
                       for k, v in values.items()},
            "rows": [{k: _plain(v) for k, v in row.items()}
                     for row in table.to_dict(orient="records")]}))
        return 0
    print(f"{scenario.name}: {scenario.description}")
    print(describe_space(scenario, values))
    print("utilities at the initial openings and bottom lines (0: the side's bottom-line "
          "package,\nNegMAS's reserved value; 1: its ideal package); gap pressure, leaders "
          "and events are not exported")
    print(f"steps: rounds held (ours), NegMAS steps of {steps:,} (negmas)\n")
    print(format_table(table, scenario.package.escalator))
    return 0


def describe_space(scenario: Any, values: dict[str, tuple[Any, ...]]) -> str:
    """One line: each exported issue's range and number of values, and the outcomes
    (with '; in kind 0 to 40 % of the amount, 5 values' per negotiated side item)."""
    from ..formatting import human

    amount, terms, pcts = (values[k] for k in ("amount_krw_bn", "term_years",
                                               "escalator_pct"))
    rule = scenario.package.escalator
    what = {"none": "flat", "fixed": "fixed rate"}.get(rule, f"{rule}-linked, cap")

    def span(v: tuple[Any, ...], unit: str) -> str:
        if len(v) == 1:
            return f"{human(v[0])}{unit} (fixed)"
        return f"{human(v[0])} to {human(v[-1])}{unit}, {len(v)} values"

    items = [(name, values[f"{name}_pct"]) for name in ITEM_WORDS if f"{name}_pct" in values]
    n = len(amount) * len(terms) * len(pcts)
    for _, levels in items:
        n *= len(levels)
    shares = "".join(f"; {ITEM_WORDS[name]} {span(levels, ' % of the amount')}"
                     for name, levels in items)
    return (f"exported package space: amount {span(amount, ' bn won')}; term "
            f"{span(terms, ' years')}; escalator ({what}) {span(pcts, ' % a year')}"
            f"{shares}: {n:,} outcomes")


def format_table(table: Any, escalator: str) -> str:
    """The rows as aligned text: one line per negotiation (a column per negotiated side
    item after the escalator)."""
    from ..formatting import human

    items = [name for name in ITEM_WORDS if f"{name}_pct" in table.columns]
    header = ["negotiators", "seed", "agreed", "amount bn won", "term", "escalator %",
              *(f"{ITEM_WORDS[name]} %" for name in items), "US utility", "ROK utility",
              "steps"]
    lines = [header]
    for row in table.to_dict(orient="records"):
        agreed = bool(row["agreed"])
        pct = row["escalator_pct"]
        if agreed and escalator in ("cpi", "budget") and math.isnan(pct):
            pct_text = "no cap"
        else:
            pct_text = human(pct) if agreed else "-"
        lines.append([
            f"{row['negotiators']}: {row['us']} vs {row['rok']}", str(row["seed"]),
            "yes" if agreed else "no", f"{row['amount_krw_bn']:,.1f}" if agreed else "-",
            str(int(row["term_years"])) if agreed else "-", pct_text,
            *(human(row[f"{name}_pct"]) if agreed else "-" for name in items),
            f"{row['us_utility']:.4f}" if agreed else "-",
            f"{row['rok_utility']:.4f}" if agreed else "-", str(row["steps"])])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(line, widths, strict=True)))
                     .rstrip() for line in lines)


# The side items' exported issues (``interop.negmas.item_issues``) as the table names them.
ITEM_WORDS = {"in_kind": "in kind", "wage_share": "wage share"}


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, NaN and missing as null."""
    import pandas as pd

    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value
