"""docs/tutorial.ipynb runs top to bottom (nbclient, a real kernel); any cell error fails."""

from __future__ import annotations

import os
import time

import pytest

from .conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
BUDGET_S = 30.0  # the tutorial must stay quick to run


def test_tutorial_notebook_runs_without_error_and_quickly(tmp_path, monkeypatch):
    # "python3" is ipykernel's native kernel: this interpreter (same venv); PYTHONPATH makes
    # it import this checkout's package.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's OUT folder lands here
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend shows figures
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}})  # the kernel's working folder
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    seconds = time.perf_counter() - start
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    out = next(tmp_path.glob("negotiation_sim_tutorial_*"))  # wrote only under tmp_path
    for name in ("dance.png", "gap_by_bottom_line.png", "sweep/runs.parquet",
                 "tune/best_params.json"):
        assert (out / name).is_file(), name
    assert "US opening: 5,750 -> 11,500 bn won" in text
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {})
               for o in outputs)
    assert seconds < BUDGET_S, f"tutorial took {seconds:.0f} s"
