"""Parameters: the one type for what a sweep, a tuning study and a sensitivity run vary.

A ``Parameter`` names a scenario key by dotted path (``us.tactic.beta``) or, in tuning
and sensitivity configs, an event selector (``events[type=walkout].probability``: every
walk-out event with a probability; ``events[type=walkout,side=us].probability``: the US
ones). It takes either a discrete set of ``values`` or continuous bounds ``low``..``high``
(log-uniform with ``log``, integers only with ``integer``).

One mapping from the unit interval, ``Parameter.from_unit``, turns the samplers' unit
cube (``experiments.samplers``: grid, random, Latin hypercube, Sobol') into values, so
bounds, log scales, integers and discrete sets behave the same whatever draws them.
Optuna draws through ``Parameter.suggest`` (the same bounds, scale and integer rule).

A tuned value ``v`` applies to each negotiation (cycle) by the parameter's ``mode``,
relative to the cycle's own facts (``x`` is the key's value in the cycle's scenario
file, ``A`` the cycle's amount in force); sweeps set the key to ``v`` itself:

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
``month``                the month ``v`` ('YYYY-MM')        a date the record lacks
=======================  =================================  =========================

A **month-valued** parameter (``{ low = "2004-03", high = "2004-11" }``, only where its
rules allow ``months``: the calibration's missing facts) draws a calendar month, each
month in the range equally likely (``v`` is a month number, ``calendar.parse_month``);
with ``n = K``, one of ``K`` months spread evenly over the range (the engines batch runs
by start month, so fewer months run faster). On
``scenario.talks_start`` it moves step 0 only: every month the file anchors stays on its
calendar month, so the month counts from talks start (``acceptance.after_months``, a
tactic's resolved ``deadline_months``) shift with it.

A parameter applies to every cycle whose scenario sets its key; cycles without it are
untouched (the 11th SMA's US veto threshold exists in no other cycle). Cycle values are
then kept valid: a bottom line never lies past its side's opening (the US bottom line at
most the US opening, the ROK's at least the ROK opening); integer keys are rounded and
deadlines kept at least 1 month; probabilities stay in [0, 1]. Everything works on
scalars and on numpy arrays of values (one per run), so a whole design maps in one go.

``parse_parameters`` reads a config's parameter table into parameters; each problem is
one line naming the key and what is allowed (``SpecRules`` says what a table may hold).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .scenario import Scenario

MODES = ("value", "times", "premium_times", "percent_above_amount", "percent_of_amount", "plus")
SPEC_KEYS = ("values", "low", "high", "step", "n", "log", "integer", "mode", "default")
_SELECTOR = re.compile(r"^events\[([^\]]*)\]\.([A-Za-z_]+)$")
MAX_VALUES = 10**7  # values one range may make (experiments.samplers.MAX_POINTS)
_INTEGER_KEYS = ("deadline_months", "window", "after_months", "after_gap_months")


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: a discrete set of values, or bounds; and its mode."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    values: tuple[Any, ...] | None = None
    mode: str = "value"
    default: float | None = None  # tuning: the value where no fit cycle identifies it

    @property
    def discrete(self) -> bool:
        return self.values is not None

    @property
    def dtype(self) -> str:
        """Column type in design and results tables: float64, int64, bool or str."""
        if self.values is None:
            return "int64" if self.integer else "float64"
        if all(isinstance(v, bool) for v in self.values):
            return "bool"
        if all(isinstance(v, str) for v in self.values):
            return "str"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return "int64"
        return "float64"

    @property
    def start(self) -> float:
        """The default value (middle of the bounds, geometric on a log scale)."""
        if self.default is not None:
            return self.default
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        mid = math.sqrt(low * high) if self.log else 0.5 * (low + high)
        return float(round(mid)) if self.integer else mid

    def from_unit(self, u: Any) -> np.ndarray:
        """Map uniforms in [0, 1] to values, uniform over the range (log-uniform if ``log``).

        Discrete sets: each value equally likely. Integers: each integer in [low, high]
        equally likely (``log`` does not apply). Results never leave the bounds.
        """
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((u * k).astype(np.int64), k - 1)
            return np.asarray(self.values, dtype=object)[idx].astype(numpy_dtype(self.dtype))
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.integer:
            lo, hi = math.ceil(low), math.floor(high)
            return np.minimum(lo + np.floor(u * (hi - lo + 1)), hi).astype(np.int64)
        if self.log:
            return np.exp(np.log(low) + u * (np.log(high) - np.log(low))).clip(low, high)
        return (low + u * (high - low)).clip(low, high)

    def suggest(self, trial: Any) -> Any:
        """Optuna's suggestion for this parameter (the same range, scale and integer rule)."""
        if self.values is not None:
            return trial.suggest_categorical(self.name, list(self.values))
        if self.integer:
            return trial.suggest_int(self.name, math.ceil(self.low),  # type: ignore[arg-type]
                                     math.floor(self.high))  # type: ignore[arg-type]
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

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
        """JSON-ready description (manifests, and the fingerprint of a tuning study)."""
        if self.values is not None and self.mode != MONTH_MODE:
            return {"values": list(self.values)}
        if self.mode == MONTH_MODE:
            from .calendar import format_month

            out_m: dict[str, Any] = {"mode": self.mode,
                                     "low": format_month(int(self.low)),  # type: ignore[arg-type]
                                     "high": format_month(int(self.high))}  # type: ignore[arg-type]
            if self.values is not None:
                out_m["months"] = [format_month(int(v)) for v in self.values]
            return out_m
        out: dict[str, Any] = {"mode": self.mode, "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.integer:
            out["integer"] = True
        if self.default is not None:
            out["default"] = self.default
        return out


def numpy_dtype(dtype: str) -> Any:
    """The numpy dtype of a ``Parameter.dtype`` (strings as objects)."""
    return object if dtype == "str" else dtype


def discrete_range(low: float, high: float, step: float | None = None, n: int | None = None,
                   log: bool = False) -> tuple[float, ...]:
    """Values low, low+step, ... <= high (inclusive), or ``n`` evenly spaced (log) values."""
    if n is not None:
        values = np.geomspace(low, high, n) if log else np.linspace(low, high, n)
    else:
        count = int(math.floor((high - low) / step + 1e-9)) + 1  # type: ignore[operator]
        values = low + step * np.arange(count)  # type: ignore[operator]
    return tuple(float(v) for v in np.round(values, 10))


# --- the parameter table of a config ------------------------------------------------


@dataclass(frozen=True)
class SpecRules:
    """What one kind of config's parameter table may hold, and the hints its errors give."""

    keys: tuple[str, ...]  # spec keys allowed
    table: str  # what a parameter table is (for a missing or empty one)
    allowed: str  # the ``allowed: ...`` of a bad spec
    discrete: bool = False  # lists, single values, step and n give discrete sets
    bounds: bool = True  # { low, high } alone gives a continuous range
    equal_bounds: bool = False  # low == high allowed (one value)
    selectors: bool = False  # names are checked: dotted keys or event selectors
    months: bool = False  # { low = "YYYY-MM", high = "YYYY-MM" } gives a month-valued range


def sweep_rules(sampler: str) -> SpecRules:
    """A ``[sweep.parameters]`` table: values, ranges, and bounds unless ``sampler`` is grid."""
    bounds = sampler != "grid"
    return SpecRules(
        keys=("values", "low", "high", "step", "n", "log", "integer"),
        table="a [sweep.parameters] table of \"dotted.key\" = [values] or { low, high[, step "
              "| n][, log][, integer] }",
        allowed="allowed: a list of values, { low, high, step }, { low, high, n }"
                + (", or { low, high } bounds" if bounds else ""),
        discrete=True, bounds=bounds, equal_bounds=True)


TUNED = SpecRules(
    keys=("low", "high", "mode", "log", "integer", "default"),
    table="a table of \"dotted.key\" = { low = L, high = H } (+ mode, log, integer, default)",
    allowed="allowed: { low = L, high = H }", selectors=True)
# Missing facts of a calibration cycle: as TUNED, and dates as month ranges.
MISSING = SpecRules(
    keys=TUNED.keys, table=TUNED.table.replace("(+", "or { low = \"YYYY-MM\", high = "
                                               "\"YYYY-MM\" } (+"),
    allowed="allowed: { low = L, high = H } or { low = \"YYYY-MM\", high = \"YYYY-MM\" }",
    selectors=True, months=True)
MONTH_MODE = "month"


def parse_parameters(raw: Any, rules: SpecRules,
                     problem: Callable[[str, str], None]) -> list[Parameter]:
    """Parameters from a config table; each bad one is reported as ``problem(name, message)``.

    The name is ``""`` for the table itself. Nested tables (``us.opening`` unquoted) are
    walked into dotted names.
    """
    if not isinstance(raw, dict) or not raw:
        problem("", f"missing or empty; allowed: {rules.table}")
        return []
    params = []
    for name, spec in _flatten(raw, ""):
        found = parse_parameter(name, spec, rules)
        if isinstance(found, str):
            problem(name, found)
        else:
            params.append(found)
    return params


def _flatten(node: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in node.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and not set(value) & set(SPEC_KEYS):
            out += _flatten(value, name)
        else:
            out.append((name, value))
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_parameter(name: str, spec: Any, rules: SpecRules) -> Parameter | str:
    """One parameter from its spec, or the one-line problem (``message; allowed: ...``)."""
    if rules.selectors:
        bad_name = is_valid_name(name)
        if bad_name:
            return bad_name
    if not isinstance(spec, dict):
        if not rules.discrete:
            return f"{spec!r} is not allowed; {rules.allowed}"
        spec = {"values": spec if isinstance(spec, list) else [spec]}  # one value: every run
    if rules.months and (isinstance(spec.get("low"), str) or isinstance(spec.get("high"), str)):
        return _month_range(name, spec)
    for key in spec:
        if key not in rules.keys:
            return f"unknown key {key!r}; allowed: {', '.join(rules.keys)}"
    log, integer = spec.get("log", False), spec.get("integer", False)
    mode, default = spec.get("mode", "value"), spec.get("default")
    if not isinstance(log, bool) or not isinstance(integer, bool):
        return "log and integer must be true or false; allowed: true, false"
    if mode not in MODES:
        return f"mode {mode!r} is not allowed; allowed: {', '.join(MODES)}"
    if "values" in spec:
        return _values(spec, rules, name)
    low, high = spec.get("low"), spec.get("high")
    below = "<=" if rules.equal_bounds else "<"
    if not (_number(low) and _number(high)) or low > high or (
            low == high and not rules.equal_bounds):
        return f"needs numbers low {below} high (got low={low!r}, high={high!r}); {rules.allowed}"
    if log and low <= 0:
        return f"log = true needs low > 0 (got {low!r}); allowed: 0 < low {below} high"
    step, n = spec.get("step"), spec.get("n")
    if step is not None or n is not None:
        return _range(name, float(low), float(high), step, n, log, integer, rules)
    if not rules.bounds:
        return f"bounds alone cannot make a grid; {rules.allowed}"
    if integer and math.ceil(low) > math.floor(high):
        return f"no integer lies in [{low!r}, {high!r}]; allowed: bounds around an integer"
    if default is not None and not (_number(default) and low <= default <= high):
        return f"default {default!r} is not allowed; allowed: a number in [{low}, {high}]"
    return Parameter(name, float(low), float(high), log, integer, mode=mode,
                     default=None if default is None else float(default))


def _month_range(name: str, spec: dict[str, Any]) -> Parameter | str:
    """A month-valued range ``{ low = "YYYY-MM", high = "YYYY-MM"[, n = K] }``.

    Every month of the range is equally likely; with ``n``, only ``K`` months spread evenly
    from ``low`` to ``high`` (rounded to whole months): an engine batch runs one start
    month at a time, so fewer months cost fewer batches.
    """
    from .calendar import parse_month

    allowed = 'allowed: { low = "YYYY-MM", high = "YYYY-MM" } (+ n = months drawn)'
    extra = sorted(set(spec) - {"low", "high", "n"})
    if extra:
        return f"{extra[0]} cannot be combined with month bounds; {allowed}"
    bounds = []
    for key in ("low", "high"):
        try:
            bounds.append(parse_month(spec.get(key)))  # type: ignore[arg-type]
        except ValueError as exc:
            return f"{key}: {exc}"
    if bounds[0] > bounds[1]:
        return (f"low {spec['low']} is after high {spec['high']}; allowed: months with "
                "low <= high")
    n = spec.get("n")
    values = None
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= bounds[1] - bounds[0] + 1:
            return (f"n {n!r} is not allowed; allowed: an integer from 2 to the "
                    f"{bounds[1] - bounds[0] + 1} months of the range")
        values = tuple(sorted({int(round(v)) for v in np.linspace(bounds[0], bounds[1], n)}))
    return Parameter(name, float(bounds[0]), float(bounds[1]), integer=True, values=values,
                     mode=MONTH_MODE)


def _values(spec: dict[str, Any], rules: SpecRules, name: str) -> Parameter | str:
    values = spec["values"]
    if set(spec) - {"values"}:
        return f"values cannot be combined with other keys; {rules.allowed}"
    if not isinstance(values, list) or not values or any(
            isinstance(v, dict | list) for v in values):
        return f"{values!r} is not a list of values; {rules.allowed}"
    kinds = {_value_kind(v) for v in values}
    if len(kinds) > 1 or None in kinds:  # one column type per parameter in results tables
        return (f"{values!r} mixes types; allowed: values all numbers, all text or all "
                "true/false")
    return Parameter(name, values=tuple(values))


def _value_kind(value: Any) -> str | None:
    """A swept value's column kind: number, text or bool (None: none of these)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else None


def _range(name: str, low: float, high: float, step: Any, n: Any, log: bool, integer: bool,
           rules: SpecRules) -> Parameter | str:
    """A discrete set from ``{ low, high, step }`` or ``{ low, high, n }``."""
    if step is not None and n is not None:
        return f"give step or n, not both; {rules.allowed}"
    if step is not None:
        if not _number(step) or step <= 0 or log:
            return f"step {step!r} is not allowed; allowed: a number > 0 (without log)"
        count = math.floor((high - low) / step + 1e-9) + 1
        if count > MAX_VALUES:
            return (f"{{ low = {low:g}, high = {high:g}, step = {step:g} }} makes {count:,} "
                    f"values; allowed: at most {MAX_VALUES:,} values per parameter")
        values = discrete_range(low, high, step=step)
    else:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            return f"n {n!r} is not allowed; allowed: an integer >= 1"
        if n > MAX_VALUES:
            return f"n {n:,} is too many values; allowed: at most {MAX_VALUES:,} per parameter"
        values = discrete_range(low, high, n=n, log=log)
    if integer:
        values = tuple(sorted({int(round(v)) for v in values}))
    return Parameter(name, values=values)


# --- how a value applies to one cycle ---------------------------------------------------


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
    elif mode == MONTH_MODE:
        out = np.round(v)
    else:
        raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    return out


def cycle_overrides(scenario: Scenario, parameters: tuple[Parameter, ...] | list,
                    values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted-key overrides for one cycle from tuned values (scalars or arrays).

    Scalars give plain floats/ints (for ``Scenario.with_overrides`` and scenario files);
    arrays give arrays (override columns for ``simulate_batch``).
    """
    amount = scenario.amount_in_force
    out: dict[str, Any] = {}
    months: dict[str, Any] = {}
    for p in parameters:
        if p.name not in values:
            continue
        for key in p.targets(scenario):
            own = lookup(scenario.resolved, key)
            x = transform(p.mode, values[p.name], own, amount)
            if p.mode == MONTH_MODE:
                months[key] = x
            else:
                out[key] = _keep_valid(key, x)
    _clip_bottom_lines(scenario, out)
    if "scenario.talks_start" in months:
        _shift_start_counts(scenario, months["scenario.talks_start"], out)
    plain = {k: _plain(k, v) for k, v in out.items()}
    plain.update({k: _month_text(v) for k, v in months.items()})
    return plain


def _shift_start_counts(scenario: Scenario, start: np.ndarray, out: dict[str, Any]) -> None:
    """Keep the calendar months of counts from talks start when the start moves."""
    shift = float(scenario.talks_start) - np.asarray(start, dtype=np.float64)
    for side in ("us", "rok"):
        for part, leaf in (("tactic", "deadline_months"), ("acceptance", "after_months")):
            key = f"{side}.{part}.{leaf}"
            own = out.get(key, lookup(scenario.resolved, key))
            if isinstance(own, int | float | np.ndarray) and not isinstance(own, bool):
                out[key] = _keep_valid(key, np.asarray(own, dtype=np.float64) + shift)


def _month_text(x: Any) -> Any:
    """'YYYY-MM' for one month number, an array of them for one per run."""
    from .calendar import format_month

    arr = np.asarray(x)
    if arr.ndim == 0:
        return format_month(int(arr))
    return np.array([format_month(int(m)) for m in arr.ravel()], dtype=object)


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
