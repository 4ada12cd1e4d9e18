"""The dashboard in a real browser: serve it, open it in headless Chromium, step, play, reset.

Chromium is driven through its DevTools protocol over a websocket (no browser download,
no driver binary). Every wait is bounded; the server and the browser are started in
their own process groups and killed in teardown. Skips only when Chromium is missing
outside CI; in CI (CI=true) a missing Chromium fails the test (.ci/run installs it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONFIGS

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                         if Path("/usr/bin/chromium").exists() else None)
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-extensions", "--disable-sync",
                  # nothing but loopback resolves: the page must need no outside host
                  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                  "--window-size=1500,1150", "--remote-debugging-port=0"]

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="chromium not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], Any], timeout: float, what: str, every: float = 0.25,
          detail: Callable[[], str] = lambda: "") -> Any:
    """Poll ``check`` until it returns something truthy, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}. "
                                 f"{detail()}")
        time.sleep(every)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End a process we started and everything in its process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class DevTools:
    """A minimal Chrome DevTools protocol client for one page target."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        msg_id = self.last_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"DevTools {method}: no answer in {timeout:.0f} s")
            msg = json.loads(self.ws.recv(timeout=remaining))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"DevTools {method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    """The dashboard for sma11 on a free loopback port; yields its URL."""
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "negotiation_sim", "dashboard", str(CONFIGS / "sma11.toml"),
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError("dashboard server exited:\n"
                                 + (tmp_path / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait(up, 90, "the dashboard server to answer", every=0.5)
        yield url
    finally:
        _kill_group(proc)
        log.close()


@contextlib.contextmanager
def chromium(tmp_path: Path) -> Iterator[DevTools]:
    """Headless Chromium with a fresh profile, driven over DevTools; yields the page."""
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        active = profile / "DevToolsActivePort"
        _wait(lambda: active.exists() and active.read_text().strip(), 30,
              "Chromium's DevTools port", every=0.1)
        port = active.read_text().split()[0]

        def page_target() -> str | None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                        timeout=2) as response:
                targets = json.load(response)
            return next((t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"),
                        None)

        from websockets.sync.client import connect

        target = _wait(page_target, 20, "a Chromium page target")
        with connect(target, max_size=None, open_timeout=10) as ws:
            client = DevTools(ws)
            client.call("Page.enable")
            client.call("Runtime.enable")
            client.call("Network.enable")
            yield client
    finally:
        _kill_group(proc)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    """Headless Chromium with a fresh profile, driven over DevTools; yields the page."""
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is missing: .ci/run must install it")
    with chromium(tmp_path) as page:
        yield page


OUTCOME_TEXT = ("(() => { const el = document.querySelector('.outcome-panel');"
                " return el ? el.innerText : ''; })()")
PLOT_IMAGE = ("(() => { const img = document.querySelector('.dance-plot img');"
              " return img && img.complete && img.naturalWidth > 300 ?"
              " [img.naturalWidth, img.naturalHeight, img.src.length, img.src.slice(-200)]"
              " : null; })()")


def _click(page: DevTools, label: str) -> None:
    """Click the enabled button whose text is ``label`` (case-insensitive)."""
    clicked = page.js(
        "(() => { const b = [...document.querySelectorAll('button')].find(b =>"
        f" b.textContent.trim().toLowerCase() === {json.dumps(label.lower())}"
        " && !b.disabled); if (!b) return false; b.click(); return true; })()")
    assert clicked, f"no enabled {label!r} button on the page"


def test_dashboard_steps_plays_and_resets_in_chromium(dashboard: str, browser: DevTools,
                                                      tmp_path: Path) -> None:
    from negotiation_sim.api import run

    expected = run(CONFIGS / "sma11.toml", seed=0).outcome  # what the page must reach
    page = browser

    def body_text() -> str:
        return f"Page text: {str(page.js('document.body.innerText'))[:1500]!r}"

    page.call("Page.navigate", url=dashboard)
    _wait(lambda: "Not started" in page.js(OUTCOME_TEXT), 60,
          "the outcome panel", detail=body_text)
    first = _wait(lambda: page.js(PLOT_IMAGE), 30, "the offers plot image", detail=body_text)
    assert "0 of 40 months simulated" in page.js(OUTCOME_TEXT)
    for label in ("seed", "US opening", "ROK bottom line", "beta", "gap sensitivity"):
        assert label in page.js("document.body.innerText"), f"no {label!r} slider"

    for month in (1, 2, 3):  # Step: one month per click, the plot redrawn each time
        _click(page, "Step")
        _wait(lambda m=month: f"{m} of 40 months simulated" in page.js(OUTCOME_TEXT), 30,
              f"month {month} in the outcome panel", detail=body_text)
    third = _wait(lambda: (img := page.js(PLOT_IMAGE)) and img[3] != first[3] and img, 30,
                  "the plot to change after stepping", detail=body_text)
    assert third[0] > 600 and third[1] > 400
    outcome = page.js(OUTCOME_TEXT)
    assert "Negotiating" in outcome and "2019-11" in outcome  # third month: the walk-out
    assert "walk-outs\t1" in outcome or "walk-outs 1" in outcome.replace("\t", " ")

    _click(page, "▶")  # Play to the end: sma11 agrees in 2021-02, month 18
    agreed = _wait(lambda: (text := page.js(OUTCOME_TEXT)) and "Agreed" in text and text, 120,
                   "Play to reach the agreement", every=0.5, detail=body_text)
    assert f"{expected.agreement_month}:" in agreed
    assert f"{expected.amount_krw_bn:,.1f} bn won" in agreed
    assert f"gap {expected.gap_months} months" in agreed
    _wait(lambda: (img := page.js(PLOT_IMAGE)) and img[3] != third[3], 30,
          "the final plot", detail=body_text)
    time.sleep(1.0)  # let the last image paint before the screenshot
    shot = page.call("Page.captureScreenshot", format="png")
    path = tmp_path / "dashboard.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"dashboard screenshot: {path}")
    assert path.stat().st_size > 50_000

    _click(page, "Reset")  # Mesa 3.5 passes its own Scenario object here
    _wait(lambda: "0 of 40 months simulated" in page.js(OUTCOME_TEXT), 30,
          "Reset to rebuild the model", detail=body_text)
    _click(page, "Step")  # the rebuilt model runs, from the sliders' (unsnapped) defaults
    _wait(lambda: "1 of 40 months simulated" in page.js(OUTCOME_TEXT), 30,
          "a step after Reset", detail=body_text)
    assert "US 5,750.0 / ROK 1,142.8 bn won" in page.js(OUTCOME_TEXT)
    assert "error" not in page.js("document.body.innerText").lower()

    hosts = {event["params"]["request"]["url"].split("/")[2]
             for event in page.events if event.get("method") == "Network.requestWillBeSent"
             and event["params"]["request"]["url"].startswith("http")}
    assert hosts and all(h.startswith("127.0.0.1") for h in hosts), hosts
