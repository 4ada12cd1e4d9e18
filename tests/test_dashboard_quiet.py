"""The dashboard starts quietly: its own start-up lines and no Solara warnings."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import warnings

import pytest

pytest.importorskip("solara")

from .conftest import CONFIGS  # noqa: E402
from .test_dashboard_browser import _free_port, _kill_group, _wait  # noqa: E402


def test_server_prints_no_warnings_on_start_and_first_page(tmp_path):
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "negotiation_sim", "dashboard", str(CONFIGS / "sma11.toml"),
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}/"

        def page() -> bytes | None:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.read()
            except OSError:
                return None

        try:
            assert b"<html" in _wait(page, 90, "the dashboard page", every=0.5).lower()
            time.sleep(1.0)  # let the server flush anything the page request printed
        finally:
            _kill_group(proc)
    text = log_path.read_text()
    assert "Warning" not in text, text
    assert text.splitlines()[:2] == [
        f"dashboard for {CONFIGS / 'sma11.toml'} on {url.rstrip('/')} (Ctrl-C stops it)",
        f"Solara server is starting at {url.rstrip('/')}"]


def test_the_filters_match_only_solaras_two_messages():
    from negotiation_sim.viz import dashboard

    assert len(dashboard.SOLARA_NOISE) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for message, module in dashboard.SOLARA_NOISE:
            warnings.filterwarnings("ignore", message=message, category=UserWarning,
                                    module=module)
        warnings.warn_explicit("Cookies with samesite=none require https, but ...",
                               UserWarning, "starlette.py", 578, module="solara.server.starlette")
        warnings.warn_explicit("Cookies with samesite=none require https, but ...",
                               UserWarning, "app.py", 1, module="myapp")
        warnings.warn_explicit("something else", UserWarning, "starlette.py", 579,
                               module="solara.server.starlette")
    assert [str(w.message) for w in caught] == ["Cookies with samesite=none require https, "
                                                "but ...", "something else"]
