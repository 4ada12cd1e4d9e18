"""``negotiation-sim dashboard``: the Mesa (SolaraViz) dashboard in a browser, on 127.0.0.1.

Checks the scenario file and the port first (bad input: one line, exit 2), then runs
``solara run negotiation_sim.viz.dashboard`` with the scenario path in the
environment, in production mode and without solara's version check or telemetry: in
development mode solara's page embeds a check that calls solara.dev, and nothing here
may leave the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from ..errors import UsageError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard", help="open the interactive Mesa dashboard (SolaraViz) on 127.0.0.1",
        description="Serve the SolaraViz dashboard for a scenario on http://127.0.0.1:PORT: "
        "sliders for openings, bottom lines, tactic betas, gap sensitivities and veto "
        "thresholds; step / play / reset; the live negotiation dance; the outcome.")
    p.add_argument("config", help="scenario TOML file, e.g. configs/sma11.toml")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    p.add_argument("--seed", type=int, default=0, help="first run seed (default 0; a slider)")
    p.set_defaults(func=main)


APP = "negotiation_sim.viz.dashboard"  # solara runs a module by name (relative imports work)


def server_command(port: int) -> list[str]:
    """The ``solara run`` command line serving the dashboard app on ``HOST:port``."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", HOST, "--port",
            str(port), "--no-open", "--no-check-version", "--production"]


def server_env(config: str | Path, seed: int = 0) -> dict[str, str]:
    """Environment for the server: the scenario path and seed; telemetry off."""
    from ..viz.dashboard import CONFIG_ENV, SEED_ENV

    return {**os.environ, CONFIG_ENV: str(Path(config).resolve()), SEED_ENV: str(seed),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "MPLBACKEND": "Agg"}


def main(args: argparse.Namespace) -> int:
    from ..scenario import load_scenario

    load_scenario(args.config)  # a bad file fails here, in one line
    if not 0 <= args.seed <= 199:
        raise UsageError(f"--seed {args.seed}: allowed: an integer in [0, 199]")
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: allowed: an integer in [1, 65535]")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, args.port))
    except OSError as exc:
        raise UsageError(f"--port {args.port}: cannot listen on {HOST} ({exc.strerror}); "
                         "allowed: a free port") from None
    try:
        env = server_env(args.config, args.seed)  # imports the app: solara, mesa's viz
    except ImportError as exc:
        raise UsageError(f"dashboard: {exc.name} is not installed; allowed: install the "
                         "dashboard extra, pip install -e '.[dashboard]'") from None
    print(f"dashboard for {args.config} on http://{HOST}:{args.port} (Ctrl-C stops it)",
          flush=True)
    return subprocess.call(server_command(args.port), env=env)
