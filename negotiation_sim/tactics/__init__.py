"""Concession tactics (offering) and acceptance rules, each in one registry.

>>> from negotiation_sim.tactics import OFFERING, select
>>> select(OFFERING, stochastic=True)
['random_tit_for_tat']
"""

from .acceptance import Acceptance
from .base import HISTORY, Classifier, Component, NegotiationView, Param, select
from .offering import Offering

OFFERING = Offering.registry
ACCEPTANCE = Acceptance.registry


def make_offering(name: str, **params: object) -> Offering:
    """Build an offering tactic by registry name."""
    return OFFERING[name](**params)  # type: ignore[return-value]


def make_acceptance(name: str, **params: object) -> Acceptance:
    """Build an acceptance rule by registry name."""
    return ACCEPTANCE[name](**params)  # type: ignore[return-value]


__all__ = [
    "ACCEPTANCE",
    "HISTORY",
    "OFFERING",
    "Acceptance",
    "Classifier",
    "Component",
    "NegotiationView",
    "Offering",
    "Param",
    "make_acceptance",
    "make_offering",
    "select",
]


def reference_tables() -> str:
    """Markdown tables of every tactic and rule with its parameters (for the docs)."""
    lines = []
    for title, registry in (("Offering tactics", OFFERING), ("Acceptance rules", ACCEPTANCE)):
        lines += [f"#### {title}", "", "| name | what | classifier | parameters |",
                  "|---|---|---|---|"]
        for name, cls in registry.items():
            doc = " ".join((cls.__doc__ or "").split())
            tags = ", ".join(k for k, v in vars(cls.classifier).items() if v) or "static"
            params = "; ".join(f"`{p.name}` = {p.default:g} in [{p.low:g}, {p.high:g}]"
                               f"{' ' + p.unit if p.unit else ''}" for p in cls.params) or "-"
            lines.append(f"| `{name}` | {doc} | {tags} | {params} |")
        lines.append("")
    return "\n".join(lines)
