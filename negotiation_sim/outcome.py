"""What a run reports: the outcome record and the per-month trace schema."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# Outcome fields every engine and every batch table carries, in this order.
OUTCOME_FIELDS = (
    "agreed", "agreement_month", "amount_krw_bn", "amount_usd_m", "increase_pct",
    "gap_months", "censored", "rounds_held", "walkouts", "vetoes", "tentative_deals",
    "term_years",
)

# Per-month trace columns (model reporters of the DataCollector).
TRACE_FIELDS = (
    "month", "round_held", "us_offer", "rok_offer", "distance", "us_bottom_line",
    "rok_bottom_line", "in_gap", "gap_months", "us_leader", "rok_leader", "events", "agreed",
    "deal_amount",  # amount initialled this month (vetoed or agreed), else NaN
)


@dataclass(frozen=True)
class Outcome:
    """A run's result. Amounts in KRW billion; ``agreement_month`` is 'YYYY-MM'."""

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no NaN)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and math.isnan(value):
                out[key] = None
        return out
