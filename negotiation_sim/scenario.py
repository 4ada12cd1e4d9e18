"""Load and validate a scenario file into typed, immutable settings.

``load_scenario(path)`` reads TOML, checks every key against ``schema``, reports all
problems at once (``ScenarioError``) and returns a ``Scenario``. Overrides use dotted
key paths (``us.tactic.beta``, ``events.2.probability``) and are validated the same way.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import money, opinion, packages, ratification, schema
from .calendar import format_month, parse_date, parse_month
from .configfile import MAX_DEPTH, nesting, read_toml
from .errors import ScenarioError
from .events import KINDS, Election, Furlough, LeaderChange, Principal, Shock, Walkout
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
    foresight: float = 0.0
    renewal_pct: float = 0.0  # packages: the change expected at the next negotiation
    package_choice: str = "tradeoff"  # packages: which iso-utility package to offer

    @property
    def sign(self) -> float:
        return SIGN[self.side]


Event = Walkout | Furlough | LeaderChange | Shock | Election


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Month fields are indices from ``talks_start`` (step 0)."""

    name: str
    description: str
    talks_start: int  # absolute month number
    n_months: int  # steps from talks_start to horizon inclusive
    krw_per_usd: float
    amount_in_force: float
    floor: bool  # the amount in force floors the US bottom line (no cut)
    expiry: int  # index of the last month covered by the agreement in force
    term_years: int
    protocol: str
    first_mover: str
    settlement: str
    round_months: tuple[int, ...]  # months with at least one round
    round_counts: tuple[int, ...]  # rounds in each month
    us: Side
    rok: Side
    events: tuple[Event, ...]
    opinion: opinion.Opinion | None  # the ROK public (absent: no opinion)
    ratification: dict[str, ratification.Ratification]  # by side (absent: none)
    resolved: dict[str, Any] = field(repr=False, compare=False)
    source: str = field(default="<scenario>", compare=False)
    package: packages.PackageSpace = packages.PackageSpace()  # term and escalator

    @property
    def escalator_pct(self) -> float:
        """The agreement's escalator number: the fixed rate, or a linked rule's cap."""
        return self.package.ref_pct

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
        from .draws import ROUND_STRIDE, STREAM_EVENTS

        extra_rounds = max(self.round_counts, default=1) - 1
        return extra_rounds * ROUND_STRIDE + STREAM_EVENTS + len(self.events)


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
    """Copy of ``raw`` with each dotted key set (list items by index).

    Setting an amount drops its other spelling (``opening`` / ``opening_usd_m``); switching
    a side's tactic or acceptance rule by name drops the old one's parameters that the new
    one does not accept, so those take the new one's defaults.
    """
    out = copy.deepcopy(raw)
    switched = _switched_components(out, overrides)
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
        node.pop(_other_spelling(parts[-1]), None)
    for side, part in switched:
        _drop_unaccepted(out[side][part], part, {
            d.split(".", 2)[2] for d in overrides if d.startswith(f"{side}.{part}.")})
    return out


def _other_spelling(key: str) -> str:
    """``opening`` <-> ``opening_usd_m`` (the two keys of one amount)."""
    if key.endswith(money.USD_SUFFIX):
        return key[: -len(money.USD_SUFFIX)]
    return key + money.USD_SUFFIX


def _switched_components(raw: dict[str, Any], overrides: Mapping[str, Any]
                         ) -> list[tuple[str, str]]:
    """(side, "tactic"|"acceptance") whose name the overrides change."""
    out = []
    for side in schema.SIDES:
        for part in ("tactic", "acceptance"):
            new = overrides.get(f"{side}.{part}.name")
            table = raw.get(side, {}).get(part) if isinstance(raw.get(side), dict) else None
            old = table.get("name") if isinstance(table, dict) else table
            if new is not None and new != old and isinstance(table, dict):
                out.append((side, part))
    return out


def _drop_unaccepted(table: dict[str, Any], part: str, given: set[str]) -> None:
    """Remove parameters (not ``given`` by the overrides) the named component refuses."""
    registry = OFFERING if part == "tactic" else ACCEPTANCE
    cls = registry.get(table.get("name"))  # type: ignore[arg-type]
    if cls is None:
        return  # validation reports the unknown name
    for key in [k for k in table if k != "name" and k not in given]:
        value = table[key]
        if key == "deadline_months" and value == "expiry":
            value = 1  # resolved later; kept if the new component has a deadline
        if cls.check({key: value}):
            del table[key]


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

    def reported(self, key: str) -> bool:
        return any(k == key for k, _ in self.problems)

    def table(self, raw: Any, path: str, fields: dict[str, schema.Field],
              extra_ok: bool = False, also: tuple[str, ...] = ()) -> dict[str, Any]:
        """Check one table; return it with defaults filled.

        ``also`` names keys checked elsewhere (a side's tactic, acceptance, principal);
        an unknown key's message lists every allowed key, amounts' US$ spelling included.
        """
        allowed = [*fields, *money.usd_keys(fields), *also]
        if not isinstance(raw, dict):
            self.add(path, f"{raw!r} is not a table; allowed: [{path}] with keys "
                     f"{', '.join(allowed)}")
            return {}
        out: dict[str, Any] = {}
        for key, spec in fields.items():
            if self.reported(f"{path}.{key}") or self.reported(f"{path}.{key}_usd_m"):
                continue  # a bad amount form, reported by money.resolve
            if key in raw:
                msg = spec.check(raw[key])
                if msg:
                    self.add(f"{path}.{key}", msg)
                else:  # an integer given as 2.0 is the integer 2 (range() needs an int)
                    out[key] = int(raw[key]) if spec.kind == "integer" else raw[key]
            elif spec.default is schema.REQUIRED:
                self.add(f"{path}.{key}", f"missing; allowed: {spec.doc or spec.kind}")
            elif spec.default is not None:
                out[key] = spec.default
        if not extra_ok:
            for key in raw:
                if key not in allowed:
                    self.add(f"{path}.{key}", f"unknown key; allowed: {', '.join(allowed)}")
        return out


def validate(raw: dict[str, Any], source: str = "<scenario>") -> dict[str, Any]:
    """Return the resolved (defaults filled) scenario dict, or raise with every problem."""
    ck = _Checker(source)
    if not isinstance(raw, dict):
        raise ScenarioError([("(file)", "not a table")], source)
    raw = money.resolve(raw, ck.add)
    top_allowed = {"scenario", "agreement_in_force", "new_agreement", "rounds", "us", "rok",
                   "events", "opinion", "ratification"}
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
    if "opinion" in raw:
        resolved["opinion"] = _check_with_array(ck, raw["opinion"], "opinion", opinion.SETTINGS,
                                                "cohorts", opinion.COHORT)
        if not ck.problems:
            for key, message in opinion.problems(resolved["opinion"]):
                ck.add(key, message)
    if "ratification" in raw:
        resolved["ratification"] = _check_ratification(ck, raw["ratification"])
    if not ck.problems:
        _cross_checks(ck, resolved)
    if ck.problems:
        raise ScenarioError(ck.problems, source)
    return resolved


def _check_side(ck: _Checker, raw: Any, side: str) -> dict[str, Any]:
    parts = ("tactic", "acceptance", "principal")
    if raw is None:
        ck.add(side, f"missing section; allowed keys: {', '.join(schema.NEGOTIATOR)}, "
               f"{', '.join(money.usd_keys(schema.NEGOTIATOR))}, {', '.join(parts)}")
        return {}
    out = ck.table(raw, side, schema.NEGOTIATOR, also=parts)
    if not isinstance(raw, dict):
        return out
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
        known = [p.name for p in registry[name].params]
        for key in [k for k in params if k not in known]:
            ck.add(f"{side}.{part}.{key}", f"unknown parameter of {name!r}; allowed: "
                   f"{', '.join(['name', *known])}")
            del params[key]
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


def _check_with_array(ck: _Checker, raw: Any, path: str, fields: dict[str, schema.Field],
                      array: str, item_fields: dict[str, schema.Field]) -> dict[str, Any]:
    """A table with keys and one array of tables (``[opinion]`` and its cohorts)."""
    if not isinstance(raw, dict):
        ck.add(path, f"is not a table; allowed: [{path}] with keys {', '.join(fields)}, "
               f"[[{path}.{array}]]")
        return {}
    out = ck.table({k: v for k, v in raw.items() if k != array}, path, fields, also=(array,))
    items = raw.get(array, [])
    if not isinstance(items, list):
        ck.add(f"{path}.{array}", f"is not an array of tables; allowed: [[{path}.{array}]]")
        items = []
    out[array] = [ck.table(item, f"{path}.{array}.{i}", item_fields)
                  for i, item in enumerate(items)]
    return out


def _check_ratification(ck: _Checker, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        ck.add("ratification", "is not a table; allowed: [ratification.rok], [ratification.us]")
        return {}
    out = {}
    for side, table in raw.items():
        if side not in schema.SIDES:
            ck.add(f"ratification.{side}", "unknown side; allowed: us, rok")
            continue
        path = f"ratification.{side}"
        out[side] = _check_with_array(ck, table, path, ratification.SETTINGS, "blocs",
                                      ratification.BLOC)
        if not ck.problems:
            for key, message in ratification.problems(side, out[side]):
                ck.add(key, message)
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
        given = [k for k in ("bottom_line", "bottom_line_utility") if s.get(k) is not None]
        if len(given) != 1:
            ck.add(f"{side}.bottom_line", "missing; allowed: an amount, or "
                   "bottom_line_utility (a utility in [0, 1])" if not given else
                   "given with bottom_line_utility; allowed: one of the two")
        elif "bottom_line" in given and sign * (s["opening"] - s["bottom_line"]) < 0:
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
    _check_package(ck, r["new_agreement"])
    if "months" in r["rounds"]:
        _check_duplicate_rounds(ck, r["rounds"]["months"])
    counts = round_counts(r["rounds"], start, horizon)
    idx = [m for m, c in enumerate(counts) if c]
    key = next((k for k in ("dates", "months") if k in r["rounds"]), None)
    if key is not None and any(not 0 <= m <= horizon - start
                               for m in _round_months(r["rounds"], start, horizon)):
        ck.add(f"rounds.{key}", "a round lies outside talks_start..horizon; allowed: "
               f"{r['scenario']['talks_start']}..{r['scenario']['horizon']}")
    if max(counts, default=0) > MAX_ROUNDS_PER_MONTH:
        month_of = format_month(start + counts.index(max(counts)))
        ck.add("rounds.dates", f"{max(counts)} rounds in {month_of}; allowed: at most "
               f"{MAX_ROUNDS_PER_MONTH} in a month")
    ctx = {"round_months": set(idx), "sides": {side: r[side] for side in schema.SIDES}}
    for i, ev in enumerate(r["events"]):
        m = parse_month(ev["month"]) - start if "month" in ev else None
        if m is not None and not 0 <= m <= horizon - start:
            ck.add(f"events.{i}.month", f"{ev['month']} is outside the run; allowed: "
                   f"{r['scenario']['talks_start']}..{r['scenario']['horizon']}")
            continue
        for key, message in KINDS[ev["type"]].cross_problems(ev, m, ctx):
            ck.add(f"events.{i}.{key}", message)


MAX_ROUNDS_PER_MONTH = 4  # draws.ROUND_STRIDE leaves room for this many in a month


def _round_months(rounds: dict[str, Any], start: int, horizon: int) -> list[int]:
    """The month index of each round (a month once per listed date)."""
    if "dates" in rounds:
        return [parse_date(d) - start for d in rounds["dates"]]
    if "months" in rounds:
        return sorted({parse_month(m) - start for m in rounds["months"]})
    return list(range(0, horizon - start + 1, rounds["every_months"]))


def round_counts(rounds: dict[str, Any], start: int, horizon: int) -> tuple[int, ...]:
    """Rounds held in each month from talks start to the horizon: from listed dates
    (several a month possible), listed months, or every k months."""
    counts = [0] * (horizon - start + 1)
    for m in _round_months(rounds, start, horizon):
        if 0 <= m < len(counts):
            counts[m] += 1
    return tuple(counts)


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


def _check_package(ck: _Checker, table: dict[str, Any]) -> None:
    """Negotiated ranges: two numbers, low to high, holding the stated term and escalator."""
    for key, stated in (("term_years_range", table["term_years"]),
                        ("escalator_pct_range", _stated_pct(table))):
        if key not in table:
            continue
        span = table[key]
        where = f"new_agreement.{key}"
        if len(span) != 2 or span[0] > span[1]:
            ck.add(where, f"{span!r} is not [low, high]; allowed: two numbers, low <= high")
        elif key == "term_years_range" and any(float(t) != int(t) for t in span):
            ck.add(where, f"{span!r} are not whole years; allowed: two integers in [1, 10]")
        elif key == "escalator_pct_range" and table["escalator"] == "none":
            ck.add(where, "a flat agreement (escalator = \"none\") has no escalator to "
                   "negotiate; allowed: escalator = fixed, cpi or budget, or no range")
        elif stated is not None and not span[0] <= stated <= span[1]:
            name = "term_years" if key == "term_years_range" else (
                "escalator_pct" if table["escalator"] == "fixed" else "escalator_cap_pct")
            ck.add(where, f"{span!r} does not hold new_agreement.{name} = {stated:g}; "
                   f"allowed: a range containing it")
    for item in packages.SIDE_ITEMS:
        _check_side_item(ck, table, item)


def _check_side_item(ck: _Checker, table: dict[str, Any], item: str) -> None:
    """A side item's range: two shares, low to high, holding the stated share (the schema
    keeps each share in 0..100)."""
    key = f"{item}_pct_range"
    if key not in table:
        return
    span, stated = table[key], float(table[f"{item}_pct"])
    where = f"new_agreement.{key}"
    if len(span) != 2 or span[0] > span[1]:
        ck.add(where, f"{span!r} is not [low, high]; allowed: two numbers in [0, 100], "
               "low <= high")
    elif not span[0] <= stated <= span[1]:
        ck.add(where, f"{span!r} does not hold new_agreement.{item}_pct = {stated:g}; "
               "allowed: a range containing it")


def _stated_pct(table: dict[str, Any]) -> float | None:
    """The stated escalator number: the fixed rate, a linked rule's cap (None: no cap)."""
    if table["escalator"] == "fixed":
        return float(table["escalator_pct"])
    cap = table.get("escalator_cap_pct")
    return None if cap is None else float(cap)


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
    counts = round_counts(rounds, start, horizon)

    space = package_space(r["new_agreement"], r["us"], r["rok"])

    def side(name: str) -> Side:
        s = r[name]
        tactic = dict(s["tactic"])
        acceptance = dict(s["acceptance"])
        return Side(
            side=name,
            opening=float(s["opening"]),
            bottom_line=_bottom_line(space, r, name),
            gap_cost=float(s["gap_cost"]),
            gap_sensitivity=float(s["gap_sensitivity"]),
            tactic=tactic.pop("name"),
            tactic_params=tactic,
            acceptance=acceptance.pop("name"),
            acceptance_params=acceptance,
            principal=Principal.from_table(s["principal"]),
            foresight=float(s["foresight"]),
            renewal_pct=float(s["renewal_pct"]),
            package_choice=s["package_choice"],
        )

    def month(ev: dict[str, Any]) -> int | None:
        return parse_month(ev["month"]) - start if "month" in ev else None

    events = tuple(KINDS[ev["type"]].from_table(i, ev, month(ev), start)
                   for i, ev in enumerate(r["events"]))
    return Scenario(
        name=r["scenario"]["name"],
        description=r["scenario"]["description"],
        talks_start=start,
        n_months=horizon - start + 1,
        krw_per_usd=float(r["scenario"]["krw_per_usd"]),
        amount_in_force=float(r["agreement_in_force"]["amount_krw_bn"]),
        floor=bool(r["agreement_in_force"]["floor"]),
        expiry=parse_month(r["agreement_in_force"]["expires"]) - start,
        term_years=int(r["new_agreement"]["term_years"]),
        protocol=rounds["protocol"],
        first_mover=rounds["first_mover"],
        settlement=rounds["settlement"],
        round_months=tuple(m for m, c in enumerate(counts) if c),
        round_counts=counts,
        us=side("us"),
        rok=side("rok"),
        events=events,
        opinion=opinion.Opinion.from_table(r["opinion"]) if "opinion" in r else None,
        ratification={side: ratification.Ratification.from_table(side, t)
                      for side, t in r.get("ratification", {}).items()},
        resolved=r,
        source=source,
        package=space,
    )


def _bottom_line(space: packages.PackageSpace, r: dict[str, Any], name: str) -> float:
    """A side's bottom line in money: as given, or from ``bottom_line_utility`` (the amount
    under the stated package with that utility, no further than the opening)."""
    s = r[name]
    if s.get("bottom_line") is not None:
        return float(s["bottom_line"])
    other = r["rok" if name == "us" else "us"]
    sign = SIGN[name]
    amount = packages.bottom_line_for_utility(space, sign, float(s["renewal_pct"]),
                                              float(s["opening"]), float(other["opening"]),
                                              float(s["bottom_line_utility"]))
    return sign * min(sign * amount, sign * float(s["opening"]))


def package_space(table: dict[str, Any], us: dict[str, Any] | None = None,
                  rok: dict[str, Any] | None = None) -> packages.PackageSpace:
    """The package space of a resolved ``[new_agreement]``: the stated term and escalator,
    and the ranges negotiated (a range absent: that issue is fixed); the side items with
    the sides' values of them from the resolved ``[us]`` and ``[rok]`` (absent: 0)."""
    rule = table["escalator"]
    stated = _stated_pct(table)
    pct = 0.0 if rule == "none" else math.inf if stated is None else stated
    low, high = map(float, table.get("escalator_pct_range", (pct, pct)))
    term = int(table["term_years"])
    shortest, longest = map(int, table.get("term_years_range", (term, term)))
    return packages.PackageSpace(
        escalator=rule, term_min=shortest, term_max=longest, pct_low=low, pct_high=high,
        ref_term=term, ref_pct=pct, pct_step=float(table["escalator_pct_step"]),
        cpi_pct=tuple(map(float, table["cpi_pct"])),
        budget_growth_pct=tuple(map(float, table["budget_growth_pct"])),
        discount_pct=float(table["discount_pct"]),
        **{item: side_item(table, item, us or {}, rok or {}) for item in packages.SIDE_ITEMS})


def side_item(table: dict[str, Any], item: str, us: dict[str, Any], rok: dict[str, Any]
              ) -> packages.SideItem:
    """One side item of a resolved ``[new_agreement]`` (keys absent: switched off, a share
    of 0 worth cash to both sides), valued by the resolved sides."""
    def get(t: dict[str, Any], fields: dict[str, schema.Field], key: str) -> Any:
        return t.get(key, fields[key].default)  # a manifest's table may predate the key

    stated = float(get(table, schema.NEW_AGREEMENT, f"{item}_pct"))
    low, high = map(float, table.get(f"{item}_pct_range", (stated, stated)))
    value = f"{item}_value_pct"
    return packages.SideItem(
        item, low=low, high=high, step=float(get(table, schema.NEW_AGREEMENT, f"{item}_pct_step")),
        stated=stated, us_value_pct=float(get(us, schema.NEGOTIATOR, value)),
        rok_value_pct=float(get(rok, schema.NEGOTIATOR, value)))
