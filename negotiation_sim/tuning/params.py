"""Free parameters, and how one value applies to each negotiation (cycle).

A free parameter is named by a dotted scenario key (``us.tactic.beta``) or an event
selector (``events[type=walkout].probability``: every walk-out event with a probability;
``events[type=walkout,side=us].probability``: the US ones). It applies to every cycle
whose scenario sets that key; cycles without it are untouched (the 11th SMA's US veto
threshold exists in no other cycle). Its ``mode`` turns the tuned value ``v`` into the
cycle's value, relative to the cycle's own facts (``x`` is the key's value in the cycle's
scenario file, ``A`` the cycle's amount in force):

=======================  =================================  =========================
mode                     cycle value                        typical use
=======================  =================================  =========================
``value``                ``v``                              tactic beta, probabilities
``times``                ``x * v``                          scale a recorded value
``premium_times``        ``A + v * (x - A)``                opening demands: ``v`` = 1
                                                            is the recorded opening
``percent_above_amount`` ``A * (1 + v / 100)``              bottom lines, thresholds
``percent_of_amount``    ``A * v / 100``                    gap sensitivity (bn won
                                                            per unit of gap cost)
``plus``                 ``x + v``                          concession deadline in
                                                            months past the expiry
=======================  =================================  =========================

Values are then kept valid: a bottom line never lies past its side's opening (the US
bottom line at most the US opening, the ROK's at least the ROK opening); integer keys are
rounded and deadlines kept at least 1 month; probabilities stay in [0, 1]. Everything works
on scalars and on numpy arrays of values (one per run), so a Sobol' design maps in one go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario import Scenario

MODES = ("value", "times", "premium_times", "percent_above_amount", "percent_of_amount", "plus")
_SELECTOR = re.compile(r"^events\[([^\]]*)\]\.([A-Za-z_]+)$")
_INTEGER_KEYS = ("deadline_months", "window", "after_months", "after_gap_months")


@dataclass(frozen=True)
class FreeParameter:
    """One tuned (or sampled) parameter: its key, bounds, scale and mode."""

    name: str
    low: float
    high: float
    mode: str = "value"
    log: bool = False
    integer: bool = False
    default: float | None = None  # used where the parameter is not identified

    @property
    def start(self) -> float:
        """The default value (middle of the bounds, geometric on a log scale)."""
        if self.default is not None:
            return self.default
        mid = float(np.sqrt(self.low * self.high)) if self.log else 0.5 * (self.low + self.high)
        return float(round(mid)) if self.integer else mid

    def targets(self, scenario: Scenario) -> list[str]:
        """Dotted keys this parameter sets in ``scenario`` (empty: does not apply)."""
        m = _SELECTOR.match(self.name)
        if m:
            want = _parse_selector(m[1])
            leaf = m[2]
            return [f"events.{i}.{leaf}" for i, ev in enumerate(scenario.resolved["events"])
                    if leaf in ev and all(str(ev.get(k)) == v for k, v in want.items())]
        return [self.name] if lookup(scenario.resolved, self.name) is not None else []

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.integer:
            out["integer"] = True
        if self.default is not None:
            out["default"] = self.default
        return out


def _parse_selector(text: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"selector item {part!r} is not key=value")
        out[key.strip()] = value.strip().strip("\"'")
    return out


def is_valid_name(name: str) -> str | None:
    """None if ``name`` is a well-formed key or selector, else what is allowed."""
    m = _SELECTOR.match(name)
    if m:
        try:
            _parse_selector(m[1])
        except ValueError as exc:
            return f"{exc}; allowed: events[type=walkout,side=us].probability"
        return None
    if name.startswith("events"):
        return ("events are chosen by selector; allowed: events[type=TYPE(,side=SIDE)].KEY, "
                "e.g. events[type=walkout].probability")
    if not re.match(r"^[a-z_]+(\.[a-z_]+)+$", name):
        return "not a dotted scenario key; allowed: e.g. us.tactic.beta, rok.bottom_line"
    return None


def lookup(resolved: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of a resolved scenario dict (None if absent)."""
    node: Any = resolved
    for part in dotted.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            node = node[int(part)]
        elif isinstance(node, Mapping):
            if part not in node:
                return None
            node = node[part]
        else:
            return None
    return node


def transform(mode: str, value: Any, own: Any, amount: float) -> Any:
    """The cycle's value of a key from the tuned ``value`` (see the module table)."""
    v = np.asarray(value, dtype=np.float64)
    if mode == "value":
        out = v
    elif mode == "times":
        out = float(own) * v
    elif mode == "premium_times":
        out = amount + v * (float(own) - amount)
    elif mode == "percent_above_amount":
        out = amount * (1.0 + v / 100.0)
    elif mode == "percent_of_amount":
        out = amount * v / 100.0
    elif mode == "plus":
        out = float(own) + v
    else:
        raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    return out


def cycle_overrides(scenario: Scenario, parameters: tuple[FreeParameter, ...] | list,
                    values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted-key overrides for one cycle from tuned values (scalars or arrays).

    Scalars give plain floats/ints (for ``Scenario.with_overrides`` and scenario files);
    arrays give arrays (override columns for ``simulate_batch``).
    """
    amount = scenario.amount_in_force
    out: dict[str, Any] = {}
    for p in parameters:
        if p.name not in values:
            continue
        for key in p.targets(scenario):
            own = lookup(scenario.resolved, key)
            x = transform(p.mode, values[p.name], own, amount)
            out[key] = _keep_valid(key, x)
    _clip_bottom_lines(scenario, out)
    return {k: _plain(k, v) for k, v in out.items()}


def _keep_valid(key: str, x: np.ndarray) -> np.ndarray:
    leaf = key.rsplit(".", 1)[-1]
    if leaf in _INTEGER_KEYS:
        x = np.maximum(np.round(x), 1.0 if leaf == "deadline_months" else 0.0)
    if leaf in ("probability", "veto_probability"):
        x = np.clip(x, 0.0, 1.0)
    return x


def _clip_bottom_lines(scenario: Scenario, out: dict[str, Any]) -> None:
    """A bottom line never lies past its own side's opening (the schema's cross-check)."""
    for side, sign in (("us", 1.0), ("rok", -1.0)):
        key = f"{side}.bottom_line"
        if key not in out and f"{side}.opening" not in out:
            continue
        opening = out.get(f"{side}.opening", scenario.side(side).opening)
        floor = out.get(key, scenario.side(side).bottom_line)
        clipped = sign * np.minimum(sign * np.asarray(floor, dtype=np.float64),
                                    sign * np.asarray(opening, dtype=np.float64))
        out[key] = clipped


def _plain(key: str, x: Any) -> Any:
    """A float (int for integer keys) for one value, an array for one value per run."""
    arr = np.asarray(x, dtype=np.float64)
    if key.rsplit(".", 1)[-1] in _INTEGER_KEYS:
        return int(arr) if arr.ndim == 0 else arr.astype(np.int64)
    return float(arr) if arr.ndim == 0 else arr
