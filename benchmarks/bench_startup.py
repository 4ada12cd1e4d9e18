"""Start-up time of the command line, measured against ``python -c "import numpy"``.

Each command runs in a fresh interpreter (this one, ``sys.executable``), ``--runs`` times,
interleaved so that load on the machine hits every command alike; the table gives the
median wall time and its ratio to importing numpy in the same run. ``negotiation-sim``
runs as ``python -m negotiation_sim``, which is what the installed script does.

    python benchmarks/bench_startup.py                 # table, 10 runs each
    python benchmarks/bench_startup.py --check         # exit 1 if --help > 3x numpy
    python benchmarks/bench_startup.py --imports 8     # also each one's 8 slowest packages

``--imports`` reads ``python -X importtime`` of one more run of each command and lists the
packages it spends most import time in, which is how to find what a command drags in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 3.0  # --help may take at most this many times `import numpy`
BASELINE = "import numpy"
HELP = "negotiation-sim --help"


def commands(python: str) -> dict[str, list[str]]:
    """Label -> argv of every command timed, the numpy baseline first."""
    cli = [python, "-m", "negotiation_sim"]
    return {
        BASELINE: [python, "-c", "import numpy"],
        HELP: [*cli, "--help"],
        "negotiation-sim validate sma11": [*cli, "validate", str(ROOT / "configs" / "sma11.toml")],
        "import negotiation_sim": [python, "-c", "import negotiation_sim"],
    }


def child_env() -> dict[str, str]:
    """This checkout first on the path, so the package timed is the one beside this file."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of one run; a failing command is an error, not a time."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def medians(cmds: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each command over ``runs`` interleaved runs, after one warm-up each."""
    for argv in cmds.values():
        wall_time(argv, env)  # page cache and .pyc files, not counted
    times: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(runs):
        for label, argv in cmds.items():
            times[label].append(wall_time(argv, env))
    return {label: statistics.median(ts) for label, ts in times.items()}


def slowest_imports(argv: list[str], env: dict[str, str], k: int) -> list[tuple[str, int]]:
    """The ``k`` top-level packages one run spends most import time in (microseconds).

    Sums ``-X importtime``'s self time over each package's modules, so the figures add up
    to the whole import time and a package is not charged for what it imports from others.
    """
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=True)
    spent: dict[str, int] = {}
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            package = fields[2].strip().split(".")[0]
            spent[package] = spent.get(package, 0) + int(fields[0])
    return sorted(spent.items(), key=lambda t: -t[1])[:k]


def table(result: dict[str, float]) -> str:
    """Milliseconds and ratio to the numpy baseline, one line per command."""
    base = result[BASELINE]
    width = max(map(len, result))
    lines = [f"{'command':{width}s}  {'median ms':>9s}  {'x numpy':>7s}"]
    lines += [f"{label:{width}s}  {t * 1e3:9.0f}  {t / base:7.2f}" for label, t in result.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh runs per command (default 10)")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 if `{HELP}` takes more than {LIMIT:g}x `{BASELINE}`")
    parser.add_argument("--imports", type=int, default=0, metavar="K",
                        help="also list the K packages each command spends most import "
                        "time in")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: allowed: an integer >= 1")
    env = child_env()
    cmds = commands(sys.executable)
    print(f"Python {sys.version.split()[0]}, median of {args.runs} fresh runs")
    result = medians(cmds, args.runs, env)
    print(table(result))
    for label, cmd in cmds.items() if args.imports else ():
        print(f"\n{label}: import time by package (ms)")
        for name, us in slowest_imports(cmd, env, args.imports):
            print(f"  {us / 1e3:8.1f}  {name}")
    ratio = result[HELP] / result[BASELINE]
    if args.check and ratio > LIMIT:
        print(f"FAIL: {HELP} is {ratio:.2f}x {BASELINE} (limit {LIMIT:g}x)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
