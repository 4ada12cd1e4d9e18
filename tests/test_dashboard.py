"""The dashboard without a browser: the model SolaraViz rebuilds, its sliders, the page
rendered in-process, and `negotiation-sim dashboard`'s checks before it serves."""

from __future__ import annotations

import itertools
import math
import socket

import pytest

from negotiation_sim import rules
from negotiation_sim.api import run
from negotiation_sim.cli import main
from negotiation_sim.cli.dashboard import HOST, server_command, server_env

from .conftest import CONFIGS

pytest.importorskip("solara")
dashboard = pytest.importorskip("negotiation_sim.viz.dashboard")


def test_dashboard_model_ignores_mesas_own_scenario_object():
    """Mesa 3.5's Reset passes scenario=<mesa Scenario>; the config must win."""
    try:
        from mesa.experimental.scenarios import Scenario as MesaScenario
        mesa_scenario = MesaScenario()
    except ImportError:  # Mesa 3.3 has none; any foreign object stands in
        mesa_scenario = object()
    model = dashboard.DashboardModel(config=str(CONFIGS / "sma11.toml"), rng=0,
                                     scenario=mesa_scenario, us_opening=4600.0)
    assert model.settings.name == "sma11" and model.settings.us.opening == 4600
    expected = run(CONFIGS / "sma11.toml", seed=0, overrides={"us.opening": 4600.0})
    assert model.run() == expected.outcome


@pytest.mark.parametrize("name", ["sma11", "sma10", "sma9", "teaching", "election_race"])
def test_every_slider_corner_is_a_valid_scenario(name):
    """Openings and bottom lines at the ends of their sliders never cross."""
    scenario = run(CONFIGS / f"{name}.toml", seed=0, trace=False).scenario
    params = dashboard.model_params(scenario, CONFIGS / f"{name}.toml")
    sliders = {k: v for k, v in params.items() if isinstance(v, dict)}
    assert {"us_opening", "rok_opening", "us_bottom_line", "rok_bottom_line",
            "us_gap_sensitivity", "rok_gap_sensitivity"} <= set(sliders)
    for spec in sliders.values():  # the default sits on the slider's grid, inside it
        assert spec["min"] <= spec["value"] <= spec["max"]
        k = (spec["value"] - spec["min"]) / spec["step"]
        assert abs(k - round(k)) < 1e-6
    for side in ("us", "rok"):
        ends = [(sliders[f"{side}_opening"][a], sliders[f"{side}_bottom_line"][b])
                for a, b in itertools.product(("min", "max"), repeat=2)]
        for opening, bottom_line in ends:
            model = dashboard.DashboardModel(config=str(CONFIGS / f"{name}.toml"), rng=0, **{
                f"{side}_opening": opening, f"{side}_bottom_line": bottom_line})
            model.step()  # month 0: a round; every shipped tactic opens at its demand
            first = model.trace().iloc[0]
            assert first[f"{side}_offer"] == pytest.approx(opening, rel=1e-12)
            # the US bottom line never sits below the amount in force (no cut by default)
            floor = scenario.amount_in_force if side == "us" and scenario.floor else -math.inf
            assert first[f"{side}_bottom_line"] == pytest.approx(
                min(max(bottom_line, floor), _win_set(scenario, side, opening)), rel=1e-12)


def _win_set(scenario, side: str, opening: float) -> float:
    """The most the ROK may agree to in month 0 with the public's opinion on (never below
    its own opening demand); no limit for the US or without opinion."""
    if side == "us" or scenario.opinion is None:
        return math.inf
    public = scenario.opinion
    start = rules.opinion(public.weights, [c.initial for c in public.cohorts])
    return max(rules.win_set_ceiling(scenario.amount_in_force, public.max_increase_pct, start),
               opening)


def test_beta_slider_only_for_tactics_that_have_one():
    scenario = run(CONFIGS / "sma11.toml", seed=0, trace=False).scenario
    params = dashboard.model_params(scenario, "x")
    assert params["us_tactic_beta"]["max"] <= 1.0  # boulware: beta < 1
    assert params["rok_tactic_beta"]["min"] >= 1.0  # conceder: beta > 1
    linear = scenario.with_overrides({"us.tactic.name": "linear", "us.tactic.beta": 1})
    assert "us_tactic_beta" not in dashboard.model_params(linear, "x")  # beta fixed at 1


def test_page_renders_in_process_with_the_plot_and_the_outcome(monkeypatch):
    import ipyvuetify
    import ipywidgets
    import solara

    monkeypatch.setenv(dashboard.CONFIG_ENV, str(CONFIGS / "sma9.toml"))
    _box, rc = solara.render(dashboard.Page(), handle_error=False)
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 1 and bytes(images[0].value[:8]) == b"\x89PNG\r\n\x1a\n"
    cards = [w for w in rc.find(ipyvuetify.Card).widgets if "outcome-panel" in w.class_]
    assert len(cards) == 1


def test_server_is_bound_to_loopback_without_telemetry(tmp_path):
    cmd = server_command(8123)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "--production" in cmd
    assert cmd[cmd.index("run") + 1] == "negotiation_sim.viz.dashboard"
    env = server_env(CONFIGS / "sma11.toml", 7)
    assert env[dashboard.CONFIG_ENV] == str((CONFIGS / "sma11.toml").resolve())
    assert env[dashboard.SEED_ENV] == "7"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_dashboard_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario]\nname = 1\n")
    assert main(["dashboard", str(bad)]) == 2
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", str(CONFIGS / "sma11.toml"), "--port", str(port)]) == 2
    assert main(["dashboard", str(CONFIGS / "sma11.toml"), "--seed", "500"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert "bad.toml" in lines[0] and f"--port {port}" in lines[1] and "--seed 500" in lines[2]
