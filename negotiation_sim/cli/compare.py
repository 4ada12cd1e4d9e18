"""``negotiation-sim compare``: what if? A baseline and changed scenarios on the same seeds."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from . import overrides_from, positive_int

DEFAULT_REPLICATIONS = 1000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="what if: a baseline and changed scenarios side by side",
        description="Run the scenario (baseline) and each alternative N times on the same "
        "seeds (common random numbers: replication i gets draws.run_seeds(SEED, [i]) in "
        "every scenario) and print shares agreed / before expiry / in a gap and medians of "
        "gap and lead months, amount and increase, with each alternative's difference from "
        "the baseline and a 95%% interval (paired percentile bootstrap over replications, "
        "2,000 resamples, seeded).")
    p.add_argument("config", help="scenario TOML file (the baseline)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", dest="set",
                   help="a change making the first alternative, e.g. --set us.opening=11500 "
                   "(repeatable)")
    p.add_argument("--vs", action="append", metavar='"K=V [K2=V2 ...]"', dest="vs",
                   help="another alternative: its changes in one quoted argument (repeatable)")
    p.add_argument("--replications", metavar="N", help=f"runs per scenario (default "
                   f"{DEFAULT_REPLICATIONS})")
    p.add_argument("--seed", type=int, default=0, help="base seed of the runs (default 0)")
    p.add_argument("--bootstrap-seed", type=int, default=0, metavar="SEED",
                   help="seed of the bootstrap resampling (default 0)")
    p.add_argument("--engine", metavar="NAME", help="fast (default) or mesa")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def alternatives_from(sets: list[str] | None, vs: list[str] | None) -> list[dict[str, Any]]:
    """The alternatives' overrides: ``--set`` pairs first (if any), then each ``--vs``."""
    from ..errors import UsageError

    out = [overrides_from(sets)] if sets else []
    for text in vs or []:
        pairs = shlex.split(text)
        if not pairs:
            raise UsageError('--vs "": expected one or more dotted.key=value')
        out.append(overrides_from(pairs))
    if not out:
        raise UsageError("compare: nothing to compare; allowed: --set KEY=VALUE and/or "
                         '--vs "KEY=VALUE ..."')
    return out


def _label(overrides: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in overrides.items())


def main(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..engine import resolve_engine
    from ..errors import UsageError
    from ..experiments import compare as cmp
    from ..experiments import distribution as dist
    from ..scenario import load_scenario

    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: allowed: an integer >= 0")
    n = positive_int(args.replications, "--replications", DEFAULT_REPLICATIONS)
    assert n is not None
    engine = resolve_engine(args.engine)
    changes = alternatives_from(args.set, args.vs)
    base = load_scenario(args.config)
    scenarios = [load_scenario(args.config, c) for c in changes]  # all validated first
    base_runs = dist.replicate(base, n, seed=args.seed, engine=engine)
    base_expiry = dist.expiry_month(base)
    comparisons, dists = [], []
    for i, (scenario, change) in enumerate(zip(scenarios, changes, strict=True)):
        runs = dist.replicate(scenario, n, seed=args.seed, engine=engine)
        expiry = dist.expiry_month(scenario)
        diffs = cmp.paired_differences(base_runs, runs, base_expiry, expiry,
                                       seed=args.bootstrap_seed,
                                       spaces=(base.package, scenario.package))
        comparisons.append(cmp.Comparison(chr(ord("A") + i) if i < 26 else f"#{i + 1}",
                                          change, diffs))
        dists.append(dist.distribution(runs, expiry, scenario.package))
    if args.json:
        print(json.dumps({
            "runs": n, "seed": args.seed, "engine": engine,
            "interval": {"method": cmp.METHOD, "level": cmp.LEVEL,
                         "resamples": cmp.RESAMPLES, "seed": args.bootstrap_seed},
            "baseline": dist.distribution(base_runs, base_expiry, base.package),
            "alternatives": [
                {"label": c.label, "overrides": c.overrides, "distribution": d,
                 "differences": {k: asdict(v) for k, v in c.differences.items()}}
                for c, d in zip(comparisons, dists, strict=True)],
        }, default=_jsonable))
        return 0
    print(f"baseline: {args.config} ({base.name}); "
          + "; ".join(f"{c.label}: {_label(c.overrides)}" for c in comparisons))
    print(f"{n:,} runs each on the same seeds (draws.run_seeds({args.seed}, [0..{n - 1}])), "
          f"engine {engine}; intervals: {cmp.METHOD}, {cmp.RESAMPLES:,} resamples\n")
    print(cmp.format_comparison(comparisons))
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
