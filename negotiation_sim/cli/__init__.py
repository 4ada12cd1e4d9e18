"""The ``negotiation-sim`` command line: thin over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function;
bad input prints one line (file, key, what is allowed) and exits with status 2.
Those modules import what their command needs inside its function, not at the top, so
building the parser (``--help``) loads no numpy, pandas or Mesa (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from ..errors import ScenarioError, UsageError

# Sub-command modules, in the order --help lists them.
COMMANDS = ("run", "compare", "validate", "new", "tactics", "sweep", "summarize", "tune",
            "sensitivity", "calibrate", "forecast", "plot", "report", "dashboard", "negmas")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="negotiation-sim",
        description="Agent-based model of US-ROK cost-sharing (SMA) negotiations.",
    )
    parser.add_argument("--version", action=_Version, help="print the package version and "
                        "exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(__name__):
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def package_version() -> str:
    """The installed package's version (importlib.metadata; no heavy imports)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("negotiation_sim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


class _Version(argparse.Action):
    """``--version``: looked up only when asked, so building the parser stays cheap."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"negotiation-sim {package_version()}")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, UsageError) as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


INTERRUPTED = 130
STOPPED = (128 + 1, INTERRUPTED, 128 + 15)  # exit statuses of a command stopped by a signal


def run() -> None:
    """The program (``negotiation-sim``, ``python -m negotiation_sim``): ``main``, then exit.

    A command stopped by a signal (130 Ctrl-C; 129, 143 for SIGHUP, SIGTERM where a
    command handles them) has saved its work and stopped its processes before returning;
    it then leaves at once, skipping the interpreter's teardown (a second or more with
    pandas and Optuna loaded), so every process of a command ends within 2 s.
    """
    code = main()
    if code in STOPPED:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def one_line(text: str) -> str:
    """An error message on one line, whatever line breaks a user's value carried into it."""
    for brk in "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029":  # what str.splitlines splits on
        text = text.replace(brk, brk.encode("unicode_escape").decode("ascii"))
    return text


def overrides_from(pairs: list[str] | None) -> dict[str, object]:
    """``--set a.b=value`` pairs -> {dotted key: parsed value}."""
    from ..scenario import parse_value

    out: dict[str, object] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {pair}: expected dotted.key=value")
        out[key.strip()] = parse_value(value.strip())
    return out


def positive_int(text: str | None, flag: str, default: int | None, low: int = 1,
                 note: str = "") -> int | None:
    """An integer option given as text, at least ``low``; ``default`` when absent."""
    if text is None:
        return default
    if not str(text).isdigit() or int(text) < low:
        raise UsageError(f"{flag} {text}: allowed: an integer >= {low}{note}")
    return int(text)


MAX_SEED = 2**63 - 1  # the largest seed a config's ``seed`` key takes, too


def seed_option(seed: int, flag: str = "--seed") -> int:
    """A run seed from the command line, in [0, MAX_SEED]."""
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{flag} {seed}: allowed: an integer in [0, {MAX_SEED}]")
    return seed


def path_option(text: str | None, flag: str, what: str = "a folder path") -> str | None:
    """A path option: None when absent; an empty or blank one is refused (not the default)."""
    if text is not None and not text.strip():
        raise UsageError(f"{flag} {text!r}: empty; allowed: {what}")
    return text
