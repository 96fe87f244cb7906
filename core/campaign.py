"""Campaign tables: after all files, a result group's rows reduced over groups of rows.

The config's ``campaign`` section lists tables. Each takes the rows of one result group, splits
them by the values of metadata columns (``by: [heading]``: one group of rows per heading; empty:
the whole campaign), and applies reductions to value columns. A reduction is a component
(``orcapost_register_reductions``); the built-ins (``max``, ``min``, ``mean``, ``gumbel``,
``lifetime_damage``, ...) are plugins in :mod:`orcapost.plugins.reductions`. A table may instead
rank the rows (``ranking``: the top N rows per value column, with the file, load-case keys and
arc length of each). Conventions: docs/campaign-tables.md.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import numpy as np
from orcapost.components import Reduction
from orcapost.schemas.config import create_selected
from orcapost.units import DIMENSIONLESS, field_unit, with_field_units

if TYPE_CHECKING:  # pyarrow loads when campaign tables are built, not with the plugins
    import pyarrow as pa


def _reduction(spec) -> Reduction:
    # A campaign table is built where no registry is at hand: the validated entry's model knows
    # the component it selects.
    return create_selected(type(spec).component, spec, "kind")


def float_values(column: pa.ChunkedArray) -> np.ndarray:
    """A column's values as float64, NaN for empty cells and for text: how a reduction is given
    its column (``values``), and how it should read any other column of ``rows``."""
    out = np.full(len(column), np.nan)
    for i, value in enumerate(column.to_pylist()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[i] = float(value)
    return out


#: Schema metadata of the rows a reduction is given: the group's load-case key columns (JSON).
LOAD_CASE_METADATA = b"orcapost.load_case_keys"
#: The per-file table's leading columns (orcapost.tables.LEADING_COLUMNS, repeated here so this
#: module does not import the table builder).
_LEADING = ("file", "path", "size_bytes", "status", "simulation_state")


def load_case_keys(rows: pa.Table) -> list[str]:
    """The load-case key columns of a group's rows (the file's metadata and the load-case
    table's columns), in table order: what a reduction reports a governing row by."""
    metadata = rows.schema.metadata or {}
    if LOAD_CASE_METADATA in metadata:
        return [k for k in json.loads(metadata[LOAD_CASE_METADATA]) if k in rows.column_names]
    return []


def arc_length_column(rows: pa.Table, column: str) -> str | None:
    """The column holding where ``column``'s value occurs along the line (``"<column> arc
    length"``, written by ``with_arc_length``), or None."""
    name = f"{column} arc length"
    return name if name in rows.column_names else None


def governing(rows: pa.Table, column: str, index: int,
              keys: list[str] | None = None) -> dict[str, Any]:
    """What identifies row ``index`` of ``rows``: ``file``, each load-case key and, for a column
    along arc length, ``arc length`` -- the suffixes of a governing-case reduction."""
    out: dict[str, Any] = {"file": rows.column("file")[index].as_py()
                           if "file" in rows.column_names else None}
    for key in (load_case_keys(rows) if keys is None else keys):
        if key not in rows.column_names:
            raise ValueError(f"no load-case column {key!r} to name the governing case by")
        out[key] = rows.column(key)[index].as_py()
    arc = arc_length_column(rows, column)
    if arc is not None:
        out["arc length"] = rows.column(arc)[index].as_py()
    return out


def _with_keys(rows: pa.Table, value_columns: Collection[str]) -> pa.Table:
    keys = [c for c in rows.column_names if c not in _LEADING and c not in value_columns]
    metadata = dict(rows.schema.metadata or {})
    metadata[LOAD_CASE_METADATA] = json.dumps(keys).encode()
    return rows.replace_schema_metadata(metadata)


def _key(value: Any) -> tuple:
    # Sort groups with numbers before text and empty cells last, whatever the mix.
    if value is None:
        return (2, "")
    if isinstance(value, (int, float)):
        return (0, float(value))
    return (1, str(value))


def campaign_table(spec, rows: pa.Table, value_columns: Collection[str]) -> pa.Table:
    """One campaign table from the rows of its result group."""
    import pyarrow as pa

    rows = _with_keys(rows, value_columns)
    missing = [name for name in spec.by if name not in rows.column_names]
    if missing:
        raise ValueError(f"campaign table {spec.name!r}: no column {missing[0]!r} in group "
                         f"{spec.group!r} to group rows by")
    by = [rows.column(name).to_pylist() for name in spec.by]
    keys = list(zip(*by, strict=True)) if by else [()] * rows.num_rows
    order: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        order.setdefault(key, []).append(i)
    groups = sorted(order.items(), key=lambda item: tuple(_key(v) for v in item[0]))
    out: dict[str, list[Any]] = {name: [key[j] for key, _ in groups]
                                 for j, name in enumerate(spec.by)}
    out["files"] = [len(indices) for _, indices in groups]
    #: Each output column's unit: the reduction's, from the value column's (Arrow metadata).
    units: dict[str, str | None] = {}
    # Each group's rows, taken once for every reduction and value column.
    indices = [np.asarray(members, dtype=np.int64) for _, members in groups]
    subsets = [rows.take(pa.array(members)) for members in indices]
    if getattr(spec, "ranking", None) is not None:
        return _ranking(spec, rows, value_columns, groups, indices, subsets)
    writers: dict[str, int] = {}  # output column -> the reduction (index) that writes it
    for position, reduction_spec in enumerate(spec.reductions):
        reduction = _reduction(reduction_spec)
        columns = [c for c in value_columns
                   if any(c == p or fnmatch.fnmatchcase(c, p) for p in reduction_spec.columns)]
        if not columns:
            raise ValueError(f"campaign table {spec.name!r}: {reduction_spec.kind} columns "
                             f"{reduction_spec.columns} match no value column of {spec.group!r}")
        for column in columns:
            values = float_values(rows.column(column))
            unit = field_unit(rows.schema.field(column))
            for g, (members, subset) in enumerate(zip(indices, subsets, strict=True)):
                for suffix, value in reduction.reduce(column, values[members], subset).items():
                    name = f"{column} {suffix}"
                    if writers.setdefault(name, position) != position:
                        # Two reductions of one table writing one column: never overwrite.
                        raise ValueError(
                            f"campaign table {spec.name!r}: reductions {writers[name]} and "
                            f"{position} ({reduction_spec.kind}) both write {name!r}; put "
                            "them in separate campaign tables")
                    out.setdefault(name, [None] * len(groups))[g] = _plain(value)
                    units.setdefault(name, reduction.unit(suffix, unit))
    by_units = {name: field_unit(rows.schema.field(name)) for name in spec.by}
    return with_field_units(pa.table(out), {**by_units, "files": DIMENSIONLESS, **units})


def _ranking(spec, rows: pa.Table, value_columns: Collection[str], groups, indices,
             subsets) -> pa.Table:
    """The ranking table: for each group of rows and matched value column, its ``top`` rows by
    value (largest first, or smallest with ``order: ascending``), one output row each."""
    import pyarrow as pa

    ranking = spec.ranking
    columns = [c for c in value_columns
               if any(c == p or fnmatch.fnmatchcase(c, p) for p in ranking.columns)]
    if not columns:
        raise ValueError(f"campaign table {spec.name!r}: ranking columns {ranking.columns} match "
                         f"no value column of {spec.group!r}")
    keys = list(ranking.keys) if ranking.keys is not None else load_case_keys(rows)
    out: list[dict[str, Any]] = []
    for column in columns:
        values = float_values(rows.column(column))
        for (key, _), members, subset in zip(groups, indices, subsets, strict=True):
            cells = values[members]
            finite = np.flatnonzero(np.isfinite(cells))
            # A stable sort: equal values keep file order (the group's rows are sorted by path).
            order = finite[np.argsort(-cells[finite] if ranking.order == "descending"
                                      else cells[finite], kind="stable")][:ranking.top]
            for rank, i in enumerate(order, start=1):
                row: dict[str, Any] = dict(zip(spec.by, key, strict=True))
                row.update({"column": column, "rank": rank, "value": float(cells[i])})
                found = governing(subset, column, int(i), keys)
                row.setdefault("arc length", None)
                row.update(found)
                out.append(row)
    names = [*spec.by, "column", "rank", "value", "file", *keys, "arc length"]
    if not out:
        return pa.table({name: pa.array([], type=pa.null()) for name in dict.fromkeys(names)})
    return pa.table({name: [_plain(r.get(name)) for r in out] for name in dict.fromkeys(names)})


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def campaign_tables(specs: list,
                    group_table: Callable[[str], tuple[pa.Table, Collection[str]]]
                    ) -> dict[str, pa.Table]:
    """Every campaign table, by name. ``group_table(group)`` gives a group's rows and value
    columns. A table that cannot be computed becomes a one-row table saying why, so the
    per-file tables are written whatever happens here."""
    import pyarrow as pa

    tables: dict[str, pa.Table] = {}
    for spec in specs:
        rows, value_columns = group_table(spec.group)
        if "status" in rows.column_names:
            keep = [i for i, s in enumerate(rows.column("status").to_pylist()) if s != "failed"]
            rows = rows.take(pa.array(keep, type=pa.int64()))
        try:
            tables[spec.name] = campaign_table(spec, rows, value_columns)
        except Exception as exc:  # noqa: BLE001 - a plugin reduction's bug must not lose the run
            # ValueError is this module's "cannot compute" message; anything else is named.
            why = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
            tables[spec.name] = pa.table({"error": [why]})
    return tables
