"""Batches of runs: sweeps and replications, after the EMA workbench's split.

* ``config``: what to run (a scenario plus a ``[sweep]`` table), validated;
* ``samplers``: which runs (grid, random, Latin hypercube, Sobol');
* ``chunks``: the unit of work and the pure function that simulates it;
* ``evaluators``: how (in this process, a local process pool, or Dask);
* ``store``: where results go (parts, runs.parquet, manifest), atomically;
* ``progress``: a bar on a terminal, plain lines otherwise;
* ``runner``: all of the above end to end (``sweep``); ``summary``: what a sweep found.
"""

from .config import SweepConfig, load_sweep
from .runner import run_sweep, sweep
from .summary import summarize

__all__ = ["SweepConfig", "load_sweep", "run_sweep", "summarize", "sweep"]
