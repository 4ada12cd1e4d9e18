"""What every kind of config file shares: reading its TOML and checking its top table.

Sweep (``[sweep]``), tuning (``[tune]``) and sensitivity (``[sensitivity]``) configs
each have one top table; ``TopTable`` gathers its problems in the scenario style
(``FILE: KEY: message; allowed: ...``) so a file's every problem is reported at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ScenarioError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


MAX_DEPTH = 32  # levels of nested tables and arrays a config file may hold


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a config file, or raise ``ScenarioError`` naming the file.

    Every way a file can be unreadable ends in one line: missing or unreadable, not
    UTF-8 (binary junk, UTF-16), not TOML, or nested deeper than ``MAX_DEPTH`` (which
    would otherwise exhaust Python's recursion limit while parsing or checking it).
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError([("(file)", f"cannot read: {exc.strerror}; allowed: a readable "
                              "config file (TOML)")], source) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([("(file)", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                              f"offset {exc.start}); allowed: a UTF-8 TOML file")],
                            source) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("(syntax)", f"not valid TOML: {exc}")], source) from None
    except RecursionError:
        raise ScenarioError([("(syntax)", f"nested too deep to read; allowed: at most "
                              f"{MAX_DEPTH} levels of tables and arrays")], source) from None
    if nesting(raw) > MAX_DEPTH:
        raise ScenarioError([("(syntax)", f"nested {nesting(raw)} levels deep; allowed: at most "
                              f"{MAX_DEPTH} levels of tables and arrays")], source)
    return raw


def nesting(value: Any) -> int:
    """Levels of nested tables and arrays in a parsed value (0 for a plain value), without
    recursion, so any depth tomllib returns can be measured."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else (
            node if isinstance(node, list) else None)
        if children is None:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


class TopTable:
    """The ``[section]`` table of a config file and the problems found in it."""

    def __init__(self, raw: dict[str, Any], section: str, keys: Sequence[str],
                 source: str) -> None:
        table = raw.get(section)
        if not isinstance(table, dict):
            raise ScenarioError([(section, f"missing section; allowed: a [{section}] table "
                                  "with keys " + ", ".join(keys))], source)
        self.table: dict[str, Any] = table
        self.section = section
        self.source = source
        self.problems: list[tuple[str, str]] = []
        for key in table:
            if key not in keys:
                self.problem(key, f"unknown key; allowed: {', '.join(keys)}")

    def problem(self, key: str, message: str) -> None:
        """Record a problem with ``section.key`` (or the section itself for ``key=''``)."""
        self.problems.append((f"{self.section}.{key}" if key else self.section, message))

    def name(self) -> str:
        """The run's name (default: the file's stem), which names its results folder."""
        name = self.table.get("name", Path(self.source).stem)
        if not isinstance(name, str) or not NAME.match(name):
            self.problem("name", f"{name!r} is not a folder name; allowed: letters, digits, "
                         "_ . -")
            return str(name)
        return name

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        """An optional integer key in [low, high]; ``default`` when absent or bad."""
        value = self.table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"{value!r} is not allowed; allowed: an integer in [{low}, "
                         f"{high}]")
            return default
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems, self.source)
