"""The Mesa dashboard: sliders, step / play / reset, the live negotiation dance, the outcome.

A Solara app (``page``) built on ``mesa.visualization.SolaraViz``. Start it with
``negotiation-sim dashboard CONFIG [--port N]``, which passes the scenario file in the
environment variable ``NEGOTIATION_SIM_CONFIG`` (and the first seed in
``NEGOTIATION_SIM_SEED``) and runs ``solara run`` on this file, bound to 127.0.0.1.

Each browser session gets its own model. The sliders are flat scenario keys
(``us_opening``, ``rok_tactic_beta``, ...) that ``SMAModel`` takes as keywords; moving
one and pressing Reset rebuilds the model with it. Works with Mesa 3.3 and 3.5.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

# Two Solara warnings that are not about this app, filtered exactly (this module is the
# app Solara runs, so the filters are in place before Mesa's components are defined):
# - Solara's rules-of-hooks check flags Mesa's own ComponentsView (mesa/visualization/
#   solara_viz.py) when mesa.visualization is imported;
# - Solara's page handler warns on every page served over http on a host other than
#   "localhost" that its session cookie falls back to samesite=lax, which is what a
#   dashboard bound to 127.0.0.1 wants.
SOLARA_NOISE = (
    (r".*solara_viz\.py:\d+: ComponentsView: `use_state` found despite early return",
     "solara.validate_hooks"),
    (r"Cookies with samesite=none require https", "solara.server.starlette"),
)
for _message, _module in SOLARA_NOISE:
    warnings.filterwarnings("ignore", message=_message, category=UserWarning, module=_module)

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from ..formatting import negotiated_items, package_text  # noqa: E402
from ..model import SMAModel  # noqa: E402
from ..scenario import Scenario, load_scenario  # noqa: E402
from ..tactics import OFFERING  # noqa: E402
from .dance import dance_figure  # noqa: E402

CONFIG_ENV = "NEGOTIATION_SIM_CONFIG"
SEED_ENV = "NEGOTIATION_SIM_SEED"
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "sma11.toml"
PLAY_INTERVAL_MS = 150


class DashboardModel(SMAModel):
    """``SMAModel`` as SolaraViz builds and rebuilds it.

    The scenario file comes as ``config`` (a fixed dashboard parameter), the sliders as
    flat keywords. Mesa 3.5's Reset also passes ``scenario=`` holding Mesa's own
    ``mesa.experimental.scenarios.Scenario`` (Mesa reserves ``Model.scenario``); that
    object carries no settings of this model, so only a real scenario or path is used.
    The catch-all is named ``kwargs`` because Mesa 3.3's parameter check looks for it.
    """

    def __init__(self, config: str | Path = DEFAULT_CONFIG, *, rng: Any = None,
                 scenario: Any = None, collect: bool = True, **kwargs: Any) -> None:
        source = scenario if isinstance(scenario, Scenario | str | Path) else config
        super().__init__(source, rng=rng, collect=collect, **kwargs)


def _nice_step(span: float) -> float:
    """A round slider step giving about a hundred positions over ``span``."""
    return 10.0 ** math.floor(math.log10(span / 100.0)) if span > 0 else 1.0


def _slider(label: str, value: float, low: float, high: float) -> dict[str, Any]:
    """A float slider over [low, high] rounded inward to its step (so two sliders split
    at one point never overlap), always containing ``value`` on its grid: the browser's
    slider snaps to the grid and would otherwise move the default (1,142.8 -> 1,143)."""
    step = _nice_step(high - low)
    while step > 1e-6 and abs(value / step - round(value / step)) > 1e-6:
        step /= 10.0
    low = min(math.ceil(round(low / step, 9)) * step, value)
    high = max(math.floor(round(high / step, 9)) * step, value)
    return {"type": "SliderFloat", "label": label, "value": float(value),
            "min": round(low, 6), "max": round(high, 6), "step": step}


def model_params(scenario: Scenario, config: str | Path, seed: int = 0) -> dict[str, Any]:
    """SolaraViz parameters: the fixed scenario file and seed slider, then one slider per
    main parameter, with ranges that keep every combination a valid scenario (a US
    bottom line never above the US opening, a ROK one never below the ROK opening), then
    each side's foresight and, with ``[opinion]``, the ROK public's win-set and its
    response to the US demand (``two_level_params``)."""
    params: dict[str, Any] = {
        "config": str(config),
        "rng": {"type": "SliderInt", "label": "seed", "value": seed, "min": 0, "max": 199,
                "step": 1},
    }
    for side in ("us", "rok"):
        s = scenario.side(side)
        name = side.upper()
        mid = (s.opening + s.bottom_line) / 2.0
        if side == "us":  # demands more: opening above bottom line
            split = min(mid, s.bottom_line * 1.3)
            bl_range = (s.bottom_line * 0.7, split)
            open_range = (max(split, s.opening * 0.5), s.opening * 1.5)
        else:  # offers less: opening below bottom line (its ceiling)
            split = max(mid, s.bottom_line * 0.7)
            bl_range = (split, s.bottom_line * 1.3)
            open_range = (s.opening * 0.5, min(split, s.opening * 1.3))
        params[f"{side}_opening"] = _slider(f"{name} opening (bn won)", s.opening, *open_range)
        params[f"{side}_bottom_line"] = _slider(f"{name} bottom line (bn won)", s.bottom_line,
                                                *bl_range)
        beta = next((p for p in OFFERING[s.tactic].params if p.name == "beta"), None)
        if beta is not None and beta.high > beta.low:
            value = float(s.tactic_params.get("beta", beta.default))
            high = min(beta.high, max(3.0 * value, beta.low + 1.0, 2.0))
            params[f"{side}_tactic_beta"] = _slider(f"{name} {s.tactic} beta", value,
                                                    beta.low, high)
        params[f"{side}_gap_sensitivity"] = _slider(
            f"{name} gap sensitivity (bn won / cost unit)", s.gap_sensitivity, 0.0,
            max(3.0 * s.gap_sensitivity, 1.0))
        threshold = s.principal.veto_threshold
        if threshold is not None:
            params[f"{side}_principal_veto_threshold"] = _slider(
                f"{name} leader's veto threshold (bn won)", threshold, threshold * 0.7,
                threshold * 1.3)
    params.update(two_level_params(scenario))
    return params


def two_level_params(scenario: Scenario) -> dict[str, Any]:
    """Sliders for the two-level game: ``us_foresight`` and ``rok_foresight`` (0-1), and,
    when the scenario has ``[opinion]``, the win-set with no opposition
    (``opinion_max_increase_pct``) and the weight of the US demand in the public's
    opposition (``opinion_demand_weight``)."""
    params = {f"{side}_foresight": _slider(f"{side.upper()} foresight (0 none, 1 full)",
                                           scenario.side(side).foresight, 0.0, 1.0)
              for side in ("us", "rok")}
    if scenario.package.negotiated:  # what each side expects the next agreement to bring
        for side in ("us", "rok"):
            value = scenario.side(side).renewal_pct
            params[f"{side}_renewal_pct"] = _slider(
                f"{side.upper()} expected change at renewal (%)", value, min(0.0, value),
                max(60.0, 2.0 * value))
    op = scenario.opinion
    if op is not None:
        params["opinion_max_increase_pct"] = _slider(
            "ROK win-set with no opposition (% increase)", op.max_increase_pct, 0.0,
            max(3.0 * op.max_increase_pct, 100.0))
        params["opinion_demand_weight"] = _slider(
            "ROK public's response to the US demand", op.demand_weight, 0.0,
            max(3.0 * op.demand_weight, 1.0))
    return params


@solara.component
def DancePlot(model: SMAModel) -> None:
    """The negotiation dance so far, redrawn after every step."""
    update_counter.get()
    sc = model.settings
    fig = dance_figure(model.trace(), sc, model.outcome(), seed=model.seed,
                       horizon_months=sc.n_months, detached=True, size=(8.0, 5.4))
    with solara.Column(classes=["dance-plot"]):
        solara.FigureMatplotlib(fig, format="png")


@solara.component
def OutcomePanel(model: SMAModel) -> None:
    """Where the talks stand: month, status, offers, bottom lines and counts."""
    update_counter.get()
    sc = model.settings
    out = model.outcome()
    months = model.month_index
    us, rok = model.negotiators["us"], model.negotiators["rok"]
    if out.agreed:
        status = (f"**Agreed** {out.agreement_month}: {out.amount_krw_bn:,.1f} bn won "
                  f"(USD {out.amount_usd_m:,.0f}M), {out.increase_pct:+.1f}% on "
                  f"{sc.amount_in_force:,.1f}; gap {out.gap_months} months")
    elif not model.running:
        status = f"**No agreement** by the horizon: {out.gap_months}-month gap (censored)"
    elif months == 0:
        status = "**Not started**: press Step or Play"
    else:
        status = "**Negotiating**" + (f", in a gap of {out.gap_months} months"
                                      if out.gap_months else "")
    month = sc.month_label(months - 1) if months else "-"
    rows = [
        ("status", status),
        ("month", f"{month} ({months} of {sc.n_months} months simulated)"),
        ("last offers", f"US {us.offer:,.1f} / ROK {rok.offer:,.1f} bn won"
         if months and math.isfinite(us.offer) else "-"),
        ("bottom lines", f"US {us.bottom_line:,.1f} / ROK {rok.bottom_line:,.1f} bn won"),
        ("rounds held", str(out.rounds_held)),
        ("walk-outs", str(out.walkouts)),
        ("tentative deals / vetoes", f"{out.tentative_deals} / {out.vetoes}"),
        *_ratification_rows(sc, out),
        *_package_rows(sc, model, out),
        ("leaders", f"US {model.principals['us'].label}, ROK {model.principals['rok'].label}"),
    ]
    table = "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])
    with solara.Card("Outcome", classes=["outcome-panel"]):
        solara.Markdown(table)


def _package_rows(sc: Scenario, model: SMAModel, out: Any) -> list[tuple[str, str]]:
    """The packages on the table and, once agreed, the agreement's package and payments
    (only when the scenario negotiates term, escalator or a side item; a side item's share
    when it is negotiated)."""
    space = sc.package
    if not space.negotiated:
        return []
    rule = space.escalator
    rows = []
    if model.month_index:
        trace = model.trace().iloc[-1]
        offers = [f"{side.upper()} " + package_text(
                      rule, trace[f"{side}_offer_term"], trace[f"{side}_offer_escalator_pct"],
                      items=negotiated_items(space, trace, f"{side}_offer_"))
                  for side in ("us", "rok") if math.isfinite(trace[f"{side}_offer_term"])]
        rows.append(("packages on the table", " / ".join(offers) or "-"))
    if out.agreed:
        paid = out.payments_krw_bn or ()
        rows.append(("agreed package", package_text(
            rule, out.term_years, out.escalator_pct, long=True,
            items=negotiated_items(space, out.to_dict()))))
        rows.append(("payments", f"{out.total_krw_bn:,.1f} bn won in all: "
                     + ", ".join(f"{x:,.1f}" for x in paid)))
    return rows


def _ratification_rows(sc: Scenario, out: Any) -> list[tuple[str, str]]:
    """The initialled and ratified months (and rejections) when a legislature votes."""
    if not sc.ratification:
        return []
    if out.ratified_month:
        ratified = out.ratified_month
    elif out.initialled_month:
        ratified = "awaiting the vote"
    else:
        ratified = "-"
    return [("initialled", out.initialled_month or "-"), ("ratified", ratified),
            ("rejected deals", str(out.rejections))]


def _seed() -> int:
    text = os.environ.get(SEED_ENV, "0")
    return int(text) if text.isdigit() else 0


@solara.component
def Page() -> None:
    """One model per browser session, from the scenario file named in the environment.

    SolaraViz gives the app bar, the controls (step / play / reset) and the parameter
    sliders; the dance and the outcome are laid out here, full width, because Mesa's
    component grid puts each component in a half-width cell. The model is a reactive
    value shared with SolaraViz, so Reset's new model reaches both panels.
    """
    config = os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG)
    seed = _seed()
    scenario = solara.use_memo(lambda: load_scenario(config), [config])
    first = solara.use_memo(lambda: DashboardModel(config=config, rng=seed), [config, seed])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(scenario, config, seed), [config, seed])
    SolaraViz(model, components=[], model_params=params,
              name=f"negotiation_sim: {scenario.name}", play_interval=PLAY_INTERVAL_MS)
    with solara.Columns([5, 2], style={"padding": "8px 16px"}):
        DancePlot(model.value)
        OutcomePanel(model.value)


page = Page()
