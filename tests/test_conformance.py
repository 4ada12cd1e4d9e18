"""The fast (array) engine against the Mesa reference model.

Random parameter sets, from a seeded sampler, go through both engines; outcomes must be
identical (agreed, agreement month, gap months, censoring, rounds, walk-outs, vetoes,
tentative deals) and amounts equal to 1e-9 relative. A batch is one random scenario
structure (tactics and acceptance rules of both sides, protocol and settlement, round
schedule, expiry, horizon, a random list of walk-outs, furloughs, leader changes and
shocks, scheduled or random) plus per-run override columns (openings, bottom lines, gap
costs and sensitivities, veto thresholds and probabilities, tactic parameters, event
probabilities and factors), so the fast engine's per-run parameter arrays are checked
too; some batches also vary names and the protocol from row to row (grouping).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from negotiation_sim import draws, packages
from negotiation_sim.calendar import format_month, parse_month
from negotiation_sim.engine import ENGINES, simulate_batch
from negotiation_sim.errors import ScenarioError
from negotiation_sim.scenario import from_dict, load_scenario
from negotiation_sim.schema import SHOCK_TARGETS
from negotiation_sim.tactics import ACCEPTANCE, OFFERING, Offering

START = "2020-01"
EXACT = ["lead_months", "initialled_month", "ratified", "ratified_month", "rejections",
         "us_leader_change_month", "rok_leader_change_month",
         "agreed", "agreement_month", "gap_months", "censored", "rounds_held", "walkouts",
         "vetoes", "tentative_deals", "term_years", "escalator"]
AMOUNTS = ["amount_krw_bn", "amount_usd_m", "increase_pct", "escalator_pct", "total_krw_bn",
           "total_discounted_krw_bn"]
# Upper ends for sampling parameters with very wide allowed ranges.
CAPS = {"deadline_months": 30, "after_months": 24, "beta": 20.0, "k": 0.5,
        "noise_krw_bn": 120.0, "pressure_threshold": 25.0}


# --- a seeded sampler of scenario structures and per-run parameters ----------------


def month(i: int) -> str:
    return format_month(parse_month(START) + i)


def sample_param(rng: np.random.Generator, p) -> float | int:
    high = min(p.high, CAPS.get(p.name, p.high))
    low = max(p.low, 1e-3) if p.name == "k" and p.low > 0 else p.low
    if p.integer:
        return int(rng.integers(low, high + 1))
    if p.name == "beta" and high / max(low, 1e-9) > 10:
        return float(np.exp(rng.uniform(np.log(max(low, 0.05)), np.log(high))))
    return float(rng.uniform(low, high))


def sample_amounts(rng: np.random.Generator, side: str) -> tuple[float, float]:
    """(opening, bottom line) on the right sides of each other."""
    if side == "us":
        opening = rng.uniform(1100, 2500)
        return opening, rng.uniform(900, min(opening, 1400))
    opening = rng.uniform(700, 1150)
    return opening, rng.uniform(max(opening, 950), 1500)


def sample_threshold(rng: np.random.Generator, side: str) -> float:
    return float(rng.uniform(950, 1500) if side == "us" else rng.uniform(1000, 1600))


def sample_leader_amounts(rng: np.random.Generator, side: str) -> tuple[float, float]:
    """A new leader's (bottom line, demand), the demand on the asking side of it."""
    floor = rng.uniform(950, 1450)
    return floor, (floor + rng.uniform(0, 400) if side == "us" else floor - rng.uniform(0, 300))


def random_batch(rng: np.random.Generator, runs: int) -> tuple[dict, pd.DataFrame]:
    """A random scenario (raw dict) and ``runs`` rows of per-run overrides."""
    n_months = int(rng.integers(10, 48))
    expiry = int(rng.integers(0, n_months - 1))  # scenario.py: within talks_start..horizon
    names_vary = rng.random() < 0.25  # names and protocol change from row to row
    if rng.random() < 0.5:
        rounds = {"every_months": int(rng.integers(1, 4))}
        round_idx = list(range(0, n_months, rounds["every_months"]))
    else:
        round_idx = sorted(rng.choice(n_months, size=max(1, n_months // 2), replace=False))
        rounds = {"months": [month(int(i)) for i in round_idx]}
    rounds.update(protocol=str(rng.choice(["alternating", "simultaneous"])),
                  first_mover=str(rng.choice(["us", "rok"])),
                  settlement=str(rng.choice(["split", "us", "rok"])))
    raw = {
        "scenario": {"name": "conformance", "talks_start": START, "horizon": month(n_months - 1),
                     "krw_per_usd": float(rng.uniform(1000, 1400))},
        "agreement_in_force": {"amount_krw_bn": float(rng.uniform(800, 1100)),
                               "expires": month(expiry), "floor": bool(rng.random() < 0.5)},
        "new_agreement": {"term_years": int(rng.integers(1, 11))},
        "rounds": rounds, "events": [],
    }
    columns: dict[str, list] = {}

    def vary(key: str, draw) -> None:
        columns[key] = [draw() for _ in range(runs)]

    for side in ("us", "rok"):
        opening, floor = sample_amounts(rng, side)
        tactic = str(rng.choice(sorted(OFFERING)))
        acceptance = str(rng.choice(sorted(ACCEPTANCE)))
        t_params = {} if names_vary else {p.name: sample_param(rng, p)
                                          for p in OFFERING[tactic].params if rng.random() < 0.7}
        a_params = {} if names_vary else {p.name: sample_param(rng, p)
                                          for p in ACCEPTANCE[acceptance].params}
        principal = {"label": f"{side} leader", "veto_probability": float(rng.choice(
            [1.0, rng.uniform(0, 1)]))}
        if rng.random() < 0.75:
            principal["veto_threshold"] = sample_threshold(rng, side)
        if rng.random() < 0.3:
            principal["reset_demand"] = float(rng.uniform(1000, 2000) if side == "us"
                                              else rng.uniform(800, 1300))
        raw[side] = {"opening": opening, "bottom_line": floor,
                     "gap_cost": float(rng.choice([0.0, rng.uniform(0, 3)])),
                     "gap_sensitivity": float(rng.uniform(0, 60)),
                     "tactic": {"name": tactic, **t_params},
                     "acceptance": {"name": acceptance, **a_params}, "principal": principal}
        if names_vary:
            vary(f"{side}.tactic.name", lambda: str(rng.choice(sorted(OFFERING))))
            vary(f"{side}.acceptance.name", lambda: str(rng.choice(sorted(ACCEPTANCE))))
            continue
        if rng.random() < 0.6:
            pairs = [sample_amounts(rng, side) for _ in range(runs)]
            columns[f"{side}.opening"] = [a for a, _ in pairs]
            columns[f"{side}.bottom_line"] = [b for _, b in pairs]
        for key, low, high in (("gap_cost", 0, 3), ("gap_sensitivity", 0, 60)):
            if rng.random() < 0.5:
                vary(f"{side}.{key}", lambda lo=low, hi=high: float(rng.uniform(lo, hi)))
        if rng.random() < 0.5:
            vary(f"{side}.principal.veto_threshold", lambda s=side: sample_threshold(rng, s))
        if rng.random() < 0.4:
            vary(f"{side}.principal.veto_probability", lambda: float(rng.uniform(0, 1)))
        for p in OFFERING[tactic].params:
            if p.low < p.high and rng.random() < 0.5:
                vary(f"{side}.tactic.{p.name}", lambda p=p: sample_param(rng, p))
        for p in ACCEPTANCE[acceptance].params:
            if rng.random() < 0.5:
                vary(f"{side}.acceptance.{p.name}", lambda p=p: sample_param(rng, p))
    if names_vary:
        vary("rounds.protocol", lambda: str(rng.choice(["alternating", "simultaneous"])))
        vary("rounds.settlement", lambda: str(rng.choice(["split", "us", "rok"])))

    for i in range(int(rng.integers(0, 7))):
        kind = str(rng.choice(["walkout", "walkout", "furlough", "leader_change", "shock",
                               "shock"]))
        side = str(rng.choice(["us", "rok"]))
        key = f"events.{i}"
        if kind == "walkout":
            ev = {"type": "walkout", "side": side}
            if rng.random() < 0.4:
                ev["month"] = month(int(rng.choice(round_idx)))
            else:
                ev["probability"] = float(rng.uniform(0, 0.4))
                if rng.random() < 0.5:
                    vary(f"{key}.probability", lambda: float(rng.uniform(0, 0.4)))
        elif kind == "furlough":
            ev = {"type": "furlough", "side": side,
                  "after_gap_months": int(rng.integers(0, 7)),
                  "gap_cost_factor": float(rng.uniform(0, 4))}
            if rng.random() < 0.5:
                vary(f"{key}.after_gap_months", lambda: int(rng.integers(0, 7)))
                vary(f"{key}.gap_cost_factor", lambda: float(rng.uniform(0, 4)))
        elif kind == "leader_change":
            ev = {"type": "leader_change", "side": side, "month": month(int(
                rng.integers(0, n_months))), "label": "new",
                "veto_probability": float(rng.uniform(0, 1))}
            if rng.random() < 0.7:
                ev["veto_threshold"] = sample_threshold(rng, side)
                if rng.random() < 0.5:
                    vary(f"{key}.veto_threshold", lambda s=side: sample_threshold(rng, s))
            if rng.random() < 0.3:
                ev["reset_demand"] = float(rng.uniform(900, 1600))
            if rng.random() < 0.7:
                ev["bottom_line"], demand = sample_leader_amounts(rng, side)
                if rng.random() < 0.6:
                    ev["demand"] = demand
                    if rng.random() < 0.5:
                        pairs = [sample_leader_amounts(rng, side) for _ in range(runs)]
                        columns[f"{key}.bottom_line"] = [a for a, _ in pairs]
                        columns[f"{key}.demand"] = [b for _, b in pairs]
        else:
            ev = {"type": "shock", "target": str(rng.choice(SHOCK_TARGETS)),
                  "factor": float(rng.uniform(0.5, 1.5)), "delta": float(rng.uniform(-30, 30))}
            if rng.random() < 0.4:
                ev["month"] = month(int(rng.integers(0, n_months)))
            else:
                ev["probability"] = float(rng.uniform(0, 0.25))
                if rng.random() < 0.5:
                    vary(f"{key}.probability", lambda: float(rng.uniform(0, 0.25)))
            if rng.random() < 0.4:
                vary(f"{key}.factor", lambda: float(rng.uniform(0.5, 1.5)))
        raw["events"].append(ev)
    if rng.random() < 0.3:
        vary("agreement_in_force.amount_krw_bn", lambda: float(rng.uniform(800, 1100)))
        vary("new_agreement.term_years", lambda: int(rng.integers(1, 11)))
    add_two_level_game(rng, raw, vary, n_months, round_idx)
    add_package(raw, vary, runs, set(columns))
    return raw, pd.DataFrame(columns, index=range(runs))


def add_package(raw: dict, vary, runs: int, varied: set[str]) -> None:
    """A random escalator (rule, rate or cap, CPI and budget paths, discount rate) and, in
    about half the structures, a negotiated term and/or escalator with each side's
    expected renewal and package choice; on its own generator so the structures sampled
    before packages existed stay the same."""
    prng = np.random.default_rng(int(raw["scenario"]["krw_per_usd"] * 1e6))
    table = raw["new_agreement"]
    table["escalator"] = str(prng.choice(["none", "fixed", "cpi", "budget"]))
    table["escalator_pct"] = float(prng.uniform(-2, 8))
    if prng.random() < 0.5:
        table["escalator_cap_pct"] = float(prng.uniform(0, 6))
    for key in ("cpi_pct", "budget_growth_pct"):
        if prng.random() < 0.5:
            table[key] = [float(x) for x in prng.uniform(-1, 9, size=int(prng.integers(1, 6)))]
    table["discount_pct"] = float(prng.uniform(0, 8))
    if prng.random() < 0.2:  # the rule changes from row to row (a structural column)
        vary("new_agreement.escalator",
             lambda: str(prng.choice(["none", "fixed", "cpi", "budget"])))
        return
    negotiate_term = prng.random() < 0.4 and "new_agreement.term_years" not in varied
    negotiate_pct = prng.random() < 0.4 and table["escalator"] != "none"
    if negotiate_term:
        term = table["term_years"]
        table["term_years_range"] = [int(prng.integers(1, term + 1)),
                                     int(prng.integers(term, 11))]
    if negotiate_pct:
        stated = (table["escalator_pct"] if table["escalator"] == "fixed"
                  else table.get("escalator_cap_pct"))
        low = float(prng.uniform(-2, 3)) if stated is None else stated - float(prng.uniform(0, 3))
        high = (float(prng.uniform(4, 9)) if stated is None
                else stated + float(prng.uniform(0, 4)))
        table["escalator_pct_range"] = [low, high]
        table["escalator_pct_step"] = float(prng.choice([0.25, 0.5, 1.0, 2.0]))
    items = add_side_items(raw, int(raw["scenario"]["krw_per_usd"] * 1e6) + 1)
    if not (negotiate_term or negotiate_pct or items):
        return
    for side in ("us", "rok"):
        raw[side]["renewal_pct"] = float(prng.uniform(-10, 60))
        raw[side]["package_choice"] = str(prng.choice(["tradeoff", "proportional"]))
        if prng.random() < 0.3:
            vary(f"{side}.renewal_pct", lambda: float(prng.uniform(-10, 60)))


def add_side_items(raw: dict, seed: int) -> bool:
    """In about a third of the package structures, one or both side items negotiated over
    a random range, grid and stated share, with random values to each side (on their own
    generator, so structures drawn before side items existed keep their other keys)."""
    prng = np.random.default_rng(seed)
    if prng.random() >= 0.35:
        return False
    table = raw["new_agreement"]
    for item in prng.permutation(["in_kind", "wage_share"])[: int(prng.integers(1, 3))]:
        low = float(prng.choice([0.0, 10.0, 50.0]))
        high = low + float(prng.choice([20.0, 40.0, 50.0]))
        step = float(prng.choice([5.0, 10.0, 20.0]))
        table[f"{item}_pct_range"] = [low, high]
        table[f"{item}_pct_step"] = step
        table[f"{item}_pct"] = float(prng.choice([low, high, low + step]))
        for side in ("us", "rok"):
            raw[side][f"{item}_value_pct"] = float(prng.uniform(-40.0, 10.0))
    return True


def add_two_level_game(rng: np.random.Generator, raw: dict, vary, n_months: int,
                       round_idx: list[int]) -> None:
    """Elections, foresight, dated rounds, ratification and public opinion, each in some
    structures (drawn after the rest, so the older part of a structure stays as it was)."""
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 3))):
            side = str(rng.choice(["us", "rok"]))
            at = int(rng.integers(0, n_months))
            ev = {"type": "election", "side": side, "month": month(at),
                  "inauguration": month(at + int(rng.integers(0, 5))),
                  "probability": float(rng.uniform(0, 1)), "label": "challenger"}
            if rng.random() < 0.7:
                ev["bottom_line"], ev["demand"] = sample_leader_amounts(rng, side)
            if rng.random() < 0.5:
                ev["veto_threshold"] = sample_threshold(rng, side)
            key = f"events.{len(raw['events'])}"
            raw["events"].append(ev)
            if rng.random() < 0.5:
                vary(f"{key}.probability", lambda: float(rng.uniform(0, 1)))
    for side in ("us", "rok"):
        if rng.random() < 0.6:
            raw[side]["foresight"] = float(rng.uniform(0, 1))
            if rng.random() < 0.5:
                vary(f"{side}.foresight", lambda: float(rng.uniform(0, 1)))
    if rng.random() < 0.3:  # dated rounds, up to three in a month
        rounds = raw["rounds"]
        rounds.pop("every_months", None)
        rounds.pop("months", None)
        rounds["dates"] = [f"{month(int(i))}-{day:02d}" for i in round_idx
                           for day in range(1, int(rng.integers(1, 4)) + 1)]
    if rng.random() < 0.35:
        sides = ["rok"] + (["us"] if rng.random() < 0.3 else [])
        raw["ratification"] = {s: {"delay_months": int(rng.integers(0, 5)),
                                   "majority": float(rng.uniform(0.3, 0.6)),
                                   "blocs": blocs(rng)} for s in sides}
    if rng.random() < 0.35:
        n = int(rng.integers(1, 4))
        shares = rng.dirichlet(np.ones(n)).tolist()
        shares[-1] = 1.0 - sum(shares[:-1])
        raw["opinion"] = {
            "max_increase_pct": float(rng.uniform(0, 40)),
            "demand_weight": float(rng.uniform(0, 1)), "walkout_weight": float(rng.uniform(0, 1)),
            "furlough_weight": float(rng.uniform(0, 1)), "veto_weight": float(rng.uniform(0, 1)),
            "cohorts": [{"name": f"c{i}", "share": max(sh, 0.0),
                         "baseline": float(rng.uniform(0, 1)), "initial": float(rng.uniform(0, 1)),
                         "persistence": float(rng.uniform(0, 1)),
                         "response": float(rng.uniform(0, 2))} for i, sh in enumerate(shares)]}


def blocs(rng: np.random.Generator) -> list[dict]:
    n = int(rng.integers(1, 4))
    seats = rng.dirichlet(np.ones(n)).tolist()
    seats[-1] = 1.0 - sum(seats[:-1])
    return [{"name": f"b{i}", "seats": max(share, 0.0), "support": float(rng.uniform(-2, 6)),
             "increase_sensitivity": float(rng.uniform(0, 0.5)),
             "opinion_sensitivity": float(rng.uniform(0, 5))} for i, share in enumerate(seats)]


# --- the tests ------------------------------------------------------------------


def assert_same_outcomes(mesa: pd.DataFrame, fast: pd.DataFrame, context: str) -> None:
    for col in EXACT:
        same = ((mesa[col] == fast[col]) | (mesa[col].isna() & fast[col].isna())).to_numpy()
        assert same.all(), f"{context}: {col} differs in rows {np.flatnonzero(~same)[:5]}"
    for col in AMOUNTS:
        np.testing.assert_allclose(fast[col].to_numpy(float), mesa[col].to_numpy(float),
                                   rtol=1e-9, atol=0, equal_nan=True, err_msg=f"{context}: {col}")
    for i, (m, f) in enumerate(zip(mesa["payments_krw_bn"], fast["payments_krw_bn"],
                                   strict=True)):
        assert (m is None) == (f is None), f"{context}: payments_krw_bn row {i}"
        if m is not None:
            np.testing.assert_allclose(f, m, rtol=1e-9, atol=0,
                                       err_msg=f"{context}: payments_krw_bn row {i}")


def test_fast_engine_matches_mesa_on_random_parameter_sets():
    rng = np.random.default_rng(20240905)
    tables, n_sets = [], 0
    negotiated = {"agreed": 0, "other_term": 0, "other_escalator": 0, "items": 0,
                  "other_items": 0}
    for batch in range(48):
        raw, overrides = random_batch(rng, runs=25)
        scenario = from_dict(raw, f"<conformance batch {batch}>")
        seeds = rng.integers(0, 2**62, size=len(overrides))
        mesa = ENGINES["mesa"](scenario, overrides, seeds)
        fast = ENGINES["fast"](scenario, overrides, seeds)
        assert list(fast.columns) == list(mesa.columns)
        assert (fast.dtypes == mesa.dtypes).all(), f"batch {batch}: dtypes differ"
        assert_same_outcomes(mesa, fast, f"batch {batch} ({raw}, overrides {overrides.columns})")
        tables.append(mesa)
        n_sets += len(overrides)
        if scenario.package.negotiated:
            deals = mesa[mesa.agreed]
            stated = packages.escalator_pct_label(scenario.package, scenario.escalator_pct)
            negotiated["agreed"] += len(deals)
            negotiated["other_term"] += int((deals.term_years != scenario.term_years).sum())
            negotiated["other_escalator"] += int((~np.isclose(deals.escalator_pct.astype(float),
                                                              stated, equal_nan=True)).sum())
            for item in scenario.package.items:
                if item.negotiated:
                    negotiated["items"] += len(deals)
                    negotiated["other_items"] += int(
                        (deals[f"{item.name}_pct"] != item.stated).sum())
    assert n_sets >= 1000
    every = pd.concat(tables)
    # The sample reaches every behaviour the rules have (a test that could not fail
    # on, say, vetoes would prove nothing about them).
    assert every.agreed.sum() > 300 and every.censored.sum() > 100
    assert (every.vetoes > 0).sum() > 30 and (every.walkouts > 0).sum() > 100
    assert (every.tentative_deals > every.agreed).sum() > 30
    assert (every.gap_months > 0).sum() > 200 and every.agreement_month.nunique() > 20
    # ... and of the two-level game: votes lost, deals awaiting a vote at the horizon,
    # ratification months after the initialled ones, leaders elected, early deals.
    assert (every.rejections > 0).sum() > 20
    assert (every.initialled_month.notna() & ~every.ratified).sum() > 20
    assert (every.ratified_month > every.agreement_month).sum() > 20
    assert every.us_leader_change_month.notna().sum() > 50
    assert every.rok_leader_change_month.notna().sum() > 50
    # ... and of packages: every escalator rule agreed, with multi-year paths that move.
    agreed = every[every.agreed]
    assert set(agreed.escalator) == {"none", "fixed", "cpi", "budget"}
    moving = [p for p in agreed.payments_krw_bn if len(p) > 1 and p[-1] != p[0]]
    assert len(moving) > 100 and agreed.escalator_pct.isna().sum() > 20
    # ... and of negotiated packages: deals whose term or escalator is not the stated one.
    assert negotiated["agreed"] > 150
    assert negotiated["other_term"] > 30 and negotiated["other_escalator"] > 30
    # ... and of side items: deals at shares other than the stated ones.
    assert negotiated["items"] > 50 and negotiated["other_items"] > 20
    assert (every.lead_months > 0).sum() > 100


@pytest.mark.parametrize("config", ["sma11", "sma10", "sma9", "teaching"])
def test_fast_engine_matches_mesa_on_shipped_scenarios(configs, config):
    scenario = load_scenario(configs / f"{config}.toml")
    seeds = np.arange(150) * 7919 + 11
    mesa = simulate_batch(scenario, None, seeds, engine="mesa")
    fast = simulate_batch(scenario, None, seeds, engine="fast")
    assert_same_outcomes(mesa, fast, config)
    pd.testing.assert_frame_equal(mesa, fast)  # same dtypes too


@pytest.mark.parametrize("us_floor", [1150.0, 1040.0])  # no run agrees; some agree
def test_fast_engine_table_equals_mesa_table_with_censored_runs(configs, us_floor):
    scenario = load_scenario(configs / "teaching.toml", {"rok.bottom_line": 1080.0})
    overrides = pd.DataFrame({"us.bottom_line": np.linspace(us_floor, 1150.0, 40)})
    mesa = simulate_batch(scenario, overrides, np.arange(40), engine="mesa")
    fast = simulate_batch(scenario, overrides, np.arange(40), engine="fast")
    pd.testing.assert_frame_equal(mesa, fast)
    assert mesa.censored.any() and mesa.agreed.any() == (us_floor < 1100)


def test_structural_columns_split_the_batch_and_keep_row_order(configs):
    scenario = load_scenario(configs / "sma11.toml")
    n = 60
    overrides = pd.DataFrame({
        "rounds.months": [["2019-09", "2019-11", "2020-06", "2021-02"], ["2019-09", "2019-11"],
                          ["2019-09", "2019-10", "2019-11", "2019-12"]] * (n // 3),
        "us.tactic.deadline_months": ["expiry", 6, 3, 9] * (n // 4),
        "us.opening": np.linspace(3000.0, 6000.0, n),
    })
    mesa = simulate_batch(scenario, overrides, np.arange(n), engine="mesa")
    fast = simulate_batch(scenario, overrides, np.arange(n), engine="fast")
    pd.testing.assert_frame_equal(mesa, fast)
    assert mesa.rounds_held.nunique() >= 2 and mesa.agreed.any() and mesa.censored.any()


def test_chunking_and_dropping_finished_runs_do_not_change_outcomes(configs):
    scenario = load_scenario(configs / "sma11.toml")
    overrides = pd.DataFrame({"us.tactic.beta": np.linspace(0.1, 0.9, 300)})
    seeds = np.arange(300)
    whole = ENGINES["fast"](scenario, overrides, seeds)
    pieces = ENGINES["fast"](scenario, overrides, seeds, chunk=7)
    pd.testing.assert_frame_equal(whole, pieces)
    assert whole.vetoes.sum() > 0 and whole.agreement_month.nunique() > 3


def test_bad_per_run_value_is_refused_like_the_mesa_engine(configs):
    scenario = load_scenario(configs / "sma11.toml")
    overrides = pd.DataFrame({"us.tactic.beta": [0.3, 0.5, 1.7],  # boulware: beta <= 1
                              "rok.gap_cost": [1.0, 2.0, 3.0]})
    messages = []
    for engine in ("mesa", "fast"):
        with pytest.raises(ScenarioError) as err:
            simulate_batch(scenario, overrides, np.arange(3), engine=engine)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "us.tactic.beta" in messages[0]


def test_fast_engine_reads_the_same_draws_as_the_mesa_model():
    seeds = np.array([0, 1, 2**40 + 3, 2**62 - 1])
    table = draws.uniforms(seeds, 30, 12)  # what SMAModel reads, one run at a time
    key = draws.seed_key(seeds)
    for month, stream in [(0, 0), (7, 3), (29, 11)]:
        assert np.array_equal(draws.uniform_at(key, month, stream), table[:, month, stream])
    assert np.array_equal(draws.uniform_at(key, 5, [8, 2, 11]), table[:, 5, [8, 2, 11]])
    assert np.array_equal(draws.uniforms(seeds[2], 30, 12), table[2])


@pytest.fixture
def outside_tactic():
    """An offering tactic registered from outside the package (removed afterwards)."""

    class Stubborn(Offering):
        """Never concede."""

        name = "stubborn_for_test"

        def offer(self, view):
            return float(view.opening)

    yield Stubborn.name
    del OFFERING[Stubborn.name]


def test_unsupported_feature_falls_back_to_mesa_with_one_warning_line(configs, caplog,
                                                                      outside_tactic):
    scenario = load_scenario(configs / "teaching.toml", {"us.tactic": {"name": outside_tactic}})
    seeds = np.arange(4)
    with caplog.at_level(logging.WARNING, logger="negotiation_sim.engine"):
        fast = simulate_batch(scenario, None, seeds, engine="fast")
    records = [r for r in caplog.records if r.name == "negotiation_sim.engine"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "\n" not in line and outside_tactic in line and "mesa engine" in line
    pd.testing.assert_frame_equal(fast, simulate_batch(scenario, None, seeds, engine="mesa"))
    assert not fast.agreed.any()  # a US side that never concedes: the fallback really ran


def test_simulate_batch_without_engine_runs_the_fast_engine(configs, caplog, outside_tactic):
    # Only the fast engine falls back (with its warning line) for a tactic it lacks; the
    # mesa engine runs it silently. So the warning shows which engine the default is.
    scenario = load_scenario(configs / "teaching.toml", {"us.tactic": {"name": outside_tactic}})
    with caplog.at_level(logging.WARNING, logger="negotiation_sim.engine"):
        simulate_batch(scenario, None, np.arange(2), engine="mesa")
        assert not [r for r in caplog.records if r.name == "negotiation_sim.engine"]
        simulate_batch(scenario, None, np.arange(2))
    assert len([r for r in caplog.records if r.name == "negotiation_sim.engine"]) == 1
