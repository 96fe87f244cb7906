"""Range-graph envelopes along arc length: every load case's max and min, the governing
envelope bold, the allowables as limit lines.

One figure per object and variable of an envelope table. Up to ``max_cases`` load cases each
case is a thin line; beyond, all cases are a band (their spread) and only the cases that govern
somewhere along the line are drawn, so a 1,000-case campaign stays one readable figure.
"""

from __future__ import annotations

import numpy as np
from orcapost.plugins.commands.report_html.figures import (
    GOVERNING,
    LIMIT,
    OTHERS,
    Figure,
    axis_label,
    pyplot,
    slug,
)
from orcapost.plugins.commands.report_html.tables import Table

#: The statistic whose governing envelope is the largest value, and the smallest.
UPPER = ("max", "mean", "std", "abs_max")


def _cells(table: Table, rows: np.ndarray):
    """(files, file index per row, node arc lengths, node index per row) of some rows."""
    files = table.columns["file"][rows] if "file" in table.columns else np.zeros(rows.size)
    arcs = table.numeric("arc_length")[rows]
    names, file_index = np.unique(files, return_inverse=True)
    grid_arcs, node_index = np.unique(arcs, return_inverse=True)
    return names.tolist(), file_index, grid_arcs, node_index


def _grid(table: Table, rows: np.ndarray, stat: str, cells) -> np.ndarray:
    """values[file, node] of one statistic (NaN where a file has no such node)."""
    names, file_index, grid_arcs, node_index = cells
    grid = np.full((len(names), grid_arcs.size), np.nan)
    grid[file_index, node_index] = table.numeric(stat)[rows]
    return grid


def envelope_figures(table: Table, options, max_cases: int) -> list[Figure]:
    plt = pyplot()
    from matplotlib.collections import LineCollection

    objects = table.columns["object"]
    variables = table.columns["variable"]
    sections = table.columns.get("section")
    keys = list(dict.fromkeys(zip(objects.tolist(), variables.tolist(),
                                  sections.tolist() if sections is not None
                                  else [None] * table.rows, strict=True)))
    stats = [s for s in options.statistics if s in table.columns]
    figures = []
    for obj, var, section in keys:
        rows = np.flatnonzero((objects == obj) & (variables == var)
                              & ((sections == section) if sections is not None else True))
        unit = options.unit or (table.unit(stats[0]) if stats else None)
        fig, ax = plt.subplots()
        legend_notes = []
        cells = _cells(table, rows)  # one sort of the rows for every statistic
        names, arcs = cells[0], cells[2]
        for stat in stats:
            grid = _grid(table, rows, stat, cells)
            upper = stat in UPPER
            with np.errstate(all="ignore"):
                governing = np.nanmax(grid, axis=0) if upper else np.nanmin(grid, axis=0)
            finite = np.isfinite(grid)
            if not finite.any():
                continue  # no file has a value of this statistic: nothing to draw
            # The case that holds the governing value at most nodes; the overall extreme's
            # file is named in the legend.
            peak_node = int(np.nanargmax(governing) if upper else np.nanargmin(governing))
            peak_file = names[int(np.nanargmax(grid[:, peak_node]) if upper
                                  else np.nanargmin(grid[:, peak_node]))]
            if len(names) <= max_cases:
                segments = [np.column_stack([arcs[finite[i]], grid[i][finite[i]]])
                            for i in range(len(names))]
                ax.add_collection(LineCollection(
                    segments, colors=OTHERS, linewidths=0.7, alpha=0.8,
                    label=f"{stat}, each of {len(names)} load cases"))
            else:
                with np.errstate(all="ignore"):
                    low, high = np.nanmin(grid, axis=0), np.nanmax(grid, axis=0)
                ax.fill_between(arcs, low, high, color=OTHERS, alpha=0.35, linewidth=0,
                                label=f"{stat}: spread of {len(names)} load cases")
            ax.plot(arcs, governing, color=GOVERNING if upper else "#1f4e8c", linewidth=2.2,
                    label=f"governing {stat}")
            ax.plot([arcs[peak_node]], [governing[peak_node]], "o",
                    color=GOVERNING if upper else "#1f4e8c", markersize=6)
            legend_notes.append(
                f"{stat} {governing[peak_node]:.4g}{' ' + unit if unit else ''} at arc length "
                f"{arcs[peak_node]:g} {table.unit('arc_length') or 'm'} in {peak_file}")
        for allowable in options.allowables:
            ax.axhline(allowable.value, color=LIMIT, linestyle="--", linewidth=1.6,
                       label=f"{allowable.label} ({allowable.value:g}{' ' + unit if unit else ''})")
        title = f"{obj} {var}" + (f" ({section})" if section else "") + ": range graph"
        ax.set_title(title)
        ax.set_xlabel(axis_label("Arc length", table.unit("arc_length") or "m"))
        ax.set_ylabel(axis_label(var, unit))
        ax.autoscale_view()
        # Beside the axes: a range graph fills its axes, a legend inside would hide lines.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        key = slug(f"{table.name}-{obj}-{var}-{section or ''}")
        figures.append(Figure(f"envelope-{key}",
                              "envelope", title, fig, caption="; ".join(legend_notes)
                              + f" (table {table.name})."))
    return figures
