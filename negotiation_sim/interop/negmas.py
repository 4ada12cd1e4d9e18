"""NegMAS interoperability (issue 12, item 6): export a scenario's package space and both
sides' utilities as a NegMAS outcome space and utility functions, run NegMAS negotiators
on them, and put their agreements next to our model's in one table.

What is exported: the package space (first-year amount on a grid of ``n_amounts`` values
from the lowest to the highest of the four openings and bottom lines, plus the two bottom
lines; the term as an
integer issue over its range; the escalator number on the scenario's grid ``pcts``; each
side item the scenario negotiates, ``in_kind_pct`` and ``wage_share_pct``, on its grid
of shares) and each side's utility at the scenario's *initial* opening and bottom line,
exactly ``packages.utility`` (0 at the side's bottom-line package, which is the reserved
value; 1 at its ideal package). A fixed term or escalator is exported with its one value,
so every outcome is an ``(amount, term, escalator)`` tuple, followed by the negotiated
side items' shares, and a single-issue scenario exports too.

What is not: gap pressure that moves bottom lines, leaders (mandates, vetoes), events,
the calendar of rounds, the public and the legislature. NegMAS negotiators bargain over
fixed preferences for a number of steps; our model's row is a whole run, whose deal may
lie below a side's initial bottom line (negative utility) after months of gap pressure.

``negmas`` (the ``negmas`` extra) is imported inside functions: ``import negotiation_sim``
never loads it.
"""

from __future__ import annotations

import functools
import importlib
import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import packages
from ..errors import UsageError
from ..scenario import Scenario
from . import NEGMAS_AMOUNTS as DEFAULT_AMOUNTS
from . import NEGMAS_STEPS as DEFAULT_STEPS

DEFAULT_PAIR = ("AspirationNegotiator", "AspirationNegotiator")
ISSUES = ("amount_krw_bn", "term_years", "escalator_pct")  # names of the exported issues
SIDES = ("us", "rok")
COLUMNS = ("negotiators", "us", "rok", "seed", "agreed", "amount_krw_bn", "term_years",
           "escalator_pct", "us_utility", "rok_utility", "steps")


def item_issues(space: packages.PackageSpace) -> list[str]:
    """The exported issues of the side items ``space`` negotiates ('in_kind_pct',
    'wage_share_pct'), after ``ISSUES``; [] when none is (the export of before)."""
    return [f"{item.name}_pct" for item in space.items if item.negotiated]


def columns(space: packages.PackageSpace) -> list[str]:
    """``compare``'s columns: ``COLUMNS``, with the negotiated side items' shares after
    the escalator."""
    at = COLUMNS.index("escalator_pct") + 1
    return [*COLUMNS[:at], *item_issues(space), *COLUMNS[at:]]


def item_levels(space: packages.PackageSpace, shares: tuple[Any, ...]) -> tuple[float, ...]:
    """Every side item's level (``packages.utility``'s ``items``) from the shares of the
    negotiated ones (an outcome's tail): the stated level of an item not negotiated."""
    given = iter(shares)
    return tuple(float(next(given)) if item.negotiated else float(item.stated)
                 for item in space.items)
MAX_SEED = 2**32 - 1  # NegMAS agents draw from the global random and numpy.random
INSTALL = 'pip install -e ".[negmas]"'


def require_negmas() -> Any:
    """The ``negmas`` module, or a one-line error saying how to install it."""
    try:
        return importlib.import_module("negmas")
    except ModuleNotFoundError as exc:
        if exc.name != "negmas":
            raise
        raise UsageError(f"negmas: not installed; allowed: install the extra: {INSTALL}"
                         ) from None


def preferences(scenario: Scenario, side: str) -> packages.Preferences:
    """A side's preferences at the scenario's initial opening and bottom line."""
    s = scenario.side(side)
    return packages.Preferences(s.sign, s.opening, s.bottom_line, s.renewal_pct)


def amount_grid(scenario: Scenario, n: int = DEFAULT_AMOUNTS) -> tuple[float, ...]:
    """``n`` first-year amounts evenly spaced from the lowest to the highest of both
    sides' openings and bottom lines (ends included), plus each bottom line that falls
    between grid points: the edge of each side's acceptable region is an outcome (in the
    9th SMA the bottom lines meet at one amount, 920 bn won)."""
    if n < 2:
        raise UsageError(f"--amounts {n}: allowed: an integer >= 2")
    ends = [v for name in SIDES for v in (scenario.side(name).opening,
                                          scenario.side(name).bottom_line)]
    grid = {float(x) for x in np.linspace(min(ends), max(ends), n)}
    grid.update(float(scenario.side(name).bottom_line) for name in SIDES)
    return tuple(sorted(grid))


def issue_values(scenario: Scenario, n_amounts: int = DEFAULT_AMOUNTS
                 ) -> dict[str, tuple[Any, ...]]:
    """The values of each exported issue (``ISSUES``, then ``item_issues``), in order."""
    space = scenario.package
    return {"amount_krw_bn": amount_grid(scenario, n_amounts),
            "term_years": tuple(space.terms),
            "escalator_pct": tuple(float(p) for p in space.pcts),
            **{f"{item.name}_pct": tuple(float(x) for x in item.levels)
               for item in space.items if item.negotiated}}


def outcome_space(scenario: Scenario, n_amounts: int = DEFAULT_AMOUNTS) -> Any:
    """The scenario's package space as a NegMAS discrete Cartesian outcome space: the
    amount and the escalator number as ordinal issues over their grids, the term as an
    integer range (a one-value issue where fixed), and each negotiated side item's share
    as an ordinal issue over its levels."""
    negmas = require_negmas()
    values = issue_values(scenario, n_amounts)
    terms = values["term_years"]
    issues = [
        negmas.make_issue(list(values["amount_krw_bn"]), name="amount_krw_bn"),
        negmas.make_issue((terms[0], terms[-1]) if len(terms) > 1 else list(terms),
                          name="term_years"),
        negmas.make_issue(list(values["escalator_pct"]), name="escalator_pct"),
        *(negmas.make_issue(list(values[name]), name=name)
          for name in item_issues(scenario.package)),
    ]
    return negmas.make_os(issues, name=f"{scenario.name}-packages")


@functools.cache
def _ufun_class() -> type:
    """``PackageUtility``: a NegMAS utility function whose value of an outcome is
    ``packages.utility`` of that package (built on first use, when negmas is loaded)."""
    from negmas.preferences import UtilityFunction

    class PackageUtility(UtilityFunction):
        """One side's ``packages.utility`` over ``(amount, term, escalator)`` outcomes,
        followed by the shares of the side items the space negotiates."""

        def __init__(self, space: packages.PackageSpace, pref: packages.Preferences,
                     **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.space = space
            self.pref = pref
            self._cache: dict[tuple[Any, ...], float] = {}

        def eval(self, offer: Any) -> float:
            if offer is None:
                return self.reserved_value
            key = tuple(offer)
            u = self._cache.get(key)
            if u is None:
                amount, term, pct, *shares = key
                items = item_levels(self.space, tuple(shares)) if shares else None
                u = float(packages.utility(self.space, self.pref, amount, term, pct, items))
                self._cache[key] = u
            return u

    return PackageUtility


def utility_function(scenario: Scenario, side: str, space: Any | None = None,
                     n_amounts: int = DEFAULT_AMOUNTS) -> Any:
    """A side's NegMAS utility function on ``space`` (default: ``outcome_space``), with
    reserved value 0 (no agreement is as good as the bottom-line package)."""
    require_negmas()
    if space is None:
        space = outcome_space(scenario, n_amounts)
    return _ufun_class()(scenario.package, preferences(scenario, side), outcome_space=space,
                         reserved_value=0.0, name=f"{scenario.name}-{side}")


@dataclass(frozen=True)
class Export:
    """A scenario in NegMAS terms: the outcome space and each side's utility function."""

    outcome_space: Any
    us: Any
    rok: Any


def export(scenario: Scenario, n_amounts: int = DEFAULT_AMOUNTS) -> Export:
    """The scenario's outcome space and both sides' utility functions on it."""
    space = outcome_space(scenario, n_amounts)
    return Export(space, utility_function(scenario, "us", space),
                  utility_function(scenario, "rok", space))


def negotiator_class(name: str) -> type:
    """A NegMAS negotiator class by name: a class of ``negmas.sao`` or ``negmas`` (e.g.
    ``AspirationNegotiator``), or any importable ``module:Class`` (e.g. an agent of
    ``negmas-genius-agents``)."""
    negmas = require_negmas()
    allowed = ("allowed: a negotiator class of negmas.sao (e.g. AspirationNegotiator, "
               "BoulwareTBNegotiator) or module:Class")
    module_name, sep, attr = name.partition(":")
    found: Any = None
    if sep:
        try:
            found = getattr(importlib.import_module(module_name), attr, None)
        except ImportError as exc:
            raise UsageError(f"--negotiators {name}: cannot import {module_name} ({exc}); "
                             f"{allowed}") from None
    elif name.isidentifier():
        found = getattr(importlib.import_module("negmas.sao"), name, None) or getattr(
            negmas, name, None)
    if not (isinstance(found, type) and issubclass(found, negmas.Negotiator)):
        raise UsageError(f"--negotiators {name}: not a NegMAS negotiator class; {allowed}")
    return found


def check_seeds(seed: int, runs: int = 1) -> None:
    """Seeds ``seed`` .. ``seed + runs - 1`` must fit numpy's global generator."""
    if seed < 0 or seed + runs - 1 > MAX_SEED:
        more = f" (with {runs} runs, up to {MAX_SEED - runs + 1})" if runs > 1 else ""
        raise UsageError(f"--seed {seed}: allowed: an integer in [0, {MAX_SEED}]{more}: "
                         "NegMAS draws from numpy's global generator")


def seed_everything(seed: int) -> None:
    """NegMAS seeds only globally: its negotiators draw from ``random`` and
    ``numpy.random``, so both are seeded before each negotiation."""
    check_seeds(seed)
    random.seed(seed)
    np.random.seed(seed)


def negotiate(exported: Export, us_class: type, rok_class: type,
              steps: int = DEFAULT_STEPS, seed: int = 0) -> Any:
    """One NegMAS SAO negotiation (the US proposes first, as in our scenarios' default)
    on an exported scenario; returns the mechanism's final state."""
    from negmas.sao import SAOMechanism

    seed_everything(seed)
    mechanism = SAOMechanism(outcome_space=exported.outcome_space, n_steps=steps)
    mechanism.add(us_class(name="us"), ufun=exported.us)
    mechanism.add(rok_class(name="rok"), ufun=exported.rok)
    state = mechanism.run()
    if state.has_error:
        raise UsageError(f"negmas: {us_class.__name__} vs {rok_class.__name__} failed at "
                         f"step {state.step}: {state.error_details}")
    return state


def _row(who: str, us: str, rok: str, seed: int, scenario: Scenario,
         package: tuple[float, ...] | None, steps: int) -> dict[str, Any]:
    """A row of the table: the package (None: no agreement; after the escalator the
    negotiated side items' shares) and each side's utility of it under the exported
    (initial) preferences."""
    space = scenario.package
    names = item_issues(space)
    row: dict[str, Any] = {"negotiators": who, "us": us, "rok": rok, "seed": seed,
                           "agreed": package is not None, "steps": steps}
    if package is None:
        row.update({k: math.nan for k in ("amount_krw_bn", "us_utility", "rok_utility",
                                          "escalator_pct", *names)}, term_years=None)
        return row
    amount, term, pct, *shares = package
    items = item_levels(space, tuple(shares)) if names else None
    row.update(amount_krw_bn=float(amount), term_years=int(term),
               escalator_pct=float(packages.escalator_pct_label(space, float(pct))),
               **{name: float(x) for name, x in zip(names, shares, strict=True)})
    for side in SIDES:
        row[f"{side}_utility"] = float(packages.utility(space, preferences(scenario, side),
                                                        amount, term, pct, items))
    return row


def _our_package(scenario: Scenario, outcome: Any) -> tuple[float, ...] | None:
    """The agreed package of our outcome, the escalator number as the model used it
    (a linked rule's missing cap is ``inf``), then the negotiated side items' shares."""
    if not outcome.agreed:
        return None
    pct = outcome.escalator_pct
    if pct is None or (isinstance(pct, float) and math.isnan(pct)):
        pct = math.inf
    return (outcome.amount_krw_bn, outcome.term_years, pct,
            *(getattr(outcome, name) for name in item_issues(scenario.package)))


def ours(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Our model's run at ``seed`` (the Mesa model, as ``negotiation-sim run --seed``)."""
    from ..api import run

    outcome = run(scenario, seed=seed, trace=False).outcome
    return _row("ours", scenario.us.tactic, scenario.rok.tactic, seed, scenario,
                _our_package(scenario, outcome), outcome.rounds_held)


def compare(scenario: Scenario, pairs: list[tuple[str, str]] | None = None,
            steps: int = DEFAULT_STEPS, runs: int = 1, seed: int = 0,
            n_amounts: int = DEFAULT_AMOUNTS) -> Any:
    """One table (pandas DataFrame, ``columns``): our model's runs at seeds ``seed`` ..
    ``seed + runs - 1``, then each NegMAS pair (US class, ROK class) at the same seeds on
    the exported scenario for ``steps`` steps. ``steps`` is rounds held for our rows and
    NegMAS mechanism steps for theirs."""
    import pandas as pd

    classes = [(negotiator_class(u), negotiator_class(r)) for u, r in pairs or [DEFAULT_PAIR]]
    check_seeds(seed, runs)
    seeds = range(seed, seed + runs)
    rows = [ours(scenario, s) for s in seeds]
    exported = export(scenario, n_amounts)
    for us_class, rok_class in classes:
        for s in seeds:
            state = negotiate(exported, us_class, rok_class, steps, s)
            rows.append(_row("negmas", us_class.__name__, rok_class.__name__, s, scenario,
                             state.agreement, state.step))
    table = pd.DataFrame(rows, columns=columns(scenario.package))
    return table.astype({"term_years": "Int64"})  # whole years; <NA> without a deal
