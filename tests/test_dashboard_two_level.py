"""The dashboard's two-level controls: foresight and opinion sliders reach the model, and
the outcome panel tells when the deal was initialled and ratified."""

from __future__ import annotations

import re

import pytest

from negotiation_sim.api import run

from .conftest import CONFIGS

pytest.importorskip("solara")
dashboard = pytest.importorskip("negotiation_sim.viz.dashboard")

RACE = CONFIGS / "election_race.toml"
TWO_LEVEL = ("us_foresight", "rok_foresight", "opinion_max_increase_pct",
             "opinion_demand_weight")


def _params(path):
    scenario = run(path, seed=0, trace=False).scenario
    return scenario, dashboard.model_params(scenario, path)


def test_foresight_and_opinion_sliders_start_at_the_scenarios_values():
    scenario, params = _params(RACE)
    for side in ("us", "rok"):
        spec = params[f"{side}_foresight"]
        assert (spec["min"], spec["max"], spec["value"]) == (0.0, 1.0, 1.0)
        assert spec["label"] == f"{side.upper()} foresight (0 none, 1 full)"
    win_set, demand = params["opinion_max_increase_pct"], params["opinion_demand_weight"]
    assert win_set["value"] == scenario.opinion.max_increase_pct == 30.0
    assert demand["value"] == scenario.opinion.demand_weight == 0.2
    assert win_set["min"] == 0.0 and win_set["max"] >= 100.0
    assert demand["min"] == 0.0 and demand["max"] >= 1.0


def test_no_opinion_sliders_without_opinion():
    scenario, params = _params(CONFIGS / "sma9.toml")
    assert scenario.opinion is None
    assert {"us_foresight", "rok_foresight"} <= set(params)
    assert not [k for k in params if k.startswith("opinion_")]


def test_the_sliders_change_the_model():
    """Slider values reach model.settings and the run: with no foresight, seed 0 of
    election_race no longer closes before the inauguration (it does with foresight)."""
    model = dashboard.DashboardModel(config=str(RACE), rng=0, us_foresight=0.25,
                                     rok_foresight=0.0, opinion_max_increase_pct=12.0,
                                     opinion_demand_weight=0.5)
    sc = model.settings
    assert (sc.us.foresight, sc.rok.foresight) == (0.25, 0.0)
    assert (sc.opinion.max_increase_pct, sc.opinion.demand_weight) == (12.0, 0.5)

    ahead = dashboard.DashboardModel(config=str(RACE), rng=0).run()
    blind = dashboard.DashboardModel(config=str(RACE), rng=0, us_foresight=0.0,
                                     rok_foresight=0.0).run()
    assert ahead.initialled_month == "2031-11"  # before the 2032-01 inauguration
    assert blind.initialled_month != ahead.initialled_month
    same = run(RACE, seed=0, overrides={"us.foresight": 0.0, "rok.foresight": 0.0}).outcome
    assert _comparable(blind) == _comparable(same)


def _comparable(outcome) -> dict:
    """An outcome's fields with NaN (no amount without a deal) as None, to compare."""
    return {k: None if isinstance(v, float) and v != v else v
            for k, v in outcome.to_dict().items()}


@pytest.mark.parametrize("name", ["election_race", "sma11"])
def test_every_two_level_slider_end_is_a_valid_scenario(name):
    _, params = _params(CONFIGS / f"{name}.toml")
    for key in TWO_LEVEL:
        for end in ("min", "max"):
            model = dashboard.DashboardModel(config=str(CONFIGS / f"{name}.toml"), rng=0,
                                             **{key: params[key][end]})
            model.step()
            assert len(model.trace()) == 1


def _panel_html(model) -> str:
    import ipyvue
    import solara

    _box, rc = solara.render(dashboard.OutcomePanel(model), handle_error=False)
    return " ".join(w.template for w in rc.find(ipyvue.VueTemplate).widgets)


def _cell(html: str, row: str) -> str:
    found = re.search(rf"<td>{re.escape(row)}</td>\s*<td>(.*?)</td>", html)
    assert found, f"no row {row!r} in the outcome panel"
    return found.group(1)


def test_outcome_panel_shows_the_initialled_and_ratified_months():
    model = dashboard.DashboardModel(config=str(RACE), rng=0)
    out = None
    while model.running:  # stop in the wait between initialling and the vote
        model.step()
        out = model.outcome()
        if out.initialled_month:
            break
    html = _panel_html(model)
    assert _cell(html, "initialled") == out.initialled_month == "2031-11"
    assert _cell(html, "ratified") == "awaiting the vote"
    while model.running:
        model.step()
    out = model.outcome()
    html = _panel_html(model)
    assert (_cell(html, "initialled"), _cell(html, "ratified")) == ("2031-11", "2032-03")
    assert (out.initialled_month, out.ratified_month) == ("2031-11", "2032-03")
    assert _cell(html, "rejected deals") == "0"


def test_outcome_panel_has_no_ratification_rows_without_a_legislature():
    model = dashboard.DashboardModel(config=str(CONFIGS / "sma9.toml"), rng=0)
    model.run()
    html = _panel_html(model)
    assert "<td>status</td>" in html and "<td>initialled</td>" not in html


def test_page_renders_election_race_with_the_ratification_rows(monkeypatch):
    import ipywidgets
    import solara

    monkeypatch.setenv(dashboard.CONFIG_ENV, str(RACE))
    _box, rc = solara.render(dashboard.Page(), handle_error=False)
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 1 and bytes(images[0].value[:8]) == b"\x89PNG\r\n\x1a\n"
    import ipyvue

    html = " ".join(w.template for w in rc.find(ipyvue.VueTemplate).widgets)
    assert (_cell(html, "initialled"), _cell(html, "ratified")) == ("-", "-")  # not started


def test_renewal_sliders_and_the_package_rows_appear_when_the_package_is_negotiated():
    """sma10 negotiates the term: each side's expected renewal gets a slider that reaches
    the model, and the panel shows the packages on the table and the agreed one."""
    scenario, params = _params(CONFIGS / "sma10.toml")
    assert params["us_renewal_pct"]["value"] == scenario.us.renewal_pct == 50.0
    assert params["rok_renewal_pct"]["value"] == scenario.rok.renewal_pct == 10.0
    assert "us_renewal_pct" not in _params(CONFIGS / "sma9.toml")[1]
    model = dashboard.DashboardModel(config=str(CONFIGS / "sma10.toml"), rng=0)
    model.step()
    html = _panel_html(model)
    assert _cell(html, "packages on the table") == "US 1 year / ROK 5 years"
    model.run()
    out = model.outcome()
    html = _panel_html(model)
    assert _cell(html, "agreed package") == "1 year, flat" and out.term_years == 1
    assert _cell(html, "payments").startswith(f"{out.total_krw_bn:,.1f} bn won in all")
    # the slider reaches the run: a US indifferent to the term (no rise expected) follows
    # the ROK's five years in its trade-off (2 years in month 2), as api.run does
    indifferent = dashboard.DashboardModel(config=str(CONFIGS / "sma10.toml"), rng=0,
                                           us_renewal_pct=0.0, rok_renewal_pct=30.0)
    assert indifferent.settings.rok.renewal_pct == 30.0
    indifferent.run()
    same = run(CONFIGS / "sma10.toml", seed=0,
               overrides={"us.renewal_pct": 0.0, "rok.renewal_pct": 30.0})
    assert indifferent.trace()["us_offer_term"].tolist() == same.trace["us_offer_term"].tolist()
    assert same.trace["us_offer_term"].tolist()[:2] == [1.0, 2.0]
    assert model.trace()["us_offer_term"].tolist()[:2] == [1.0, 1.0]
