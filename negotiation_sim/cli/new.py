"""``negotiation-sim new``: write a commented scenario file to edit."""

from __future__ import annotations

import argparse

# template.SHIPPED, without importing it
SHIPPED = ("teaching", "sma11", "sma10", "sma9", "election_race")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new", help="write a commented scenario file to edit",
        description="Write a scenario file to edit, starting from a shipped scenario or any "
        "scenario file: every key with a comment (meaning, unit, required or default, accepted "
        "forms); optional keys at their default are written commented out.")
    p.add_argument("path", help="the file to write, e.g. my_scenario.toml")
    p.add_argument("--from", dest="source", default="teaching", metavar="NAME|FILE",
                   help=f"start from a shipped scenario ({', '.join(SHIPPED)}; default "
                   "teaching) or a scenario file")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import tomllib
    from pathlib import Path

    from ..errors import UsageError
    from ..scenario import load_scenario
    from ..storage import write_text
    from ..template import CONFIGS, SHIPPED, render, source_path

    path = Path(args.path)
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; allowed: a new file, or --force to replace it")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; allowed: a file path")
    source = source_path(args.source)
    if not source.is_file():
        where = (f"the shipped scenarios live in {CONFIGS}, which this installation lacks"
                 if args.source in SHIPPED else "no such file")
        raise UsageError(f"--from {args.source}: {where}; allowed: {', '.join(SHIPPED)} or a "
                         "scenario file")
    load_scenario(source)  # a bad source is reported as any bad scenario is
    raw = tomllib.loads(source.read_text(encoding="utf-8"))
    write_text(path, render(raw, str(source), str(path)))
    print(f"wrote {path} (from {source}); check it with: negotiation-sim validate {path}")
    return 0
