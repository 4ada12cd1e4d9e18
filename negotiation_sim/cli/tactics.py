"""``negotiation-sim tactics``: the registered tactics and acceptance rules."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tactics", help="list concession tactics and acceptance rules",
                       description="List every registered tactic with its parameters.")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..tactics import ACCEPTANCE, OFFERING

    for title, registry in (("Offering tactics", OFFERING), ("Acceptance rules", ACCEPTANCE)):
        print(f"{title}:")
        for name, cls in registry.items():
            c = cls.classifier
            tags = [k for k in ("uses_time", "reacts_to_opponent", "uses_pressure", "stochastic")
                    if getattr(c, k)]
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            print(f"  {name:24s} {doc}  [{', '.join(tags) or 'static'}]")
            for p in cls.params:
                print(f"      {p.name} = {p.default:g} in [{p.low:g}, {p.high:g}] {p.unit}"
                      f" - {p.doc}")
    return 0
