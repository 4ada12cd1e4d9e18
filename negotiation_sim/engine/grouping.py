"""What both engines use to group runs by their override values."""

from __future__ import annotations

from typing import Any

import numpy as np


def hashable(value: Any) -> Any:
    """An override value as a dict key (``rounds.months`` is a list)."""
    return tuple(value) if isinstance(value, list | np.ndarray) else value
