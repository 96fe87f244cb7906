"""An extremes column's fit against its data: the sample it fitted (declustered peaks over the
threshold for weibull/gpd, block maxima for gumbel: the ``sample_output`` table) and the fitted
distribution, as the probability that a peak (block maximum) is beyond a level, on a log axis.

The data are at Weibull plotting positions ``i / (n + 1)`` (rank ``i`` from the most extreme);
the curve is the fit stored with the sample, evaluated by :mod:`orcapost.numerics.extremes`
(``PotFit.excess_cdf``, ``GumbelFit.cdf``), the same code that computed the column's value.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
from orcapost.numerics.extremes import GumbelFit, PotFit
from orcapost.plugins.commands.report_html.figures import (
    GOVERNING,
    LIMIT,
    Figure,
    axis_label,
    pyplot,
    slug,
)
from orcapost.plugins.commands.report_html.tables import Table


def _exceedance(method: str, tail: str, row: dict[str, float], x: np.ndarray, n: int
                ) -> np.ndarray:
    """P(a fitted value is beyond x) under the stored fit (beyond: above for the upper tail,
    below for the lower)."""
    side = cast("Any", tail)  # "upper" or "lower", as the table says
    if method == "gumbel":
        cdf = np.asarray(GumbelFit(row["loc"], row["scale"], side, n).cdf(x))
        return 1.0 - cdf if tail == "upper" else cdf
    sign = 1.0 if tail == "upper" else -1.0
    pot = PotFit(cast("Any", method), row["shape"], row["scale"], row["threshold"], side, n,
                 math.nan)  # the peak rate: not needed for the excess distribution
    return 1.0 - np.asarray(pot.excess_cdf(sign * (x - row["threshold"])))


def fit_figures(table: Table, options) -> list[Figure]:
    files = table.columns.get("file")
    objects, variables = table.columns["object"], table.columns["variable"]
    values = table.numeric("value")
    plt = pyplot()
    figures = []
    for obj, var in dict.fromkeys(zip(objects.tolist(), variables.tolist(), strict=True)):
        series = (objects == obj) & (variables == var) & np.isfinite(values)
        if not series.any():
            continue
        upper = table.columns["tail"][series][0] == "upper"
        if files is None:
            rows, chosen = series, "the table"
        else:
            chosen = options.file
            if chosen is None:  # the file holding the most extreme fitted value
                candidates = np.flatnonzero(series)
                pick = np.argmax(values[candidates]) if upper else np.argmin(values[candidates])
                chosen = files[candidates[pick]]
            rows = series & (files == chosen)
        if rows.sum() < 2:
            continue
        first = int(np.flatnonzero(rows)[0])
        method = str(table.columns["method"][first])
        tail = "upper" if upper else "lower"
        row = {k: float(table.numeric(k)[first]) for k in ("shape", "scale", "loc", "threshold")}
        sample = np.sort(values[rows])[::-1] if upper else np.sort(values[rows])
        n = sample.size
        empirical = np.arange(1, n + 1) / (n + 1.0)
        span = float(sample.max() - sample.min()) or abs(float(sample[0])) or 1.0
        if method != "gumbel":
            start = row["threshold"]  # the excess distribution starts there
        else:
            start = float(sample.min() - 0.2 * span) if upper else float(sample.max() + 0.2 * span)
        end = float(sample[0] + (0.3 * span if upper else -0.3 * span))
        line_x = np.linspace(start, end, 200)
        with np.errstate(all="ignore"):
            line_y = _exceedance(method, tail, row, line_x, n)
        keep = line_y > 0
        fig, ax = plt.subplots()
        ax.semilogy(sample, empirical, "o", color="#1f4e8c",
                    label=f"{n} {'block maxima' if method == 'gumbel' else 'peaks'} of {chosen}")
        name = {"gpd": "generalised Pareto", "weibull": "Weibull", "gumbel": "Gumbel"}[method]
        params = (f"loc {row['loc']:.4g}, scale {row['scale']:.3g}" if method == "gumbel"
                  else f"shape {row['shape']:.3g}, scale {row['scale']:.3g}")
        ax.semilogy(line_x[keep], line_y[keep], color=GOVERNING, linewidth=2,
                    label=f"{name} ML fit: {params}")
        if method != "gumbel":
            ax.axvline(row["threshold"], color=LIMIT, linestyle="--", linewidth=1.2,
                       label=f"threshold {row['threshold']:.4g}")
        unit = table.unit("value")
        ax.set_xlabel(axis_label(f"{obj} {var}", unit))
        what = "block maximum" if method == "gumbel" else "peak"
        ax.set_ylabel(f"P(a {what} {'above' if upper else 'below'} the value)")
        title = f"{obj} {var}: {name} fit of the {'maxima' if upper else 'minima'}"
        ax.set_title(title)
        ax.legend(loc="best")
        caption = (f"{method} fit of {n} values of {chosen} ({tail} tail) against the data at "
                   f"plotting positions i/(n+1) (table {table.name}).")
        figures.append(Figure(f"fit-{slug(table.name)}-{slug(f'{obj}-{var}')}", "fit", title,
                              fig, caption))
    return figures
