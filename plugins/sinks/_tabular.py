"""What the CSV and Parquet sinks share: gather rows, then write each table atomically."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import pyarrow as pa
from orcapost.atomic import atomic_path
from orcapost.components import Sink
from orcapost.tables import TableBuilder

FAILURES_NAME = "failures"


class TabularSink(Sink):
    """A sink writing one file per result group plus a failures file, each atomically."""

    suffix: str = ""

    def open(self, context) -> None:
        self.directory = Path(context.output_directory)
        self.naming = context.config.outputs.naming
        self.stem = context.config_stem
        self.builder = TableBuilder.for_run(context)

    def add(self, result) -> None:
        self.builder.add(result)

    def close(self, summary) -> list[Path]:
        written = []
        for group in self.builder.groups():
            name = self.naming.format(group=group, config=self.stem)
            written.append(self._write(self.builder.group_table(group), name))
        failures = self.builder.failures_table()
        stale = self.directory / f"{FAILURES_NAME}{self.suffix}"
        if failures is not None:
            written.append(self._write(failures, FAILURES_NAME))
        elif stale.exists():
            stale.unlink()  # an old failures table would describe a run that is not this one
        return written

    def _write(self, table: pa.Table, name: str) -> Path:
        path = self.directory / f"{name}{self.suffix}"
        with atomic_path(path) as tmp:
            self.write_table(table, tmp)
        return path

    @abstractmethod
    def write_table(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` to ``path`` (a temporary file that then replaces the target)."""
