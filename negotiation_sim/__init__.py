"""negotiation_sim: an agent-based model of US-ROK cost-sharing (SMA) negotiations.

The public names below load on first use (PEP 562), so ``import negotiation_sim`` and the
command line's ``--help`` do not pay for Mesa, pandas and pyarrow until something needs them.
Sub-modules (``negotiation_sim.scenario``, ...) also load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import RunResult, run
    from .errors import ScenarioError
    from .experiments import summarize, sweep
    from .model import SMAModel
    from .outcome import OUTCOME_FIELDS, TRACE_FIELDS, Outcome
    from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

# Public name -> the module that defines it (the same names as __all__; a test checks).
_LAZY = {
    "OUTCOME_FIELDS": ".outcome",
    "TRACE_FIELDS": ".outcome",
    "Outcome": ".outcome",
    "RunResult": ".api",
    "SMAModel": ".model",
    "Scenario": ".scenario",
    "ScenarioError": ".errors",
    "load_scenario": ".scenario",
    "run": ".api",
    "summarize": ".experiments",
    "sweep": ".experiments",
}

__all__ = [
    "OUTCOME_FIELDS",
    "TRACE_FIELDS",
    "Outcome",
    "RunResult",
    "SMAModel",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run",
    "summarize",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module, or a sub-module, the first time it is asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif not name.startswith("_"):
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the sub-module exists but something it imports is missing
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
