"""``negotiation-sim tactics``: the registered tactics and acceptance rules."""

from __future__ import annotations

import argparse
import textwrap

WIDTH = 88  # text column width; a description is printed whole, wrapped at word breaks


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
            print(f"  {name}  [{', '.join(tags) or 'static'}]")
            for line in textwrap.wrap(" ".join((cls.__doc__ or "").split()), WIDTH):
                print(f"      {line}")
            for p in cls.params:
                unit = f" {p.unit}" if p.unit else ""
                print(f"      - {p.name} = {p.default:g} in [{p.low:g}, {p.high:g}]{unit}: "
                      f"{p.doc}")
    return 0
