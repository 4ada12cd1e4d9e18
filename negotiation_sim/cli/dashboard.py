"""``negotiation-sim dashboard``: the Mesa (SolaraViz) dashboard in a browser, on 127.0.0.1.

Checks the scenario file and the port first (bad input: one line, exit 2), then runs
``solara run negotiation_sim.viz.dashboard`` with the scenario path in the
environment, in production mode and without solara's version check or telemetry: in
development mode solara's page embeds a check that calls solara.dev, and nothing here
may leave the machine.

The server is a child process that never outlives this command: stopped by Ctrl-C,
SIGTERM or SIGHUP, the command stops the server (SIGTERM, then SIGKILL after
``STOP_GRACE`` s) before it exits; killed outright (SIGKILL), Linux sends the server
SIGTERM (``PR_SET_PDEATHSIG``, set by ``solara_main`` in the server process).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STOP_GRACE = 0.5  # seconds the server has to shut down on SIGTERM before SIGKILL
PARENT_ENV = "NEGOTIATION_SIM_DASHBOARD_PARENT"  # pid of the command that started the server
# The server process: solara's command line, run by solara_main below.
SERVER_MAIN = "from negotiation_sim.cli.dashboard import solara_main; solara_main()"


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
    return [sys.executable, "-c", SERVER_MAIN, "run", APP, "--host", HOST, "--port",
            str(port), "--no-open", "--no-check-version", "--production"]


def solara_main() -> None:
    """In the server process: ``solara`` with this process's arguments, ending with its parent.

    SIGTERM comes when the dashboard command dies, however it dies; a server whose parent
    is already gone does not start.
    """
    from ..experiments.evaluators import die_with_parent

    die_with_parent(signal.SIGTERM)
    if str(os.getppid()) != os.environ.get(PARENT_ENV, str(os.getppid())):
        sys.exit(1)
    from solara.__main__ import main as solara

    sys.argv[0] = "solara"
    solara()


def server_env(config: str | Path, seed: int = 0) -> dict[str, str]:
    """Environment for the server: the scenario path and seed; telemetry off."""
    from ..viz.dashboard import CONFIG_ENV, SEED_ENV

    return {**os.environ, CONFIG_ENV: str(Path(config).resolve()), SEED_ENV: str(seed),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "MPLBACKEND": "Agg",
            PARENT_ENV: str(os.getpid())}


class _Stopped(Exception):
    """This command got SIGTERM or SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: Any) -> None:
    raise _Stopped(signum)


def serve(command: list[str], env: dict[str, str]) -> int:
    """Run the server until it ends, or until this command is stopped: then stop it too.

    Returns the server's exit status, or 128 + the signal for SIGTERM / SIGHUP; Ctrl-C
    stops the server and propagates.
    """
    server = subprocess.Popen(command, env=env)
    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _raise_stopped)
        return server.wait()
    except _Stopped as stopped:
        return 128 + stopped.signum
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


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
    return serve(server_command(args.port), env)
