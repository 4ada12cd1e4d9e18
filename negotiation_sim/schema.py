"""The scenario file's keys: type, default, bounds, unit and meaning of each.

Event kinds keep their own keys (``events``); they are re-exported here.

This table is the single source for validation, for ``--set`` overrides, for the
flat keyword names the Mesa model accepts, and for the parameter tables in
``docs/scenarios.md``.
"""

from __future__ import annotations

from . import opinion, packages, ratification
from .events import EVENT_COMMON, EVENT_TYPES, EVENTS, SHOCK_TARGETS
from .fields import REQUIRED, SIDES, Field, amount
from .fields import number as _num

__all__ = ["EVENTS", "EVENT_COMMON", "EVENT_TYPES", "REQUIRED", "SECTIONS", "SHOCK_TARGETS",
           "SIDES", "Field", "reference_tables"]


SCENARIO = {
    "name": Field("text", doc="scenario name (used for results folders)"),
    "description": Field("text", "", doc="free text"),
    "talks_start": Field("month", doc="month of the first formal round (model step 0)"),
    "horizon": Field("month", doc="last month simulated; no deal by then is censored"),
    "krw_per_usd": _num(1150.0, 100.0, 5000.0, "KRW per USD", "display rate for USD amounts"),
}
AGREEMENT_IN_FORCE = {
    "amount_krw_bn": _num(low=1.0, unit="KRW bn", doc="annual amount of the agreement in force"),
    "expires": Field("month", doc="last month covered by the agreement in force"),
    "floor": Field("boolean", True, doc="the new first-year amount never falls below the "
                   "amount in force: the US bottom line stops there however long the gap "
                   "(false: gap pressure may take it lower, and a deal may be a cut)"),
}
# What each side item (``packages.SIDE_ITEMS``) is: a KRW of the amount that is ...
SIDE_ITEM_DOCS = {
    "in_kind": "paid in kind (construction and logistics) rather than in cash",
    "wage_share": "earmarked for the Korean employees' wages (the wage carve-out)",
}


def _side_item_keys(item: str) -> dict[str, Field]:
    """``[new_agreement]``'s keys of one side item: its stated share, range and step."""
    what = SIDE_ITEM_DOCS[item]
    return {
        f"{item}_pct": _num(0.0, 0.0, 100.0, "%", f"side item: share of the amount {what}; "
                            "the stated share, at which amounts in money are meant"),
        f"{item}_pct_range": Field("numbers", None, 0.0, 100.0, unit="%", doc=f"[low, high] "
                                   f"of the negotiated {item}_pct; absent: {item}_pct, fixed"),
        f"{item}_pct_step": _num(10.0, 0.5, 100.0, "%", f"{item}_pct is negotiated in steps "
                                 "of about this size"),
    }


def _side_item_value(item: str) -> Field:
    """A side's ``{item}_value_pct``: what the item is worth to it relative to cash."""
    return _num(0.0, -100.0, 100.0, "%", f"side item: what a KRW {SIDE_ITEM_DOCS[item]} "
                "is worth to this side, in % more or less than a KRW in cash (US below 0: "
                "worth less to it; ROK below 0: costs it less)")


NEW_AGREEMENT = {
    "term_years": Field("integer", 1, 1, 10, unit="years", doc="term of the new agreement; "
                        "when negotiated, the reference term amounts are meant in"),
    "term_years_range": Field("numbers", None, 1, 10, unit="years", doc="[shortest, longest] "
                              "term the sides negotiate over; absent: term_years, fixed"),
    "escalator": Field("choice", "none", choices=packages.ESCALATORS,
                       doc="rule for the years after the first: flat, a fixed rate, CPI-linked "
                       "or ROK defence-budget-linked"),
    "escalator_pct": _num(0.0, -20.0, 50.0, "% a year", "the fixed rate (escalator = fixed)"),
    "escalator_cap_pct": _num(None, -20.0, 50.0, "% a year", "cap on a CPI- or budget-linked "
                              "rise; absent: no cap"),
    "escalator_pct_range": Field("numbers", None, -20.0, 50.0, unit="% a year",
                                 doc="[low, high] of the negotiated escalator number: the "
                                 "fixed rate, or the cap of a linked rule; absent: fixed"),
    "escalator_pct_step": _num(0.5, 0.01, 10.0, "% a year", "the escalator is negotiated "
                               "in steps of about this size (as terms in whole years)"),
    "cpi_pct": Field("numbers", list(packages.RECORD_CPI_PCT), -20.0, 50.0, unit="% a year",
                     doc="CPI rise applied in years 2, 3, ... (the last repeats); default: the "
                     "rises the 8th-9th SMAs applied (data/sma_yearly.csv)"),
    "budget_growth_pct": Field("numbers", list(packages.RECORD_BUDGET_GROWTH_PCT), -20.0, 50.0,
                               unit="% a year", doc="ROK defence-budget growth applied in years "
                               "2, 3, ... (the last repeats); default: the 11th SMA's 2022-25 "
                               "rises (data/sma_yearly.csv)"),
    "discount_pct": _num(0.0, 0.0, 50.0, "% a year", "discount rate of total_discounted_krw_bn"),
    **{key: spec for item in packages.SIDE_ITEMS for key, spec in _side_item_keys(item).items()},
}
ROUNDS = {
    "protocol": Field("choice", "alternating", choices=("alternating", "simultaneous"),
                      doc="alternating offers, or simultaneous offers settling when they cross"),
    "first_mover": Field("choice", "us", choices=SIDES, doc="alternating: who proposes first"),
    "settlement": Field("choice", "split", choices=("split", "us", "rok"),
                        doc="simultaneous: crossed offers settle at the midpoint, or at one "
                        "side's offer"),
    "every_months": Field("integer", 1, 1, 120, unit="months", doc="a round every k months "
                          "from talks_start (ignored when months is given)"),
    "months": Field("months", None, doc="explicit round months (overrides every_months)"),
    "dates": Field("dates", None, doc="round dates 'YYYY-MM-DD', up to 4 in a month, each a "
                   "round (overrides months and every_months)"),
}
NEGOTIATOR = {
    "opening": amount(doc="opening demand (first-year amount)"),
    "bottom_line": amount(None, "initial mandate: worst acceptable amount (or give "
                          "bottom_line_utility)"),
    "bottom_line_utility": _num(None, 0.0, 1.0, "", "packages: the initial mandate as a "
                                "utility instead, 0 at this side's worst package (the "
                                "opponent's opening with the terms worst for this side) to 1 "
                                "at its ideal; the amount under the stated package with that "
                                "value becomes the bottom line (no further than the opening)"),
    "gap_cost": _num(1.0, 0.0, 1e4, "cost units / month", "cost this side bears per gap month"),
    "gap_sensitivity": _num(0.0, 0.0, 1e5, "KRW bn / cost unit",
                            "bottom-line move per unit of accumulated gap cost"),
    "foresight": _num(0.0, 0.0, 1.0, "", "how much the negotiator anticipates a scheduled "
                      "election: hurries before a worse counterpart or its own leader's exit, "
                      "stalls for a friendlier one (0: not at all)"),
    "renewal_pct": _num(0.0, -50.0, 100.0, "%", "packages: change this side expects the next "
                        "agreement to bring over the last year's amount (the US expecting a "
                        "rise values short terms, the ROK long ones)"),
    "package_choice": Field("choice", "tradeoff", choices=("tradeoff", "proportional"),
                            doc="packages: which package with the tactic's target utility to "
                            "offer: the one closest to the opponent's last offer (Faratin et "
                            "al. 2002), or every issue conceded in proportion"),
    **{f"{item}_value_pct": _side_item_value(item) for item in packages.SIDE_ITEMS},
}
PRINCIPAL = {
    "label": Field("text", "leader", doc="who the principal is (shown in traces)"),
    "veto_threshold": amount(None, "US vetoes deals below it, ROK above it; absent: never "
                             "vetoes"),
    "veto_probability": _num(1.0, 0.0, 1.0, "", "chance a deal past the threshold is vetoed"),
    "reset_demand": amount(None, "demand after a veto (default: threshold)"),
}
TACTIC = {"name": Field("text", doc="offering tactic (see `negotiation-sim tactics`)")}
ACCEPTANCE = {"name": Field("text", "ac_next", doc="acceptance rule")}

SECTIONS: dict[str, dict[str, Field]] = {
    "scenario": SCENARIO,
    "agreement_in_force": AGREEMENT_IN_FORCE,
    "new_agreement": NEW_AGREEMENT,
    "rounds": ROUNDS,
    **{side: NEGOTIATOR for side in SIDES},
    **{f"{side}.principal": PRINCIPAL for side in SIDES},
    **{f"{side}.tactic": TACTIC for side in SIDES},
    **{f"{side}.acceptance": ACCEPTANCE for side in SIDES},
    "opinion": opinion.SETTINGS,
    **{f"ratification.{side}": ratification.SETTINGS for side in SIDES},
}
OPTIONAL_SECTIONS = {"new_agreement", "rounds", "us.principal", "rok.principal",
                     "us.acceptance", "rok.acceptance"}


# The sub-tables of a side, as rows of its reference table (checked in scenario._check_side).
SIDE_TABLES = [
    "| `tactic` | `{ name = \"NAME\", PARAM = value, ... }` or `\"NAME\"` | **required** |  | "
    "offering tactic and its parameters (see Tactics below; a missing parameter takes the "
    "tactic's default) |",
    "| `acceptance` | `{ name = \"NAME\", PARAM = value, ... }` or `\"NAME\"` | "
    "`{ name = \"ac_next\" }` |  | acceptance rule and its parameters |",
    "| `principal` | a `[us.principal]` / `[rok.principal]` table | no veto |  | the side's "
    "leader (below) |",
]


def _fmt_default(spec: Field) -> str:
    if spec.default is REQUIRED:
        return "**required**"
    if spec.default is None:
        return "absent"
    if isinstance(spec.default, bool):
        return f"`{str(spec.default).lower()}`"
    return f"`{spec.default!r}`" if not isinstance(spec.default, str) else f"`\"{spec.default}\"`"


def allowed_text(spec: Field, key: str) -> str:
    """What a key accepts, in Markdown (the reference tables and ``new``'s comments)."""
    if spec.money:
        return (f"number in [{spec.low:g}, {spec.high:g}] (KRW bn); or `{key}_usd_m` = "
                "US$ m (at `krw_per_usd`); or `\"+10%\"` / `\"-5%\"` of the amount in force")
    if spec.kind == "choice":
        return " / ".join(f"`{c}`" for c in spec.choices)
    if spec.kind in ("number", "integer"):
        return f"{spec.kind} in [{spec.low:g}, {spec.high:g}]"
    if spec.kind == "numbers":
        return f"list of numbers in [{spec.low:g}, {spec.high:g}]"
    return {"month": "`YYYY-MM`", "months": "list of `YYYY-MM`", "text": "text",
            "boolean": "`true` / `false`", "dates": "list of `YYYY-MM-DD`"}[spec.kind]


def reference_tables() -> str:
    """Markdown tables of every key (embedded in docs/scenarios.md, checked by a test)."""
    blocks = []
    shown = [("scenario", SCENARIO), ("agreement_in_force", AGREEMENT_IN_FORCE),
             ("new_agreement", NEW_AGREEMENT), ("rounds", ROUNDS),
             ("us / rok", NEGOTIATOR), ("us.principal / rok.principal", PRINCIPAL)]
    shown += [(f"events (type = \"{kind}\")", fields) for kind, fields in EVENTS.items()]
    shown += [("opinion", opinion.SETTINGS), ("opinion.cohorts (array of tables)", opinion.COHORT),
              ("ratification.rok / ratification.us", ratification.SETTINGS),
              ("ratification.<side>.blocs (array of tables)", ratification.BLOC)]
    for title, fields in shown:
        lines = [f"#### [{title}]", "", "| key | allowed | default | unit | meaning |",
                 "|---|---|---|---|---|"]
        for key, spec in fields.items():
            lines.append(f"| `{key}` | {allowed_text(spec, key)} | {_fmt_default(spec)} | "
                         f"{spec.unit} | {spec.doc} |")
        if fields is NEGOTIATOR:
            lines += SIDE_TABLES
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
