"""Acceptance rules: whether a negotiator takes the opponent's offer this round."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Classifier, Component, NegotiationView, Param

_AFTER = Param("after_months", 0, 0, 600, "months", "months of talks before the rule applies", True)


class Acceptance(Component):
    """Base class: ``accepts(view, received, own_offer)`` -> bool (or bool array)."""

    registry: ClassVar[dict[str, type[Component]]] = {}

    def accepts(self, view: NegotiationView, received: Any, own_offer: Any) -> Any:
        raise NotImplementedError


def at_least_as_good(sign: Any, received: Any, reference: Any) -> Any:
    """True where ``received`` is at least as good as ``reference`` for the side."""
    return sign * (received - reference) >= 0


class ACNext(Acceptance):
    """Accept an offer at least as good as the one I would table this round."""

    name = "ac_next"

    def accepts(self, view: NegotiationView, received: Any, own_offer: Any) -> Any:
        return at_least_as_good(view.sign, received, own_offer)


class ACBottomLine(Acceptance):
    """Accept any offer within my bottom line once ``after_months`` of talks have passed."""

    name = "ac_bottom_line"
    classifier = Classifier(uses_time=True)
    params = (_AFTER,)

    def accepts(self, view: NegotiationView, received: Any, own_offer: Any) -> Any:
        return (view.month >= self.after_months) & at_least_as_good(
            view.sign, received, view.bottom_line
        )


class ACNextOrBottomLine(Acceptance):
    """AC_next, or the bottom-line rule once ``after_months`` have passed."""

    name = "ac_next_or_bottom_line"
    classifier = Classifier(uses_time=True)
    params = (_AFTER,)

    def accepts(self, view: NegotiationView, received: Any, own_offer: Any) -> Any:
        late = (view.month >= self.after_months) & at_least_as_good(
            view.sign, received, view.bottom_line
        )
        return at_least_as_good(view.sign, received, own_offer) | late
