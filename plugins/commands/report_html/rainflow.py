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
    # A histogram per node (and series): each has its own bins, so one is drawn, the node
    # with the largest range of the file.
    node = ""
    if "arc_length" in table.columns:
        arcs = table.numeric("arc_length")
        series = [table.columns[c] for c in ("object", "variable") if c in table.columns]
        candidates = np.flatnonzero(rows & (cycles > 0))
        if candidates.size:
            top = candidates[np.argmax(high[candidates])]
            same = np.isclose(arcs, arcs[top]) | (np.isnan(arcs) & np.isnan(arcs[top]))
            for values in series:
                same &= values == values[top]
            rows = rows & same
            if np.isfinite(arcs[top]):
                node = f" at arc length {arcs[top]:g} m"
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
    obj = str(table.columns["object"][rows][0]) if "object" in table.columns else ""
    title = f"{obj} {variable}{node}: rainflow ranges".strip()
    ax.set_title(title)
    ax.legend(loc="best")
    caption = f"{where}{node}: cycles per range bin (ASTM E1049 rainflow count; table {table.name})."
    return Figure(f"rainflow-{slug(table.name)}", "rainflow", title, fig, caption)
