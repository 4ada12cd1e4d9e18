"""Progress of a batch (sweep runs, sensitivity runs, tuning trials): a tqdm bar on a
terminal, plain periodic lines otherwise (CI logs)."""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any, TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """Runs (or other ``unit``s) done out of ``total``, rate and ETA; counts failures too.

    ``initial`` runs were done before (a resumed sweep); the rate counts only runs done
    in this session. ``mode`` is ``"bar"``, ``"lines"``, ``"off"`` or ``None`` (a bar
    when ``stream`` is a terminal, else lines every ``interval`` seconds). ``detail``
    (e.g. a study's best loss) is appended to each line.
    """

    def __init__(self, total: int, initial: int = 0, label: str = "sweep",
                 stream: TextIO | None = None, mode: str | None = None,
                 interval: float = 5.0, unit: str = "run") -> None:
        self.stream = stream or sys.stderr
        if mode is None:
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode, self.total, self.done, self.failed = mode, total, initial, 0
        self.initial, self.label, self.interval, self.unit = initial, label, interval, unit
        self.detail = ""
        self.started = self.last = time.monotonic()
        self.bar: Any = None
        if mode == "bar":
            from tqdm import tqdm

            size = shutil.get_terminal_size((100, 20))  # a bare pty may report 0 x 0
            self.bar = tqdm(total=total, initial=initial, desc=label, unit=unit,
                            file=self.stream, ncols=min(size.columns or 100, 120),
                            nrows=size.lines or 20, smoothing=0.1)
        elif mode == "lines":
            self._line("started" if not initial else f"resumed with {initial:,} runs done")

    def update(self, runs: int, failed: int = 0) -> None:
        self.done += runs
        self.failed += failed
        if self.bar is not None:
            self.bar.update(runs)
            if self.failed or self.detail:
                self.bar.set_postfix_str(", ".join(filter(None, [
                    f"failed={self.failed}" if self.failed else "", self.detail])),
                    refresh=False)
        elif self.mode == "lines" and time.monotonic() - self.last >= self.interval:
            self._line()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.mode == "lines":
            self._line("finished" if self.done >= self.total else "stopped")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.done - self.initial) / elapsed if elapsed > 0 else 0.0

    def _line(self, note: str = "") -> None:
        self.last = time.monotonic()
        rate = self.rate()
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        units = f"{self.unit}s"
        speed = f"{rate:,.0f}" if rate >= 10 or rate == 0 else f"{rate:.2g}"
        text = (f"{self.label}: {self.done:,}/{self.total:,} {units} ({pct:.0f}%), "
                f"{speed} {units}/s, ETA {eta}, {self.failed:,} failed"
                + (f", {self.detail}" if self.detail else ""))
        print(text + (f" [{note}]" if note else ""), file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
