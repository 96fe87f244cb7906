"""Parquet tables: one per result group, plus failures.parquet when any file failed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
from orcapost import hookimpl
from orcapost.plugins.sinks._tabular import TabularSink
from orcapost.schemas.base import StrictModel
from pydantic import Field


class ParquetOptions(StrictModel):
    compression: Literal["snappy", "zstd", "gzip", "none"] = Field(
        default="zstd", description="Column compression codec."
    )


class ParquetSink(TabularSink):
    """Parquet tables (one per result group), written atomically."""

    name = "parquet"
    Options = ParquetOptions
    suffix = ".parquet"

    def write_table(self, table: pa.Table, path: Path) -> None:
        codec = None if self.options.compression == "none" else self.options.compression
        pq.write_table(table, str(path), compression=codec)


@hookimpl
def orcapost_register_sinks(register):
    register(ParquetSink)
