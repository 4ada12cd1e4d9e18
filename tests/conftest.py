"""Shared fixtures: paths to the shipped scenarios."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI runs property tests with a fixed derandomized seed so a green run is repeatable;
# locally Hypothesis explores new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


@pytest.fixture
def configs() -> Path:
    return CONFIGS


def write_scenario(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_level(path: Path = CONFIGS / "sma11.toml") -> Any:
    """The scenario without its two-level game (no public opinion, no ratification): on
    sma11, the veto, furlough and leader-change story with nothing at home in the way."""
    from negotiation_sim import load_scenario
    from negotiation_sim.scenario import from_dict

    scenario = load_scenario(path)
    raw = {k: v for k, v in scenario.resolved.items() if k not in ("opinion", "ratification")}
    return from_dict(raw, scenario.source)


@pytest.fixture(scope="session")
def sma11_one_level() -> Any:
    return one_level()
