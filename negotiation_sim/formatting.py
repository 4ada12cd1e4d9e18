"""Numbers for people: thousands separators, no exponents (11,500, not 1.15e+04)."""

from __future__ import annotations

import math


def human(value: object, digits: int = 4) -> str:
    """``value`` with about ``digits`` significant digits, separators, never an exponent.

    Integers print whole (11,500), others to at most 6 decimals with trailing zeros
    dropped (1,187.8; 0.35); None and NaN print as '-'; text passes through.
    """
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float) and not hasattr(
            value, "__float__"):
        return str(value)
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    decimals = min(6, max(1, digits - 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed(value: object, decimals: int = 1, unit: str = "") -> str:
    """A difference with its sign: +2.5, -0.3, +0.0; '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):+,.{decimals}f}{unit}"  # type: ignore[arg-type]


def percent(share: object, decimals: int = 1) -> str:
    """A share 0..1 as a percentage: 0.975 -> '97.5%'; '-' when missing."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "-"
    return f"{100 * float(share):.{decimals}f}%"  # type: ignore[arg-type]
