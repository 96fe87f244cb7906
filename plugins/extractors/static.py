"""The ``static`` extractor: the static-state value of a variable, at a position for lines.

Conventions: docs/extractors/static.md. Line variables are interpolated linearly along arc
length exactly as time histories are (node values returned exactly); Touchdown has no static
value (use an arc length).
"""

from __future__ import annotations

import math

from orcapost.api import (
    ColumnOptions,
    Extractor,
    PositionField,
    ResultFileError,
    hookimpl,
    series_names,
    with_units,
)
from pydantic import Field


class StaticColumn(ColumnOptions):
    object: str = Field(min_length=1, description="Object name or glob pattern.")
    variable: str = Field(min_length=1, description="Variable name or glob pattern.")
    position: PositionField | None = Field(
        default=None, description="End A, End B, {arc_length: S} or {node: N} (line variables).")

    def output_names(self) -> list[str]:
        return series_names(self)


class StaticExtractor(Extractor):
    """The static-state value of a variable at a position."""

    name = "static"
    Options = StaticColumn

    def extract(self, file, column: StaticColumn) -> dict:
        out = {}
        units = {}
        for target, name in self.named_targets(file, column):
            value = file.static_value(target.obj.name, target.var.name, column.position)
            if not math.isfinite(value):  # a NaN static state is a failed solve, not a number
                raise ResultFileError(
                    f"{target.obj.name} / {target.var.name}: the static value is {value}")
            out[name] = value
            units[name] = target.var.units
        return with_units(out, units)


@hookimpl
def orcapost_register_extractors(register):
    register(StaticExtractor)
