"""Numbers for people: thousands separators, no exponents (11,500, not 1.15e+04)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


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


# --- packages (issue 12): term and escalator in words ------------------------------------

_LINKED = {"cpi": "CPI-linked", "budget": "budget-linked"}


def escalator_text(rule: str | None, pct: object, long: bool = False) -> str:
    """An escalator in words: 'cap 5.5%' ('budget-linked capped at 5.5%' when ``long``),
    'no cap', '+2% a year' for a fixed rate, '' for a flat agreement (``rule`` 'none').
    ``pct`` is the rate or cap (inf or missing: no cap); ``rule`` None (unknown) says
    'escalator 5.5%'."""
    if rule == "none":
        return "flat" if long else ""
    x = math.inf if pct is None else float(pct)  # type: ignore[arg-type]
    if rule == "fixed":
        return f"{'+' if x >= 0 else ''}{human(x)}% a year"
    if rule is None:
        return f"escalator {human(x)}%"
    name = _LINKED.get(rule, rule)
    if math.isinf(x) or math.isnan(x):
        return f"{name}, no cap" if long else "no cap"
    return f"{name} capped at {human(x)}%" if long else f"cap {human(x)}%"


def term_text(term: object, compact: bool = False) -> str:
    """A term: '6 years', '1 year' ('6y' when ``compact``)."""
    years = int(float(term))  # type: ignore[arg-type]
    if compact:
        return f"{years}y"
    return f"{years} year" + ("" if years == 1 else "s")


def package_text(rule: str | None, term: object = None, pct: object = None,
                 long: bool = False, compact: bool = False,
                 items: Sequence[tuple[str, object]] = ()) -> str:
    """A package's term, escalator and side items: '6 years, cap 1%', '6y, cap 5.5%'
    (``compact``), '6 years, budget-linked capped at 6%' (``long``), '6 years, cap 6%,
    20% in kind, 40% wages' (``items``: (name, share) pairs, ``item_text``); a part given
    as None is left out, so a table may show only the negotiated issues."""
    parts = [] if term is None else [term_text(term, compact)]
    if rule is not None or pct is not None:
        parts.append(escalator_text(rule, pct, long))
    parts += [item_text(name, share) for name, share in items]
    return ", ".join(p for p in parts if p)


# The side items (``packages.SIDE_ITEMS``, in that order) in words.
ITEM_WORDS = {"in_kind": "in kind", "wage_share": "wages"}


def item_text(name: str, share: object) -> str:
    """A side item's share: '20% in kind', '40% wages' ('-% in kind': missing)."""
    return f"{human(share)}% {ITEM_WORDS.get(name, name)}"


def negotiated_items(space: Any, row: Any, prefix: str = "") -> list[tuple[str, object]]:
    """(name, share) of each side item ``space`` negotiates (a ``PackageSpace``), the
    share read from ``row`` (a dict, a record's fields or a table row) at
    ``{prefix}{name}_pct``: 'in_kind_pct' of an outcome, 'us_offer_in_kind_pct' of a
    trace row (``prefix`` 'us_offer_'); [] when no item is negotiated."""
    return [(item.name, row[f"{prefix}{item.name}_pct"]) for item in space.items
            if item.negotiated]
