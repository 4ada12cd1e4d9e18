"""One round's exchange of offers, written once for both engines.

The negotiators have tabled this round's offers (their tactics' amounts); the mechanism
asks each whether it takes the other's offer and settles the round by the protocol
(alternating or simultaneous offers). With a single issue an offer is an amount. When
the scenario negotiates term, escalator or side items (``PackageSpace.negotiated``), each
amount stands for a target utility (its share of the way from bottom line to opening) and
the negotiator tables a package with that utility (``state.NegotiatorState.package_for``,
which also gives the package's worth to both sides). Each side compares packages by their
worth to it: the first-year amount that, with the stated package, it values the same
(``packages.worth``). A side's utility is
increasing in that worth, its bottom line is a worth, so the single-issue acceptance
rules and opponent memory apply to worths unchanged.

Called by the Mesa model with one run's numbers and by the array engine with arrays
over runs (``where``: the runs whose round took place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import packages, rules
from .state import ALL
from .tactics import NegotiationView
from .tactics.acceptance import at_least_as_good
from .tactics.packaged import Package


@dataclass(frozen=True)
class Exchange:
    """A round's result: whether a deal was struck, the package agreed (NaN where not;
    an issue not negotiated may hold its stated value there), and the packages each side
    tabled."""

    deal: Any
    agreed: Package
    us: Package
    rok: Package


def _settle(protocol: str, settlement: str, us_proposes: Any, x_us: Any, x_rok: Any,
            us_ok: Any, rok_ok: Any, crossed: Any = None) -> tuple[Any, Any]:
    if protocol == "alternating":
        return rules.alternating(us_proposes, x_us, x_rok, us_ok, rok_ok)
    return rules.simultaneous(settlement, x_us, x_rok, us_ok, rok_ok, crossed)


def _answer(ok: Any, one_run: bool) -> Any:
    return bool(ok) if one_run else ok


def on_grid(space: Any, deal: Any, term: Any, pct: Any, *items: Any) -> tuple[Any, ...]:
    """A split package's term to whole years (half up), escalator and side items to the
    nearest grid values (NaN where no deal)."""
    term = np.floor(term + 0.5)
    snapped = [space.pcts[space.pct_index(np.where(deal, pct, space.pct_low))]]
    for item, level in zip(space.items, items, strict=True):
        grid = item.levels
        snapped.append(grid[packages.nearest(grid, np.where(deal, level, grid[0]))])
    return (term, *(np.where(deal, x, np.nan) for x in snapped))


def stated(sc: Any, amount: Any) -> Package:
    """A package with the scenario's stated term, escalator and side items."""
    return (amount, sc.term_years, sc.escalator_pct, *sc.package.stated_items)


def exchange(sc: Any, us: Any, rok: Any, views: tuple[NegotiationView, NegotiationView],
             offers: tuple[Any, Any], us_proposes: Any, where: Any = ALL) -> Exchange:
    """Responses and settlement of one round; both negotiators remember the offers."""
    (view_us, view_rok), (x_us, x_rok) = views, offers
    one_run = not isinstance(x_us, np.ndarray)
    if not sc.package.negotiated:
        us_ok = _answer(us.acceptance.accepts(view_us, x_rok, x_us), one_run)
        rok_ok = _answer(rok.acceptance.accepts(view_rok, x_us, x_rok), one_run)
        deal, amount = _settle(sc.protocol, sc.settlement, us_proposes, x_us, x_rok, us_ok,
                               rok_ok)
        us.observe(x_us, x_rok, where)
        rok.observe(x_rok, x_us, where)
        return Exchange(deal, stated(sc, amount), stated(sc, x_us), stated(sc, x_rok))
    *p_us, own_us, seen_rok = us.package_for(x_us, view_us, rok, where)
    *p_rok, own_rok, seen_us = rok.package_for(x_rok, view_rok, us, where)
    p_us, p_rok = tuple(p_us), tuple(p_rok)
    us_ok = _answer(us.acceptance.accepts(view_us, seen_us, own_us), one_run)
    rok_ok = _answer(rok.acceptance.accepts(view_rok, seen_rok, own_rok), one_run)
    crossed = _answer(at_least_as_good(us.sign, seen_us, own_us)
                      & at_least_as_good(rok.sign, seen_rok, own_rok), one_run)
    if sc.protocol == "alternating":  # whose package, once for all issues
        deal, takes_rok = rules.alternating_choice(us_proposes, us_ok, rok_ok)
        agreed = [rules.agreed(deal, takes_rok, a, b) if free else a  # fixed: as stated
                  for free, a, b in zip(sc.package.free, p_us, p_rok, strict=True)]
    else:  # a split settles each issue at its midpoint
        agreed = []
        for mine, theirs in zip(p_us, p_rok, strict=True):
            deal, issue = _settle(sc.protocol, sc.settlement, us_proposes, mine, theirs,
                                  us_ok, rok_ok, crossed)
            agreed.append(issue)
        if sc.settlement == "split":
            agreed[1:] = on_grid(sc.package, deal, *agreed[1:])
    if one_run:
        agreed = [float(x) for x in agreed]
    us.observe(x_us, seen_us, where)
    rok.observe(x_rok, seen_rok, where)
    us.observe_package(p_us, p_rok, where)
    rok.observe_package(p_rok, p_us, where)
    return Exchange(deal, tuple(agreed), p_us, p_rok)
