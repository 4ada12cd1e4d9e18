"""``negotiation-sim validate``: every problem in a config file, one per line.

Recognises the five kinds of file by their top table: a scenario, a sweep (``[sweep]``),
a tuning config (``[tune]``), a sensitivity config (``[sensitivity]``) or a calibration
config (``[calibrate]``).
"""

from __future__ import annotations

import argparse
import sys

from ..configfile import read_toml
from ..errors import ScenarioError
from . import one_line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check config files and list every problem",
                       description="Check scenario, sweep, tune or sensitivity files; exit 0 "
                       "if all are valid, 2 if not.")
    p.add_argument("config", nargs="+", help="TOML file(s)")
    p.set_defaults(func=main)


def _kind(path: str) -> str:
    """Which kind of config ``path`` is (by its top table); reading errors raise here."""
    raw = read_toml(path)
    return next((k for k in ("sweep", "tune", "sensitivity", "calibrate") if k in raw),
                "scenario")


def _check(path: str) -> str:
    """Load ``path`` as its kind; return a one-line summary or raise ScenarioError."""
    from ..scenario import load_scenario

    kind = _kind(path)
    if kind == "sweep":
        from ..experiments.config import load_sweep

        sweep = load_sweep(path)
        return f"sweep {sweep.name}"
    if kind == "tune":
        from ..tuning.config import load_tune_config

        tune = load_tune_config(path)
        return f"tune {tune.name}, {len(tune.cycles)} cycles, {len(tune.parameters)} parameters"
    if kind == "sensitivity":
        from ..tuning.sensitivity import load_sensitivity_config

        sens = load_sensitivity_config(path)
        return f"sensitivity {sens.name}, {sens.n_runs:,} runs"
    if kind == "calibrate":
        from ..calibration.config import load_calibrate_config

        cal = load_calibrate_config(path)
        return (f"calibrate {cal.name}, {len(cal.cycles)} cycles, {len(cal.parameters)} "
                "parameters")
    sc = load_scenario(path)
    return (f"{sc.name}, {sc.n_months} months, {len(sc.round_months)} rounds, "
            f"{len(sc.events)} events")


def main(args: argparse.Namespace) -> int:
    status = 0
    for path in args.config:
        try:
            summary = _check(path)
        except ScenarioError as exc:
            for line in exc.lines():
                print(f"error: {one_line(line)}", file=sys.stderr)
            status = 2
            continue
        print(f"{path}: ok ({summary})")
    return status
