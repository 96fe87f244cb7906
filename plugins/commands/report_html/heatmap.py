"""A value column over two load-case keys (heading x Hs): one cell per pair of key values, the
files of a cell (seeds) combined by max, min or mean, each cell labelled with its value."""

from __future__ import annotations

from typing import Any

import numpy as np
from orcapost.plugins.commands.report_html.figures import Figure, axis_label, pyplot, slug
from orcapost.plugins.commands.report_html.tables import Table

#: Cells are labelled with their value up to this many along either axis.
LABELLED = 14


def heatmap_figure(table: Table, options) -> Figure | None:
    plt = pyplot()
    x = table.numeric(options.x)
    y = table.numeric(options.y)
    z = table.numeric(options.column)
    keep = np.isfinite(x) & np.isfinite(y)
    xs, ys = np.unique(x[keep]), np.unique(y[keep])
    if xs.size == 0 or ys.size == 0:
        return None  # keys that are not numbers (or empty): no map to draw
    grid = np.full((ys.size, xs.size), np.nan)
    counts = np.zeros((ys.size, xs.size), dtype=int)
    reduce: Any = {"max": np.nanmax, "min": np.nanmin, "mean": np.nanmean}[options.reduce]
    xi, yi = np.searchsorted(xs, x[keep]), np.searchsorted(ys, y[keep])
    zk = z[keep]
    for j in range(ys.size):
        for i in range(xs.size):
            cell = zk[(xi == i) & (yi == j)]
            counts[j, i] = cell.size
            if np.isfinite(cell).any():
                grid[j, i] = reduce(cell)
    unit = table.unit(options.column)
    width = max(5.5, min(11.0, 1.0 + 0.9 * xs.size))
    fig, ax = plt.subplots(figsize=(width, 4.8))
    # Fixed margins, in inches (short key names below and left, the colour bar's label right):
    # the cells' labels make a layout pass the costliest part of a large report.
    fig.subplots_adjust(left=0.9 / width, right=1.0 - 0.3 / width, bottom=0.62 / 4.8,
                        top=1.0 - 0.45 / 4.8)
    mesh = ax.pcolormesh(np.arange(xs.size + 1) - 0.5, np.arange(ys.size + 1) - 0.5,
                         np.ma.masked_invalid(grid), cmap="viridis", shading="flat")
    ax.grid(False)
    ax.set_xticks(np.arange(xs.size), [f"{v:g}" for v in xs])
    ax.set_yticks(np.arange(ys.size), [f"{v:g}" for v in ys])
    ax.set_xlabel(axis_label(options.x, table.unit(options.x) or _key_unit(options.x)))
    ax.set_ylabel(axis_label(options.y, table.unit(options.y) or _key_unit(options.y)))
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(axis_label(f"{options.column} ({options.reduce} per cell)", unit))
    if xs.size <= LABELLED and ys.size <= LABELLED:
        finite = grid[np.isfinite(grid)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        scale = float(np.abs(finite).max()) if finite.size else 0.0
        for j in range(ys.size):
            for i in range(xs.size):
                text = "no data" if not np.isfinite(grid[j, i]) else _label(grid[j, i], scale)
                ax.text(i, j, text, ha="center", va="center", fontsize=8,
                        color="white" if np.isfinite(grid[j, i]) and grid[j, i] < middle
                        else "black")
    title = f"{options.column}: {options.y} x {options.x}"
    ax.set_title(title)
    files = int(counts.sum())
    caption = (f"{options.reduce} over the files of each cell ({files} files, up to "
               f"{counts.max() if counts.size else 0} per cell; table {table.name}).")
    return Figure(f"heatmap-{slug(table.name)}-{slug(options.column)}", "heatmap", title, fig,
                  caption, fixed_layout=True)


def _label(value: float, scale: float) -> str:
    # Float noise around zero (1e-16 where a motion is nil) reads as 0, not as a number.
    return "0" if abs(value) <= 1e-9 * scale else f"{value:.4g}"


def _key_unit(key: str) -> str | None:
    # The units of the usual load-case keys, when the table carries none (docs/report.md).
    return {"heading": "deg", "Hs": "m", "Tp": "s", "Tz": "s"}.get(key)
