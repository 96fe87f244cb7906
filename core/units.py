"""Units of result columns: what an extractor says each output is measured in, carried as plain
data to the tables, where each value column's unit is Arrow field metadata ``unit``.

An extractor returns its values and, beside them, the unit of each (:func:`with_units`): the
variable's unit from the source's variable details (the archive header, OrcFxAPI's variable
details, an OpenFAST channel's units line) or a derived one -- ``s`` for times and durations,
``m`` for arc lengths, ``-`` for what has no dimension (damage, counts, p-values). The unit
travels in the file's result (:attr:`orcapost.results.FileResult.units`), so it crosses thread
and process boundaries and the journal like every value; the table builder puts it on the
column's Arrow field (:data:`UNIT_KEY`), which Parquet stores, the Excel sink writes under the
header and the CSV sink writes as a second row when ``units_row: true``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Arrow field metadata key of a column's unit (``field.metadata[b"unit"]``).
UNIT_KEY = b"unit"
#: The entry of an extractor's returned mapping that holds its outputs' units (plain data).
UNITS_MARKER = "__orcapost_units__"
#: Units of derived outputs.
SECONDS = "s"
METRES = "m"
DIMENSIONLESS = "-"
BYTES = "B"


def with_units(values: dict[str, Any], units: Mapping[str, str | None]) -> dict[str, Any]:
    """``values`` (an extractor's outputs) carrying the unit of each output in ``units``
    (output name -> unit; an empty or None unit is left out: unknown). Returns ``values``."""
    if (type(units) is dict and {str}.issuperset(map(type, units.values()))
            and "" not in units.values() and values.keys() >= units.keys()):
        known = dict(units)  # every unit a non-empty string of an output: checked in C
    else:
        known = {name: str(unit) for name, unit in units.items() if unit and name in values}
    if known:
        values[UNITS_MARKER] = known
    return values


def split_units(out: Any) -> tuple[Any, dict[str, str]]:
    """An extractor's returned mapping without its units entry, and the units (name -> unit).
    A units entry that is not a mapping of names to strings raises ``ValueError``."""
    if not isinstance(out, Mapping) or UNITS_MARKER not in out:
        return out, {}
    units = out[UNITS_MARKER]
    values = dict(out)
    del values[UNITS_MARKER]
    if not isinstance(units, Mapping) or not (
            {str}.issuperset(map(type, units)) and {str}.issuperset(map(type, units.values()))
            or all(isinstance(k, str) and isinstance(v, str) for k, v in units.items())):
        raise ValueError(f"its units ({UNITS_MARKER}) are not a mapping of output names to "
                         "unit strings (use orcapost.api.with_units)")
    if type(units) is dict and values.keys() >= units.keys():
        return values, dict(units)
    return values, {name: unit for name, unit in units.items() if name in values}


def common_unit(units: Sequence[str | None]) -> str | None:
    """The one unit of several series written in one column, or None when they differ or
    none is known (a column never claims a unit some of its values do not have)."""
    known = set(units)
    return units[0] if len(known) == 1 and units and units[0] else None


def field_unit(field: Any) -> str | None:
    """The unit of an Arrow field (``pyarrow.Field``), or None when it has none."""
    metadata = field.metadata or {}
    unit = metadata.get(UNIT_KEY)
    return unit.decode("utf-8") if unit else None


def table_units(table: Any) -> dict[str, str]:
    """Column name -> unit of every column of an Arrow table that has one."""
    return {field.name: unit for field in table.schema
            if (unit := field_unit(field)) is not None}


def with_field_units(table: Any, units: Mapping[str, str | None]) -> Any:
    """``table`` (a ``pyarrow.Table``) with ``units`` (column name -> unit) as the ``unit``
    field metadata of those columns; the other columns keep theirs."""
    import pyarrow as pa

    if not any(units.get(name) for name in table.column_names):
        return table
    fields = []
    for field in table.schema:
        unit = units.get(field.name)
        if unit:
            metadata = dict(field.metadata or {})
            metadata[UNIT_KEY] = unit.encode("utf-8")
            field = field.with_metadata(metadata)
        fields.append(field)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, table.schema.metadata))
