"""``python -m negotiation_sim`` is the ``negotiation-sim`` command."""

from .cli import run

run()
