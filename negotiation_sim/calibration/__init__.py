"""Bayesian calibration (ABC-SMC with pyabc) over the recorded cycles, and forecasts.

``config`` reads ``[calibrate]`` configs, ``abc`` runs pyabc's ABC-SMC on the fast engine,
``predictive`` draws posterior-predictive outcomes for any scenario, ``report`` writes the
posterior, the identifiability table and the figures. See ``docs/calibration.md``.
"""
