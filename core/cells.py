"""The text of table cells, for sinks that write text (CSV): numbers at their stored precision.

A float is written as the shortest text that reads back as the same number *at the precision it
was stored in*: a float32 sample (an OrcaFlex or archive value, kept by ``max``, ``min``, a
percentile) as the shortest text that round-trips float32 (``0.5202956``, not float64's
``0.5202956199645996``, whose last digits are the float32-to-float64 widening, not data); a
float64 result (a mean, a DEL) as Python's ``repr``, the shortest text that round-trips float64.
A whole-number float stays a float (``3.0``, not ``3``), so ``heading`` and ``Hs`` read back as
floats.

The stored precision of a float64 column is read from the column as a whole: float32 when every
finite value in it is exactly a float32 (a float64 computation gives such a value about once in
2**29 unless the value is simple -- ``3.0``, ``0.25`` -- and a simple value has the same text at
both precisions). One float64-only value anywhere makes the whole column float64 text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa


def stored_as_float32(values: np.ndarray, axis: int | None = None) -> Any:
    """Whether every finite value of a float array is exactly a float32: one bool, or along
    ``axis`` one per row (``axis=1``: each row of a matrix of columns)."""
    if values.dtype == np.float32 and axis is None:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        same = values.astype(np.float32).astype(np.float64) == values
    exact = np.all(same | ~np.isfinite(values), axis=axis)
    return bool(exact) if axis is None else exact


def float_texts(values: np.ndarray, valid: np.ndarray | None = None,
                float32: bool | None = None) -> list[str | None]:
    """The text of each float in ``values`` (None where ``valid`` is false: an empty cell);
    ``float32``: the stored precision, when known for the whole column (a slice of it)."""
    import pyarrow as pa

    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    array = pa.array(np.asarray(values), mask=mask)
    return float_text_array(array, float32).to_pylist()


def _python_float_texts(values: np.ndarray, float32: bool) -> list[str]:
    """The text of each float, one value at a time (the definition the fast path follows)."""
    if float32:
        # numpy's str of a float32 is its shortest round-trip repr, positional between 1e-4
        # and 1e6 and scientific outside, as Python's repr of a float between 1e-4 and 1e16.
        return [str(v) for v in values.astype(np.float32)]
    return [repr(v) for v in values.astype(np.float64).tolist()]


#: The magnitudes written positionally (``0.00012``, ``123.5``, ``3.0``) rather than in
#: scientific notation: Python's repr of a float64, numpy's str of a float32.
POSITIONAL = {False: (1e-4, 1e16), True: (1e-4, 1e6)}


def float_text_array(array: pa.Array, float32: bool | None = None) -> pa.Array:
    """The text of each float of an Arrow float array as an Arrow string array (null where the
    value is null), the same texts as :func:`_python_float_texts`, made column-wise.

    Arrow's cast of a float to text writes the shortest digits that round-trip at the value's
    precision (float32's for a float32 array), as Python and numpy do; only the notation
    differs (``3`` for ``3.0``, ``1e+15`` for ``1000000000000000.0``, ``0.0000999`` for
    ``9.99e-05``). So Arrow's text is taken where the value is written positionally and
    Arrow's text is positional too, with ``.0`` added to a whole number; every other value
    (scientific notation, nan, inf) is written by Python, one at a time: the few outside the
    usual range."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if float32 is None:
        float32 = stored_as_float32(np.asarray(array.fill_null(0).to_numpy(
            zero_copy_only=False)))
    kind = pa.float32() if float32 else pa.float64()
    typed = array if array.type == kind else array.cast(kind, safe=False)
    nulls = typed.null_count > 0  # without any, no array needs its nulls filled
    values = np.asarray((typed.fill_null(0) if nulls else typed).to_numpy(zero_copy_only=False))
    low, high = POSITIONAL[float32]
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(values if values.dtype == np.float64 else values.astype(np.float64))
        positional = (magnitude == 0) | ((magnitude >= low) & (magnitude < high))
    texts = pc.cast(typed, pa.string())
    scientific = pc.match_substring(texts, "e")
    fast = positional & ~np.asarray(scientific.fill_null(False) if nulls else scientific,
                                    dtype=bool)
    with np.errstate(invalid="ignore"):
        whole = fast & (values == np.trunc(values))  # Arrow writes 3 where Python writes 3.0
    if whole.any():
        texts = pc.replace_with_mask(texts, pa.array(whole), pc.binary_join_element_wise(
            pc.filter(texts, pa.array(whole)), ".0", ""))
    slow = ~fast & np.asarray(typed.is_valid(), dtype=bool) if nulls else ~fast
    if slow.any():
        texts = pc.replace_with_mask(texts, pa.array(slow), pa.array(
            _python_float_texts(values[slow], float32), type=pa.string()))
    return texts


def cell_texts(column: pa.ChunkedArray | pa.Array, float32: bool | None = None
               ) -> tuple[list[str | None], bool]:
    """The text of each cell of an Arrow column and whether the column is text to be quoted
    (strings, and types without a number's text); None is an empty cell. Floats as the module
    says (``float32``: the whole column's stored precision, for a slice of it), integers in
    decimal, booleans ``true``/``false`` (as Arrow's CSV writer)."""
    texts, is_text = cell_text_array(column, float32)
    return texts.to_pylist(), is_text


def cell_text_array(column: pa.ChunkedArray | pa.Array, float32: bool | None = None
                    ) -> tuple[pa.Array, bool]:
    """:func:`cell_texts` as an Arrow string array (null: an empty cell), made column-wise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_floating(kind):
        return float_text_array(array, float32), False
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string()), False
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        # Decimal integers and true/false: Arrow's text is Python's str (and Arrow's CSV's).
        return pc.cast(array, pa.string()), False
    if not pa.types.is_string(kind):
        array = pc.cast(array, pa.string())
    return array, True


def quoted(text: str) -> str:
    """``text`` as a quoted CSV field (a quote doubled), as Arrow's CSV writer quotes strings."""
    return '"' + text.replace('"', '""') + '"'


#: Rows formatted at a time by :func:`csv_chunks` (a long table never becomes one list of text).
CHUNK_ROWS = 65_536
#: At most this many cells formatted at a time: a wide table's chunks have fewer rows.
CHUNK_CELLS = 4_194_304
#: A chunk of at least this many cells is formatted in parts on several threads (400 files x
#: 1,661 columns of OpenFAST statistics took 0.18 s on one); a smaller one costs less than
#: the threads.
PARALLEL_CELLS = 100_000
#: ... in at most this many parts.
PARALLEL_PARTS = 4


def csv_chunks(table: pa.Table, delimiter: str = ",", header: list[Any] | None = None,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """A CSV of ``table`` in pieces of text: the quoted column names and the rows of
    ``header`` (each a list of texts, one per column, e.g. the units), then the rows,
    ``chunk_rows`` at a time. A float column's stored precision is decided over the whole
    column, so every chunk writes it alike.

    Cells are made in Arrow, rows joined in Arrow: no Python object per cell. The float
    columns of one precision are formatted together, as one array (a wide table's columns
    are short: one formatting call per column would cost more than the cells). A chunk of at
    least :data:`PARALLEL_CELLS` cells is formatted in parts of its rows on several threads
    (Arrow's and numpy's kernels release the GIL): the run's other cores are idle while its
    tables are written."""
    lines = [delimiter.join(quoted(name) for name in table.column_names)]
    for row in header or []:
        lines.append(delimiter.join(quoted(str(text)) if text else "" for text in row))
    yield "\n".join(lines) + "\n"
    if not table.num_columns:
        return
    chunk_rows = max(1, min(chunk_rows, CHUNK_CELLS // table.num_columns))
    floats = _FloatColumns(table, chunk_rows)
    parts = _parts(min(chunk_rows, table.num_rows), table.num_columns)
    if parts < 2:
        for start in range(0, table.num_rows, chunk_rows):
            yield _rows_text(table, floats, start, min(chunk_rows, table.num_rows - start),
                             delimiter)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="orcapost-csv") as pool:
        for start in range(0, table.num_rows, chunk_rows):
            length = min(chunk_rows, table.num_rows - start)
            step = -(-length // parts)
            pieces = [pool.submit(_rows_text, table, floats, begin,
                                  min(step, start + length - begin), delimiter)
                      for begin in range(start, start + length, step)]
            yield "".join(piece.result() for piece in pieces)


def _parts(rows: int, columns: int) -> int:
    """Into how many parts of its rows a chunk of ``rows`` x ``columns`` cells is formatted:
    one per core (at most :data:`PARALLEL_PARTS`), each of at least half of
    :data:`PARALLEL_CELLS` cells; 1 below :data:`PARALLEL_CELLS`."""
    import os

    cells = rows * columns
    if cells < PARALLEL_CELLS:
        return 1
    return max(1, min(os.cpu_count() or 1, PARALLEL_PARTS, rows,
                      cells // (PARALLEL_CELLS // 2)))


def _rows_text(table: pa.Table, floats: _FloatColumns, start: int, length: int,
               delimiter: str) -> str:
    """The CSV lines of rows ``start`` to ``start + length`` of ``table``, each ended by a
    newline. Only reads ``floats``: safe on several threads at once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = table.slice(start, length)
    columns: list[Any] = floats.texts(start, length)
    for index, column in enumerate(part.columns):
        if columns[index] is not None:
            continue
        texts, is_text = cell_text_array(column)
        if is_text:  # quoted, a quote doubled (null stays null: an empty cell)
            texts = pc.binary_join_element_wise(
                '"', pc.replace_substring(texts, '"', '""'), '"', "")
        columns[index] = texts
    rows = pc.binary_join_element_wise(*columns, delimiter, null_handling="replace",
                                       null_replacement="")
    assert isinstance(rows, pa.Array)
    return "\n".join(rows.to_pylist()) + "\n"


class _FloatColumns:
    """A table's float columns, a chunk of rows at a time as one matrix (a row per column),
    with each column's stored precision decided over the whole column: their cells' texts are
    made a precision at a time, for every column at once. Only a chunk's values are ever
    copied together (a table of at most :data:`CHUNK_CELLS` cells is one chunk, read once).
    Once made it is only read: :meth:`texts` may run on several threads at once."""

    def __init__(self, table: pa.Table, chunk_rows: int) -> None:
        import pyarrow as pa

        self.width = table.num_columns
        self.index = [i for i, column in enumerate(table.columns)
                      if pa.types.is_floating(column.type)]
        self.arrays = [table.column(i).combine_chunks() for i in self.index]
        #: The last chunk read while the precisions were decided, (start, values, valid): a
        #: table of one chunk is read once.
        self._kept: tuple[int, np.ndarray, np.ndarray | None] | None = None
        exact = np.ones(len(self.arrays), dtype=bool)
        for start in range(0, table.num_rows, chunk_rows):
            values, valid = self._read(start, chunk_rows)
            exact &= stored_as_float32(values, axis=1)
            self._kept = (start, values, valid)
        self.float32 = exact | np.array([array.type in (pa.float32(), pa.float16())
                                         for array in self.arrays], dtype=bool)

    def _read(self, start: int, length: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Rows ``start`` to ``start + length`` of every float column (a null reads as nan)
        and, when there are nulls, which cells are valid."""
        parts = [array.slice(start, length) for array in self.arrays]
        values = (np.vstack([np.asarray(part.to_numpy(zero_copy_only=False), dtype=np.float64)
                             for part in parts])
                  if parts else np.empty((0, 0)))
        valid = (np.vstack([np.asarray(part.is_valid().to_numpy(zero_copy_only=False),
                                       dtype=bool) for part in parts])
                 if any(part.null_count for part in parts) else None)
        return values, valid

    def _chunk(self, start: int, length: int) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`_read`, as a view of the kept chunk when it holds those rows."""
        kept = self._kept
        if kept is not None:
            first, values, valid = kept
            if first <= start and start + length <= first + values.shape[1]:
                rows = slice(start - first, start - first + length)
                return values[:, rows], None if valid is None else valid[:, rows]
        return self._read(start, length)

    def texts(self, start: int, length: int) -> list[Any]:
        """The texts of rows ``start`` to ``start + length``: a string array per float
        column, None for every other column."""
        import pyarrow as pa

        out: list[Any] = [None] * self.width
        if not self.arrays:
            return out
        values, valid = self._chunk(start, length)
        length = values.shape[1]
        for precision in (False, True):
            rows = np.flatnonzero(self.float32 == precision)
            if not rows.size:
                continue
            mask = None if valid is None else ~valid[rows].ravel()
            texts = float_text_array(pa.array(values[rows].ravel(), mask=mask), precision)
            for n, row in enumerate(rows.tolist()):
                out[self.index[row]] = texts.slice(n * length, length)
        return out


def csv_lines(table: pa.Table, delimiter: str = ",", header: list[Any] | None = None
              ) -> list[str]:
    """The lines of a CSV of ``table`` (:func:`csv_chunks`, split into lines)."""
    return "".join(csv_chunks(table, delimiter, header)).splitlines()
