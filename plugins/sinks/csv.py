"""CSV tables: one per result group, extra and campaign table, plus failures.csv when any file
failed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from orcapost.api import Sink, StrictModel, hookimpl
from pydantic import Field

if TYPE_CHECKING:
    import pyarrow as pa


class CsvOptions(StrictModel):
    delimiter: str = Field(default=",", min_length=1, max_length=1,
                           description="Field delimiter (one character).")


class CsvSink(Sink[CsvOptions]):
    """CSV tables (one per result group), written atomically."""

    name = "csv"
    Options = CsvOptions
    suffix = ".csv"

    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        import pyarrow.csv as pacsv

        path = self.path_for(name, directory)
        pacsv.write_csv(table, str(path),
                        write_options=pacsv.WriteOptions(delimiter=self.options.delimiter))
        return path


@hookimpl
def orcapost_register_sinks(register):
    register(CsvSink)
