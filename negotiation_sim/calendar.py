"""Months on a real calendar: 'YYYY-MM' strings <-> integer month numbers.

A month number is ``year * 12 + (month - 1)``, so differences are month counts and
the model's step index is ``month - talks_start``.
"""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Parse 'YYYY-MM' into a month number; raise ValueError with the allowed form."""
    m = _MONTH.match(text) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2200:
        raise ValueError(f"{text!r} is not a month; allowed: 'YYYY-MM' (e.g. '2019-12')")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def format_month(number: int) -> str:
    """Month number -> 'YYYY-MM'."""
    year, month0 = divmod(int(number), 12)
    return f"{year:04d}-{month0 + 1:02d}"



def parse_date(text: str) -> int:
    """Parse a round's date 'YYYY-MM-DD' into its month number (the model's step is a
    month; the day only orders rounds within it); raise ValueError with the allowed form."""
    import datetime

    try:
        day = datetime.date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 \
            else None
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2200:
        raise ValueError(f"{text!r} is not a date; allowed: 'YYYY-MM-DD' (e.g. '2019-09-24')")
    return day.year * 12 + day.month - 1
