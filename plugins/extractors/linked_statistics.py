"""The ``linked_statistics`` extractor: OrcaFlex's LinkedStatistics.

For a primary variable at a position over the period: the value of its max (and/or min), the
time it occurs (the first sample where it does, like ``time_of_max``), and the value of each
linked variable of the same object, at the same position, at that sample. Outputs are named
``<label> max``, ``<label> max time``, ``<label> max <linked variable>`` (and the same for min).
Conventions: docs/extractors/linked_statistics.md.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from orcapost.api import (
    SECONDS,
    Extractor,
    SampleGuard,
    SeriesColumn,
    hookimpl,
    is_pattern,
    series_names,
    with_units,
)
from pydantic import Field

Extreme = Literal["max", "min"]


class LinkedStatisticsColumn(SeriesColumn):
    linked: list[str] = Field(
        default_factory=list,
        description="Variables of the same object read at the primary's extreme (glob allowed).")
    statistics: list[Extreme] = Field(
        default_factory=lambda: list[Extreme](["max", "min"]), min_length=1,
        description="Which extremes of the primary variable: max, min.")

    def output_names(self) -> list[str]:
        linked = [f" {name}" for name in self.linked if not is_pattern(name)]
        suffixes = [f" {stat}{what}" for stat in self.statistics for what in ["", " time", *linked]]
        return series_names(self, suffixes=suffixes) + self.omitted_names()


class LinkedStatisticsExtractor(Extractor):
    """Value and time of a variable's max/min, and linked variables' values at that instant."""

    name = "linked_statistics"
    Options = LinkedStatisticsColumn

    def extract(self, file, column: LinkedStatisticsColumn) -> dict:
        catalogue = file.catalogue()
        out: dict = {}
        units: dict[str, str] = {}
        guard = SampleGuard(column)
        for target, base in self.named_targets(file, column):
            obj, var = target.obj.name, target.var.name
            primary = file.time_history(obj, var, column.position, column.period)
            linked = []
            linked_units: dict[str, str] = {}
            for pattern in column.linked:
                for info in catalogue.variables(target.obj, pattern):
                    series = file.time_history(obj, info.name, column.position, column.period)
                    linked.append((info.name, series.values))
                    linked_units[info.name] = info.units
            # An instant where the primary or any linked variable is not finite is never
            # reported: it fails the column, or (omit) is skipped for all of them together.
            time, primary_values, *linked_values = guard.series(
                [f"{obj} / {var}"] + [f"{obj} / {n}" for n, _ in linked],
                primary.time, primary.values, *(v for _, v in linked))
            for stat in column.statistics:
                at = int(np.argmax(primary_values) if stat == "max"
                         else np.argmin(primary_values))
                out[f"{base} {stat}"] = float(primary_values[at])
                out[f"{base} {stat} time"] = float(time[at])
                units[f"{base} {stat}"] = target.var.units
                units[f"{base} {stat} time"] = SECONDS
                for (linked_name, _), values in zip(linked, linked_values, strict=True):
                    out[f"{base} {stat} {linked_name}"] = float(values[at])
                    units[f"{base} {stat} {linked_name}"] = linked_units[linked_name]
        return with_units(guard.report(out), units)


@hookimpl
def orcapost_register_extractors(register):
    register(LinkedStatisticsExtractor)
