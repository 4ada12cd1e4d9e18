"""What a run reports: the outcome record and the per-month trace schema."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# Outcome fields every engine and every batch table carries, in this order.
OUTCOME_FIELDS = (
    "agreed", "agreement_month", "amount_krw_bn", "amount_usd_m", "increase_pct",
    "gap_months", "censored", "rounds_held", "walkouts", "vetoes", "tentative_deals",
    "term_years", "lead_months", "initialled_month", "ratified", "ratified_month",
    "rejections", "us_leader_change_month", "rok_leader_change_month",
    "escalator", "escalator_pct", "payments_krw_bn", "total_krw_bn", "total_discounted_krw_bn",
    "in_kind_pct", "wage_share_pct",
)
# Outcome fields holding a 'YYYY-MM' month (missing when it did not happen).
MONTH_FIELDS = ("agreement_month", "initialled_month", "ratified_month",
                "us_leader_change_month", "rok_leader_change_month")

# Per-month trace columns (model reporters of the DataCollector).
TRACE_FIELDS = (
    "month", "round_held", "us_offer", "rok_offer", "distance", "us_bottom_line",
    "rok_bottom_line", "in_gap", "gap_months", "us_leader", "rok_leader", "events", "agreed",
    "deal_amount",  # amount initialled this month (vetoed or agreed), else NaN
    "opposition",  # the ROK public's opposition (NaN without public opinion)
    "us_offer_term", "us_offer_escalator_pct", "rok_offer_term", "rok_offer_escalator_pct",
    "deal_term", "deal_escalator_pct",  # the packages (term and escalator number)
    "us_offer_in_kind_pct", "us_offer_wage_share_pct", "rok_offer_in_kind_pct",
    "rok_offer_wage_share_pct", "deal_in_kind_pct", "deal_wage_share_pct",  # side items
)

# Each trace column's unit and meaning (docs/scenarios.md's trace table is made from these;
# ``run`` puts the units in its table header).
TRACE_COLUMNS: dict[str, tuple[str, str]] = {
    "month": ("YYYY-MM", "calendar month of this step"),
    "round_held": ("true/false", "a formal round met this month"),
    "us_offer": ("KRW bn", "the US offer on the table at the end of the month"),
    "rok_offer": ("KRW bn", "the ROK offer on the table at the end of the month"),
    "distance": ("KRW bn", "us_offer - rok_offer"),
    "us_offer_term": ("years", "term of the US package on the table (the stated term when "
                      "the term is not negotiated)"),
    "us_offer_escalator_pct": ("% a year", "escalator number of the US package: the fixed "
                               "rate or a linked rule's cap (inf: no cap)"),
    "rok_offer_term": ("years", "term of the ROK package on the table"),
    "rok_offer_escalator_pct": ("% a year", "escalator number of the ROK package"),
    "deal_term": ("years", "term of the package initialled this month, else NaN"),
    "deal_escalator_pct": ("% a year", "escalator number of the package initialled this "
                           "month, else NaN"),
    "us_offer_in_kind_pct": ("%", "side item: share paid in kind in the US package (the "
                             "stated share when not negotiated)"),
    "us_offer_wage_share_pct": ("%", "side item: share earmarked for the Korean employees' "
                                "wages in the US package"),
    "rok_offer_in_kind_pct": ("%", "share paid in kind in the ROK package"),
    "rok_offer_wage_share_pct": ("%", "wage share in the ROK package"),
    "deal_in_kind_pct": ("%", "share paid in kind in the package initialled this month, "
                         "else NaN"),
    "deal_wage_share_pct": ("%", "wage share in the package initialled this month, else NaN"),
    "us_bottom_line": ("KRW bn", "the US negotiator's current mandate (moved by gap costs, "
                       "shocks and new leaders)"),
    "rok_bottom_line": ("KRW bn", "the ROK negotiator's current mandate"),
    "in_gap": ("true/false", "no agreement in force this month (after expiry, before a deal)"),
    "gap_months": ("months", "gap months so far"),
    "us_leader": ("label", "the US principal in office"),
    "rok_leader": ("label", "the ROK principal in office"),
    "events": ("JSON list", "what happened this month (events.describe prints it as text)"),
    "agreed": ("true/false", "a deal is in force from this month"),
    "deal_amount": ("KRW bn", "amount initialled this month (vetoed or agreed), else empty"),
    "opposition": ("share", "the ROK public's opposition to conceding more, at the end of the "
                   "month (empty without [opinion])"),
}
TRACE_UNITS: dict[str, str] = {name: unit for name, (unit, _) in TRACE_COLUMNS.items()}
QUANTITY_UNITS = ("KRW bn", "months")  # units a table header shows after the column name


def unit_label(column: str) -> str:
    """A column name with its unit for table headers: 'us_offer (KRW bn)'."""
    unit = TRACE_UNITS.get(column, "")
    return f"{column} ({unit})" if unit in QUANTITY_UNITS else column


def trace_reference() -> str:
    """Markdown table of the trace columns (embedded in docs/scenarios.md, checked)."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {unit} | {doc} |" for name, (unit, doc) in TRACE_COLUMNS.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Outcome:
    """A run's result. Amounts in KRW billion; months are 'YYYY-MM'.

    ``agreed``: a deal is in force by the horizon (initialled, approved by both leaders
    and, where a legislature must consent, ratified). ``agreement_month``: when that deal
    was initialled (the record's date of agreement); ``gap_months`` counts the months
    after expiry up to it, ``lead_months`` the months from it to expiry (negative: the
    gap). ``initialled_month`` is the last deal both leaders approved (one may still await
    its vote at the horizon); ``ratified_month`` when the deal came into force (the
    initialled month without ratification); ``rejections``: votes lost. A side's
    ``*_leader_change_month``: when a new leader first took office (scheduled, or an
    election's challenger). The package: ``escalator`` (rule name), ``escalator_pct``
    (the fixed rate, or a linked rule's cap; missing: no cap), ``payments_krw_bn`` (one
    amount per year of the term), their ``total_krw_bn`` and ``total_discounted_krw_bn``
    (at ``new_agreement.discount_pct``); missing without a deal. The side items:
    ``in_kind_pct`` (share paid in kind) and ``wage_share_pct`` (share earmarked for the
    Korean employees' wages), as agreed (the stated shares without a deal).
    """

    agreed: bool
    agreement_month: str | None
    amount_krw_bn: float | None
    amount_usd_m: float | None
    increase_pct: float | None
    gap_months: int
    censored: bool
    rounds_held: int
    walkouts: int
    vetoes: int
    tentative_deals: int
    term_years: int
    lead_months: int = 0
    initialled_month: str | None = None
    ratified: bool = False
    ratified_month: str | None = None
    rejections: int = 0
    us_leader_change_month: str | None = None
    rok_leader_change_month: str | None = None
    escalator: str = "none"
    escalator_pct: float | None = 0.0
    payments_krw_bn: tuple[float, ...] | None = None  # a tuple: an Outcome stays hashable
    total_krw_bn: float | None = None
    total_discounted_krw_bn: float | None = None
    in_kind_pct: float = 0.0
    wage_share_pct: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no NaN; the payment path as a list, as JSON reads it back)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and math.isnan(value):
                out[key] = None
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out
