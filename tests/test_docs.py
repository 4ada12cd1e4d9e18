"""Docs that are executed: the README's Python example runs, generated tables match."""

from __future__ import annotations

import re

from negotiation_sim import outcome, schema, tactics

from .conftest import ROOT


def _block(text: str, name: str) -> str:
    m = re.search(rf"<!-- BEGIN GENERATED: {re.escape(name)} -->\n(.*?)<!-- END GENERATED -->",
                  text, re.S)
    assert m, name
    return m.group(1)


def test_scenario_reference_is_generated_from_the_schema():
    text = (ROOT / "docs" / "scenarios.md").read_text()
    assert _block(text, "schema.reference_tables()") == schema.reference_tables()
    assert _block(text, "tactics.reference_tables()") == tactics.reference_tables()
    assert _block(text, "outcome.trace_reference()") == outcome.trace_reference()


def test_every_trace_column_has_a_unit_and_the_run_table_shows_them(capsys):
    from negotiation_sim.cli import main

    assert set(outcome.TRACE_COLUMNS) == set(outcome.TRACE_FIELDS)
    assert all(unit for unit, _ in outcome.TRACE_COLUMNS.values())
    assert main(["run", str(ROOT / "configs" / "teaching.toml")]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines()
                  if line.lstrip().startswith("month"))
    assert header.split() == ["month", "round_held", "us_offer", "(KRW", "bn)", "rok_offer",
                              "(KRW", "bn)", "us_bottom_line", "(KRW", "bn)", "rok_bottom_line",
                              "(KRW", "bn)", "in_gap", "events"]


def test_readme_python_examples_run(monkeypatch, tmp_path):
    # Run where the README's reader stands (configs/ at hand) but write under tmp_path.
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        if "# doc: skip" in block:
            continue
        exec(compile(block, "README.md", "exec"), namespace)
    assert "result" in namespace and namespace["result"].outcome.agreed


def test_readme_run_sessions_print_what_the_readme_shows(capsys, monkeypatch):
    """Each ``$ negotiation-sim run ... --json`` in the README prints the shown line."""
    from negotiation_sim.cli import main

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    sessions = re.findall(r"^\$ negotiation-sim (run [^\n]*--json[^\n]*)\n([^\n]+)\n",
                          readme, re.M)
    assert sessions
    for command, shown in sessions:
        assert main(command.split()) == 0
        assert capsys.readouterr().out.strip() == shown.strip(), command


def test_batch_columns_reference_is_generated():
    from negotiation_sim import columns

    text = (ROOT / "docs" / "batches.md").read_text()
    assert _block(text, "columns.reference_tables()") == columns.reference_tables()


def test_readme_compare_session_prints_what_the_readme_shows(capsys, monkeypatch):
    """The what-if example is real output: the same command prints the same table."""
    from negotiation_sim.cli import main

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    sessions = re.findall(r"^\$ negotiation-sim (compare [^\n]*)\n(.*?)\n```", readme,
                          re.M | re.S)
    assert sessions
    for command, shown in sessions:
        assert main(command.split()) == 0
        assert capsys.readouterr().out.rstrip("\n") == shown, command


def test_readme_replication_sessions_print_what_the_readme_shows(capsys, monkeypatch):
    """Each ``$ negotiation-sim run ... --replications`` block in the README is real output."""
    import shlex

    from negotiation_sim.cli import main

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    sessions = re.findall(r"^\$ negotiation-sim (run [^\n]*--replications[^\n]*)\n(.*?)\n```",
                          readme, re.M | re.S)
    assert sessions
    for command, shown in sessions:
        assert main(shlex.split(command)) == 0
        assert capsys.readouterr().out.rstrip("\n") == shown, command
