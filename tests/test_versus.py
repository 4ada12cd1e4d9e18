"""Pinned behaviour of every tactic and acceptance rule against fixed opponents.

Axelrod's ``versus_test``: a component plays a fixed sequence of opponent offers and its
own offers (or accept decisions) must equal a pinned sequence, to 1e-12 relative. The
cases are keyed by registry name and a test derived from the registries fails when a
tactic or rule is registered without one, so nothing new goes unpinned.

The negotiator here is the US side (sign +1, demand 1000, bottom line 600 bn won)
unless a case says ``sign=-1`` (the ROK: demand 600, bottom line 1000). Month ``t``'s
view holds the opponent offers of months before ``t``, as in a run where offers are
observed after each round; ``seed`` gives the draws of ``negotiation_sim.draws`` (the
side's tactic stream), else u = 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from negotiation_sim import draws
from negotiation_sim.tactics import (
    ACCEPTANCE,
    HISTORY,
    OFFERING,
    NegotiationView,
    make_acceptance,
    make_offering,
)

REL = 1e-12
US = {"sign": 1.0, "opening": 1000.0, "bottom_line": 600.0}
ROK = {"sign": -1.0, "opening": 600.0, "bottom_line": 1000.0}

# Fixed opponents, one offer a month.
STEADY = [500.0 + 20.0 * t for t in range(8)]  # a ROK conceding 20 a month
STALL = [500.0, 500.0, 520.0, 520.0, 520.0, 560.0, 560.0, 600.0]  # moves, then waits
US_STEADY = [1500.0 - 50.0 * t for t in range(8)]  # a US conceding 50 a month


def tactic_draws(sign: float, months: int, seed: int | None) -> np.ndarray:
    """The side's uniform per month: its tactic stream of the run's draws, or 0.5."""
    if seed is None:
        return np.full(months, 0.5)
    stream = draws.STREAM_TACTIC["us" if sign > 0 else "rok"]
    return draws.uniforms(seed, months, stream + 1)[:, stream]


def versus_test(tactic: Any, opponent_offers: list[float], expected_offers: list[float], *,
                sign: float = 1.0, opening: float = 1000.0, bottom_line: float = 600.0,
                pressure_per_month: float = 0.0, seed: int | None = None) -> None:
    """Play ``tactic`` against ``opponent_offers`` and compare its offers month by month."""
    u = tactic_draws(sign, len(opponent_offers), seed)
    history = np.full(HISTORY, np.nan)
    own, offers = opening, []
    for t, theirs in enumerate(opponent_offers):
        view = NegotiationView(sign=sign, month=t, t=t, opening=opening, bottom_line=bottom_line,
                               pressure=pressure_per_month * t, own_last=own,
                               opp_history=history.copy(), u=float(u[t]))
        own = float(tactic.offer(view))
        offers.append(own)
        history = np.roll(history, -1)
        history[-1] = theirs
    assert offers == pytest.approx(expected_offers, rel=REL, abs=0), offers


def accept_versus_test(rule: Any, own_offers: list[float], opponent_offers: list[float],
                       expected: list[bool], *, sign: float = 1.0,
                       bottom_line: float = 600.0) -> None:
    """Ask ``rule`` month by month whether it takes the opponent's offer over its own."""
    decisions = []
    for t, (own, theirs) in enumerate(zip(own_offers, opponent_offers, strict=True)):
        view = NegotiationView(sign=sign, month=t, t=t, opening=own_offers[0],
                               bottom_line=bottom_line, pressure=0.0, own_last=own,
                               opp_history=np.full(HISTORY, np.nan), u=0.5)
        decisions.append(bool(rule.accepts(view, theirs, own)))
    assert decisions == expected


@dataclass(frozen=True)
class Case:
    params: dict[str, Any]
    opponent: list[float]
    expected: list[float]
    side: dict[str, float] = field(default_factory=lambda: dict(US))
    pressure_per_month: float = 0.0
    seed: int | None = None


# Time-dependent offers are 1000 - 400 a(t): polynomial a = (t/T)^(1/beta), exponential
# a = k^(1 - t/T); tit-for-tat multiplies its last offer by the opponent's last relative
# move (its averaged form over three months).
OFFERING_CASES: dict[str, list[Case]] = {
    "time_dependent": [Case({"beta": 0.5, "deadline_months": 6}, STEADY, [
        1000.0, 988.8888888888889, 955.5555555555555, 900.0, 822.2222222222222,
        722.2222222222222, 600.0, 600.0])],
    "boulware": [Case({"deadline_months": 6}, STEADY, [
        1000.0, 999.948559670782, 998.3539094650206, 987.5, 947.3251028806585,
        839.2489711934156, 600.0, 600.0])],
    "linear": [
        Case({"deadline_months": 5}, STEADY,
             [1000.0, 920.0, 840.0, 760.0, 680.0, 600.0, 600.0, 600.0]),
        Case({"deadline_months": 5}, US_STEADY,
             [600.0, 680.0, 760.0, 840.0, 920.0, 1000.0, 1000.0, 1000.0], side=dict(ROK)),
    ],
    "conceder": [Case({"deadline_months": 6}, STEADY, [
        1000.0, 720.4691524913683, 678.9033752959077, 651.7797746815504, 631.1568354073089,
        614.322998398949, 600.0, 600.0])],
    "time_exponential": [Case({"beta": 1.0, "k": 0.1, "deadline_months": 6}, STEADY, [
        960.0, 941.2880292951172, 913.8226123987247, 873.5088935932648, 814.3364466554888,
        727.4831723768154, 600.0, 600.0])],
    "tit_for_tat": [
        Case({}, STEADY, [1000.0, 1000.0, 961.5384615384615, 925.9259259259259,
                          892.8571428571428, 862.0689655172414, 833.3333333333334,
                          806.4516129032259]),
        Case({}, STALL, [1000.0, 1000.0, 1000.0, 961.5384615384615, 961.5384615384615,
                         961.5384615384615, 892.8571428571429, 892.8571428571429]),
        Case({}, US_STEADY, [600.0, 600.0, 620.6896551724138, 642.857142857143,
                             666.6666666666667, 692.3076923076925, 720.0000000000002,
                             750.0000000000003], side=dict(ROK)),
    ],
    "averaged_tit_for_tat": [
        Case({}, STEADY, [1000.0, 1000.0, 1000.0, 1000.0, 892.8571428571429,
                          800.4926108374385, 720.4433497536946, 650.7230255839822]),
        Case({}, STALL, [1000.0, 1000.0, 1000.0, 1000.0, 961.5384615384615,
                         924.5562130177515, 858.5164835164835, 797.1938775510205]),
    ],
    "random_tit_for_tat": [
        Case({}, STEADY, [991.5057517627583, 982.2766914555172, 961.5137545168038,
                          936.4161302560381, 909.6192736787356, 884.7287297486577,
                          863.0134990508449, 839.5662454445425], seed=3),
        Case({"noise_krw_bn": 30.0}, US_STEADY, [
            612.9407390171469, 620.7772382097146, 700.5910522336806, 753.788919897465,
            812.6563335099341, 892.5625611413213, 959.5889939476444, 1000.0],
            side=dict(ROK), seed=4),
    ],
    "hard_line": [Case({"pressure_threshold": 3.0}, STEADY,
                       [1000.0, 1000.0, 1000.0, 600.0, 600.0, 600.0, 600.0, 600.0],
                       pressure_per_month=1.0)],
}

# Own offers of a linear conceder and an opponent closing in 40 a month; the US side's
# bottom line is 550, the ROK's 1100. At t = 5 the offer equals the own offer (the
# boundary counts as acceptable).
US_OWN = [1000.0, 920.0, 840.0, 760.0, 680.0, 600.0, 600.0, 600.0]
US_SEES = [400.0 + 40.0 * t for t in range(8)]
ROK_OWN = [600.0, 680.0, 760.0, 840.0, 920.0, 1000.0, 1000.0, 1000.0]
ROK_SEES = [1200.0 - 40.0 * t for t in range(8)]
F, T = False, True
ACCEPTANCE_CASES: dict[str, tuple[dict[str, Any], list[bool]]] = {
    "ac_next": ({}, [F, F, F, F, F, T, T, T]),
    # within the bottom line from t = 4 (US) / t = 3 (ROK), but waits until month 6
    "ac_bottom_line": ({"after_months": 6}, [F, F, F, F, F, F, T, T]),
    # the bottom-line rule from month 4, a month before AC_next alone would accept
    "ac_next_or_bottom_line": ({"after_months": 4}, [F, F, F, F, T, T, T, T]),
}


@pytest.mark.parametrize("name", sorted(OFFERING))
def test_every_offering_tactic_has_pinned_versus_cases(name):
    assert OFFERING_CASES.get(name), f"no pinned versus case for offering tactic {name!r}"


@pytest.mark.parametrize("name", sorted(ACCEPTANCE))
def test_every_acceptance_rule_has_pinned_versus_cases(name):
    assert name in ACCEPTANCE_CASES, f"no pinned versus case for acceptance rule {name!r}"


def test_pinned_cases_name_only_registered_components():
    assert set(OFFERING_CASES) <= set(OFFERING) and set(ACCEPTANCE_CASES) <= set(ACCEPTANCE)


@pytest.mark.parametrize("name,case", [(n, c) for n, cases in OFFERING_CASES.items()
                                       for c in cases])
def test_offering_versus_fixed_opponent(name, case):
    versus_test(make_offering(name, **case.params), case.opponent, case.expected,
                **case.side, pressure_per_month=case.pressure_per_month, seed=case.seed)


@pytest.mark.parametrize("name", sorted(ACCEPTANCE_CASES))
def test_acceptance_versus_fixed_opponent(name):
    params, expected = ACCEPTANCE_CASES[name]
    rule = make_acceptance(name, **params)
    accept_versus_test(rule, US_OWN, US_SEES, expected, sign=1.0, bottom_line=550.0)
    accept_versus_test(rule, ROK_OWN, ROK_SEES, expected, sign=-1.0, bottom_line=1100.0)


def test_random_tactic_case_depends_on_the_seed():
    """The stochastic case is pinned to its seed's draws: another seed plays otherwise."""
    case = OFFERING_CASES["random_tit_for_tat"][0]
    with pytest.raises(AssertionError):
        versus_test(make_offering("random_tit_for_tat"), case.opponent, case.expected, seed=5)
