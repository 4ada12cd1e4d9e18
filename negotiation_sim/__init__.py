"""negotiation_sim: an agent-based model of US-ROK cost-sharing (SMA) negotiations."""

from .api import RunResult, run
from .errors import ScenarioError
from .experiments import summarize, sweep
from .model import SMAModel
from .outcome import OUTCOME_FIELDS, TRACE_FIELDS, Outcome
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

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
