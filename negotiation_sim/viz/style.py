"""The project's one figure style, a headless backend, and atomic PNG saving.

Every figure module does::

    from .style import new_figure, save
    fig, ax = new_figure()
    ...
    save(fig, path)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

US_COLOR = "#1f4e9c"  # US: blue
ROK_COLOR = "#c0392b"  # ROK: red
GAP_COLOR = "#f3d9a4"  # gap period shading
NEUTRAL = "#555555"
ACCENT = "#2e8b57"  # agreement
VETO_COLOR = "#7b2d8e"  # vetoes and other principals' moves (and rejected ratifications)
ELECTION_COLOR = "#0e7c86"  # elections and inaugurations
CMAP = "viridis"
SIDE_COLORS = {"us": US_COLOR, "rok": ROK_COLOR}

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
}


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend with the project style applied."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC)
    return plt


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (9.0, 5.0),
               *, detached: bool = False, **kwargs: Any) -> tuple[Any, Any]:
    """A styled figure and its axes.

    ``detached=True`` builds a ``matplotlib.figure.Figure`` that pyplot does not track,
    for long-lived servers (the dashboard) that draw a figure per step from threads.
    """
    plt = pyplot()
    if not detached:
        return plt.subplots(nrows, ncols, figsize=size, layout="constrained", **kwargs)
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def usd_axis(ax: Any, krw_per_usd: float, label: str | None = None) -> Any:
    """A secondary y axis on the right showing KRW-billion amounts in US$ million."""
    rate = float(krw_per_usd)
    sec = ax.secondary_yaxis("right", functions=(lambda bn: bn * 1000.0 / rate,
                                                 lambda usd_m: usd_m * rate / 1000.0))
    if label is None:
        label = f"US\\$ million (at {rate:,.0f} won/\\$)"
    sec.set_ylabel(label)
    return sec


def save(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as PNG atomically, then close it."""
    from ..storage import write_bytes_via

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_via(path, lambda p: fig.savefig(p, format="png"))
    pyplot().close(fig)
    return path
