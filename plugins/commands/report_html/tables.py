"""The result tables of a results folder, read for plotting, and what each one is.

Each table is read once, from its Parquet file if there is one (exact types, units in the field
metadata) or else its CSV file. A table's kind is told from its columns, so a report needs no
config to find its figures: a range-graph envelope table has ``arc_length`` and statistics, a
range histogram ``range_low``/``range_high``/``cycles``, a long time history ``file`` and
``time``, a group table one row per ``file`` with ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from orcapost.api import FAILURES_TABLE

#: Columns of a per-file table that describe the file, not a result.
FILE_COLUMNS = ("file", "path", "size_bytes", "status", "simulation_state", "load_case")
#: Load-case keys the demo campaign and most OrcaFlex campaigns name: always keys, never values.
KNOWN_KEYS = ("heading", "Hs", "Tp", "Tz", "gamma", "seed", "wind_speed", "current")
KINDS = ("group", "envelope", "histogram", "extremes_sample", "time_history", "other")


@dataclass
class Table:
    """One table: its columns as numpy arrays (strings as object arrays), units by column."""

    name: str
    columns: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    kind: str = "other"

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def numeric(self, name: str) -> np.ndarray:
        """Column ``name`` as floats (NaN where a cell is empty or not a number)."""
        values = self.columns[name]
        if values.dtype.kind in "fiub":
            return values.astype(np.float64)
        out = np.full(values.shape, np.nan)
        for i, value in enumerate(values):
            try:
                out[i] = float(value)
            except (TypeError, ValueError):
                pass
        return out

    def is_numeric(self, name: str) -> bool:
        return self.columns[name].dtype.kind in "fiu"

    def unit(self, name: str) -> str | None:
        return self.units.get(name)


def _kind(columns: dict[str, np.ndarray]) -> str:
    names = set(columns)
    if {"method", "tail", "value", "scale", "threshold"} <= names:
        return "extremes_sample"
    if {"range_low", "range_high", "cycles"} <= names:
        return "histogram"
    if "arc_length" in names and {"object", "variable"} <= names:
        return "envelope"
    if {"file", "time"} <= names:
        return "time_history"
    if {"file", "status"} <= names:
        return "group"
    return "other"


def _from_arrow(name: str, table) -> Table:
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for arrow_field, column in zip(table.schema, table.columns, strict=True):
        values = column.to_numpy(zero_copy_only=False)
        if values.dtype.kind == "f" and values.dtype.itemsize < 8:
            values = values.astype(np.float64)
        columns[arrow_field.name] = values
        metadata = arrow_field.metadata or {}
        unit = metadata.get(b"unit")
        if unit:
            units[arrow_field.name] = unit.decode("utf-8", "replace")
    return Table(name, columns, units, _kind(columns))


def _numeric_columns(table) -> int:
    import pyarrow.types as pt

    return sum(1 for f in table.schema if pt.is_integer(f.type) or pt.is_floating(f.type))


def _read_csv(path: Path):
    """A CSV table and its units: a units row under the header (``outputs.csv.units_row``)
    is told from the data by the columns that become numbers without it."""
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(path)
    if table.num_rows < 2 or _numeric_columns(table) == table.num_columns:
        return table, {}
    without = pcsv.read_csv(path, read_options=pcsv.ReadOptions(skip_rows_after_names=1))
    if _numeric_columns(without) <= _numeric_columns(table):
        return table, {}
    first = table.slice(0, 1).to_pylist()[0]
    units = {name: str(first[name]) for name in table.column_names
             if first[name] not in (None, "")}
    return without, units


def read_tables(folder: Path) -> dict[str, Table]:
    """Every result table in ``folder`` by file stem; the failures table under its name."""
    import pyarrow.parquet as pq

    paths: dict[str, Path] = {}
    for path in sorted(folder.glob("*.csv")):
        paths[path.stem] = path
    for path in sorted(folder.glob("*.parquet")):  # Parquet wins: exact types and units
        paths[path.stem] = path
    tables: dict[str, Table] = {}
    for stem, path in sorted(paths.items()):
        if path.suffix == ".parquet":
            arrow = pq.read_table(path)
        else:
            try:
                arrow, units = _read_csv(path)
            except Exception:  # noqa: BLE001 - not a table orcapost wrote (a legacy CSV): skipped
                continue
        tables[stem] = _from_arrow(stem, arrow)
        if path.suffix != ".parquet":
            tables[stem].units.update(units)
    failures = tables.get(FAILURES_TABLE)
    if failures is not None:
        failures.kind = "failures"
    return tables


def load_case_keys(tables: dict[str, Table]) -> list[str]:
    """The load-case key columns of the group tables.

    The engine writes a file's metadata (its load case) before its results in every group
    table, so the keys are the leading block of columns every group table shares: the known
    key names, and any other shared column that repeats values as a key does (text, or at most
    half as many distinct values as rows). The first column that does neither is a result and
    ends the block."""
    groups = [t for t in tables.values() if t.kind == "group"]
    if not groups:
        return []
    keys = []
    for name in groups[0].columns:
        if name in FILE_COLUMNS:
            continue
        if name in KNOWN_KEYS:
            keys.append(name)
            continue
        if not all(name in t.columns for t in groups[1:]):
            break
        values = groups[0].columns[name]
        distinct = np.unique(values[values == values]) if values.dtype.kind == "f" else values
        if values.dtype.kind in "fiu" and len(set(distinct.tolist())) > max(1, values.size // 2):
            break
        keys.append(name)
    return keys


def value_columns(table: Table, keys: list[str]) -> list[str]:
    """A group table's numeric result columns (not file metadata, not load-case keys, not the
    arc length or time where a value occurs)."""
    skip = set(FILE_COLUMNS) | set(keys) | set(KNOWN_KEYS)
    return [c for c in table.columns if c not in skip and table.is_numeric(c)
            and not c.endswith((" arc length", " time", "time_of_max", "time_of_min",
                                " samples"))]
