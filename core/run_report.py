"""The run report: one JSON file per run describing how it went.

Every run writes ``orcapost-run.json`` into its output folder (atomically, also after an
interruption, by the :class:`RunReportWriter` run listener, once every other output is
written): the settings (policy, scheduler, optimizers, executor, ceiling, machine), every
concurrency decision with its reason, per-file phase times (queued, open, extract, write), the
monitor's memory/CPU/disk figures and samples, the failures, what ``--resume`` reused
(``summary.reused``: files taken whole from the journal, files opened for only their changed
columns, and cells reused), the plugins whose run hooks raised (``plugin_errors``, with
tracebacks), and the Python warnings raised while files were read (``warnings``: file, group,
column, category, message, count, where; ``summary.warnings`` counts them). ``orcapost report``
shows it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from orcapost.atomic import atomic_open
from orcapost.markers import hookimpl
from orcapost.names import RUN_REPORT_NAME
from orcapost.results import RunContext, RunSummary

REPORT_VERSION = 1
PHASES = ("queued", "open", "extract", "write", "total")


def _spec(component_spec: Any) -> Any:
    """A validated config entry as plain data (name and options)."""
    if hasattr(component_spec, "model_dump"):
        return component_spec.model_dump(mode="json")
    return component_spec


def settings_of(context) -> dict[str, Any]:
    model = context.config.engine
    return {
        "config": context.config_source,
        "thread_policy": _spec(model.thread_policy),
        "io_scheduler": _spec(model.io_scheduler),
        "memory_optimizers": [_spec(o) for o in model.memory_optimizers],
        "executor": _spec(model.executor),
        "capacity": context.capacity.as_dict() if context.capacity is not None else None,
        "initial_concurrency": context.decisions[0]["to"] if context.decisions else None,
        "ceiling": context.ceiling,
        "files": len(context.files),
        "bytes": context.total_bytes,
        "cpu_count": os.cpu_count(),
        "platform": sys.platform,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def file_rows(results) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        row = {
            "file": result.path,
            "size": result.size,
            "status": result.status,
            "worker": result.worker,
            "process": result.process,
            "opened_at": result.opened_at,
            "closed_at": result.closed_at,
            "memory_growth": result.memory_growth,
            # The file's cells in the tables: an unchanged --resume reports them reused.
            "cells": cells_of(result),
            "worker_rss": result.worker_rss,
        }
        for phase in PHASES:
            value = result.timings.get(phase)
            row[phase] = round(value, 6) if value is not None else None
        rows.append(row)
    return rows


def cells_of(result) -> int:
    """How many cells a file holds: one per output name of each column it produced (a row
    taken from the published set, without its columns' names: the cells it was reported
    with)."""
    if result.outputs:
        return sum(len(names) for group in result.outputs.values() for names in group if names)
    return result.reused


def _phase_stats(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for phase in PHASES:
        values = sorted(r[phase] for r in rows if r[phase] is not None)
        if values:
            out[phase] = {"median": statistics.median(values), "max": values[-1],
                          "sum": sum(values)}
    return out


def reused_counts(results, replayed: int) -> dict[str, int]:
    """What ``--resume`` reused: ``files`` taken whole from the journal (not opened),
    ``partial_files`` opened for only their changed or new columns, ``cells`` reused in all."""
    partly = sum(1 for r in results if r.reused) - replayed
    return {"files": replayed, "partial_files": max(0, partly),
            "cells": sum(r.reused for r in results)}


def warning_rows(results) -> list[dict[str, Any]]:
    """The Python warnings raised while files were read, one row per file, group, column and
    message, with how often (``orcapost.pywarnings``)."""
    return [{"file": result.path, **warning} for result in results
            for warning in result.warnings]


def build_report(context, summary, monitor, plugin_errors=(), replayed: int = 0
                 ) -> dict[str, Any]:
    from orcapost import __version__

    rows = file_rows(context.results)
    elapsed = summary.elapsed
    return {
        "report_version": REPORT_VERSION,
        "orcapost": __version__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": settings_of(context),
        "summary": {
            "files": summary.files, "ok": summary.ok, "failed": summary.failed,
            "partial": summary.partial, "bytes": summary.bytes,
            "elapsed": elapsed, "interrupted": summary.interrupted,
            "stopped_by": getattr(summary, "stopped_by", None),
            "files_per_second": len(context.results) / elapsed if elapsed > 0 else None,
            "bytes_per_second": summary.bytes / elapsed if elapsed > 0 else None,
            "memory_holds": context.memory_holds,
            "reused": reused_counts(context.results, replayed),
            "warnings": summary.warnings,
        },
        "decisions": list(context.decisions),
        "memory": monitor.summary() if monitor is not None else {},
        "workers": dict(context.workers),
        "phases": _phase_stats(rows),
        "files": rows,
        "failures": [dataclasses.asdict(f) for f in summary.failures],
        "result_set": summary.result_set,
        "criteria": getattr(summary, "criteria", None) or None,
        # A shard's run (--shard I/N): which shard, and the fingerprint `orcapost merge`
        # checks (docs/sharding.md); None for a run over the whole campaign.
        "shard": (context.shard or {}).get("shard"),
        "config_fingerprint": (context.shard or {}).get("fingerprint"),
        "plugin_errors": [error.as_dict() for error in plugin_errors],
        "warnings": warning_rows(context.results),
        "samples": list(monitor.samples) if monitor is not None else [],
    }


def report_text(report: dict[str, Any]) -> str:
    """The run report as JSON text: a line per top-level key, and a line per entry of each
    top-level list or object (a file's row, a decision, a sample), each line encoded by
    json's C encoder.

    ``json.dump(indent=...)`` takes json's pure-Python encoder, value by value, and writes to
    the file piece by piece: 0.3 s for a report of 5,000 files. This is as readable (a file's
    row on one line) and one write."""
    encode = json.JSONEncoder(default=str).encode
    items = []
    for key, value in report.items():
        if isinstance(value, list) and value:
            inner = ",\n  ".join(map(encode, value))
            items.append(f" {encode(key)}: [\n  {inner}\n ]")
        elif isinstance(value, dict) and value:
            # Each entry as json encodes it in an object (a key that is no string included).
            inner = ",\n  ".join(encode({k: v})[1:-1] for k, v in value.items())
            items.append(f" {encode(key)}: {{\n  {inner}\n }}")
        else:
            items.append(f" {encode(key)}: {encode(value)}")
    return "{\n" + ",\n".join(items) + "\n}\n"


def write_report(directory: Path, report: dict[str, Any]) -> Path:
    path = Path(directory) / RUN_REPORT_NAME
    text = report_text(report)
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


class RunReportWriter:
    """Run listener: writes the run report when the run finishes, after every other output
    (a hook wrapper around ``orcapost_run_finish``), so the report lists them all."""

    def __init__(self, plugin_errors: list | None = None) -> None:
        #: The report of the run, once written.
        self.report: dict[str, Any] | None = None
        #: Files replayed from the journal (``--resume``).
        self.replayed = 0
        #: The run's plugin errors (:class:`orcapost.hookguard.PluginError`, a live list).
        self.plugin_errors: list = plugin_errors if plugin_errors is not None else []
        self._path: Path | None = None

    @hookimpl
    def orcapost_file_done(self, replayed: bool) -> None:
        self.replayed += replayed

    @hookimpl(wrapper=True)
    def orcapost_run_finish(self, context: RunContext, summary: RunSummary):
        try:
            return (yield)
        finally:  # also when writing a table failed: the report says what the run did
            if context.monitor is not None:
                context.monitor.stop()
            self.report = build_report(context, summary, context.monitor, self.plugin_errors,
                                       self.replayed)
            # Beside the tables it describes: a partial set's report goes into its folder, and
            # the complete set's report beside the complete tables stays as it was.
            directory = summary.result_set.get("directory") or context.output_directory
            self._path = write_report(Path(directory), self.report)
            summary.outputs.append(self._path)

    def rewrite_if_changed(self, context: RunContext) -> None:
        """Plugin errors found after the report was written (in ``orcapost_run_summary``) are
        added to it: the report is written again."""
        if self.report is None or self._path is None:
            return
        errors = [error.as_dict() for error in self.plugin_errors]
        if errors != self.report.get("plugin_errors"):
            self.report["plugin_errors"] = errors
            write_report(self._path.parent, self.report)


def read_report(path: Path) -> dict[str, Any]:
    """Read a run report; a clear error if it is not one."""
    from orcapost.errors import OrcapostError

    path = Path(path)
    if path.is_dir():
        path = path / RUN_REPORT_NAME
    if not path.is_file():
        raise OrcapostError(f"{path}: no such run report",
                            hint=f"give the {RUN_REPORT_NAME} a run wrote into its output folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OrcapostError(f"{path}: not a JSON run report ({exc})",
                            hint=f"give the {RUN_REPORT_NAME} a run wrote") from None
    if not isinstance(data, dict) or "report_version" not in data:
        raise OrcapostError(f"{path}: JSON, but not an orcapost run report",
                            hint=f"give the {RUN_REPORT_NAME} a run wrote") from None
    return data
