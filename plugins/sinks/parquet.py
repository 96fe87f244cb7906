"""Parquet tables: one per result group, extra and campaign table, plus failures.parquet when
any file failed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from orcapost.api import Sink, StrictModel, hookimpl
from pydantic import Field

if TYPE_CHECKING:
    import pyarrow as pa


class ParquetOptions(StrictModel):
    compression: Literal["snappy", "zstd", "gzip", "none"] = Field(
        default="zstd", description="Column compression codec."
    )


class ParquetSink(Sink[ParquetOptions]):
    """Parquet tables (one per result group), written atomically."""

    name = "parquet"
    Options = ParquetOptions
    suffix = ".parquet"

    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.path_for(name, directory)
        codec = None if self.options.compression == "none" else self.options.compression
        # Dictionary encoding for the columns that repeat values (text, integers, flags), not
        # for float columns, whose values rarely repeat: trying it on every one of a wide
        # table's columns took a third of the write. The table read back is the same.
        encoded = [field.name for field in table.schema
                   if not pa.types.is_floating(field.type)]
        pq.write_table(table, str(path), compression=codec, use_dictionary=encoded)
        return path


@hookimpl
def orcapost_register_sinks(register):
    register(ParquetSink)
