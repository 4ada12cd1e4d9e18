"""One self-contained HTML page for any results folder (run, run --replications, sweep,
tune, sensitivity): its figures embedded as base64 PNG, its tables, and the manifest's
provenance. The page loads nothing from anywhere (no scripts, fonts or style sheets from
outside; tests/test_report_browser.py checks it in headless Chromium), so it can be mailed
or archived as one file.

What goes in: every PNG of the folder (and of its sub-folders one level down); the
figures a folder implies but does not hold (a run's negotiation dance, a sweep's response
curves or heatmap and gap histogram), drawn in memory; every CSV as a table (the first
``MAX_ROWS`` rows), every Markdown file as text, the outcome or distribution JSON, and a
sweep's summary as ``summarize`` prints it.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from . import storage
from .formatting import human

REPORT = "report.html"
MAX_ROWS = 200
PROVENANCE = ("command", "command_line", "config", "seeds", "created", "git_commit",
              "versions", "outputs")
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em;
       border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; } td.key, th.key { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.7em; overflow-x: auto; font-size: 0.8em; }
.note { color: #666; font-size: 0.85em; }
"""


def kind_of(meta: dict[str, Any], folder: Path) -> str:
    """'run', 'replications', 'sweep', 'tune', 'sensitivity' (or the manifest's command)."""
    command = str(meta.get("command") or "results")
    if command == "run" and (folder / "runs.parquet").exists():
        return "replications"
    return command


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _figure_bytes(fig: Any) -> bytes:
    from .viz.style import pyplot

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    pyplot().close(fig)
    return buffer.getvalue()


def _drawn(draw: Any, *args: Any) -> bytes:
    """PNG bytes of a viz function that saves to a path, drawn into a temporary folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        draw(*args, path)
        return path.read_bytes()


def implied_figures(kind: str, folder: Path) -> list[tuple[str, bytes]]:
    """Figures a folder of this kind implies but does not hold, drawn in memory."""
    if kind == "run" and not (folder / "dance.png").exists():
        from .viz.dance import dance_figure

        record = storage.read_run(folder)
        fig = dance_figure(record.trace, record.scenario, record.outcome, seed=record.seed)
        return [("negotiation dance (drawn for this report)", _figure_bytes(fig))]
    if kind == "replications":
        from .viz.batch import gap_histogram

        return [("gap months over the replications",
                 _drawn(gap_histogram, folder / "runs.parquet"))]
    if kind == "sweep" and (folder / "runs.parquet").exists():
        from .experiments.summary import load
        from .viz.batch import gap_histogram, heatmap, response_curves

        runs, params = load(folder)
        out: list[tuple[str, bytes]] = []
        if len(params) == 1 and not (folder / "response_curves.png").exists():
            out.append((f"response curves against {params[0]}",
                        _drawn(response_curves, runs, params[0])))
        if len(params) >= 2 and not list(folder.glob("heatmap_*.png")):
            out.append((f"share agreed before expiry by {params[0]} and {params[1]}",
                        _drawn(lambda r, p: heatmap(r, params[0], params[1], p), runs)))
        if not (folder / "gap_histogram.png").exists():
            out.append(("gap months over all runs", _drawn(gap_histogram, runs)))
        return out
    return []


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th class='key'>{html.escape(k)}</th><td class='key'>{v}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def _value(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"<pre>{html.escape(json.dumps(value, indent=1, default=str))}</pre>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return html.escape(human(value))
    return html.escape("-" if value is None else str(value))


def provenance(meta: dict[str, Any]) -> str:
    """The manifest's common keys (storage.MANIFEST_KEYS) and the command's own details."""
    rows = [(key, _value(meta.get(key))) for key in PROVENANCE]
    details = {k: v for k, v in meta.items()
               if k not in (*PROVENANCE, "resolved_config")}
    rows += [(key, _value(value)) for key, value in details.items()]
    return _table(rows)


def csv_table(path: Path) -> str:
    """A CSV file as an HTML table, numbers formatted for people, at most ``MAX_ROWS`` rows."""
    import pandas as pd

    df = pd.read_csv(path)
    note = (f"<p class='note'>first {MAX_ROWS:,} of {len(df):,} rows</p>"
            if len(df) > MAX_ROWS else "")
    shown = df.head(MAX_ROWS).map(lambda v: human(v) if isinstance(v, int | float) else (
        "" if v is None else str(v)))
    return shown.to_html(index=False, border=0, na_rep="") + note


def build(folder: str | Path) -> str:
    """The report page of ``folder`` as an HTML string."""
    folder = Path(folder)
    meta = storage.read_manifest(folder)
    kind = kind_of(meta, folder)
    parts = [f"<h1>{html.escape(kind)}: {html.escape(folder.name)}</h1>",
             f"<p class='note'>{html.escape(str(meta.get('command_line') or ''))}</p>"]
    for name in ("outcome.json", "distribution.json", "best_params.json"):
        if (folder / name).is_file():
            data = json.loads((folder / name).read_text(encoding="utf-8"))
            parts += [f"<h2>{html.escape(name)}</h2>",
                      _table([(k, _value(v)) for k, v in data.items()])]
    if kind == "sweep" and (folder / "runs.parquet").exists():
        from .experiments.summary import format_summary, summarize

        parts += ["<h2>Summary</h2>",
                  f"<pre>{html.escape(format_summary(summarize(folder)))}</pre>",
                  "<p class='note'>Columns: docs/batches.md, or "
                  "<code>negotiation-sim summarize --help</code>.</p>"]
    figures = [(p.relative_to(folder).as_posix(), p.read_bytes())
               for p in sorted([*folder.glob("*.png"), *folder.glob("*/*.png")])]
    figures += implied_figures(kind, folder)
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [f"<figure><img alt='{html.escape(caption)}' src='{_png(data)}'>"
                  f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                  for caption, data in figures]
    for path in sorted(folder.glob("*.md")):
        parts += [f"<h2>{html.escape(path.name)}</h2>",
                  f"<pre>{html.escape(path.read_text(encoding='utf-8'))}</pre>"]
    for path in sorted(folder.glob("*.csv")):
        parts += [f"<h2>{html.escape(path.name)}</h2>", csv_table(path)]
    parts += ["<h2>Provenance (manifest.json)</h2>", provenance(meta)]
    if "resolved_config" in meta:
        parts += ["<details><summary>resolved config</summary>",
                  _value(meta["resolved_config"]), "</details>"]
    title = html.escape(f"negotiation_sim {kind}: {folder.name}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of ``folder`` (default ``folder/report.html``) atomically."""
    path = Path(out) if out is not None else Path(folder) / REPORT
    text = build(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    return storage.write_text(path, text)
