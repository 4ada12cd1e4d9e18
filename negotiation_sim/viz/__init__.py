"""Figures: one style for every figure in the project (``style``), one module per
kind of figure. Matplotlib is imported lazily and always with the headless Agg backend."""
