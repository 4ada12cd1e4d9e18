"""A scenario file to edit: every key with a comment saying what it is and what it accepts.

``render(raw, source)`` writes a (valid) scenario's tables back as TOML with, above each
key, its meaning, unit, whether it is required, its default and the forms it accepts
(from ``schema``); optional keys the scenario leaves at their default are written
commented out, so the file shows every key there is. ``negotiation-sim new`` uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import opinion, ratification, schema
from .fields import REQUIRED, Field

SHIPPED = ("teaching", "sma11", "sma10", "sma9", "election_race")
CONFIGS = Path(__file__).resolve().parent.parent / "configs"

HEADER = """\
# A scenario made by `negotiation-sim new` from {source}.
# Edit it, then check it with `negotiation-sim validate {path}` and run it with
# `negotiation-sim run {path}`. docs/scenarios.md is the reference of every key.
# Amounts are the new agreement's first-year amount in KRW billion; each amount key also
# accepts KEY_usd_m = US$ million (at scenario.krw_per_usd) or a change on the amount in
# force as a string ("+10%", "-5%"). Months are "YYYY-MM" strings.
# A commented-out key is optional and shows its default; remove the "# " to set it.\
"""


def source_path(name: str) -> Path:
    """A shipped scenario's file (``sma11``) or any scenario file (a path)."""
    if name in SHIPPED:
        return CONFIGS / f"{name}.toml"
    return Path(name)


def toml_value(value: Any) -> str:
    """One value as TOML (inline table for a dict)."""
    import tomli_w

    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):  # inline, so a commented-out default is one line
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value})[len("v = "):].rstrip("\n")


def _allowed(spec: Field, key: str) -> str:
    return schema.allowed_text(spec, key).replace("`", "")


def _comment(spec: Field, key: str) -> str:
    parts = [spec.doc or key]
    if spec.unit:
        parts[0] += f" [{spec.unit}]"
    if spec.default is REQUIRED:
        parts.append("required")
    parts.append(f"allowed: {_allowed(spec, key)}")
    return "# " + "; ".join(parts)


def _keys(table: dict[str, Any], fields: dict[str, Field]) -> list[str]:
    """One table's keys with comments; given values set, others commented out."""
    lines = []
    for key, spec in fields.items():
        lines.append(_comment(spec, key))
        usd = f"{key}_usd_m"
        if key in table:
            lines.append(f"{key} = {toml_value(table[key])}")
        elif usd in table:
            lines.append(f"{usd} = {toml_value(table[usd])}")
        elif spec.default is REQUIRED:
            lines.append(f"{key} = ")  # not reached for a valid source
        elif spec.default is None:
            lines.append(f"# {key} = ...  (absent by default)")
        else:
            lines.append(f"# {key} = {toml_value(spec.default)}")
    return lines


def _component(part: str, value: Any) -> list[str]:
    from .tactics import ACCEPTANCE, OFFERING

    registry = OFFERING if part == "tactic" else ACCEPTANCE
    table = {"name": value} if isinstance(value, str) else dict(value)
    cls = registry[table["name"]]
    params = ", ".join(f"{p.name} = {p.default:g} in [{p.low:g}, {p.high:g}]"
                       for p in cls.params) or "none"
    what = "offering tactic (required)" if part == "tactic" else "acceptance rule"
    return [f"# {what}, one of: {', '.join(registry)} (see `negotiation-sim tactics`);",
            f"# {table['name']}'s parameters (a missing one takes its default): {params}",
            f"{part} = {toml_value(table)}"]


def render(raw: dict[str, Any], source: str, path: str) -> str:
    """A commented scenario file with ``raw``'s values (a scenario that validates)."""
    blocks = [HEADER.format(source=source, path=path)]
    for name in ("scenario", "agreement_in_force", "new_agreement", "rounds"):
        blocks.append("\n".join([f"[{name}]", *_keys(raw.get(name, {}), schema.SECTIONS[name])]))
    for side in schema.SIDES:
        table = raw[side]
        lines = [f"[{side}]", *_keys(table, schema.NEGOTIATOR)]
        lines += _component("tactic", table["tactic"])
        lines += _component("acceptance", table.get("acceptance", {"name": "ac_next"}))
        blocks.append("\n".join(lines))
        blocks.append("\n".join([f"[{side}.principal]  # the side's leader; no veto_threshold:"
                                 " never vetoes",
                                 *_keys(table.get("principal", {}), schema.PRINCIPAL)]))
    events = raw.get("events", [])
    kinds = ", ".join(schema.EVENT_TYPES)
    blocks.append(f"# Events: [[events]] tables, type one of {kinds}; "
                  "docs/scenarios.md lists their keys." + ("" if events else
                                                          "\n# (none in this scenario)"))
    for event in events:
        fields = schema.EVENTS[event["type"]]
        blocks.append("\n".join(["[[events]]", f"type = {toml_value(event['type'])}",
                                 *_keys(event, fields)]))
    if "opinion" in raw:
        blocks.append("# The ROK public (docs/scenarios.md): cohorts whose opposition narrows "
                      "the ROK win-set.")
        blocks += _with_array("opinion", raw["opinion"], opinion.SETTINGS, "cohorts",
                              opinion.COHORT)
    for side, table in raw.get("ratification", {}).items():
        blocks.append(f"# Ratification by the {side.upper()} legislature: party blocs vote on "
                      "the initialled deal.")
        blocks += _with_array(f"ratification.{side}", table, ratification.SETTINGS, "blocs",
                              ratification.BLOC)
    return "\n\n".join(blocks) + "\n"


def _with_array(path: str, table: dict[str, Any], fields: dict[str, Field], array: str,
                item_fields: dict[str, Field]) -> list[str]:
    """A table and its array of tables (``[opinion]`` and its ``[[opinion.cohorts]]``)."""
    keys = {k: v for k, v in table.items() if k != array}
    return [f"[{path}]\n" + "\n".join(_keys(keys, fields)),
            *(f"[[{path}.{array}]]\n" + "\n".join(_keys(item, item_fields))
              for item in table.get(array, []))]
