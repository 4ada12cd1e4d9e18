"""The historical record as DataFrames, and the observed outcome of each negotiation.

``agreements()`` and ``yearly()`` return the package's CSV files as recorded (every
column kept, sources and confidence marks included). ``observed_outcomes()`` reads from
them, per SMA, what a simulated run can be compared with:

* ``gap_months``: calendar months from the month the old agreement expired to the month
  of the agreement in principle (0 when agreed in or before the expiry month). This is
  the model's own convention (``rules.gap_months``: a deal in month ``m`` after expiry
  month ``e`` counts ``m - e``); ``gap_days`` gives the exact day count beside it.
* ``lead_months``: the expiry month minus the month of the agreement in principle: positive
  for a deal before expiry, 0 in the expiry month, ``-gap_months`` after it (the model's
  ``rules.lead_months``), so an early deal is told apart from one at expiry.
* ``change_pct``: the first negotiated year's amount against the last year in force, from
  ``sma_yearly.csv`` (for the 11th SMA: 2021 against the frozen 2020 = 2019 level).
* ``formal_rounds`` and ``agreed_before_expiry`` (agreement date on or before the expiry
  date).
* ``term_years`` (the CSV's ``term_years``) and the escalator as the model states it:
  ``escalator`` (``none``, ``fixed``, ``cpi``, ``budget``; empty where the record's rule is
  none of these) and ``escalator_pct`` (the fixed rate or the cap; NaN: no cap), read from
  ``escalation_rule`` by ``ESCALATORS`` below.

A cycle is listed when the record gives its expiry, agreement date, formal rounds and
both amounts; ``inputs_known`` says whether it also gives the talks' start and both
sides' opening positions as amounts, which a scenario of that cycle needs (today the 9th,
10th and 11th; the 6th lacks the start and both openings, the 7th quantified openings).
``gap_days`` counts days after the expiry date (the 9th: 12, as the notes say).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd

from ..calendar import format_month

# The first year whose amount each SMA negotiated (the 11th froze 2020 and set 2021).
NEGOTIATED_YEAR = {1: 1991, 2: 1994, 3: 1996, 4: 1999, 5: 2002, 6: 2005, 7: 2007, 8: 2009,
                   9: 2014, 10: 2019, 11: 2021}
OUTCOME_COLUMNS = (
    "cycle", "talks_start", "expiry", "agreement_date", "agreement_month", "gap_months",
    "lead_months",
    "gap_days", "formal_rounds", "amount_in_force_krw_bn", "first_year_amount_krw_bn",
    "change_pct", "agreed_before_expiry", "term_years", "escalator", "escalator_pct",
    "inputs_known", "confidence",
)
NO_CAP = float("nan")
# The escalation rule of each SMA in the model's terms, from sma_agreements.csv's
# ``escalation_rule`` (quoted): (rule, rate or cap). The 5th ("prior year +8.8% + CPI of two
# years earlier") and the 1st, 2nd, 4th (amounts fixed yearly, or nominal GNP) fit none.
ESCALATORS = {
    3: ("fixed", 10.0),   # "+10%/yr for 3 years"
    6: ("none", 0.0),     # "Flat: 680.4bn won in both years"
    7: ("cpi", NO_CAP),   # "2008 = 2007 + CPI"
    8: ("cpi", 4.0),      # "Prior year x CPI of two years earlier, capped at 4%/yr"
    9: ("cpi", 4.0),      # "Prior year x CPI of two years earlier, capped at 4%/yr"
    10: ("none", 0.0),    # "n/a (one year ...)"
    11: ("budget", NO_CAP),  # "prior year x (1 + previous year's ROK defence-budget growth)"
}
# SMAs whose both opening positions the record quantifies (sma_notes.md section 4: the 4th
# and 5th give only the US ask, the 7th only qualitative positions).
OPENINGS_QUANTIFIED = frozenset({9, 10, 11})
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})")
_INT = re.compile(r"^\s*(\d+)\s*$")


def _read(name: str) -> pd.DataFrame:
    with resources.files("negotiation_sim.data").joinpath(name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


@cache
def _agreements() -> pd.DataFrame:
    table = _read("sma_agreements.csv")
    table["sma_number"] = table["sma_number"].astype(int)
    return table


@cache
def _yearly() -> pd.DataFrame:
    table = _read("sma_yearly.csv")
    table["year"] = table["year"].astype(int)
    table["sma_number"] = table["sma_number"].astype(int)
    for column in ("amount_krw_billion", "amount_usd_million"):
        table[column] = pd.to_numeric(table[column].replace("", None), errors="coerce")
    return table


def agreements() -> pd.DataFrame:
    """``sma_agreements.csv``: one row per SMA, every column as text except ``sma_number``."""
    return _agreements().copy()


def yearly() -> pd.DataFrame:
    """``sma_yearly.csv``: one row per year; amounts as numbers (NaN where not found)."""
    return _yearly().copy()


def leading_date(text: str) -> date | None:
    """The ISO date a record cell starts with ('2014-01-12 (results ...)'), if any."""
    m = _DATE.match(text or "")
    return date(int(m[1]), int(m[2]), int(m[3])) if m else None


def leading_month(text: str) -> str | None:
    """The 'YYYY-MM' a record cell starts with, if any."""
    m = _MONTH.match(text or "")
    return f"{m[1]}-{m[2]}" if m else None


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def observed_outcomes() -> pd.DataFrame:
    """One row per SMA whose outcome the record gives (see the module docstring)."""
    amounts = _yearly().set_index("year")["amount_krw_billion"]
    year_confidence = _yearly().set_index("year")["confidence"]
    rows = []
    for rec in _agreements().to_dict("records"):
        cycle = int(rec["sma_number"])
        expiry = leading_date(rec["prev_expired"])
        agreed = leading_date(rec["date_agreed_or_initialled"])
        rounds = _INT.match(rec["formal_rounds"])
        year = NEGOTIATED_YEAR[cycle]
        new, old = amounts.get(year), amounts.get(year - 1)
        if expiry is None or agreed is None or rounds is None or pd.isna(new) or pd.isna(old):
            continue
        start = leading_month(rec["talks_started"])
        inputs_known = bool(start) and cycle in OPENINGS_QUANTIFIED
        lead = _month_number(expiry) - _month_number(agreed)
        gap = max(0, -lead)
        rows.append({
            "cycle": cycle,
            "talks_start": start,
            "expiry": format_month(_month_number(expiry)),
            "agreement_date": agreed.isoformat(),
            "agreement_month": format_month(_month_number(agreed)),
            "gap_months": gap,
            "lead_months": lead,
            "gap_days": max(0, (agreed - expiry).days),
            "formal_rounds": int(rounds[1]),
            "amount_in_force_krw_bn": float(old),
            "first_year_amount_krw_bn": float(new),
            "change_pct": 100.0 * (float(new) / float(old) - 1.0),
            "agreed_before_expiry": agreed <= expiry,
            "term_years": int(rec["term_years"]),
            "escalator": ESCALATORS.get(cycle, ("", NO_CAP))[0],
            "escalator_pct": ESCALATORS.get(cycle, ("", NO_CAP))[1],
            "inputs_known": inputs_known,
            "confidence": f"agreement: {rec['confidence']}; {year - 1}: "
                          f"{year_confidence[year - 1]}; {year}: {year_confidence[year]}",
        })
    return pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))


def observed(cycle: int) -> dict[str, object]:
    """The observed outcome row of one SMA as a dict; KeyError if the record lacks it."""
    table = observed_outcomes().set_index("cycle", drop=False)
    if cycle not in table.index:
        raise KeyError(cycle)
    return table.loc[cycle].to_dict()
