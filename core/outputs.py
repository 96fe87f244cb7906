"""The run's tables, built once and written by every sink: a run listener.

For the length of a run the engine registers one :class:`TableWriter` on the plugin manager. It
gathers each file's result as it arrives (``orcapost_file_done``) into the run's
:class:`~orcapost.tables.RunTables`, and when the run finishes (``orcapost_run_finish``) hands
every finished table to every sink of ``outputs.formats``, laid out as the sink asks. Each table
is built once per run, and once per layout, whatever the number of sinks.

Sinks write into a staging folder inside the output folder; each file is then fsynced and moved
over its target with ``os.replace`` (a rename on the same volume: atomic on POSIX and Windows),
so a crash never leaves a half-written table.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from orcapost.components import Sink
from orcapost.markers import hookimpl
from orcapost.results import FileResult, RunContext, RunSummary
from orcapost.tables import FAILURES_TABLE, RunTables

#: The staging folder's name starts with this (hidden: discovery skips dot-names).
STAGING_PREFIX = ".orcapost-staging-"


class TableWriter:
    """Run listener: gathers results into the run's tables and writes them through the sinks."""

    def __init__(self, sinks: Sequence[Sink]) -> None:
        self.sinks = list(sinks)
        self.tables: RunTables | None = None

    @hookimpl
    def orcapost_run_start(self, context: RunContext) -> None:
        self.tables = RunTables.for_run(context)
        for sink in self.sinks:
            sink.open(context)

    @hookimpl
    def orcapost_file_done(self, result: FileResult) -> None:
        assert self.tables is not None, "orcapost_file_done before orcapost_run_start"
        self.tables.add(result)

    @hookimpl
    def orcapost_run_finish(self, context: RunContext, summary: RunSummary) -> None:
        if self.tables is None:  # the run stopped before it started
            return
        summary.outputs.extend(write_tables(self.tables, self.sinks, context))


def write_tables(tables: RunTables, sinks: Sequence[Sink], context: RunContext) -> list[Path]:
    """Write every table through every sink into the output folder; return the paths."""
    directory = Path(context.output_directory)
    staging = directory / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    written: list[Path] = []
    try:
        failures = tables.failures_table()
        names = tables.groups()
        for sink in sinks:
            layout = sink.layout()
            for name in names:
                stem = layout.file_stem(name, context)
                staged = sink.write(stem, tables.laid_out(name, layout), staging)
                written.append(_publish(staged, staging, directory))
            stale = sink.path_for(FAILURES_TABLE, directory)
            if failures is not None:
                staged = sink.write(FAILURES_TABLE, layout.lay_out(FAILURES_TABLE, failures,
                                                                   tables), staging)
                written.append(_publish(staged, staging, directory))
            elif stale.exists():
                stale.unlink()  # an old failures table would describe a run that is not this one
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _publish(staged: Path, staging: Path, directory: Path) -> Path:
    """Move a file a sink wrote in ``staging`` to the same place in ``directory``."""
    staged = Path(staged)
    target = directory / staged.relative_to(staging)
    with open(staged, "rb+") as handle:
        os.fsync(handle.fileno())
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
    except BaseException:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
    return target
