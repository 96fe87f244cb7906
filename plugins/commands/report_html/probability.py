"""Extreme-value probability plots: per-file extremes on Gumbel probability paper.

The data are the extremes of the files of one sea state (its seeds), at Gringorten plotting
positions ``(i - 0.44) / (n + 0.12)`` (the unbiased positions for the Gumbel distribution); the
line is the maximum-likelihood Gumbel fit that the campaign ``gumbel`` reduction makes
(:func:`orcapost.numerics.extremes.fit_gumbel`). The y axis is the reduced variate
``-ln(-ln F)``, labelled with non-exceedance probabilities, so a Gumbel sample lies on a line.
"""

from __future__ import annotations

import numpy as np
from orcapost.numerics.extremes import fit_gumbel
from orcapost.plugins.commands.report_html.figures import (
    GOVERNING,
    Figure,
    axis_label,
    pyplot,
    slug,
)
from orcapost.plugins.commands.report_html.tables import Table

#: No sea state with this many files (seeds): the plot takes every file instead, and says so.
MIN_POINTS = 2
_PROBABILITIES = (0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999)


def _sample(table: Table, options, keys: list[str]) -> tuple[np.ndarray, str]:
    values = table.numeric(options.column)
    by = [k for k in (keys if options.by is None else options.by) if k in table.columns]
    if not by:
        return values[np.isfinite(values)], f"all {int(np.isfinite(values).sum())} files"
    cells: dict[tuple, list[float]] = {}
    key_values = [table.numeric(k) for k in by]
    for i, value in enumerate(values):
        if np.isfinite(value):
            cells.setdefault(tuple(float(k[i]) for k in key_values), []).append(float(value))
    upper = options.tail == "upper"
    ranked = sorted(cells.items(), key=lambda item: np.mean(item[1]), reverse=upper)
    for cell, sample in ranked:
        if len(sample) >= MIN_POINTS:
            where = ", ".join(f"{k} {v:g}" for k, v in zip(by, cell, strict=True))
            return np.array(sample), f"{where} ({len(sample)} seeds)"
    return values[np.isfinite(values)], (
        f"all {int(np.isfinite(values).sum())} files (no sea state has {MIN_POINTS} seeds)")


def probability_figure(table: Table, options, keys: list[str]) -> Figure | None:
    sample, where = _sample(table, options, keys)
    if sample.size < 2 or sample.min() == sample.max():
        return None  # nothing to fit: the plan lists it as skipped
    plt = pyplot()
    fit = fit_gumbel(sample, options.tail)
    upper = options.tail == "upper"
    x = np.sort(sample)
    n = x.size
    rank = np.arange(1, n + 1)
    # Non-exceedance for maxima; for minima the probability of a smaller value.
    p = (rank - 0.44) / (n + 0.12)
    reduced = -np.log(-np.log(p)) if upper else -np.log(-np.log(1 - p))
    fig, ax = plt.subplots()
    ax.plot(x, reduced, "o", color="#1f4e8c", label=f"data: {where}")
    span = x.max() - x.min()
    line_x = np.linspace(x.min() - 0.15 * span, x.max() + 0.4 * span, 100)
    line_y = (line_x - fit.loc) / fit.scale if upper else (fit.loc - line_x) / fit.scale
    ax.plot(line_x, line_y, color=GOVERNING, linewidth=2,
            label=f"Gumbel ML fit: loc {fit.loc:.4g}, scale {fit.scale:.3g}")
    low = min(float(reduced.min()), float(line_y.min())) - 0.3
    high = max(float(reduced.max()), float(line_y.max())) + 0.3
    ticks = [q for q in _PROBABILITIES if low <= -np.log(-np.log(q)) <= high]
    ax.set_yticks([-np.log(-np.log(q)) for q in ticks], [f"{q:g}" for q in ticks])
    ax.set_ylim(low, high)
    unit = table.unit(options.column)
    ax.set_xlabel(axis_label(options.column, unit))
    ax.set_ylabel("non-exceedance probability" if upper else "exceedance probability")
    title = f"{options.column}: Gumbel probability plot"
    ax.set_title(title)
    ax.legend(loc="lower right" if upper else "lower left")
    caption = (f"{where}; {'maxima' if upper else 'minima'} at Gringorten plotting positions, "
               f"Gumbel maximum-likelihood fit (table {table.name}).")
    return Figure(f"probability-{slug(table.name)}-{slug(options.column)}", "probability",
                  title, fig, caption)
