"""The CSV's cell texts are made column-wise in Arrow (orcapost.cells.float_text_array); they
must be exactly the per-value definition: Python's repr of a float64, numpy's str of a float32
(shortest round-trip text at the stored precision, positional or scientific as Python and numpy
write it)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from orcapost import cells


def _edges() -> np.ndarray:
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-4, 1e16, 1e6, 1e10, 1e15, 3.0, -2.0, 0.1,
             9999999999999998.0, 5e-324, 1.7976931348623157e308, 123456789.0, 1234567.0,
             999999.9375, 1e-5, 1e-7, 0.00012345]
    edges += [np.nextafter(x, 0) for x in (1e-4, 1e16, 1e6, 1e10)]
    edges += [np.nextafter(x, np.inf) for x in (1e-4, 1e16, 1e6, 1e10)]
    return np.array(edges + [-x for x in edges])


@pytest.mark.parametrize("float32", [False, True])
def test_float_texts_are_the_per_value_definition(float32):
    rng = np.random.default_rng(17)
    values = np.concatenate([
        rng.standard_normal(20_000) * 10.0 ** rng.integers(-12, 20, 20_000),
        rng.integers(-10**7, 10**7, 5_000) * 10.0 ** rng.integers(-3, 12, 5_000),  # whole
        np.round(rng.standard_normal(5_000) * 100, 3),
        _edges()])
    if float32:
        with np.errstate(over="ignore"):
            values = values.astype(np.float32).astype(np.float64)
    got = cells.float_text_array(pa.array(values), float32).to_pylist()
    expected = cells._python_float_texts(values, float32)
    assert got == expected


def test_whole_numbers_stay_floats_and_nulls_are_empty():
    texts, is_text = cells.cell_texts(pa.array([3.0, None, -0.0, 1e16, 2.5e-5]))
    assert (texts, is_text) == (["3.0", None, "-0.0", "1e+16", "2.5e-05"], False)


def test_wide_table_csv_is_the_cell_by_cell_csv():
    """Float columns are formatted together (one array per precision): each column keeps its
    own precision, nulls stay empty and text is quoted."""
    rng = np.random.default_rng(3)
    columns: dict[str, pa.Array] = {"file": pa.array(["a.sim", 'b"x.sim', None])}
    for i in range(40):
        data = rng.standard_normal(3) * 10.0 ** (i % 9 - 4)
        if i % 3 == 0:
            data = data.astype(np.float32).astype(np.float64)  # a float32 sample, widened
        mask = np.array([False, i % 5 == 0, False])
        columns[f"c{i}"] = pa.array(data, mask=mask)
    columns["n"] = pa.array([1, None, 3])
    columns["ok"] = pa.array([True, False, None])
    table = pa.table(columns)
    expected_rows = []
    texts = [cells.cell_texts(column) for column in table.columns]
    for row in range(table.num_rows):
        expected_rows.append(",".join(
            "" if t[row] is None else (cells.quoted(t[row]) if is_text else t[row])
            for t, is_text in texts))
    lines = cells.csv_lines(table)
    assert lines[1:] == expected_rows
    assert "".join(cells.csv_chunks(table, chunk_rows=2)) == "".join(cells.csv_chunks(table))


def test_a_wide_table_is_formatted_in_chunks_of_bounded_cells(monkeypatch):
    # Only a chunk's values are copied together: a column's precision is still decided over
    # the whole column. Its first row is exactly a float32 (0.1f), its last is not: the whole
    # column is float64 text, so the first row is not written as float32's "0.1".
    first = float(np.float32(0.1))
    table = pa.table({"a": [first, 0.5, 0.3], "b": [first, 0.5, 0.25],
                      "c": pa.array([1.5, None, 2.5])})
    whole = "".join(cells.csv_chunks(table))
    assert whole.splitlines()[1].split(",")[:2] == [repr(first), "0.1"]
    monkeypatch.setattr(cells, "CHUNK_CELLS", 3)  # one row of 3 cells at a time
    assert "".join(cells.csv_chunks(table)) == whole
