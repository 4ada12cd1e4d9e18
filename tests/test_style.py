"""The code base stays ruff-clean (CI runs this with the rest of the suite)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT


def test_ruff_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff not installed (it is in the test extra)")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "negotiation_sim", "tests",
                           "benchmarks"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_debugger_left_behind():
    for path in (ROOT / "negotiation_sim").rglob("*.py"):
        text = path.read_text()
        assert "breakpoint()" not in text and "import pdb" not in text, path
