"""Start-up stays light: what ``--help``, ``validate`` and ``import negotiation_sim`` load.

Each check runs in a fresh interpreter and reads its ``sys.modules``; nothing here is timed
(``benchmarks/bench_startup.py`` does the timing).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import negotiation_sim as ns

from .conftest import CONFIGS, ROOT

# What the command line's start-up must not pay for.
HEAVY = {"mesa", "pandas", "pyarrow", "optuna", "dask", "matplotlib", "scipy", "SALib", "solara",
         "negmas"}

# Printed after a child's own output, before the names of the modules it has loaded.
MODULES = "--- modules ---"
LIST_MODULES = f"import sys\nprint({MODULES!r})\nprint('\\n'.join(sys.modules))\n"

# Runs the command line in-process, as the installed script does.
CLI = """
import sys
from negotiation_sim.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:  # argparse's --help exits
    status = exc.code
print("status", status)
"""


def loaded_after(code: str, *args: str) -> tuple[list[str], set[str]]:
    """Run ``code`` in a fresh interpreter at the repository root: its output lines and the
    top-level packages it has imported by the end."""
    done = subprocess.run([sys.executable, "-c", code + LIST_MODULES, *args], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=120)
    out, _, modules = done.stdout.partition(MODULES + "\n")
    return out.splitlines(), {name.split(".")[0] for name in modules.splitlines()}


def test_help_lists_every_command_without_heavy_imports() -> None:
    from negotiation_sim.cli import COMMANDS

    out, loaded = loaded_after(CLI, "--help")
    assert out[-1] == "status 0"
    listed = {line.split()[0] for line in out if line[:4] == "    " and line[4:5].isalpha()}
    assert listed == set(COMMANDS)
    assert not loaded & (HEAVY | {"numpy"})


def test_every_subcommand_help_without_heavy_imports() -> None:
    """All of them in one interpreter: what any of them loads shows in the union."""
    from negotiation_sim.cli import COMMANDS

    code = ("from negotiation_sim.cli import main\n"
            "for command in COMMANDS:\n"
            "    try:\n"
            "        main([command, '--help'])\n"
            "    except SystemExit as exc:\n"
            "        print('status', command, exc.code)\n").replace("COMMANDS", repr(COMMANDS))
    out, loaded = loaded_after(code)
    assert [line for line in out if line.startswith("status")] == [
        f"status {command} 0" for command in COMMANDS]
    assert [line.split()[2] for line in out if line.startswith("usage:")] == list(COMMANDS)
    assert not loaded & HEAVY


def test_validate_scenario_imports_numpy_only() -> None:
    """numpy, because the scenario's tactics are looked up in their (numpy-based) registry."""
    out, loaded = loaded_after(CLI, "validate", str(CONFIGS / "sma11.toml"))
    assert out == [f"{CONFIGS / 'sma11.toml'}: ok (sma11, 40 months, 40 rounds, 6 events)",
                   "status 0"]
    assert "numpy" in loaded
    assert not loaded & HEAVY


def test_import_package_loads_nothing_heavy_until_a_name_is_used() -> None:
    _, bare = loaded_after("import negotiation_sim\n")
    assert not bare & (HEAVY | {"numpy"})
    # The same check sees the heavy imports once a name that needs them is used.
    _, used = loaded_after("import negotiation_sim\nnegotiation_sim.run\n")
    assert {"mesa", "pandas"} <= used


def test_every_public_name_and_submodule_resolves() -> None:
    """In a fresh interpreter, so no earlier import has set a name already."""
    code = ("import negotiation_sim as ns\n"
            "for name in ns.__all__:\n"
            "    print(name, getattr(getattr(ns, name), '__module__', '-'))\n"
            "print('submodule', ns.scenario.__name__, ns.tuning.__name__)\n")
    out, _ = loaded_after(code)
    modules = dict(line.split(" ", 1) for line in out)
    assert list(modules) == [*ns.__all__, "submodule"]
    assert modules["run"] == "negotiation_sim.api"
    assert modules["SMAModel"] == "negotiation_sim.model"
    assert modules["sweep"] == "negotiation_sim.experiments.runner"
    assert modules["OUTCOME_FIELDS"] == "-"  # a tuple, no __module__
    assert modules["submodule"] == "negotiation_sim.scenario negotiation_sim.tuning"
    assert set(ns.__all__) == set(ns._LAZY)
    assert set(ns.__all__) <= set(dir(ns))


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from negotiation_sim import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(ns.__all__)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'negotiation_sim' has no attribute 'nope'"):
        ns.nope  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '_private'"):
        ns._private  # noqa: B018


def test_version_prints_the_installed_version_without_heavy_imports() -> None:
    from importlib.metadata import version

    out, loaded = loaded_after(CLI, "--version")
    assert out == [f"negotiation-sim {version('negotiation_sim')}", "status 0"]
    assert not loaded & (HEAVY | {"numpy"})
