"""``negotiation-sim plot``: the negotiation-dance figure of one run, as a PNG.

From a scenario file (the run is simulated here) or from a folder written by
``negotiation-sim run --out DIR`` (the recorded trace is drawn, nothing is re-run).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError, UsageError
from . import overrides_from, path_option, seed_option

if TYPE_CHECKING:
    from ..scenario import Scenario

ALLOWED_SOURCE = "a scenario .toml file or a folder written by `negotiation-sim run --out`"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot", help="draw the negotiation dance of one run as a PNG",
        description="Draw both sides' offers month by month, their bottom lines, the expiry, "
        "the gap, rounds, events, vetoes and the deal, from a scenario (runs it) or from a "
        "folder written by `negotiation-sim run --out`.")
    p.add_argument("source", metavar="CONFIG|RUN_DIR",
                   help="scenario TOML (e.g. configs/sma11.toml) or a run folder")
    p.add_argument("--seed", type=int, default=None,
                   help="run seed for a CONFIG (default 0; a run folder has its own)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", dest="set",
                   help="override a scenario key for a CONFIG, e.g. --set us.tactic.beta=0.5 "
                   "(repeatable)")
    p.add_argument("--out", metavar="FILE.png",
                   help="PNG to write (default: results/plots/NAME-seedN.png for a CONFIG, "
                   "RUN_DIR/dance.png for a run folder)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from .. import storage

    source = Path(args.source)
    if source.is_dir():
        if args.seed is not None or args.set:
            flag = "--seed" if args.seed is not None else "--set"
            raise UsageError(f"{flag}: applies to a CONFIG, not to the run folder {source}; "
                             "allowed: a scenario file (a run folder keeps its seed and "
                             "settings in manifest.json)")
        default = source / "dance.png"
    elif source.is_file():
        seed = seed_option(0 if args.seed is None else args.seed)
        default = None
    else:
        raise UsageError(f"{source}: no such file or folder; allowed: {ALLOWED_SOURCE}")

    out = Path(args.out) if path_option(args.out, "--out", "a path ending in .png") else default
    if out is not None and out.suffix.lower() != ".png":
        raise UsageError(f"--out {out}: not a .png file name; allowed: a path ending in .png")

    if source.is_dir():
        record = storage.read_run(source)
        trace, scenario, outcome, seed = (record.trace, record.scenario, record.outcome,
                                          record.seed)
        storage.prepare_dir(out.parent, "--out")
    else:
        from ..api import run
        from ..scenario import load_scenario

        scenario = load_scenario(source, overrides_from(args.set))
        if out is None:
            out = Path("results") / "plots" / f"{_file_name(scenario)}-seed{seed}.png"
        storage.prepare_dir(out.parent, "--out")  # before the run: fail fast
        result = run(scenario, seed=seed)
        trace, outcome, seed = result.trace, result.outcome, result.seed

    from ..viz.dance import dance_figure
    from ..viz.style import save

    save(dance_figure(trace, scenario, outcome, seed=seed), out)
    print(f"wrote {out}")
    return 0


def _file_name(scenario: Scenario) -> str:
    """The scenario's name as a file name: checked like sweep names, so that a name such
    as ``/abs/x`` or ``../../x`` cannot write outside results/plots."""
    from ..configfile import NAME

    if not NAME.match(scenario.name):
        raise ScenarioError([("scenario.name", f"{scenario.name!r} cannot name the plot "
                              "file; allowed: letters, digits, _ . - (or give --out "
                              "FILE.png)")], scenario.source)
    return scenario.name
