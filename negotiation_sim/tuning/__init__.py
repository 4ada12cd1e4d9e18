"""Fitting the model to the historical record, and measuring what drives its outcomes.

* ``record``: the SMA record as DataFrames and the observed outcome of each negotiation.
* ``config``: a tuning config (cycles, free parameters, loss weights, seeds).
* ``params``: how one tuned value applies to each cycle's scenario (modes).
* ``loss``: simulated vs observed outcomes over common-random-number replications.
* ``study``: the Optuna study (storage, worker processes, exact trial counts).
* ``report``: tuned scenario files, fit tables, the Markdown report, the manifest.
* ``runner``: a tune command end to end (one fold, or leave-one-out) into its folder.
* ``sensitivity``: Sobol' indices (SALib) with bootstrap confidence intervals.

Modules import Optuna and SALib only where they need them (the ``tune`` extra).
"""
