"""The ``time_history`` extractor: a variable's samples over the period, as a table of its own.

``layout: per_file`` writes one table per simulation (``time`` and one column per matched
object/variable; columns of a group that give the same ``table`` share one per file); ``layout: long`` stacks every file into one table with a leading ``file``
column. ``resample: dt`` interpolates linearly onto t0, t0 + dt, ... <= t1 of the period;
without it the stored samples are written as they are (both period ends included). The group
table gets ``<label> samples``, the number of rows written for the file.
Conventions: docs/extractors/time_history.md.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    SECONDS,
    Extractor,
    SampleGuard,
    SeriesColumn,
    extra_table,
    hookimpl,
    table_title,
    with_units,
)
from pydantic import Field, model_validator


class TimeHistoryColumn(SeriesColumn):
    resample: float | None = Field(
        default=None, gt=0, description="Resample onto a regular grid of this step (s); "
        "null keeps the stored samples.")
    layout: Literal["per_file", "long"] = Field(
        default="per_file", description="per_file: one table per simulation; long: one table.")
    table: str | None = Field(
        default=None, min_length=1, description="Name of the per-file table (default: "
        "'<label> time history'); the columns of a group that give one name share one table "
        "per file: time, then each column's series (the legacy time-series files).")

    @model_validator(mode="after")
    def _table_is_per_file(self) -> TimeHistoryColumn:
        if self.table is not None and self.layout != "per_file":
            # It names per-file tables only: a long table would silently ignore it.
            raise ValueError("table names a per-file table: give layout: per_file with it, "
                             "or leave table out (a long table is '<label> time history')")
        return self

    def output_names(self) -> list[str]:
        return [table_title(self, "time history"), table_title(self, "samples"),
                *self.omitted_names()]

    def extra_table_names(self) -> list[str]:
        return [table_title(self, "time history")] if self.layout == "long" else []


def resample_series(time: np.ndarray, values: np.ndarray, dt: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation onto t0 + k dt for every k with t0 + k dt <= t1."""
    count = int(np.floor((time[-1] - time[0]) / dt + 1e-9)) + 1
    grid = time[0] + dt * np.arange(count)
    return grid, np.interp(grid, time, values.astype(np.float64))


class TimeHistoryExtractor(Extractor):
    """Exports the time history over the period, per file or as one long table, resampled if asked."""

    name = "time_history"
    Options = TimeHistoryColumn

    def extract(self, file, column: TimeHistoryColumn) -> dict:
        guard = SampleGuard(column)
        read = [(target, name, file.time_history(target.obj.name, target.var.name,
                                                 column.position, column.period))
                for target, name in self.named_targets(file, column)]
        # One time column for every series: with nan_policy omit, an instant where any of them
        # is not finite is dropped from all (a row is never half NaN).
        time, *series_values = guard.series(
            [f"{t.obj.name} / {t.var.name}" for t, _, _ in read], read[0][2].time,
            *(series.values for _, _, series in read))
        columns: dict[str, np.ndarray] = {}
        units = {"time": SECONDS}
        for (target, name, _), values in zip(read, series_values, strict=True):
            units[name] = target.var.units
            grid = time
            if column.resample is not None:
                grid, values = resample_series(time, values, column.resample)
            columns.setdefault("time", grid)
            columns[name] = values
        title = table_title(column, "time history")
        shared = column.table if column.layout == "per_file" and column.table else title
        samples = table_title(column, "samples")
        return with_units(guard.report({
            title: extra_table(shared, columns, layout=column.layout, units=units),
            samples: int(columns["time"].shape[0]),
        }), {samples: DIMENSIONLESS})


@hookimpl
def orcapost_register_extractors(register):
    register(TimeHistoryExtractor)
