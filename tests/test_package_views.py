"""Negotiated packages on view (issue 12, item 7): the run table, events in words."""

from __future__ import annotations

import math

import pytest

from negotiation_sim import events
from negotiation_sim.cli import main
from negotiation_sim.formatting import escalator_text, package_text

from .conftest import CONFIGS


@pytest.mark.parametrize(("args", "kwargs", "text"), [
    (("budget", 6, 1.0), {}, "6 years, cap 1%"),
    (("budget", 6, 6.0), {"long": True}, "6 years, budget-linked capped at 6%"),
    (("budget", 6, math.inf), {"long": True}, "6 years, budget-linked, no cap"),
    (("cpi", None, 2.5), {"compact": True}, "cap 2.5%"),
    (("cpi", 3, 2.5), {"long": True}, "3 years, CPI-linked capped at 2.5%"),
    (("fixed", 5, 2.5), {"compact": True}, "5y, +2.5% a year"),
    (("none", 1, 0.0), {}, "1 year"),
    (("none", 2, 0.0), {"long": True}, "2 years, flat"),
    ((None, 4, 3.0), {}, "4 years, escalator 3%"),
])
def test_package_text(args, kwargs, text):
    assert package_text(*args, **kwargs) == text


def test_escalator_text_no_cap_when_missing():
    assert escalator_text("budget", None) == "no cap"
    assert escalator_text("fixed", -1.5) == "-1.5% a year"


def test_deal_records_in_words_single_issue_unchanged():
    cell = events.encode([
        events.Record("tentative_deal", None, {"amount_krw_bn": 1165.7563, "term_years": 6,
                                               "escalator_pct": 1.0}),
        events.Record("veto", "us"),
        events.Record("rejected", "rok", {"amount_krw_bn": 1187.01, "term_years": 6,
                                          "escalator_pct": math.inf})])
    assert events.describe(cell, "budget") == (
        "tentative deal 1,165.8 bn won, 6 years, cap 1%; veto (us); "
        "rejected (rok) 1,187.0 bn won, 6 years, no cap")
    single = events.encode([events.Record("agreement", None, {"amount_krw_bn": 1187.8})])
    assert events.describe(single, "budget") == "agreement (1187.8)"


def _month_rows(out: str) -> dict[str, str]:
    """The month table's lines by month."""
    return {line.split()[0]: line for line in out.splitlines()
            if line[:7].strip()[:2] in ("20", "19") and line.split()[0].count("-") == 1}


def _header(out: str) -> list[str]:
    return next(line for line in out.splitlines() if line.strip().startswith("month")).split()


def test_run_table_shows_the_offered_packages_sma11(capsys):
    assert main(["run", str(CONFIGS / "sma11.toml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[8].split(None, 1) == ["package", "6 years, budget-linked capped at 6%"]
    assert lines[9].split(None, 1) == ["payments",
                                        "7,956.0 bn won in all, 1,187.0 to 1,466.4 a year"]
    header = _header(out)
    assert header[:9] == ["month", "round_held", "us_offer", "(KRW", "bn)", "rok_offer", "(KRW",
                          "bn)", "us_package"] and header[9] == "rok_package"
    rows = _month_rows(out)
    assert "5750.0              1142.8     cap 6%      cap 0%" in rows["2019-09"]
    assert rows["2019-11"].split()[2:6] == ["NaN", "NaN", "-", "-"]
    assert rows["2020-09"].endswith("tentative deal 1,165.8 bn won, 6 years, cap 1%; veto (us)")
    assert rows["2020-09"].split()[4:8] == ["cap", "1%", "cap", "6%"]
    assert rows["2021-02"].endswith("initialled 1,187.0 bn won, 6 years, cap 6%")


def test_run_table_shows_the_offered_terms_sma10(capsys):
    assert main(["run", str(CONFIGS / "sma10.toml")]) == 0
    out = capsys.readouterr().out
    assert "package                                              1 year, flat" in out
    assert "payments                                    1,040.0 bn won in all" in out
    rows = _month_rows(out)
    assert [rows[m].split()[4:6] for m in ("2018-03", "2018-06", "2018-11")] == [
        ["1y", "5y"], ["1y", "4y"], ["1y", "1y"]]
    assert rows["2019-02"].endswith("agreement 1,040.0 bn won, 1 year")


def test_run_table_single_issue_has_no_package(capsys):
    assert main(["run", str(CONFIGS / "teaching.toml")]) == 0
    out = capsys.readouterr().out
    assert "package" not in out and "payments" not in out
    assert _header(out)[8] == "us_bottom_line"
