"""CSV tables: one per result group, extra and campaign table, plus failures.csv when any file
failed.

Numbers are written at their stored precision (:mod:`orcapost.cells`: a float32 value as the
shortest text that round-trips float32, a whole-number float as ``3.0``), names and text
quoted, empty cells empty. ``units_row: true`` writes each column's unit (its ``unit`` field
metadata) in a second row, under the names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from orcapost.api import Sink, StrictModel, csv_chunks, hookimpl, table_units
from pydantic import Field

if TYPE_CHECKING:
    import pyarrow as pa

class CsvOptions(StrictModel):
    delimiter: str = Field(default=",", min_length=1, max_length=1,
                           description="Field delimiter (one character).")
    units_row: bool = Field(
        default=False,
        description="Write each column's unit (kN, m, s, -) in a second row under the names; "
        "empty for columns without one. Off by default: a reader that expects data on the "
        "second line is unaffected.")


class CsvSink(Sink[CsvOptions]):
    """CSV tables (one per result group), written atomically."""

    name = "csv"
    Options = CsvOptions
    suffix = ".csv"

    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        path = self.path_for(name, directory)
        header = None
        if self.options.units_row:
            units = table_units(table)
            header = [[units.get(column, "") for column in table.column_names]]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for text in csv_chunks(table, self.options.delimiter, header):
                handle.write(text)
        return path


@hookimpl
def orcapost_register_sinks(register):
    register(CsvSink)
