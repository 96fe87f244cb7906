"""The ``static`` extractor: the static-state value of a variable, at a position for lines.

Conventions: docs/extractors/static.md. Line variables are interpolated linearly along arc
length exactly as time histories are (node values returned exactly); Touchdown has no static
value (use an arc length).

``variable`` may list several names or patterns, ``types``/``exclude_types`` pick objects by
their OrcaFlex type, and ``missing: skip`` leaves out a matched variable that has no static
value: together they dump "every variable of every object", the legacy all_vars job.
"""

from __future__ import annotations

import math
from typing import Literal

from orcapost.api import (
    ColumnOptions,
    Extractor,
    NotInFile,
    PositionField,
    ResultFileError,
    Target,
    hookimpl,
    namer_for,
    series_names,
    with_units,
)
from pydantic import Field


class StaticColumn(ColumnOptions):
    object: str = Field(min_length=1, description="Object name or glob pattern.")
    variable: str | list[str] = Field(
        description="Variable name or glob pattern ('*': every variable), or a list of them.")
    position: PositionField | None = Field(
        default=None, description="End A, End B, {arc_length: S} or {node: N} (line variables).")
    types: list[str] = Field(
        default_factory=list, description="Only objects of these OrcaFlex types (Line, "
        "Vessel, 6D Buoy, ...: the typeName, as spelt); empty: every type.")
    exclude_types: list[str] = Field(
        default_factory=list, description="Leave out objects of these OrcaFlex types.")
    missing: Literal["fail", "skip"] = Field(
        default="fail", description="A matched variable without a static value (or a type "
        "filter leaving an object none): fail the file, or skip leaves it out.")

    def output_names(self) -> list[str]:
        if isinstance(self.variable, list) or self.types or self.exclude_types:
            return []  # which objects and variables there are is known only from a file
        return series_names(self)


class StaticExtractor(Extractor):
    """The static-state value of a variable at a position."""

    name = "static"
    Options = StaticColumn

    def extract(self, file, column: StaticColumn) -> dict:
        out = {}
        units = {}
        for target, name in self._named(file, column):
            try:
                value = file.static_value(target.obj.name, target.var.name, column.position)
            except NotInFile:  # absent; any other problem (a read error) still fails
                if column.missing == "skip":
                    continue
                raise
            # A NaN static state is a failed solve, not a number, nor a missing value:
            # missing: skip does not hide it (docs/extractors/static.md).
            if not math.isfinite(value):
                raise ResultFileError(
                    f"{target.obj.name} / {target.var.name}: the static value is {value}")
            out[name] = value
            units[name] = target.var.units
        return with_units(out, units)

    def _named(self, file, column: StaticColumn) -> list[tuple[Target, str]]:
        if isinstance(column.variable, str) and not column.types and not column.exclude_types:
            return self.named_targets(file, column)
        catalogue = file.catalogue()
        patterns = [column.variable] if isinstance(column.variable, str) else column.variable
        found: list[Target] = []
        for obj in catalogue.objects(column.object):
            if (column.types and obj.type not in column.types) or obj.type in column.exclude_types:
                continue
            seen: set[str] = set()
            for pattern in patterns:
                try:
                    variables = catalogue.variables(obj, pattern)
                except NotInFile:
                    if column.missing == "skip":
                        continue
                    raise
                for var in variables:
                    if var.name not in seen:
                        seen.add(var.name)
                        found.append(Target(obj, var))
        if not found and column.missing == "fail":
            raise ResultFileError(f"no object of {column.object!r} matches types "
                                  f"{column.types or 'any'} (excluding {column.exclude_types})")
        namer = namer_for(column.label, found)
        named = [(target, namer(object=target.obj.name, variable=target.var.name))
                 for target in found]
        names = [name for _, name in named]
        if len(set(names)) != len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise ResultFileError(f"label {column.label!r} names two outputs {twice!r}: use "
                                  "{object} and {variable} in it")
        return named


@hookimpl
def orcapost_register_extractors(register):
    register(StaticExtractor)
