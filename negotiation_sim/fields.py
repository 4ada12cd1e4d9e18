"""One key of a configuration table: its type, default, bounds, unit and meaning.

``schema`` (the scenario file's sections) and ``events`` (each event kind's keys) are
built from these; ``Field.check`` says what is allowed in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .calendar import parse_date, parse_month

REQUIRED = object()
# List kinds of calendar items: (parser, what the list holds, its form).
_CALENDAR_LISTS = {"months": (parse_month, "months", "YYYY-MM"),
                   "dates": (parse_date, "dates", "YYYY-MM-DD")}
SIDES = ("us", "rok")
MONEY_FORMS = ("a number (KRW bn); KEY_usd_m = a number (US$ m, at scenario.krw_per_usd); "
               "or a change on the amount in force as a string, e.g. \"+10%\" or \"-5%\"")


@dataclass(frozen=True)
class Field:
    """One key of the scenario file."""

    kind: str  # number | integer | numbers | boolean | text | month | choice | months | dates
    default: Any = REQUIRED
    low: float = float("-inf")
    high: float = float("inf")
    choices: tuple[str, ...] = ()
    unit: str = ""
    doc: str = ""
    money: bool = False  # an amount: also given in US$ m (``KEY_usd_m``) or as "+10%"

    def check(self, value: Any) -> str | None:
        """None if allowed, else a message saying what is allowed."""
        if self.kind in ("number", "integer"):
            what = "an integer" if self.kind == "integer" else "a number"
            allowed = f"allowed: {what} in [{self.low:g}, {self.high:g}]"
            if isinstance(value, bool) or not isinstance(value, int | float):
                if self.money:
                    return f"{value!r} is not an amount; allowed: {MONEY_FORMS}"
                return f"{value!r} is not {what}; {allowed}"
            if self.kind == "integer" and not float(value).is_integer():
                return f"{value!r} is not {what}; {allowed}"
            if not self.low <= value <= self.high:
                return f"{value!r} is out of range; {allowed}"
            return None
        if self.kind == "numbers":
            allowed = f"allowed: a list of numbers in [{self.low:g}, {self.high:g}]"
            if not isinstance(value, list | tuple) or not value:
                return f"{value!r} is not a list of numbers; {allowed}"
            for item in value:
                if isinstance(item, bool) or not isinstance(item, int | float):
                    return f"{item!r} is not a number; {allowed}"
                if not self.low <= item <= self.high:
                    return f"{item!r} is out of range; {allowed}"
            return None
        if self.kind == "boolean":
            return None if isinstance(value, bool) else (
                f"{value!r} is not true or false; allowed: true, false")
        if self.kind == "text":
            return None if isinstance(value, str) else f"{value!r} is not text; allowed: a string"
        if self.kind == "choice":
            if value in self.choices:
                return None
            return f"{value!r} is not allowed; allowed: {', '.join(self.choices)}"
        if self.kind == "month":
            try:
                parse_month(value)
            except ValueError as exc:
                return str(exc)
            return None
        if self.kind in _CALENDAR_LISTS:
            parse, what, form = _CALENDAR_LISTS[self.kind]
            if not isinstance(value, list) or not value:
                return f"{value!r} is not a list of {what}; allowed: ['{form}', ...]"
            for item in value:
                try:
                    parse(item)
                except ValueError as exc:
                    return str(exc)
            return None
        raise AssertionError(self.kind)


def number(default: Any = REQUIRED, low: float = 0.0, high: float = 1e7, unit: str = "",
         doc: str = "") -> Field:
    return Field("number", default, low, high, unit=unit, doc=doc)


def amount(default: Any = REQUIRED, doc: str = "") -> Field:
    """An amount in KRW bn (see ``money`` for the other forms a file may use)."""
    return Field("number", default, 1.0, 1e7, unit="KRW bn", doc=doc, money=True)


def shares_problems(key: str, items: list[dict[str, Any]], share: str, table: str
                    ) -> list[tuple[str, str]]:
    """An array of tables whose ``share`` values must sum to 1 (population shares, seat
    shares): missing or off-sum is one problem at ``key``."""
    if not items:
        return [(key, f"missing; allowed: one or more [[{table}]] tables")]
    total = sum(item.get(share, 0.0) for item in items)
    if abs(total - 1.0) > 1e-6:
        return [(key, f"the {share} values sum to {total:g}; allowed: values summing to 1")]
    return []
