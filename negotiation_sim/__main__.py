"""``python -m negotiation_sim`` is the ``negotiation-sim`` command."""

import sys

from .cli import main

sys.exit(main())
