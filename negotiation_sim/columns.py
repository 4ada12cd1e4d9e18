"""What every summary column means, in one place: ``summarize --help``, docs/batches.md,
the figures' labels and the HTML report read it. Plain text only (no numpy or pandas), so
``--help`` stays light.

Terms: a *gap month* is a month after the agreement in force has expired with no new
agreement yet (a run agreeing in 2021-02 after an expiry in 2019-12 has 14); a run
agreed *before expiry* has no gap month (it agreed in or before the expiry month); *lead
months* are the expiry month minus the agreement month (positive: agreed that many
months early; negative: minus the gap). Shares are of valid runs; amount, increase and
lead are among runs that agreed; pXX is the XXth percentile (numpy's linear method).
"""

from __future__ import annotations

# summary.csv / summarize() columns (after the group and the swept parameters).
COLUMNS: dict[str, str] = {
    "group": "which runs the row covers: 'all', one swept parameter, or 'a x b' (joint)",
    "runs": "runs in the group",
    "failed": "runs that failed (invalid parameters or an error); left out of every statistic",
    "agreement_rate": "share of valid runs that agreed by the horizon",
    "agreed_before_expiry": "share of valid runs that agreed before the agreement in force "
                            "expired (no gap month)",
    "gap_share": "share of valid runs with at least one gap month",
    "gap_mean": "mean gap months (a run with no deal counts its gap up to the horizon)",
    "gap_p10": "10th percentile of gap months",
    "gap_median": "median gap months",
    "gap_p90": "90th percentile of gap months",
    "lead_p10": "10th percentile of lead months (expiry minus agreement month), agreed runs",
    "lead_median": "median lead months: positive = agreed early, negative = the gap",
    "lead_p90": "90th percentile of lead months",
    "censored": "runs with no agreement by the horizon",
    "amount_mean": "mean first-year amount agreed, bn won",
    "amount_p10": "10th percentile of the amount agreed, bn won",
    "amount_median": "median amount agreed, bn won",
    "amount_p90": "90th percentile of the amount agreed, bn won",
    "increase_mean": "mean increase of the amount over the agreement in force, %",
    "increase_p10": "10th percentile of the increase, %",
    "increase_median": "median increase, %",
    "increase_p90": "90th percentile of the increase, %",
    # only when the scenario negotiates the term (new_agreement.term_years_range)
    "term_p10": "10th percentile of the term agreed, years (when the term is negotiated)",
    "term_median": "median term agreed, years (when the term is negotiated)",
    "term_p90": "90th percentile of the term agreed, years (when the term is negotiated)",
    # only when the scenario negotiates the escalator (new_agreement.escalator_pct_range)
    "escalator_pct_p10": "10th percentile of the escalator agreed (fixed rate or a linked "
                         "rule's cap), % a year (when the escalator is negotiated)",
    "escalator_pct_median": "median escalator agreed, % a year (when negotiated)",
    "escalator_pct_p90": "90th percentile of the escalator agreed, % a year (when negotiated)",
    "cap_binds_share": "share of agreed runs whose cap on a CPI- or budget-linked escalator "
                       "binds (is below the linked rise in some later year of the term)",
    # only when the scenario negotiates a side item (new_agreement.in_kind_pct_range,
    # new_agreement.wage_share_pct_range)
    "in_kind_pct_p10": "10th percentile of the share of the amount paid in kind, % (when "
                       "negotiated)",
    "in_kind_pct_median": "median share paid in kind, % (when negotiated)",
    "in_kind_pct_p90": "90th percentile of the share paid in kind, % (when negotiated)",
    "wage_share_pct_p10": "10th percentile of the share of the amount earmarked for the "
                          "Korean employees' wages, % (when negotiated)",
    "wage_share_pct_median": "median wage share, % (when negotiated)",
    "wage_share_pct_p90": "90th percentile of the wage share, % (when negotiated)",
}

# The printed table's columns (summarize, sweep) and what each shows.
PRINTED: dict[str, str] = {
    "runs": "runs in the group",
    "failed": "runs that failed",
    "agreed %": "share of valid runs that agreed by the horizon",
    "before expiry %": "share that agreed before the agreement in force expired (no gap)",
    "gap %": "share with at least one gap month",
    "gap months p50 [p10, p90]": "median gap months and the 10th and 90th percentiles",
    "lead months p50 [p10, p90]": "months between agreement and expiry (agreed runs; + = "
                                 "early, - = late)",
    "censored": "runs with no agreement by the horizon",
    "amount bn won p50 [p10, p90]": "first-year amount agreed, median, 10th and 90th percentiles",
    "increase % p50": "median increase over the agreement in force",
}
# Printed after those when the scenario negotiates the term, the escalator or a side item.
PACKAGE_PRINTED: dict[str, str] = {
    "term years p50 [p10, p90]": "term agreed (only when the term is negotiated)",
    "escalator % p50 [p10, p90]": "escalator agreed: fixed rate or cap (only when negotiated)",
    "cap binds %": "share of agreed runs whose escalator cap binds (linked rules, negotiated)",
    "in kind % p50 [p10, p90]": "share of the amount paid in kind (only when negotiated)",
    "wage share % p50 [p10, p90]": "share earmarked for the Korean employees' wages (only "
                                   "when negotiated)",
}

# Statistics a figure can show (summarize --plot --metric), with their axis labels.
PLOT_METRICS: dict[str, str] = {
    "agreed_before_expiry": "share agreed before expiry",
    "gap_median": "median gap months",
    "lead_median": "median lead months (+ early, - late)",
    "increase_median": "median increase (%)",
    "agreement_rate": "share agreed",
    "gap_share": "share with a gap",
    "amount_median": "median amount (bn won)",
    "term_median": "median term (years; negotiated term)",
    "escalator_pct_median": "median escalator (%; negotiated escalator)",
    "cap_binds_share": "share of caps that bind (negotiated cap)",
    "in_kind_pct_median": "median share paid in kind (%; negotiated)",
    "wage_share_pct_median": "median wage share (%; negotiated)",
}
DEFAULT_HEATMAPS = ("agreed_before_expiry", "gap_median")
CURVES_FIGURE = "response_curves.png"
HISTOGRAM_FIGURE = "gap_histogram.png"


def heatmap_figure(metric: str) -> str:
    """File name of the heatmap of ``metric``."""
    return f"heatmap_{metric}.png"


FIGURES = (CURVES_FIGURE, HISTOGRAM_FIGURE, *(heatmap_figure(m) for m in PLOT_METRICS))


def help_text() -> str:
    """The column definitions as ``summarize --help`` prints them."""
    width = max(len(k) for k in PRINTED | PACKAGE_PRINTED)
    lines = ["printed columns:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in (PRINTED | PACKAGE_PRINTED).items()]
    lines += ["", "summary.csv also has (see docs/batches.md):"]
    width = max(len(k) for k in COLUMNS)
    lines += [f"  {name:<{width}}  {text}" for name, text in COLUMNS.items()]
    lines += ["", "gap month: a month after the agreement in force expired with no new one;",
              "lead months: expiry month minus agreement month; pXX: XXth percentile."]
    return "\n".join(lines)


def reference_tables() -> str:
    """The column definitions as the Markdown tables of docs/batches.md."""
    lines = ["| printed column | what it shows |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in (PRINTED | PACKAGE_PRINTED).items()]
    lines += ["", "| summary.csv column | what it holds |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in COLUMNS.items()]
    lines += ["", "| `--metric` | figure label |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in PLOT_METRICS.items()]
    return "\n".join(lines) + "\n"
