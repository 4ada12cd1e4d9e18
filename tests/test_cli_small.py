"""Small command-line things: the tactics list, progress lines of tune and sensitivity."""

from __future__ import annotations

from negotiation_sim.cli import main
from negotiation_sim.tactics import ACCEPTANCE, OFFERING


def test_tactics_prints_every_description_whole(capsys):
    assert main(["tactics"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for registry in (OFFERING, ACCEPTANCE):
        for name, cls in registry.items():
            doc = " ".join((cls.__doc__ or "").split())
            assert f"{name} [" in text and doc in text, name
    assert ("Hold the demand until accumulated gap cost reaches a threshold, then offer the "
            "bottom line.") in text
    assert "- noise_krw_bn = 10 in [0, 1000] KRW bn: " in text


def _tune_config(tmp_path):
    from .conftest import CONFIGS

    text = (CONFIGS / "tune_history.toml").read_text()
    text = text.replace('scenario = "history/', f'scenario = "{CONFIGS}/history/')
    path = tmp_path / "tune.toml"
    path.write_text(text.replace("replications = 100", "replications = 5"))
    return path


LINE = (r"^{label}: (\d+)/{total} {unit}s \(\d+%\), [\d.,]+ {unit}s/s, ETA [\d:?]+, "
        r"0 failed{detail}( \[(started|finished)\])?$")


def test_tune_prints_progress_lines_like_the_sweep(tmp_path, capsys):
    import re

    assert main(["tune", str(_tune_config(tmp_path)), "--trials", "4", "--progress", "lines",
                 "--out", str(tmp_path / "t")]) == 0
    err = capsys.readouterr().err.splitlines()
    line = re.compile(LINE.format(label="tune_history", total=4, unit="trial",
                                  detail=r"(, best loss ([\d.]+|none yet))?"))
    lines = [m for m in map(line.match, err) if m]
    assert lines[0].group(0).endswith("0 failed [started]")
    assert lines[-1].group(1) == "4" and lines[-1].group(0).endswith("[finished]")
    assert ", best loss " in lines[-1].group(0)


def test_tune_progress_off_is_silent(tmp_path, capsys):
    assert main(["tune", str(_tune_config(tmp_path)), "--trials", "2", "--progress", "off",
                 "--out", str(tmp_path / "t")]) == 0
    assert capsys.readouterr().err == ""


def test_sensitivity_prints_progress_lines_like_the_sweep(tmp_path, capsys):
    import re

    from .conftest import CONFIGS
    from .test_tuning_sensitivity import SMALL

    path = tmp_path / "sens.toml"
    path.write_text(SMALL.format(scenario=CONFIGS / "history" / "sma11.toml"))
    assert main(["sensitivity", str(path), "--progress", "lines", "--out",
                 str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err.splitlines()
    total = 16 * (3 + 2) * 3  # n x (d + 2) points x replications (second_order = false)
    line = re.compile(LINE.format(label="small", total=total, unit="run", detail=""))
    assert [m.group(1) for m in map(line.match, err) if m] == ["0", str(total)], err
    assert main(["sensitivity", str(path), "--progress", "off", "--out", str(tmp_path / "o")]
                ) == 0
    assert capsys.readouterr().err == ""
