"""CSV tables: one per result group, plus failures.csv when any file failed."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from orcapost import hookimpl
from orcapost.plugins.sinks._tabular import TabularSink
from orcapost.schemas.base import StrictModel
from pydantic import Field


class CsvOptions(StrictModel):
    delimiter: str = Field(default=",", min_length=1, max_length=1,
                           description="Field delimiter (one character).")


class CsvSink(TabularSink):
    """CSV tables (one per result group), written atomically."""

    name = "csv"
    Options = CsvOptions
    suffix = ".csv"

    def write_table(self, table: pa.Table, path: Path) -> None:
        pacsv.write_csv(table, str(path),
                        write_options=pacsv.WriteOptions(delimiter=self.options.delimiter))


@hookimpl
def orcapost_register_sinks(register):
    register(CsvSink)
