"""``negotiation-sim validate``: every problem in a scenario file, one per line."""

from __future__ import annotations

import argparse
import sys

from ..errors import ScenarioError
from ..scenario import load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a scenario file and list every problem",
                       description="Check a scenario file; exit 0 if valid, 2 if not.")
    p.add_argument("config", nargs="+", help="scenario TOML file(s)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    status = 0
    for path in args.config:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            for line in exc.lines():
                print(f"error: {line}", file=sys.stderr)
            status = 2
            continue
        print(f"{path}: ok ({sc.name}, {sc.n_months} months, {len(sc.round_months)} rounds, "
              f"{len(sc.events)} events)")
    return status
