"""The ``exceedance`` extractor: the empirical distribution of a series as an exceedance table.

For each matched series, over the column's period: at each level, the fraction of samples
strictly above it, ``P(X > level) = #{x_i > level} / n`` (the empirical survival function; for
evenly spaced samples, the fraction of the time the level is exceeded), and the number of
samples above it. Levels are given (``levels: [..]``) or ``levels: N`` evenly spaced from the
series' minimum to its maximum (both included). Written as the table ``<label> exceedance``
(``object``, ``variable``, ``level``, ``exceedance_probability``, ``samples_above``,
``samples``). Units: ``level`` in the variable's unit (when every series of the table has the
same one), the probability and the counts ``-``. Conventions: docs/extractors/exceedance.md.
"""

from __future__ import annotations

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    Extractor,
    SampleGuard,
    SeriesColumn,
    common_unit,
    extra_table,
    hookimpl,
    table_title,
)
from pydantic import Field, field_validator


class ExceedanceColumn(SeriesColumn):
    levels: int | list[float] = Field(
        default=20, description="A number of levels evenly spaced from min to max, or the "
        "levels themselves (increasing).")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value):
        if isinstance(value, int) and value < 2:
            raise ValueError("levels: give at least 2 levels")
        if isinstance(value, list) and (not value or np.any(np.diff(value) <= 0)):
            raise ValueError("levels must be increasing values")
        return value

    def output_names(self) -> list[str]:
        return self.extra_table_names() + self.omitted_names()

    def extra_table_names(self) -> list[str]:
        return [table_title(self, "exceedance")]


def exceedance(x: np.ndarray, levels: int | list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(levels, number of samples strictly above each level) of ``x``."""
    values = np.sort(np.asarray(x, dtype=np.float64))
    if isinstance(levels, int):
        grid = np.linspace(values[0], values[-1], levels)
    else:
        grid = np.asarray(levels, dtype=np.float64)
    above = values.size - np.searchsorted(values, grid, side="right")
    return grid, above


class ExceedanceExtractor(Extractor):
    """Empirical exceedance probabilities of a series at levels (a table per column)."""

    name = "exceedance"
    Options = ExceedanceColumn

    def extract(self, file, column: ExceedanceColumn) -> dict:
        table: dict[str, list] = {"object": [], "variable": [], "level": [],
                                  "exceedance_probability": [], "samples_above": [],
                                  "samples": []}
        level_units: list[str | None] = []
        guard = SampleGuard(column)
        for target, _name in self.named_targets(file, column):
            obj, var = target.obj.name, target.var.name
            level_units.append(target.var.units)
            series = file.time_history(obj, var, column.position, column.period)
            _, values = guard.series(f"{obj} / {var}", series.time, series.values)
            grid, above = exceedance(values, column.levels)
            n = values.shape[0]
            table["object"].extend([obj] * grid.size)
            table["variable"].extend([var] * grid.size)
            table["level"].extend(grid.tolist())
            table["exceedance_probability"].extend((above / n).tolist())
            table["samples_above"].extend(above.tolist())
            table["samples"].extend([n] * grid.size)
        title = table_title(column, "exceedance")
        units = {"level": common_unit(level_units), "exceedance_probability": DIMENSIONLESS,
                 "samples_above": DIMENSIONLESS, "samples": DIMENSIONLESS}
        return guard.report({title: extra_table(title, table, units=units)})


@hookimpl
def orcapost_register_extractors(register):
    register(ExceedanceExtractor)
