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


def stored_as_float32(values: np.ndarray) -> bool:
    """Whether every finite value of a float array is exactly a float32."""
    if values.dtype == np.float32:
        return True
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.array_equal(finite.astype(np.float32).astype(np.float64), finite))


def float_texts(values: np.ndarray, valid: np.ndarray | None = None,
                float32: bool | None = None) -> list[str | None]:
    """The text of each float in ``values`` (None where ``valid`` is false: an empty cell);
    ``float32``: the stored precision, when known for the whole column (a slice of it)."""
    if stored_as_float32(values) if float32 is None else float32:
        # numpy's str of a float32 is its shortest round-trip repr, positional between 1e-4
        # and 1e16 and scientific outside, as Python's repr of a float.
        texts: list[str | None] = [str(v) for v in values.astype(np.float32)]
    else:
        texts = [repr(v) for v in values.astype(np.float64).tolist()]
    if valid is not None:
        return [t if ok else None for t, ok in zip(texts, valid.tolist(), strict=True)]
    return texts


def column_float32(column: pa.ChunkedArray | pa.Array) -> bool | None:
    """Whether a float column is stored as float32 (every value is exactly one), None for a
    column that is no float column."""
    import pyarrow as pa

    if not pa.types.is_floating(column.type):
        return None
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return stored_as_float32(np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False)))


def cell_texts(column: pa.ChunkedArray | pa.Array, float32: bool | None = None
               ) -> tuple[list[str | None], bool]:
    """The text of each cell of an Arrow column and whether the column is text to be quoted
    (strings, and types without a number's text); None is an empty cell. Floats as the module
    says (``float32``: the whole column's stored precision, for a slice of it), integers in
    decimal, booleans ``true``/``false`` (as Arrow's CSV writer)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    valid = np.asarray(array.is_valid())
    if pa.types.is_floating(kind):
        values = np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False))
        return float_texts(values, valid, float32), False
    if pa.types.is_integer(kind):
        return [None if v is None else str(v) for v in array.to_pylist()], False
    if pa.types.is_boolean(kind):
        return [None if v is None else ("true" if v else "false") for v in array.to_pylist()], False
    if pa.types.is_null(kind):
        return [None] * len(array), False
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        array = pc.cast(array, pa.string())
    return list(array.to_pylist()), True


def quoted(text: str) -> str:
    """``text`` as a quoted CSV field (a quote doubled), as Arrow's CSV writer quotes strings."""
    return '"' + text.replace('"', '""') + '"'


#: Rows formatted at a time by :func:`csv_chunks` (a long table never becomes one list of text).
CHUNK_ROWS = 65_536


def csv_chunks(table: pa.Table, delimiter: str = ",", header: list[Any] | None = None,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """A CSV of ``table`` in pieces of text: the quoted column names and the rows of
    ``header`` (each a list of texts, one per column, e.g. the units), then the rows,
    ``chunk_rows`` at a time. A float column's stored precision is decided over the whole
    column, so every chunk writes it alike."""
    precision = [column_float32(column) for column in table.columns]
    lines = [delimiter.join(quoted(name) for name in table.column_names)]
    for row in header or []:
        lines.append(delimiter.join(quoted(str(text)) if text else "" for text in row))
    yield "\n".join(lines) + "\n"
    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        columns = [cell_texts(column, float32)
                   for column, float32 in zip(part.columns, precision, strict=True)]
        texts = [[("" if t is None else (quoted(t) if is_text else t)) for t in cells]
                 for cells, is_text in columns]
        yield "".join(delimiter.join(row) + "\n" for row in zip(*texts, strict=True))


def csv_lines(table: pa.Table, delimiter: str = ",", header: list[Any] | None = None
              ) -> list[str]:
    """The lines of a CSV of ``table`` (:func:`csv_chunks`, split into lines)."""
    return "".join(csv_chunks(table, delimiter, header)).splitlines()
