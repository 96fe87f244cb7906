"""The run's tables, built once and written by every sink: a run listener.

For the length of a run the engine registers one :class:`TableWriter` on the plugin manager. It
gathers each file's result as it arrives (``orcapost_file_done``) into the run's
:class:`~orcapost.tables.RunTables`, and when the run finishes (``orcapost_run_finish``) hands
every finished table to every sink of ``outputs.formats``, laid out as the sink asks. Each table
is built once per run, and once per layout, whatever the number of sinks.

The tables of a run are one result set: sinks write every table into a staging folder inside
the output folder, and only once all are written is each fsynced and moved over its target with
``os.replace`` (a rename on the same volume: atomic on POSIX and Windows), so a crash or a full
disk never leaves a half-written table or a folder of mixed sets. A run that did not finish
(interrupted, or files missing) writes its set into ``<output>/partial`` and leaves the last
complete set untouched; ``--resume`` completes it, and the complete set supersedes it.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from orcapost import atomic
from orcapost.components import Sink
from orcapost.errors import OrcapostError
from orcapost.markers import hookimpl
from orcapost.names import PARTIAL_FOLDER, STAGING_PREFIX, file_name_problem, reserved_problem
from orcapost.results import FileResult, RunContext, RunSummary
from orcapost.tables import FAILURES_TABLE, RunTables


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
        done = {result.path for result in context.results}
        missing = [str(file.path) for file in context.files if str(file.path) not in done]
        complete = not summary.interrupted and not missing
        directory = Path(context.output_directory)
        target = directory if complete else directory / PARTIAL_FOLDER
        summary.result_set = {"complete": complete, "directory": str(target),
                              "files": len(done), "missing": missing}
        summary.outputs.extend(write_tables(self.tables, self.sinks, context,
                                            complete=complete))


def output_path(directory: Path | str, name: str, suffix: str = "") -> Path:
    """The path of the output file ``name`` + ``suffix`` in ``directory``: the one place output
    paths are made. Refuses (:class:`~orcapost.errors.OrcapostError`) a name that is no plain
    file name (a folder, ``..``, an absolute or drive path, a reserved Windows name:
    :func:`orcapost.names.file_name_problem`), one of orcapost's own files
    (:func:`orcapost.names.reserved_problem`: validate's rule, for names only the run knows)
    and a path that resolves outside ``directory`` (through a link)."""
    file_name = f"{name}{suffix}"
    problem = (file_name_problem(name) or file_name_problem(file_name)
               or reserved_problem(file_name))
    if problem is not None:
        raise OrcapostError(f"output file name {file_name!r} {problem}; nothing is written "
                            "outside the output folder")
    path = Path(directory) / file_name
    _inside(path, directory)
    return path


def _inside(path: Path, directory: Path | str) -> None:
    root = Path(directory).resolve()
    resolved = Path(path).resolve()
    if resolved != root and root in resolved.parents:
        return
    raise OrcapostError(f"output file {str(path)!r} resolves to {str(resolved)!r}, outside the "
                        f"output folder {str(root)!r}: refused")


def _file_stems(tables: RunTables, sinks: Sequence[Sink], context: RunContext, names: list[str]
                ) -> list[list[tuple[str, str]]]:
    """Each sink's (table, file stem) pairs, checked: plain names, no file written twice."""
    files: dict[str, str] = {}
    stems = []
    for sink in sinks:
        layout = sink.layout()
        pairs = [(name, layout.file_stem(name, context)) for name in names]
        pairs.append((FAILURES_TABLE, FAILURES_TABLE))
        for name, stem in pairs:
            output_path(context.output_directory, stem, sink.suffix)
            key = f"{stem}{sink.suffix}".casefold()  # one file where case is ignored (Windows)
            # Every sink writes the same failures table: two writing one file is no clash.
            what = ("the failures table" if (name, stem) == (FAILURES_TABLE, FAILURES_TABLE)
                    else f"table {name!r} ({sink.name})")
            if files.setdefault(key, what) != what:
                raise OrcapostError(f"{what} and {files[key]} would both be written as "
                                    f"{stem}{sink.suffix}; no table was written",
                                    hint="give the tables distinct names")
        stems.append(pairs[:-1])
    return stems


def write_tables(tables: RunTables, sinks: Sequence[Sink], context: RunContext, *,
                 complete: bool = True) -> list[Path]:
    """Write every table through every sink; return the paths.

    A result set, not files: every table is first written into a staging folder, and only
    when all of them are there do they replace what was published, so a failed write (a full
    disk) leaves the previous set whole. A ``complete`` set (every file done) goes into the
    output folder and supersedes any partial set; an incomplete one goes into its
    :data:`~orcapost.names.PARTIAL_FOLDER`, replacing the partial set there, without campaign
    tables (a reduction over part of a campaign is not the campaign's), and the last complete
    set stays untouched."""
    directory = Path(context.output_directory)
    target = directory if complete else directory / PARTIAL_FOLDER
    tables.check_names()  # refused before anything is staged or replaced
    names = tables.groups(campaign=complete)
    stems = _file_stems(tables, sinks, context, names)
    staging = directory / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    try:
        failures = tables.failures_table()
        staged: list[Path] = []
        for sink, pairs in zip(sinks, stems, strict=True):
            layout = sink.layout()
            for name, stem in pairs:
                staged.append(sink.write(stem, tables.laid_out(name, layout), staging))
            if failures is not None:
                staged.append(sink.write(FAILURES_TABLE, layout.lay_out(
                    FAILURES_TABLE, failures, tables), staging))
            sink.finish(staging)
        # Every table is written: only now is anything that was published replaced.
        if not complete:
            shutil.rmtree(target, ignore_errors=True)  # the partial set of an earlier run
        # Two sinks of one suffix (csv, legacy_csv) write one failures file: published once.
        written = [_publish(path, staging, target) for path in dict.fromkeys(staged)]
        if failures is None:
            for sink in sinks:  # an old failures table would describe a run that is not this one
                output_path(target, FAILURES_TABLE, sink.suffix).unlink(missing_ok=True)
        if complete:
            shutil.rmtree(directory / PARTIAL_FOLDER, ignore_errors=True)  # superseded
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _publish(staged: Path, staging: Path, directory: Path) -> Path:
    """Move a file a sink wrote in ``staging`` to the same place in ``directory``; a sink that
    returns a path outside ``staging`` is refused."""
    staged = Path(staged)
    _inside(staged, staging)
    relative = staged.resolve().relative_to(staging.resolve())
    target = directory / relative
    _inside(target, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic.replace(staged, target)  # fsynced, and a replaced table keeps its mode
    except BaseException:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
    return target
