"""The ``static`` extractor: the static-state value of a variable, at a position for lines.

Conventions: docs/extractors/static.md. Line variables are interpolated linearly along arc
length exactly as time histories are (node values returned exactly); Touchdown has no static
value (use an arc length).
"""

from __future__ import annotations

import math

from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.errors import ResultFileError
from orcapost.extraction import namer_for, targets
from orcapost.names import series_names
from orcapost.schemas.config import ColumnOptions
from orcapost.schemas.vocabulary import PositionField
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
        found = list(targets(file, column))
        name = namer_for(column.label, found)
        out = {}
        for t in found:
            value = file.static_value(t.obj.name, t.var.name, column.position)
            if not math.isfinite(value):  # a NaN static state is a failed solve, not a number
                raise ResultFileError(f"{t.obj.name} / {t.var.name}: the static value is {value}")
            out[name(object=t.obj.name, variable=t.var.name)] = value
        return out


@hookimpl
def orcapost_register_extractors(register):
    register(StaticExtractor)
