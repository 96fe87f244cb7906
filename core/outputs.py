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

A complete set is recorded in the run report (``result_set``): a *result-set fingerprint* -- the
config's, orcapost's and the plugins' versions, every column's and reader's fingerprint, and
each file's path, identity and status -- and each published file's size, mtime and sha256. A
table whose new bytes equal the published file's is not replaced (it keeps its time stamp). An
unchanged ``--resume`` (:func:`unchanged_set`: the same result-set fingerprint, no failure in
the set, every published file as recorded) reads no journal and writes no table: the set is
confirmed as it stands (``result_set.unchanged``) and only the run report is written.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orcapost import atomic
from orcapost.components import Sink
from orcapost.errors import OrcapostError
from orcapost.fingerprints import RunFingerprints, digest, file_identity
from orcapost.markers import hookimpl
from orcapost.names import (
    JOURNAL_NAME,
    PARTIAL_FOLDER,
    RUN_REPORT_NAME,
    STAGING_PREFIX,
    file_name_problem,
    reserved_problem,
)
from orcapost.results import STATUS_FAILED, FileInfo, FileResult, RunContext, RunSummary
from orcapost.tables import FAILURES_TABLE, RunTables


class TableWriter:
    """Run listener: gathers results into the run's tables and writes them through the sinks."""

    def __init__(self, sinks: Sequence[Sink], fingerprints: RunFingerprints | None = None
                 ) -> None:
        self.sinks = list(sinks)
        self.tables: RunTables | None = None
        #: The run's fingerprints: a complete set records its result-set fingerprint.
        self.fingerprints = fingerprints
        #: Set by the engine when ``--resume`` found the published set unchanged
        #: (:func:`unchanged_set`): it is confirmed instead of written again.
        self.confirmed: ConfirmedSet | None = None

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
        # Every file failed (inputs truncated by a re-sync, a share gone): such a set has no
        # value in it, and replacing a published complete set with it would lose the last good
        # result set. It is written as a partial set beside it instead.
        all_failed = (complete and context.results
                      and all(result.status == STATUS_FAILED for result in context.results)
                      and bool(_published_tables(directory)))
        if all_failed:
            complete = False
        target = directory if complete else directory / PARTIAL_FOLDER
        summary.result_set = {"complete": complete, "directory": str(target),
                              "files": len(done), "missing": missing}
        if all_failed:
            summary.result_set["kept"] = ("every file failed: the published complete set is "
                                          "kept, this run's failure rows are in "
                                          f"{target}")
        _load_case_failures(self.tables, summary)
        if self.confirmed is not None and not complete:
            # Stopped while confirming the published set: its rows carry no values, so no
            # partial set is written from them; the published set stands as it was.
            return
        if self.confirmed is not None:
            # Nothing a table is made of changed and the tables are as published (checked
            # again now, at the end): none is built or written (an earlier interrupted run's
            # partial set is superseded, as by any complete set).
            if published_unchanged(directory, self.confirmed.fingerprint,
                                   contents=False) is None:
                raise OrcapostError(
                    f"the published tables in {directory} changed while this --resume run "
                    "confirmed them; nothing was written", hint="run again with --resume")
            shutil.rmtree(directory / PARTIAL_FOLDER, ignore_errors=True)
            if self.confirmed.criteria:
                summary.criteria = self.confirmed.criteria  # the set's verdict, as published
            summary.result_set.update(fingerprint=self.confirmed.fingerprint,
                                      settings=self.confirmed.settings,
                                      tables=self.confirmed.tables,
                                      journal=self.confirmed.journal, unchanged=True)
            return
        if self.tables.has_verdict():
            summary.criteria = {**self.tables.verdict().report(), "complete": complete}
        prints = self.fingerprints if complete else None
        fingerprint = (result_set_fingerprint(prints, context.results)
                       if prints is not None else None)
        # A shard (--shard I/N) holds part of the campaign: its campaign tables are written by
        # `orcapost merge`, over every shard's rows, never over one shard's.
        written = write_tables(self.tables, self.sinks, context, complete=complete,
                               campaign=context.shard is None)
        summary.outputs.extend(written)
        if prints is not None:
            # The journal is flushed line by line: as it stands now it is what the next
            # --resume would read.
            summary.result_set.update(fingerprint=fingerprint,
                                      settings=settings_fingerprint(prints),
                                      tables=published_digest(written, directory),
                                      journal=journal_state(directory), unchanged=False)


def result_set_fingerprint(fingerprints: RunFingerprints, results: Iterable[FileResult]) -> str:
    """What a complete set's tables are made of: the config (after migration and defaults),
    orcapost's and the plugins' versions, every column's and reader's fingerprint, and each
    file's path, identity (size, mtime, head and tail hash) and status."""
    return digest({"settings": settings_fingerprint(fingerprints),
                   "files": sorted([r.path, r.identity, r.status] for r in results)})


def settings_fingerprint(fingerprints: RunFingerprints) -> str:
    """The part of :func:`result_set_fingerprint` that needs no file read: compared first, so
    a changed config costs no file's identity check."""
    return digest({
        "config": fingerprints.config, "versions": fingerprints.versions,
        "columns": fingerprints.columns, "readers": fingerprints.readers,
        "shard": fingerprints.shard,
    })


@dataclass
class ConfirmedSet:
    """A published complete set an unchanged ``--resume`` confirms (:func:`unchanged_set`)."""

    fingerprint: str
    #: :func:`published_digest` of its files.
    tables: dict[str, Any]
    #: By path, each file's row as the set holds it: path, size, status, identity and cells
    #: (no values: they are not needed, as no table is built).
    results: dict[str, FileResult]
    #: :func:`journal_state` of the journal the set was published with.
    journal: dict[str, int] | None = None
    #: :func:`settings_fingerprint` of the set.
    settings: str | None = None
    #: The run report's ``criteria`` section the set was published with (its verdict).
    criteria: dict[str, Any] | None = None


def journal_state(directory: Path) -> dict[str, int] | None:
    """Size and mtime_ns of the output folder's journal (None: there is none)."""
    try:
        stat = (Path(directory) / JOURNAL_NAME).stat()
    except OSError:
        return None
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def unchanged_set(directory: Path, files: Sequence[FileInfo], fingerprints: RunFingerprints
                  ) -> ConfirmedSet | None:
    """The complete set published in ``directory`` when nothing it is made of has changed:
    its run report records a result-set fingerprint equal to the one of ``fingerprints`` and
    the files' identities now, no failure (a resume runs a failed file again), the journal as
    it was when the set was published (so it still holds every file's cells for a later
    resume) and every published file as written (size, mtime, sha256). None otherwise: the
    run then reads the journal and rebuilds what changed. Reads no journal and imports
    nothing heavy."""
    try:
        report = json.loads((Path(directory) / RUN_REPORT_NAME).read_text(encoding="utf-8"))
        result_set = report["result_set"]
        recorded = result_set.get("fingerprint")
        rows = {row["file"]: row for row in report["files"]}
        journal = result_set.get("journal")
        if (not result_set.get("complete") or not isinstance(recorded, str)
                or result_set.get("settings") != settings_fingerprint(fingerprints)
                or report.get("failures") or len(rows) != len(files)
                or journal is None or journal != journal_state(directory)):
            return None
        # The set's warnings stay in its report: its numbers were computed with them.
        warned: dict[str, list[dict[str, Any]]] = {}
        for warning in report.get("warnings") or ():
            rest = dict(warning)
            warned.setdefault(str(rest.pop("file")), []).append(rest)
        results: dict[str, FileResult] = {}
        for file in files:
            row = rows.get(str(file.path))
            identity = file_identity(file.path) if row is not None else None
            if row is None or identity is None or row["size"] != file.size:
                return None
            results[str(file.path)] = FileResult(
                path=str(file.path), size=file.size, status=row["status"], identity=identity,
                worker=row.get("worker") or "", reused=int(row.get("cells") or 0),
                warnings=warned.get(str(file.path), []))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if result_set_fingerprint(fingerprints, results.values()) != recorded:
        return None
    tables = published_unchanged(directory, recorded)
    if tables is None:
        return None
    return ConfirmedSet(fingerprint=recorded, tables=tables, results=results, journal=journal,
                        settings=result_set.get("settings"), criteria=report.get("criteria"))


def file_digest(path: Path) -> dict[str, Any] | None:
    """Size, mtime_ns and sha256 of a published file (None: it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            hasher = hashlib.sha256()
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
    except OSError:
        return None
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": hasher.hexdigest()}


def published_digest(paths: Iterable[Path], directory: Path) -> dict[str, Any]:
    """Each published file, by its path relative to ``directory``: :func:`file_digest`."""
    root = Path(directory).resolve()
    return {Path(path).resolve().relative_to(root).as_posix(): file_digest(Path(path))
            for path in paths}


def published_unchanged(directory: Path, fingerprint: str, contents: bool = True
                        ) -> dict[str, Any] | None:
    """The published set's files (:func:`published_digest`) when the complete set in
    ``directory`` was made of exactly ``fingerprint`` and every file of it is as it was
    published (size, mtime, and with ``contents`` its sha256); None otherwise (the set is then
    written again)."""
    result_set = _published_set(Path(directory))
    if result_set is None or result_set.get("fingerprint") != fingerprint:
        return None
    tables = result_set["tables"]
    if not tables:
        return None
    for name, recorded in tables.items():
        path = Path(directory) / name
        try:
            stat = path.stat()
        except OSError:
            return None
        if (not isinstance(recorded, dict) or recorded.get("size") != stat.st_size
                or recorded.get("mtime_ns") != stat.st_mtime_ns
                or (contents and file_digest(path) != recorded)):
            return None
    return tables


def _load_case_failures(tables: RunTables, summary: RunSummary) -> None:
    """Files the load-case table does not join are failures of the run (and an ok file is
    partial), as the failures table and the group tables' status say."""
    failures = tables.load_case_failures()
    if not failures:
        return
    ok = {r.path for r in tables.results if r.status == "ok"}
    summary.failures.extend(failures)
    for failure in failures:
        if failure.file in ok:
            summary.ok -= 1
            summary.partial += 1


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
                 complete: bool = True, campaign: bool = True) -> list[Path]:
    """Write every table through every sink; return the paths.

    A result set, not files: every table is first written into a staging folder, and only
    when all of them are there do they replace what was published, so a failed write (a full
    disk) leaves the previous set whole. A ``complete`` set (every file done) goes into the
    output folder and supersedes any partial set; an incomplete one goes into its
    :data:`~orcapost.names.PARTIAL_FOLDER`, replacing the partial set there, without campaign
    tables (a reduction over part of a campaign is not the campaign's), and the last complete
    set stays untouched. ``campaign``: false leaves campaign tables out of a complete set too
    (a shard's)."""
    directory = Path(context.output_directory)
    target = directory if complete else directory / PARTIAL_FOLDER
    tables.check_names()  # refused before anything is staged or replaced
    names = tables.groups(campaign=complete and campaign)
    stems = _file_stems(tables, sinks, context, names)
    # A staging folder left by a run killed while it published (the run lock, held by this
    # run and merge alike, says no other run is writing here): a copy of tables, removed.
    for stale in directory.glob(f"{STAGING_PREFIX}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    previous = _published_tables(directory) if complete else {}
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
            _remove_superseded(directory, previous, written)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _published_set(directory: Path) -> dict[str, Any] | None:
    """The run report's ``result_set`` of the complete set published in ``directory``, its
    ``tables`` a mapping (None: no complete set, or no report orcapost could read)."""
    try:
        report = json.loads((directory / RUN_REPORT_NAME).read_text(encoding="utf-8"))
        result_set = report["result_set"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (not isinstance(result_set, dict) or not result_set.get("complete")
            or not isinstance(result_set.get("tables"), dict)):
        return None
    return result_set


def _published_tables(directory: Path) -> dict[str, Any]:
    """The files of the complete set published in ``directory``, as its run report lists
    them (empty: none)."""
    result_set = _published_set(directory)
    return {} if result_set is None else result_set["tables"]


def _remove_superseded(directory: Path, previous: dict[str, Any], written: list[Path]) -> None:
    """Remove the tables of the set just replaced that the new set did not write (a group, a
    campaign table or a format the config no longer has, a dropped file's per-file table):
    left beside the new ones they made the folder a mix of two runs. Only files the old
    report lists, directly in the folder, and still as it recorded them (same size: no file a
    user put there since) are removed."""
    # Case ignored: on Windows and macOS "Mooring.csv" is the "mooring.csv" just written.
    kept = {Path(path).name.casefold() for path in written}
    for name, recorded in previous.items():
        if (not isinstance(name, str) or "/" in name or "\\" in name
                or name.casefold() in kept
                or reserved_problem(name) is not None or not isinstance(recorded, dict)):
            continue
        path = directory / name
        try:
            if path.is_file() and path.stat().st_size == recorded.get("size"):
                path.unlink()
        except OSError:
            continue  # one that cannot be removed stays, as before; the run is not failed for it


def _same_bytes(staged: Path, target: Path) -> bool:
    try:
        return (target.is_file() and not target.is_symlink()
                and staged.stat().st_size == target.stat().st_size
                and filecmp.cmp(staged, target, shallow=False))
    except OSError:
        return False


def _publish(staged: Path, staging: Path, directory: Path) -> Path:
    """Move a file a sink wrote in ``staging`` to the same place in ``directory``; a sink that
    returns a path outside ``staging`` is refused."""
    staged = Path(staged)
    _inside(staged, staging)
    relative = staged.resolve().relative_to(staging.resolve())
    target = directory / relative
    _inside(target, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    if _same_bytes(staged, target):
        # The published file already holds these bytes: left as it is (its time stamp too).
        staged.unlink()
        return target
    try:
        atomic.replace(staged, target)  # fsynced, and a replaced table keeps its mode
    except BaseException:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
    return target
