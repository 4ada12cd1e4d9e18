"""The forms an amount may take in a scenario file, resolved into KRW billion at load.

Every amount key (a negotiator's ``opening`` and ``bottom_line``, a principal's
``veto_threshold`` and ``reset_demand``, a ``leader_change``'s amounts: the fields marked
``money`` in the schema) may be written

- in KRW billion, as a number: ``opening = 5750.0``;
- in US$ million, under the key with ``_usd_m`` appended, converted at the scenario's
  ``krw_per_usd``: ``opening_usd_m = 5000`` (5,000 US$ m x 1,150 won/$ = 5,750 bn won);
- relative to the amount in force, as a string: ``bottom_line = "+13%"``, ``"-5%"``.

``resolve`` rewrites a raw scenario dict so each amount is a number in KRW billion; the
``Scenario`` and both engines only ever see KRW billion.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

from .fields import MONEY_FORMS, SIDES, Field

USD_SUFFIX = "_usd_m"
RELATIVE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
FORMS = MONEY_FORMS

Problem = Callable[[str, str], None]


def money_keys(fields: dict[str, Field]) -> list[str]:
    """The keys of a table that are amounts."""
    return [key for key, spec in fields.items() if spec.money]


def usd_keys(fields: dict[str, Field]) -> list[str]:
    """The ``KEY_usd_m`` spellings a table accepts besides its own keys."""
    return [key + USD_SUFFIX for key in money_keys(fields)]


def is_relative(value: Any) -> bool:
    return isinstance(value, str) and RELATIVE.match(value) is not None


def relative_amount(text: str, base: float) -> float:
    """``"+10%"`` of ``base``: ``base * (1 + 10 / 100)``."""
    m = RELATIVE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a relative amount; allowed: {FORMS}")
    pct = float(m.group(2)) * (1.0 if m.group(1) == "+" else -1.0)
    return base * (1.0 + pct / 100.0)


def usd_to_krw_bn(usd_m: float, krw_per_usd: float) -> float:
    """US$ million at ``krw_per_usd`` won per dollar -> KRW billion."""
    return usd_m * krw_per_usd / 1000.0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _tables(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Field]]]:
    """Every (path, table, fields) of ``raw`` that can hold amounts."""
    from . import schema

    for side in SIDES:
        table = raw.get(side)
        if isinstance(table, dict):
            yield side, table, schema.NEGOTIATOR
            principal = table.get("principal")
            if isinstance(principal, dict):
                yield f"{side}.principal", principal, schema.PRINCIPAL
    events = raw.get("events")
    if isinstance(events, list):
        for i, event in enumerate(events):
            if isinstance(event, dict) and isinstance(event.get("type"), str) \
                    and event["type"] in schema.EVENTS:
                yield f"events.{i}", event, schema.EVENTS[event["type"]]


def _base(raw: dict[str, Any], key: str, section: str, default: Any) -> float | None:
    table = raw.get(section)
    value = table.get(key, default) if isinstance(table, dict) else default
    return float(value) if _number(value) and value > 0 else None


def resolve(raw: dict[str, Any], problem: Problem) -> dict[str, Any]:
    """A copy of ``raw`` with every amount in KRW billion; bad forms go to ``problem``.

    A key with a problem keeps its raw value; ``validate`` reports it once (here).
    """
    from . import schema

    out = copy.deepcopy(raw)
    rate = _base(out, "krw_per_usd", "scenario", schema.SCENARIO["krw_per_usd"].default)
    in_force = _base(out, "amount_krw_bn", "agreement_in_force", None)
    for path, table, fields in _tables(out):
        for key in money_keys(fields):
            usd_key = key + USD_SUFFIX
            if usd_key in table:
                usd = table.pop(usd_key)
                if key in table:
                    problem(f"{path}.{usd_key}", f"given with {path}.{key}; allowed: one of "
                            f"{key} (KRW bn) or {usd_key} (US$ m)")
                elif not _number(usd):
                    problem(f"{path}.{usd_key}", f"{usd!r} is not a number; allowed: an "
                            "amount in US$ million, e.g. 5000")
                elif rate is not None:
                    table[key] = usd_to_krw_bn(usd, rate)
                continue
            value = table.get(key)
            if not isinstance(value, str):
                continue
            if not is_relative(value):
                problem(f"{path}.{key}", f"{value!r} is not an amount; allowed: {FORMS}")
            elif in_force is None:
                problem(f"{path}.{key}", f"{value!r} needs agreement_in_force.amount_krw_bn "
                        "(a number); allowed: that amount, or this one in KRW bn")
            else:
                table[key] = relative_amount(value, in_force)
    return out
