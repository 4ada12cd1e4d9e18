"""``negotiation-sim report DIR``: one self-contained HTML page for any results folder,
checked as text and in headless Chromium (images render, no network request).

Chromium is driven over DevTools as in tests/test_dashboard_browser.py; the browser part
skips when Chromium is missing outside CI and fails in CI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from negotiation_sim.cli import main
from negotiation_sim.errors import UsageError
from negotiation_sim.report import build
from tests.conftest import CONFIGS
from tests.test_dashboard_browser import CHROMIUM, IN_CI, DevTools, _wait, chromium

SMA11 = str(CONFIGS / "sma11.toml")
IMAGES = ("(() => { const imgs = [...document.images]; return imgs.every(i => i.complete)"
          " ? imgs.map(i => [i.naturalWidth, i.naturalHeight]) : null; })()")


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One folder of each kind, written by the command line."""
    tmp = tmp_path_factory.mktemp("folders")
    sweep = tmp / "sweep.toml"
    sweep.write_text(f'[sweep]\nname = "s"\nscenario = "{SMA11}"\nreplications = 4\nseed = 1\n'
                     '[sweep.parameters]\n"rok.bottom_line" = [1200.0, 1300.0, 1400.0]\n',
                     encoding="utf-8")
    commands = {
        "run": ["run", SMA11, "--out"],
        "replications": ["run", SMA11, "--replications", "30", "--out"],
        "sweep": ["sweep", str(sweep), "--progress", "off", "--out"],
        "tune": ["tune", str(CONFIGS / "tune_history.toml"), "--trials", "2", "--out"],
        "sensitivity": ["sensitivity", str(CONFIGS / "sensitivity_sma11.toml"), "--out"],
    }
    out = {}
    for kind, argv in commands.items():
        out[kind] = tmp / kind
        assert main([*argv, str(out[kind])]) == 0, kind
        assert main(["report", str(out[kind])]) == 0, kind
    return out


@pytest.mark.parametrize(("kind", "figures", "texts"), [
    ("run", 1, ["outcome.json", "<td class='key'>1,187</td>", "ratified_month", "2021-07",
                "trace.csv", "<th>opposition</th>"]),
    ("replications", 1, ["distribution.json", "p_agreed_before_expiry"]),
    ("sweep", 2, ["before expiry %", "rok.bottom_line", "summary.csv"]),
    ("tune", 3, ["report.md", "fit.csv", "best_params.json"]),
    ("sensitivity", 1, ["sensitivity.md", "sobol.csv"]),
])
def test_report_holds_figures_tables_and_provenance(folders, kind, figures, texts):
    page = (folders[kind] / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<img [^>]*src='data:image/png;base64,", page)) >= figures
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", page)  # nothing fetched
    manifest = json.loads((folders[kind] / "manifest.json").read_text())
    for key in ("command_line", "seeds", "versions", "git_commit", "outputs"):
        assert f"<th class='key'>{key}</th>" in page
    assert str(manifest["seeds"]["base_seed"]) in page
    for text in texts:
        assert text in page, text


def test_report_of_a_folder_without_a_manifest(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no manifest.json; allowed: a folder written by run --out" in capsys.readouterr().err
    with pytest.raises(UsageError, match="no manifest.json"):
        build(tmp_path)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    """Headless Chromium with a fresh profile and only loopback resolvable."""
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is missing: .ci/run must install it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    with chromium(tmp_path) as page:
        yield page


def test_reports_render_in_chromium_without_network(folders, browser):
    for kind, folder in folders.items():
        browser.events.clear()
        url = (folder / "report.html").resolve().as_uri()
        browser.call("Page.navigate", url=url)
        sizes = _wait(lambda: browser.js("document.readyState") == "complete"
                      and browser.js(IMAGES), 30, f"the {kind} report's images")
        assert sizes and all(w > 300 and h > 200 for w, h in sizes), (kind, sizes)
        assert browser.js("document.querySelectorAll('table').length") >= 1, kind
        requested = [e["params"]["request"]["url"] for e in browser.events
                     if e.get("method") == "Network.requestWillBeSent"]
        assert url in requested and len(requested) > len(sizes), kind  # the page, its images
        others = [u[:80] for u in requested if u != url and not u.startswith("data:")]
        assert not others, (kind, others)
