"""``negotiation-sim plot``: the negotiation-dance figure of one run, as a PNG.

From a scenario file (the run is simulated here) or from a folder written by
``negotiation-sim run --out DIR`` (the recorded trace is drawn, nothing is re-run).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import overrides_from

RUN_FILES = ("trace.parquet", "manifest.json", "outcome.json")
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
        seed = 0 if args.seed is None else args.seed
        if seed < 0:
            raise UsageError(f"--seed {seed}: allowed: an integer >= 0")
        default = None
    else:
        raise UsageError(f"{source}: no such file or folder; allowed: {ALLOWED_SOURCE}")

    out = Path(args.out) if args.out else default
    if out is not None and out.suffix.lower() != ".png":
        raise UsageError(f"--out {out}: not a .png file name; allowed: a path ending in .png")

    if source.is_dir():
        trace, scenario, outcome, seed = read_run_folder(source)
        storage.prepare_dir(out.parent, "--out")
    else:
        from ..api import run
        from ..scenario import load_scenario

        scenario = load_scenario(source, overrides_from(args.set))
        if out is None:
            out = Path("results") / "plots" / f"{scenario.name}-seed{seed}.png"
        storage.prepare_dir(out.parent, "--out")  # before the run: fail fast
        result = run(scenario, seed=seed)
        trace, outcome, seed = result.trace, result.outcome, result.seed

    from ..viz.dance import dance_figure
    from ..viz.style import save

    save(dance_figure(trace, scenario, outcome, seed=seed), out)
    print(f"wrote {out}")
    return 0


def read_run_folder(folder: Path) -> tuple[Any, Any, dict[str, Any], int | None]:
    """(trace, scenario, outcome dict, seed) from a ``run --out`` folder; bad -> UsageError."""
    import pandas as pd

    from ..outcome import OUTCOME_FIELDS, TRACE_FIELDS
    from ..scenario import from_dict

    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise UsageError(f"{folder}: missing {', '.join(missing)}; allowed: {ALLOWED_SOURCE}")
    manifest = _read_json(folder / "manifest.json")
    outcome = _read_json(folder / "outcome.json")
    if not isinstance(manifest.get("resolved_config"), dict):
        raise UsageError(f"{folder / 'manifest.json'}: resolved_config: missing or not a table; "
                         "allowed: a manifest written by `negotiation-sim run --out`")
    lacking = [key for key in OUTCOME_FIELDS if key not in outcome]
    if lacking:
        raise UsageError(f"{folder / 'outcome.json'}: missing {', '.join(lacking)}; allowed: "
                         "an outcome written by `negotiation-sim run --out`")
    scenario = from_dict(manifest["resolved_config"], str(folder / "manifest.json"))
    try:
        trace = pd.read_parquet(folder / "trace.parquet")
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder / 'trace.parquet'}: cannot read ({exc}); allowed: a "
                         "Parquet trace written by `negotiation-sim run --out`") from None
    lacking = [col for col in TRACE_FIELDS if col not in trace.columns]
    if lacking:
        raise UsageError(f"{folder / 'trace.parquet'}: missing columns {', '.join(lacking)}; "
                         f"allowed: a trace with columns {', '.join(TRACE_FIELDS)}")
    seed = manifest.get("seed")
    return trace, scenario, outcome, seed if isinstance(seed, int) else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read as JSON ({exc}); allowed: a file written by "
                         "`negotiation-sim run --out`") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a JSON object; allowed: a file written by "
                         "`negotiation-sim run --out`")
    return data
