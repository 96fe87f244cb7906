"""An Excel workbook: one sheet per table (result groups, extra and campaign tables, failures),
with the column names, a units row under them, the header frozen and number formats.

Needs xlsxwriter (``pip install orcapost[excel]``); a config that selects ``xlsx`` without it
stops before any file is read with that advice (exit 2). Every table of a result set goes into one workbook,
``<workbook>.xlsx`` (``{config}`` is the config file's stem), written when the last table of the
set is in (:meth:`Sink.finish`).

Sheet names are Excel's: at most 31 characters, none of ``[]:*?/\\``, not starting or ending
with ``'``, unique without regard to case; a longer or clashing table name is shortened and
numbered (``riser_Riser_tension_envel~2``), and its first cell's comment names the table in
full.

A table beyond Excel's sheet size (1,048,576 rows, the header and units rows included, or
16,384 columns) is *refused*, not split: its sheet holds one line saying why and where the table
is instead (the other formats of the run write it whole), and the refusal is printed on stderr.
Splitting would scatter one table over sheets no formula or pivot reads as one. The other
tables and the other sinks' files are written as usual.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orcapost.api import OrcapostError, Sink, StrictModel, cell_texts, hookimpl, table_units
from pydantic import Field, field_validator

if TYPE_CHECKING:
    import pyarrow as pa

#: Excel's sheet size.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
#: Rows above the data: the names and the units.
HEADER_ROWS = 2
MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class XlsxOptions(StrictModel):
    workbook: str = Field(
        default="{config}", min_length=1,
        description="The workbook's file name without .xlsx; {config} is the config file's "
        "stem ('tables' for a config without a file).")
    number_format: str = Field(
        default="0.0###",
        description="Excel number format of float columns whose values are between 1e-3 and "
        "1e7 (what Excel shows; the cell holds the whole value).")
    scientific_format: str = Field(
        default="0.000E+00",
        description="Excel number format of float columns with a value below 1e-3 or from 1e7 "
        "up (damage, tiny or huge values), so no value shows as 0.")

    @field_validator("workbook")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if re.search(r'[<>:"/\\|?*]', value.replace("{config}", "")) or value.strip(". ") != value:
            raise ValueError(f"workbook {value!r} is no plain file name (no folders, none of "
                             '<>:"/\\|?*, no leading or trailing dot or space)')
        return value


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel sheet name for table ``name``, not in ``taken`` (compared case-folded):
    forbidden characters replaced by ``_``, at most 31 characters, numbered when shortened
    names clash."""
    base = _FORBIDDEN.sub("_", name).strip("'") or "table"
    if base.casefold() == "history":  # reserved by Excel
        base = f"{base}_"
    # Cut to Excel's length, a name must not end with an apostrophe either.
    candidate, n = base[:MAX_SHEET_NAME].rstrip("'"), 2
    while candidate.casefold() in taken:
        suffix = f"~{n}"
        candidate, n = base[:MAX_SHEET_NAME - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def too_big(table: pa.Table) -> str | None:
    """Why ``table`` does not fit in a sheet, or None."""
    if table.num_rows + HEADER_ROWS > MAX_ROWS:
        return (f"{table.num_rows:,} rows: a sheet holds {MAX_ROWS - HEADER_ROWS:,} under the "
                "names and units")
    if table.num_columns > MAX_COLUMNS:
        return f"{table.num_columns:,} columns: a sheet holds {MAX_COLUMNS:,}"
    return None


class XlsxSink(Sink[XlsxOptions]):
    """An Excel workbook: a sheet per table, a units row, frozen header (needs xlsxwriter)."""

    name = "xlsx"
    Options = XlsxOptions
    suffix = ".xlsx"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self._config_stem: str | None = None
        self._tables: list[tuple[str, pa.Table]] = []

    def preflight(self) -> None:
        _xlsxwriter()  # before the first file is read, not after the last

    def open(self, context) -> None:
        self._config_stem = context.config_stem

    def workbook_path(self, directory: Path) -> Path:
        stem = self.options.workbook.replace("{config}", self._config_stem or "tables")
        return Path(directory) / f"{stem}{self.suffix}"

    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        # Sheets are gathered and the workbook written once, by finish().
        self._tables.append((name, table))
        return self.workbook_path(directory)

    def finish(self, directory: Path) -> None:
        tables, self._tables = self._tables, []
        if tables:
            self.write_workbook(self.workbook_path(directory), tables)

    def write_workbook(self, path: Path, tables: list[tuple[str, pa.Table]]) -> None:
        xlsxwriter = _xlsxwriter()
        # constant_memory: rows go to disk as written (a sheet is written top to bottom).
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                   "nan_inf_to_errors": True})
        styles = {
            "header": workbook.add_format({"bold": True, "bottom": 1}),
            "units": workbook.add_format({"italic": True, "font_color": "#555555"}),
            "integer": workbook.add_format({"num_format": "0"}),
            "float": workbook.add_format({"num_format": self.options.number_format}),
            "scientific": workbook.add_format({"num_format": self.options.scientific_format}),
            "note": workbook.add_format({"bold": True, "font_color": "#9C0006"}),
        }
        taken: set[str] = set()
        try:
            for name, table in tables:
                sheet = workbook.add_worksheet(sheet_name(name, taken))
                problem = too_big(table)
                if problem is not None:
                    message = (f"table {name!r} is not in this workbook: it has {problem}. "
                               "The run's other formats (csv, parquet) hold it whole.")
                    sheet.write_string(0, 0, message, styles["note"])
                    print(f"orcapost: xlsx: {message}", file=sys.stderr)
                    continue
                _write_sheet(sheet, table, styles)
                if sheet.name != name:
                    sheet.write_comment(0, 0, f"table {name}")
        finally:
            workbook.close()


def _write_sheet(sheet: Any, table: pa.Table, styles: dict[str, Any]) -> None:
    import numpy as np
    import pyarrow as pa

    units = table_units(table)
    # constant_memory writes a row when the next begins: every row in order, left to right.
    for col, column in enumerate(table.column_names):
        sheet.set_column(col, col, min(max(len(column), 10) + 2, 40))
        sheet.write_string(0, col, column, styles["header"])
    for col, column in enumerate(table.column_names):
        if units.get(column):
            sheet.write_string(1, col, units[column], styles["units"])
    sheet.freeze_panes(HEADER_ROWS, 0)
    if table.num_columns:
        sheet.autofilter(0, 0, 0, table.num_columns - 1)
    writers: list[tuple[Any, list[Any], Any]] = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_floating(kind):
            texts, _ = cell_texts(column)
            # The value at its stored precision (float32's shortest text), as the CSV has it.
            cells = [None if t is None else float(t) for t in texts]
            finite = np.abs(np.array([c for c in cells if c is not None], dtype=np.float64))
            finite = finite[np.isfinite(finite) & (finite > 0)]
            scientific = finite.size and (finite.min() < 1e-3 or finite.max() >= 1e7)
            writers.append((sheet.write_number, cells,
                            styles["scientific" if scientific else "float"]))
        elif pa.types.is_integer(kind):
            writers.append((sheet.write_number, column.to_pylist(), styles["integer"]))
        elif pa.types.is_boolean(kind):
            writers.append((sheet.write_boolean, column.to_pylist(), None))
        else:
            texts, _ = cell_texts(column)
            writers.append((sheet.write_string, texts, None))
    for row in range(table.num_rows):
        excel_row = row + HEADER_ROWS
        for col, (write, cells, style) in enumerate(writers):
            value = cells[row]
            if value is not None:
                write(excel_row, col, value, style)


def _xlsxwriter() -> Any:
    try:
        import xlsxwriter
    except ImportError:
        raise OrcapostError(
            "the xlsx sink needs the xlsxwriter package, which is not installed",
            hint="pip install 'orcapost[excel]' (or pip install xlsxwriter), or remove xlsx "
            "from outputs.formats") from None
    return xlsxwriter


@hookimpl
def orcapost_register_sinks(register):
    register(XlsxSink)
