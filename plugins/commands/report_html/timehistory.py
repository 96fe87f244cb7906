"""Time histories from a long time-history table, the build-up stage shaded.

OrcaFlex's build-up (stage 0) runs up to simulation time 0, so samples at t < 0 are the
build-up: that span is shaded and labelled. Whole-simulation periods start at 0 and show none.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from orcapost.plugins.commands.report_html.figures import Figure, axis_label, pyplot, slug
from orcapost.plugins.commands.report_html.tables import FILE_COLUMNS, KNOWN_KEYS, Table

_COLOURS = ("#1f4e8c", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085")


def series_columns(table: Table, keys: Sequence[str] = ()) -> list[str]:
    """The series of a long time-history table: its numeric columns after ``time``. The
    columns between ``file`` and ``time`` are the file's load case (load_case, heading, Hs,
    seed...), which per-file tables lead with: constants of a file, not time histories."""
    names = list(table.columns)
    after = names[names.index("time") + 1:] if "time" in names else names
    skip = {"file", "time", *FILE_COLUMNS, *KNOWN_KEYS, *keys}
    return [c for c in after if c not in skip and table.is_numeric(c)]


def time_history_figures(table: Table, options, keys: Sequence[str] = ()) -> list[Figure]:
    files = table.columns["file"]
    time = table.numeric("time")
    series = options.columns or series_columns(table, keys)
    plt = pyplot()
    figures = []
    for name in [s for s in series if s in table.columns]:
        values = table.numeric(name)
        # Each file's |peak| in one pass (a campaign's long table holds millions of rows).
        names, which = np.unique(files, return_inverse=True)
        magnitude = np.abs(values)
        peak = np.full(names.size, -np.inf)
        np.fmax.at(peak, which, np.where(np.isfinite(magnitude), magnitude, -np.inf))
        peaks = dict(zip(names.tolist(), peak.tolist(), strict=True))
        order = np.argsort(-peak, kind="stable")[:options.files]
        chosen = [names[i] for i in order]
        fig, ax = plt.subplots()
        start = 0.0
        for i, f in enumerate(chosen):
            rows = which == order[i]
            ax.plot(time[rows], values[rows], linewidth=1.0, color=_COLOURS[i % len(_COLOURS)],
                    label=f"{f} (|peak| {peaks[f]:.4g})")
            start = min(start, float(np.nanmin(time[rows])))
        if start < 0:
            ax.axvspan(start, 0.0, color="#f0b429", alpha=0.18, label="build-up (stage 0)")
            ax.axvline(0.0, color="#b7791f", linewidth=1.0)
        ax.set_xlabel(axis_label("Time", table.unit("time") or "s"))
        ax.set_ylabel(axis_label(name, table.unit(name)))
        title = f"{name}: time history"
        ax.set_title(title)
        ax.legend(loc="best", fontsize=8)
        caption = (f"the {len(chosen)} of {len(names)} files with the largest |{name}|"
                   + ("; build-up shaded" if start < 0 else "; no build-up samples in the table")
                   + f" (table {table.name}).")
        figures.append(Figure(f"timehistory-{slug(table.name)}-{slug(name)}", "time_history",
                              title, fig, caption))
    return figures
