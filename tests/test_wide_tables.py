"""Group tables are built column-wise (orcapost.tables._value_arrays): each value column must be
the column the definition gives -- column_array of the files' values in path order, a missing
value an empty cell -- whatever the files' key order, types and gaps."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from orcapost.results import FileResult
from orcapost.tables import RunTables, column_array, extra_table


def _result(i: int, values: dict, units: dict | None = None) -> FileResult:
    return FileResult(path=f"/c/f{i:03d}.sim", size=i, values={"g": values},
                      units={"g": units or {}})


def _expected(results: list[FileResult], key: str) -> pa.Array:
    return column_array([r.values["g"].get(key) for r in results])


def _same(got: pa.ChunkedArray, expected: pa.Array) -> bool:
    got_array = got.combine_chunks()
    return got_array.type == expected.type and repr(got_array.to_pylist()) == repr(
        expected.to_pylist())


def test_value_columns_are_the_per_file_definition():
    results = []
    for i in range(12):
        values = {"a": float(i), "b": np.float64(i) / 3, "nan": math.nan}
        if i % 3:
            values["int"] = i  # an int column
        else:
            values["int"] = 1.5  # ints and floats in one column: double
        if i == 5:
            values = dict(reversed(list(values.items())))  # another key order
            values["late"] = "text"
        if i == 7:
            del values["a"]  # a gap: an empty cell
        results.append(_result(i, values))
    tables = RunTables(["g"])
    for result in results:
        tables.add(result)
    table, value_columns = tables.group_columns("g")
    assert list(value_columns) == ["a", "b", "nan", "int", "late"]
    for key in value_columns:
        assert _same(table.column(key), _expected(results, key)), key
    assert table.column("a").null_count == 1
    assert table.column("late").type == pa.string()


def test_all_float_table_and_units():
    results = [_result(i, {f"c{j}": 0.5 * j + i for j in range(50)},
                       {f"c{j}": "kN" for j in range(50)}) for i in range(20)]
    results[3].units["g"]["c7"] = "kips"  # two units: the column claims none
    tables = RunTables(["g"])
    for result in reversed(results):
        tables.add(result)
    table = tables.table("g")
    assert table.num_columns == 5 + 50
    for j in range(50):
        assert _same(table.column(f"c{j}"), _expected(results, f"c{j}"))
    assert table.schema.field("c6").metadata == {b"unit": b"kN"}
    assert not table.schema.field("c7").metadata


def test_extra_tables_are_no_value_columns_and_clashing_names_are_renamed():
    results = [_result(0, {"file": 1.0, "file_2": 2.0,
                           "env": extra_table("env", {"x": [1.0]})}),
               _result(1, {"env": 3.0, "file": 4.0})]
    tables = RunTables(["g"])
    for result in results:
        tables.add(result)
    table, value_columns = tables.group_columns("g")
    # env is a plain value of the second file: a column (after the first file's keys).
    assert value_columns == {"file_2": "file", "file_2_2": "file_2", "env": "env"}
    assert table.column("env").to_pylist()[1] == "3.0"
    assert "g_env" in tables.groups()
