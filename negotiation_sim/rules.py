"""The model's rules as pure functions on scalars or arrays of runs.

Both engines call these: the Mesa model with one run's numbers, the array engine
with a whole batch's. What differs between the engines is only how months and runs
are looped; every formula lives here, in ``tactics`` (offers and acceptance), and the
state transitions of ``state`` and ``events`` are written over these. For one run
(plain Python bools and floats) a rule may take a numpy-free branch with the same IEEE
results, because numpy's per-call overhead dominates a single negotiation; the
conformance test (tests/test_conformance.py) holds the two branches equal and
tests/test_rules.py pins each rule's values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def bottom_line(mandate: Any, sign: Any, sensitivity: Any, pressure: Any, pressure_at_mandate: Any,
                threshold_known: Any, threshold: Any, floor: Any = None) -> Any:
    """Current bottom line: the mandate moved toward concession by gap pressure.

    The US (sign +1) accepts less, the ROK (sign -1) pays more, by ``sensitivity`` per
    unit of gap cost borne since the mandate was set. Once a veto has revealed the
    leader's threshold, the negotiator never goes past it. A ``floor`` (the amount in
    force, for the US unless the scenario allows a cut) stops it there, whatever the
    pressure.
    """
    moved = mandate - sign * sensitivity * (pressure - pressure_at_mandate)
    if floor is not None:
        moved = floored(moved, sign, floor)
    if threshold_known is False:  # one run, threshold not yet revealed: plain float maths
        return moved
    clamped = sign * np.maximum(sign * moved, sign * threshold)
    return np.where(threshold_known, clamped, moved)


def in_force_floor(sign: float, amount_in_force: Any, enabled: bool) -> Any:
    """The floor of a side's bottom line: the amount in force for the side that concedes
    downward (the US) when the scenario allows no cut; else None."""
    return amount_in_force if enabled and sign > 0 else None


def floored(amount: Any, sign: Any, floor: Any) -> Any:
    """``amount`` no further on the conceding side than ``floor`` (US: at least it)."""
    if isinstance(amount, float) and isinstance(floor, float):  # one run: no numpy
        return sign * max(sign * amount, sign * floor)
    return sign * np.maximum(sign * amount, sign * floor)


def alternating(us_proposes: Any, x_us: Any, x_rok: Any, us_accepts_rok: Any,
                rok_accepts_us: Any) -> tuple[Any, Any]:
    """One alternating-offers round: proposer offers, responder accepts or counters,
    proposer accepts the counter or the round ends. Returns (deal, amount)."""
    deal, takes_rok = alternating_choice(us_proposes, us_accepts_rok, rok_accepts_us)
    return deal, agreed(deal, takes_rok, x_us, x_rok)


def alternating_choice(us_proposes: Any, us_accepts_rok: Any, rok_accepts_us: Any
                       ) -> tuple[Any, Any]:
    """Whose offer an alternating-offers round agrees on: (deal, True where it is the
    ROK's). The responder's acceptance of the proposal comes first."""
    if type(us_accepts_rok) is bool and type(rok_accepts_us) is bool:  # one run: no numpy
        responder_ok, proposer_ok = ((rok_accepts_us, us_accepts_rok) if us_proposes
                                     else (us_accepts_rok, rok_accepts_us))
        if responder_ok:
            return True, not us_proposes
        return proposer_ok, bool(us_proposes) and proposer_ok
    responder_accepts = np.where(us_proposes, rok_accepts_us, us_accepts_rok)
    proposer_accepts = np.where(us_proposes, us_accepts_rok, rok_accepts_us)
    takes_rok = np.where(responder_accepts, np.logical_not(us_proposes), us_proposes)
    return responder_accepts | proposer_accepts, takes_rok


def agreed(deal: Any, takes_rok: Any, x_us: Any, x_rok: Any) -> Any:
    """The agreed value of one issue: the ROK's offer or the US's, NaN where no deal."""
    if type(deal) is bool:  # one run: no numpy
        return (x_rok if takes_rok else x_us) if deal else math.nan
    return np.where(deal, np.where(takes_rok, x_rok, x_us), np.nan)


def simultaneous(settlement: str, x_us: Any, x_rok: Any, us_accepts_rok: Any,
                 rok_accepts_us: Any, crossed: Any = None) -> tuple[Any, Any]:
    """One simultaneous-offers round: settle when positions cross (US asks no more
    than the ROK offers; for packages, ``crossed`` says where each side values the
    other's package at least as its own), at the settlement rule; else a side may accept
    the other's offer. Returns (deal, amount)."""
    if crossed is None:
        crossed = x_us <= x_rok
    if type(us_accepts_rok) is bool and type(rok_accepts_us) is bool:  # one run: no numpy
        if crossed:
            return True, (0.5 * (x_us + x_rok) if settlement == "split"
                          else x_us if settlement == "us" else x_rok)
        if us_accepts_rok:
            return True, x_rok
        if rok_accepts_us:
            return True, x_us
        return False, math.nan
    if settlement == "split":
        settled = 0.5 * (x_us + x_rok)
    elif settlement == "us":
        settled = x_us
    else:
        settled = x_rok
    deal = crossed | us_accepts_rok | rok_accepts_us
    accepted = np.where(us_accepts_rok, x_rok, x_us)
    amount = np.where(crossed, settled, np.where(deal, accepted, np.nan))
    return deal, amount


def vetoes(sign: Any, amount: Any, threshold: Any, probability: Any, u: Any) -> Any:
    """A leader vetoes a deal on the wrong side of its threshold (US below, ROK above)
    with the given probability. NaN threshold: never vetoes."""
    past = sign * (threshold - amount) > 0
    return past & (u < probability)


def gap_months(agreed: Any, agreement_month: Any, expiry: Any, last_month: Any) -> Any:
    """Months after expiry without a new agreement: up to and including the agreement
    month, or (censored) to the horizon."""
    end = np.where(agreed, agreement_month, last_month)
    return np.maximum(0, end - expiry)


def increase_pct(amount: Any, amount_in_force: Any) -> Any:
    """First-year change against the last amount in force, in percent."""
    return 100.0 * (amount / amount_in_force - 1.0)


def usd_m(amount: Any, krw_per_usd: Any) -> Any:
    """An amount in KRW billion as US$ million at the scenario's rate."""
    return amount * 1000.0 / krw_per_usd


# --- the calendar of a gap -----------------------------------------------------


def in_gap(month: Any, expiry: Any) -> Any:
    """A month after the expiry of the agreement in force (without a new one: a gap month)."""
    return month > expiry


def gap_age(month: Any, expiry: Any) -> Any:
    """Full gap months before ``month`` (negative before the gap)."""
    return month - expiry - 1


def gap_pressure(pressure: Any, gap_cost: Any, factor: Any) -> Any:
    """Accumulated gap cost after one more gap month (``factor``: a furlough's rise)."""
    return pressure + gap_cost * factor


def furlough_factor(age: Any, after_gap_months: Any, factor: Any) -> Any:
    """The gap-cost factor of a furlough: ``factor`` once the gap is ``after_gap_months``
    old, else 1."""
    active = age >= after_gap_months
    if isinstance(active, bool | np.bool_) and not isinstance(factor, np.ndarray):
        return factor if active else 1.0
    return np.where(active, factor, 1.0)


# --- events and vetoes ---------------------------------------------------------


def fires(scheduled_month: int | None, month: int, probability: Any, u: Any) -> Any:
    """A scheduled event fires in its month; a random one when its draw is below its
    probability."""
    if scheduled_month is not None:
        return scheduled_month == month
    return u < probability


def shocked(value: Any, factor: Any, delta: Any) -> Any:
    """A shock moves a parameter: new = old * factor + delta."""
    return value * factor + delta


def demand_after_veto(threshold: Any, reset_demand: Any) -> Any:
    """A vetoed negotiator restarts from the leader's reset demand, or (NaN) from the
    leader's threshold."""
    if not isinstance(reset_demand, np.ndarray) and not isinstance(threshold, np.ndarray):
        return threshold if math.isnan(reset_demand) else reset_demand
    return np.where(np.isnan(reset_demand), threshold, reset_demand)


# --- the protocol's memory -----------------------------------------------------


def remember(history: np.ndarray, offer: Any) -> np.ndarray:
    """The opponent's offer history (most recent last) with ``offer`` appended and the
    oldest dropped; works on one run's (HISTORY,) or a batch's (runs, HISTORY) array."""
    seen = np.empty_like(history)
    seen[..., :-1] = history[..., 1:]
    seen[..., -1] = offer
    return seen


def next_proposer(us_proposes: Any, talked: Any = True) -> Any:
    """Alternating offers: the proposer changes after every round that took place
    (``talked``; a walk-out skips the round and the turn)."""
    if talked is True:
        return ~us_proposes if isinstance(us_proposes, np.ndarray) else not us_proposes
    return us_proposes ^ talked


# --- the calendar: outcomes measured against expiry -------------------------------


def lead_months(agreed: Any, agreement_month: Any, expiry: Any, last_month: Any) -> Any:
    """Months from the agreement to the expiry of the agreement in force: positive for
    an early deal, 0 in the expiry month, minus the gap months for a late one; censored
    runs count to the horizon."""
    end = np.where(agreed, agreement_month, last_month)
    return expiry - end


# --- foresight (anticipating a leader transition) ------------------------------------


def urgency(month: Any, inauguration: Any) -> Any:
    """How far the talks are along toward a transition: 0 at the start, 1 in the month
    before the new leader takes office (the last month the current one can close in)."""
    span = np.maximum(inauguration - 1, 1)
    return np.clip(month / span, 0.0, 1.0)


def anticipated_offer(offer: Any, own_last: Any, bottom_line: Any, hurry: Any,
                      stall: Any) -> Any:
    """An offer adjusted for an expected transition: ``hurry`` in [0, 1] moves it toward
    the bottom line (a deadline at the transition), ``stall`` in [0, 1] holds it toward
    one's last offer (waiting for a friendlier counterpart)."""
    hurried = offer + hurry * (bottom_line - offer)
    return hurried + stall * (own_last - hurried)


# --- public opinion and ratification (the two-level game) ---------------------------


def attitude_after(attitude: Any, baseline: Any, persistence: Any, response: Any,
                   stimulus: Any) -> Any:
    """A cohort's share opposed to concessions after one month: it decays toward its
    baseline at ``persistence`` per month and moves with the month's ``stimulus`` (what
    the other side did) at ``response``; kept in [0, 1]."""
    moved = baseline + persistence * (attitude - baseline) + response * stimulus
    return np.clip(moved, 0.0, 1.0)


def weighted_sum(weights: Any, values: Any) -> Any:
    """sum(w * v) added in the given order, so one run's numbers and a batch's arrays
    give the same IEEE result (numpy's pairwise sum would not)."""
    total = 0.0
    for w, v in zip(weights, values, strict=True):
        total = total + w * v
    return total


def opinion(weights: Any, attitudes: Any) -> Any:
    """The public's opposition: cohorts' attitudes weighted by their population shares,
    summed in cohort order (the same additions in both engines)."""
    return weighted_sum(weights, attitudes)


def win_set_ceiling(amount_in_force: Any, max_increase_pct: Any, opposition: Any) -> Any:
    """The most the ROK negotiator may agree to: up to ``max_increase_pct`` above the
    amount in force when nobody opposes, down to no increase when everybody does."""
    return amount_in_force * (1.0 + max_increase_pct / 100.0 * (1.0 - opposition))


def win_set_limit(amount_in_force: Any, max_increase_pct: Any, opposition: Any,
                  anchor_demand: Any) -> Any:
    """The limit of the ROK bottom line this month: the win-set ceiling, but never below
    the negotiator's own current demand (the public narrows how far it may go, it does
    not make it retreat)."""
    return np.maximum(win_set_ceiling(amount_in_force, max_increase_pct, opposition),
                      anchor_demand)


def yes_probability(support: Any, increase_sensitivity: Any, opinion_sensitivity: Any,
                    increase: Any, opposition: Any) -> Any:
    """A legislative bloc's chance of voting for a deal (logistic): its base support,
    less its aversion to the increase (percent) and to a public opposed to it."""
    score = support - increase_sensitivity * increase - opinion_sensitivity * opposition
    return 1.0 / (1.0 + np.exp(-score))


def ratifies(seats: Any, yes: Any, majority: Any) -> Any:
    """The deal passes when the blocs voting yes hold more than ``majority`` of the seats."""
    return weighted_sum(seats, yes) > majority
