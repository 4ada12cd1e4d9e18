"""What a sweep summary shows: before-expiry shares, lead months, groups that follow the
swept values, numbers for people, every column defined, and the --plot figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from negotiation_sim.cli import build_parser, main
from negotiation_sim.columns import COLUMNS, PRINTED, help_text
from negotiation_sim.experiments import run_sweep
from negotiation_sim.experiments.summary import STATS, format_summary, levels, summarize

from .conftest import CONFIGS

PNG = b"\x89PNG\r\n\x1a\n"


def runs_table(opening: list[float], months: list[str | None], gaps: list[int]) -> pd.DataFrame:
    n = len(opening)
    agreed = [m is not None for m in months]
    return pd.DataFrame({
        "run_id": range(n), "point": range(n), "replication": 0, "us.opening": opening,
        "seed": range(n), "agreed": agreed, "agreement_month": months,
        "amount_krw_bn": [1100.0 if a else None for a in agreed], "amount_usd_m": None,
        "increase_pct": [10.0 if a else None for a in agreed], "gap_months": gaps,
        "censored": [not a for a in agreed], "rounds_held": 1, "walkouts": 0, "vetoes": 0,
        "tentative_deals": 0, "term_years": 1, "error": None})


def test_before_expiry_and_lead_months_by_hand():
    table = runs_table([11500.0, 11500.0, 5000.0, 5000.0],
                       ["2019-10", "2020-02", "2019-12", None], [0, 2, 0, 12])
    s = summarize(table, expiry="2019-12").set_index("group")
    assert s.loc["all", "agreed_before_expiry"] == 0.5
    assert s.loc["all", "lead_median"] == 0.0  # leads 2, -2, 0 among the three deals
    by = summarize(table, expiry="2019-12").iloc[1:].set_index("us.opening")
    assert by.loc[11500.0, "lead_p10"] == pytest.approx(-1.6)
    assert by.loc[5000.0, ["agreement_rate", "agreed_before_expiry", "gap_share"]].tolist() \
        == [0.5, 0.5, 0.5]
    assert np.isnan(summarize(table).loc[0, "lead_median"])  # expiry unknown
    assert summarize(table).loc[0, "agreed_before_expiry"] == 0.5  # needs no expiry
    text = format_summary(summarize(table, expiry="2019-12"))
    assert "11,500" in text and "1.15e+04" not in text and "0 [-1.6, 1.6]" in text


def test_groups_follow_up_to_25_swept_values_and_bins_are_labelled_by_values():
    codes, labels = levels(np.repeat(np.arange(1150.0, 1625.0, 25.0), 2))  # 19 values
    assert labels == list(np.arange(1150.0, 1625.0, 25.0)) and codes[:4].tolist() == [0, 0, 1, 1]
    codes, labels = levels(np.arange(30.0), bins=3)
    assert labels == [4.5, 14.5, 24.5] and codes.tolist() == [0] * 10 + [1] * 10 + [2] * 10


def test_every_column_is_defined_in_help_and_docs():
    assert set(STATS) <= set(COLUMNS)
    text = build_parser()._subparsers._group_actions[0].choices["summarize"].format_help()
    for name in [*COLUMNS, *PRINTED]:
        assert name in text and name in help_text()
    docs = (CONFIGS.parent / "docs" / "batches.md").read_text()
    for name in [*COLUMNS, *PRINTED]:
        assert f"`{name}`" in docs, name
    header = format_summary(summarize(runs_table([1.0], ["2020-01"], [1]))).splitlines()[0]
    for name in PRINTED:
        assert name in header


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("swept")
    config = tmp / "s.toml"
    config.write_text(f'[sweep]\nname = "s"\nscenario = "{CONFIGS / "sma11.toml"}"\n'
                      'replications = 5\nseed = 3\n[sweep.parameters]\n'
                      '"rok.bottom_line" = { low = 1150.0, high = 1400.0, step = 50.0 }\n'
                      '"us.bottom_line" = [1100.0, 1230.0]\n', encoding="utf-8")
    run_sweep(config, workers=1, out=tmp / "out")
    return tmp / "out"


def test_a_sweep_folder_knows_its_expiry(swept):
    s = summarize(swept)
    runs = pd.read_parquet(swept / "runs.parquet")
    months = runs.agreement_month.dropna()
    lead = (2019 * 12 + 11) - (months.str[:4].astype(int) * 12 + months.str[5:].astype(int) - 1)
    assert s.loc[0, "lead_median"] == np.median(lead) and s.loc[0, "lead_p90"] == np.quantile(
        lead, 0.9)
    # the public's win-set holds the ROK near +10% early on: only the low US mandate
    # leaves room for a deal before expiry (one run of 60 at these seeds)
    early = float((runs.agreed & (runs.gap_months == 0)).mean())
    assert s.loc[0, "agreed_before_expiry"] == early == 1 / 60


def test_plot_one_parameter_draws_response_curves(swept, capsys):
    assert main(["summarize", str(swept), "--by", "rok.bottom_line", "--plot"]) == 0
    out = capsys.readouterr().out
    assert "response_curves.png" in out and "heatmap" not in out
    assert (swept / "response_curves.png").read_bytes()[:8] == PNG


def test_plot_two_parameters_draws_the_chosen_heatmaps(swept, capsys):
    assert main(["summarize", str(swept), "--plot", "--metric", "lead_median", "--metric",
                 "increase_median"]) == 0
    out = capsys.readouterr().out
    assert "heatmap_lead_median.png" in out and "heatmap_increase_median.png" in out
    assert (swept / "heatmap_lead_median.png").stat().st_size > 5000


def test_plot_rejects_an_unknown_metric(swept, capsys):
    with pytest.raises(SystemExit):
        main(["summarize", str(swept), "--plot", "--metric", "agree%"])
    assert "invalid choice: 'agree%'" in capsys.readouterr().err
