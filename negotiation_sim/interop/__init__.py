"""Bridges to other negotiation platforms (optional extras, imported only when used).

The defaults live here, free of numpy and the platforms, so the command line's ``--help``
can state them without loading anything heavy.
"""

NEGMAS_AMOUNTS = 201  # grid of first-year amounts (most GENIUS/ANAC agents need discrete)
NEGMAS_STEPS = 100  # NegMAS steps per negotiation
