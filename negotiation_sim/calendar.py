"""Months on a real calendar: 'YYYY-MM' strings <-> integer month numbers.

A month number is ``year * 12 + (month - 1)``, so differences are month counts and
the model's step index is ``month - talks_start``.
"""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


_LOOSE = re.compile(r"(\d{4})\D{1,3}(\d{1,2})(?!\d)")
YEARS = (1900, 2200)


def parse_month(text: str) -> int:
    """Parse 'YYYY-MM' into a month number; raise ValueError saying the format."""
    m = _MONTH.match(text) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
        raise ValueError(f"{text!r} is not a month: use 'YYYY-MM', e.g. '{_example(text)}'"
                         f"; allowed: years {YEARS[0]}-{YEARS[1]}, months 01-12")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _example(text: object) -> str:
    """The month the user probably meant ('2025-12-31' -> '2025-12'), else a generic one."""
    m = _LOOSE.search(text) if isinstance(text, str) else None
    if m and 1 <= int(m.group(2)) <= 12 and YEARS[0] <= int(m.group(1)) <= YEARS[1]:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    return "2019-12"


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
