"""Hash the outcomes of every shipped scenario over 1,000 seeds, on both engines.

Refactors that must not change behaviour (issue: "one month, written once") are checked
by running this before and after and comparing the printed digests:

    python benchmarks/hash_outcomes.py > before.txt   # on the old commit
    python benchmarks/hash_outcomes.py > after.txt    # on the new one
    diff before.txt after.txt && echo identical

Each line: config, engine, runs, sha256 of the outcome table (CSV, floats as repr) over
the outcome columns every version has had (``--all-columns``: every current column).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# The outcome columns of the first engines; later columns are added after these.
BASE_COLUMNS = ["agreed", "agreement_month", "amount_krw_bn", "amount_usd_m", "increase_pct",
                "gap_months", "censored", "rounds_held", "walkouts", "vetoes",
                "tentative_deals", "term_years"]


def digest(table) -> str:
    text = table.to_csv(index=False, float_format=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    from negotiation_sim.engine import simulate_batch
    from negotiation_sim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--mesa-seeds", type=int, default=None,
                    help="seeds for the Mesa engine (default: --seeds)")
    ap.add_argument("--all-columns", action="store_true", help="hash every outcome column")
    ap.add_argument("--except", dest="leave_out", nargs="+", default=[], metavar="COLUMN",
                    help="hash every outcome column but these (e.g. columns added since "
                    "the digests compared with were made)")
    args = ap.parse_args()
    configs = sorted(p for p in (ROOT / "configs").rglob("*.toml")
                     if "[sweep]" not in p.read_text() and "[tune]" not in p.read_text()
                     and "[sensitivity]" not in p.read_text()
                     and "[calibrate]" not in p.read_text())
    for path in configs:
        scenario = load_scenario(path)
        for engine, n in (("fast", args.seeds), ("mesa", args.mesa_seeds or args.seeds)):
            table = simulate_batch(scenario, None, np.arange(n), engine=engine)
            if args.leave_out:
                table = table.drop(columns=args.leave_out)
            elif not args.all_columns:
                table = table[BASE_COLUMNS]
            print(f"{path.relative_to(ROOT)} {engine} {n} {digest(table)}", flush=True)


if __name__ == "__main__":
    main()
