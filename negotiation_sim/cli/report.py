"""``negotiation-sim report``: one self-contained HTML page for a results folder."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write one self-contained HTML page for a results folder",
        description="Write DIR/report.html: the folder's figures embedded (base64 PNG), its "
        "tables, and the manifest's provenance (command, seeds, versions, git commit). "
        "Works for any folder written by run --out, sweep, tune or sensitivity; the page "
        "loads nothing from the network.")
    p.add_argument("dir", metavar="DIR", help="a results folder (holding manifest.json)")
    p.add_argument("--out", metavar="FILE", help="where to write (default DIR/report.html)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..report import write_report

    path = write_report(args.dir, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0
