"""Rainflow range histograms from a fatigue column's histogram table (``bins``): cycles per
range bin of the chosen file, summed over the nodes and series the table holds for it."""

from __future__ import annotations

import numpy as np
from orcapost.plugins.commands.report_html.figures import Figure, axis_label, pyplot, slug
from orcapost.plugins.commands.report_html.tables import Table


def rainflow_figure(table: Table, options) -> Figure | None:
    files = table.columns.get("file")
    low, high = table.numeric("range_low"), table.numeric("range_high")
    cycles = table.numeric("cycles")
    if files is not None:
        chosen = options.file
        if chosen is None:  # the file with the largest range that holds a cycle
            counted = np.flatnonzero(cycles > 0)
            if counted.size == 0:
                return None
            chosen = files[counted[np.argmax(high[counted])]]
        rows = files == chosen
        where = str(chosen)
    else:
        rows = np.ones(table.rows, dtype=bool)
        where = "every file"
    if not rows.any():
        return None
    edges_low, edges_high, counts = low[rows], high[rows], cycles[rows]
    bins = sorted(set(zip(edges_low.tolist(), edges_high.tolist(), strict=True)))
    totals = np.array([counts[(edges_low == a) & (edges_high == b)].sum() for a, b in bins])
    plt = pyplot()
    fig, ax = plt.subplots()
    lefts = np.array([a for a, _ in bins])
    widths = np.array([b - a for a, b in bins])
    ax.bar(lefts, totals, width=widths, align="edge", color="#1f4e8c", edgecolor="white",
           linewidth=0.5, label=f"{totals.sum():.4g} cycles")
    ax.set_yscale("log" if totals.max() > 100 * max(totals[totals > 0].min(), 1e-12) else "linear")
    variable = ""
    if "variable" in table.columns and rows.any():
        variable = str(table.columns["variable"][rows][0])
    unit = table.unit("range_low")
    ax.set_xlabel(axis_label(f"{variable} range".strip(), unit))
    ax.set_ylabel("cycles")
    title = f"{table.name}: rainflow ranges"
    ax.set_title(title)
    ax.legend(loc="upper right")
    caption = f"{where}: cycles per range bin (ASTM E1049 rainflow count; table {table.name})."
    return Figure(f"rainflow-{slug(table.name)}", "rainflow", title, fig, caption)
