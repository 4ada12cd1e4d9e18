"""Load and validate a scenario file into typed, immutable settings.

``load_scenario(path)`` reads TOML, checks every key against ``schema``, reports all
problems at once (``ScenarioError``) and returns a ``Scenario``. Overrides use dotted
key paths (``us.tactic.beta``, ``events.2.probability``) and are validated the same way.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .calendar import format_month, parse_month
from .configfile import MAX_DEPTH, nesting, read_toml
from .errors import ScenarioError
from .events import KINDS, Furlough, LeaderChange, Principal, Shock, Walkout
from .tactics import ACCEPTANCE, OFFERING

SIGN = {"us": 1.0, "rok": -1.0}


@dataclass(frozen=True)
class Side:
    """One party: its negotiator's settings and its principal (leader)."""

    side: str
    opening: float
    bottom_line: float
    gap_cost: float
    gap_sensitivity: float
    tactic: str
    tactic_params: dict[str, Any]
    acceptance: str
    acceptance_params: dict[str, Any]
    principal: Principal

    @property
    def sign(self) -> float:
        return SIGN[self.side]


Event = Walkout | Furlough | LeaderChange | Shock


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Month fields are indices from ``talks_start`` (step 0)."""

    name: str
    description: str
    talks_start: int  # absolute month number
    n_months: int  # steps from talks_start to horizon inclusive
    krw_per_usd: float
    amount_in_force: float
    expiry: int  # index of the last month covered by the agreement in force
    term_years: int
    protocol: str
    first_mover: str
    settlement: str
    round_months: tuple[int, ...]
    us: Side
    rok: Side
    events: tuple[Event, ...]
    resolved: dict[str, Any] = field(repr=False, compare=False)
    source: str = field(default="<scenario>", compare=False)

    def side(self, name: str) -> Side:
        return self.us if name == "us" else self.rok

    def month_label(self, index: int) -> str:
        return format_month(self.talks_start + index)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with dotted-path overrides applied and validated."""
        return from_dict(apply_overrides(self.resolved, overrides), self.source)

    @property
    def random_streams(self) -> int:
        """Uniform streams per month this scenario reads (see ``draws``)."""
        from .draws import STREAM_EVENTS

        return STREAM_EVENTS + len(self.events)


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file."""
    source = str(path)
    raw = read_toml(path)
    if overrides:
        raw = apply_overrides(raw, overrides, source)
    return from_dict(raw, source)


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value (number, bool, string, list), else plain text."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    return text if nesting(value) > MAX_DEPTH else value


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any],
                    source: str = "<scenario>") -> dict[str, Any]:
    """Copy of ``raw`` with each dotted key set (list items by index)."""
    out = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    where = ".".join(parts[: depth + 1])
                    raise ScenarioError([(where, f"no such item; allowed: 0..{len(node) - 1}")],
                                        source)
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict | list):
                    raise ScenarioError([(dotted, "is not a table")], source)
        if isinstance(node, list):
            raise ScenarioError([(dotted, "cannot replace a list item's whole table")], source)
        node[parts[-1]] = value
    return out


def flat_to_dotted(name: str) -> str:
    """Map a flat keyword (``us_tactic_beta``) to its dotted path (``us.tactic.beta``)."""
    prefixes = sorted(schema.SECTIONS, key=len, reverse=True)
    for prefix in prefixes:
        flat = prefix.replace(".", "_") + "_"
        if name.startswith(flat):
            return f"{prefix}.{name[len(flat):]}"
    if name.startswith("events_"):
        return "events." + name[len("events_"):].replace("_", ".", 1)
    raise KeyError(name)


# --- validation -----------------------------------------------------------------


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def table(self, raw: Any, path: str, fields: dict[str, schema.Field],
              extra_ok: bool = False) -> dict[str, Any]:
        """Check one table; return it with defaults filled."""
        if not isinstance(raw, dict):
            self.add(path, f"{raw!r} is not a table; allowed: [{path}] with keys "
                     f"{', '.join(fields)}")
            return {}
        out: dict[str, Any] = {}
        for key, spec in fields.items():
            if key in raw:
                msg = spec.check(raw[key])
                if msg:
                    self.add(f"{path}.{key}", msg)
                else:
                    out[key] = raw[key]
            elif spec.default is schema.REQUIRED:
                self.add(f"{path}.{key}", f"missing; allowed: {spec.doc or spec.kind}")
            elif spec.default is not None:
                out[key] = spec.default
        if not extra_ok:
            for key in raw:
                if key not in fields and not isinstance(raw[key], dict):
                    self.add(f"{path}.{key}", f"unknown key; allowed: {', '.join(fields)}")
        return out


def validate(raw: dict[str, Any], source: str = "<scenario>") -> dict[str, Any]:
    """Return the resolved (defaults filled) scenario dict, or raise with every problem."""
    ck = _Checker(source)
    if not isinstance(raw, dict):
        raise ScenarioError([("(file)", "not a table")], source)
    top_allowed = {"scenario", "agreement_in_force", "new_agreement", "rounds", "us", "rok",
                   "events"}
    for key in raw:
        if key not in top_allowed:
            ck.add(key, f"unknown section; allowed: {', '.join(sorted(top_allowed))}")
    resolved: dict[str, Any] = {}
    for name in ("scenario", "agreement_in_force", "new_agreement", "rounds"):
        default = {} if name in schema.OPTIONAL_SECTIONS else None
        section = raw.get(name, default)
        if section is None:
            ck.add(name, f"missing section; allowed keys: {', '.join(schema.SECTIONS[name])}")
            continue
        resolved[name] = ck.table(section, name, schema.SECTIONS[name])
    for side in schema.SIDES:
        resolved[side] = _check_side(ck, raw.get(side), side)
    events = raw.get("events", [])
    if not isinstance(events, list):
        ck.add("events", "is not an array of tables; allowed: [[events]] entries")
        events = []
    resolved["events"] = [_check_event(ck, ev, f"events.{i}") for i, ev in enumerate(events)]
    if not ck.problems:
        _cross_checks(ck, resolved)
    if ck.problems:
        raise ScenarioError(ck.problems, source)
    return resolved


def _check_side(ck: _Checker, raw: Any, side: str) -> dict[str, Any]:
    if raw is None:
        ck.add(side, f"missing section; allowed keys: {', '.join(schema.NEGOTIATOR)}, "
               "tactic, acceptance, principal")
        return {}
    out = ck.table(raw, side, schema.NEGOTIATOR)
    if not isinstance(raw, dict):
        return out
    for key in raw:
        if isinstance(raw[key], dict) and key not in ("tactic", "acceptance", "principal"):
            ck.add(f"{side}.{key}", "unknown table; allowed: tactic, acceptance, principal")
    out["principal"] = ck.table(raw.get("principal", {}), f"{side}.principal", schema.PRINCIPAL)
    for part, registry, fields in (("tactic", OFFERING, schema.TACTIC),
                                   ("acceptance", ACCEPTANCE, schema.ACCEPTANCE)):
        table = raw.get(part, None if part == "tactic" else {})
        if table is None:
            ck.add(f"{side}.tactic", f"missing; allowed names: {', '.join(registry)}")
            continue
        if isinstance(table, str):
            table = {"name": table}
        filled = ck.table(table, f"{side}.{part}", fields, extra_ok=True)
        name = filled.get("name")
        if name is None:
            continue
        if name not in registry:
            ck.add(f"{side}.{part}.name",
                   f"unknown {part} {name!r}; allowed: {', '.join(registry)}")
            continue
        params = {k: v for k, v in table.items() if k != "name"}
        if (part == "tactic" and params.get("deadline_months") == "expiry"
                and "deadline_months" in {p.name for p in registry[name].params}):
            params["deadline_months"] = "expiry"  # resolved in _cross_checks
            check_params = {k: v for k, v in params.items() if k != "deadline_months"}
        else:
            check_params = params
        for key, msg in registry[name].check(check_params):
            if part == "tactic" and key == "deadline_months" and not msg.startswith("unknown"):
                msg += ', or "expiry" (the months from talks_start to the expiry)'
            ck.add(f"{side}.{part}.{key}", msg)
        out[part] = {"name": name, **params}
    return out


def _check_event(ck: _Checker, raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        ck.add(path, "is not a table; allowed: a [[events]] table with a type")
        return {}
    kind = raw.get("type")
    if kind not in schema.EVENT_TYPES:
        ck.add(f"{path}.type", f"{kind!r} is not allowed; allowed: {', '.join(schema.EVENT_TYPES)}")
        return {}
    fields = {**schema.EVENT_COMMON, **schema.EVENTS[kind]}
    out = ck.table(raw, path, fields)
    for key, message in KINDS[kind].table_problems(out):
        ck.add(f"{path}.{key}" if key else path, message)
    return out


def _cross_checks(ck: _Checker, r: dict[str, Any]) -> None:
    start = parse_month(r["scenario"]["talks_start"])
    horizon = parse_month(r["scenario"]["horizon"])
    if horizon < start:
        ck.add("scenario.horizon", f"{r['scenario']['horizon']} is before talks_start; "
               "allowed: a month at or after talks_start")
        return
    expiry = parse_month(r["agreement_in_force"]["expires"]) - start
    _check_expiry(ck, r, expiry, horizon - start)
    for side in schema.SIDES:
        s = r[side]
        sign = SIGN[side]
        if sign * (s["opening"] - s["bottom_line"]) < 0:
            want = "at or below" if side == "us" else "at or above"
            ck.add(f"{side}.bottom_line", f"{s['bottom_line']:g} is on the wrong side of the "
                   f"opening demand {s['opening']:g}; allowed: {want} the opening")
        tactic = s.get("tactic", {})
        if tactic.get("deadline_months") == "expiry":
            if expiry < 0:
                continue  # reported by _check_expiry
            if expiry < 1:
                ck.add(f"{side}.tactic.deadline_months", "'expiry' needs the agreement to "
                       "expire after talks_start; allowed: an integer >= 1")
            else:
                tactic["deadline_months"] = expiry
    rounds = r["rounds"]
    if "months" in rounds:
        _check_duplicate_rounds(ck, rounds["months"])
        idx = sorted({parse_month(m) - start for m in rounds["months"]})
        if idx[0] < 0 or idx[-1] > horizon - start:
            ck.add("rounds.months", "a round month lies outside talks_start..horizon; allowed: "
                   f"{r['scenario']['talks_start']}..{r['scenario']['horizon']}")
    else:
        idx = list(range(0, horizon - start + 1, rounds["every_months"]))
    ctx = {"round_months": set(idx), "sides": {side: r[side] for side in schema.SIDES}}
    for i, ev in enumerate(r["events"]):
        m = parse_month(ev["month"]) - start if "month" in ev else None
        if m is not None and not 0 <= m <= horizon - start:
            ck.add(f"events.{i}.month", f"{ev['month']} is outside the run; allowed: "
                   f"{r['scenario']['talks_start']}..{r['scenario']['horizon']}")
            continue
        for key, message in KINDS[ev["type"]].cross_problems(ev, m, ctx):
            ck.add(f"events.{i}.{key}", message)


def _check_expiry(ck: _Checker, r: dict[str, Any], expiry: int, last: int) -> None:
    """The agreement in force expires within the run: not before talks start (every month
    would count as a gap month since the expiry), not after the horizon (no run could
    reach the gap the model is about)."""
    talks, horizon = r["scenario"]["talks_start"], r["scenario"]["horizon"]
    expires = r["agreement_in_force"]["expires"]
    if expiry < 0:
        ck.add("agreement_in_force.expires", f"{expires} is before talks_start {talks}; "
               f"allowed: a month from talks_start to horizon ({talks}..{horizon})")
    elif expiry > last:
        ck.add("scenario.horizon", f"{horizon} is before the expiry "
               f"(agreement_in_force.expires = {expires}), so no run reaches it; allowed: a "
               f"month at or after {expires}")


def _check_duplicate_rounds(ck: _Checker, months: list[str]) -> None:
    """Each round month once: a repeated month would silently collapse into one round."""
    seen: dict[int, str] = {}
    for text in months:
        m = parse_month(text)
        if m in seen:
            ck.add("rounds.months", f"{text} is listed twice; allowed: distinct months "
                   "(one round a month)")
            return
        seen[m] = text


def from_dict(raw: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a nested dict (as read from TOML) into a ``Scenario``."""
    r = validate(raw, source)
    start = parse_month(r["scenario"]["talks_start"])
    horizon = parse_month(r["scenario"]["horizon"])
    rounds = r["rounds"]
    if "months" in rounds:
        round_months = tuple(sorted({parse_month(m) - start for m in rounds["months"]}))
    else:
        round_months = tuple(range(0, horizon - start + 1, rounds["every_months"]))

    def side(name: str) -> Side:
        s = r[name]
        tactic = dict(s["tactic"])
        acceptance = dict(s["acceptance"])
        return Side(
            side=name,
            opening=float(s["opening"]),
            bottom_line=float(s["bottom_line"]),
            gap_cost=float(s["gap_cost"]),
            gap_sensitivity=float(s["gap_sensitivity"]),
            tactic=tactic.pop("name"),
            tactic_params=tactic,
            acceptance=acceptance.pop("name"),
            acceptance_params=acceptance,
            principal=Principal.from_table(s["principal"]),
        )

    def month(ev: dict[str, Any]) -> int | None:
        return parse_month(ev["month"]) - start if "month" in ev else None

    events = tuple(KINDS[ev["type"]].from_table(i, ev, month(ev))
                   for i, ev in enumerate(r["events"]))
    return Scenario(
        name=r["scenario"]["name"],
        description=r["scenario"]["description"],
        talks_start=start,
        n_months=horizon - start + 1,
        krw_per_usd=float(r["scenario"]["krw_per_usd"]),
        amount_in_force=float(r["agreement_in_force"]["amount_krw_bn"]),
        expiry=parse_month(r["agreement_in_force"]["expires"]) - start,
        term_years=int(r["new_agreement"]["term_years"]),
        protocol=rounds["protocol"],
        first_mover=rounds["first_mover"],
        settlement=rounds["settlement"],
        round_months=round_months,
        us=side("us"),
        rok=side("rok"),
        events=events,
        resolved=r,
        source=source,
    )
