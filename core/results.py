"""The plain data that flows through a run.

Task results cross thread and process boundaries (and, later, machines), so everything a worker
returns is plain picklable data: dataclasses of str, int, float, bool, None, lists and dicts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Row status of a file. "partial": opened, but some columns failed (their cells are empty).
STATUS_OK = "ok"
STATUS_PARTIAL = "partial"
STATUS_FAILED = "failed"
#: The simulation did not finish; the values cover only the period it reached.
STATUS_UNFINISHED = "unfinished"


@dataclass(frozen=True)
class FileInfo:
    path: Path
    size: int
    #: Why discovery found the entry but cannot read it (a dangling link, a FIFO, no read
    #: permission); the task turns it into a failed row instead of opening it.
    reason: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Failure:
    """Why (part of) a file failed. ``stage`` is "open" or "extract"; ``column`` names the
    result column for extract failures."""

    file: str
    stage: str
    reason: str
    group: str | None = None
    column: str | None = None
    #: The traceback of an exception no reason foresaw (a bug in a plugin or in orcapost), for
    #: the run report and ``ORCAPOST_DEBUG=1``; None when the reason says everything.
    traceback: str | None = None


@dataclass
class FileResult:
    """Everything one file produced. ``values`` maps group name -> output column -> value."""

    path: str
    size: int
    status: str = STATUS_OK
    simulation_state: str | None = None
    load_case: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Per group, the unit of each value the extractor gave one for (output name -> unit,
    #: e.g. "kN", "s", "-"): :mod:`orcapost.units`. A value without an entry has no known unit.
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    worker: str = ""
    attempts: int = 1
    #: Wall-clock time (time.time()) the worker began the file: comparable across processes.
    started_at: float | None = None
    #: Wall-clock times (time.time()) just before the file was opened and just after it was
    #: closed: the span it was open (licences: never more files open at once than allowed).
    opened_at: float | None = None
    closed_at: float | None = None
    #: The worker process that ran the file, as ``host:pid``.
    process: str = ""
    #: Growth of the worker process's resident memory while the file was open (bytes), measured
    #: for files of at least 1 MB; concurrent files make it an over-estimate, never an under-one.
    memory_growth: int | None = None
    #: The worker process's own resident memory just before the file was opened (bytes),
    #: measured with ``memory_growth``: what a worker costs by itself, lazy imports included.
    worker_rss: int | None = None
    #: The file as the worker found it before opening it (size, mtime_ns, a hash of its first
    #: and last 64 KB: :func:`orcapost.fingerprints.file_identity`), for ``--resume``.
    identity: dict[str, Any] | None = None
    #: Per group, the output names each column produced, in config order (None for a column
    #: this task did not run), so ``--resume`` can reuse cells column by column.
    outputs: dict[str, list[list[str] | None]] = field(default_factory=dict)
    #: How many of the cells in ``values`` were reused from the journal (``--resume``).
    reused: int = 0
    #: Python warnings raised while the file was read ({group, column, category, message,
    #: count, where}; group and column None outside a column), for the run report.
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        # The path's last part, as Path(path).name gives it, without building a Path per call
        # (every result's name is asked for by its listeners).
        return os.path.basename(self.path)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


@dataclass
class RunContext:
    """What the coordinating thread knows about a run in progress (read it, don't change it)."""

    config_path: Path | None
    files: list[FileInfo]
    output_directory: Path
    executor: str
    concurrency: int
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    failed: int = 0
    bytes_done: int = 0
    in_flight: int = 0
    results: list[FileResult] = field(default_factory=list)
    #: Concurrency changes: {"at", "after_files", "from", "to", "policy", "reason", ...}.
    decisions: list[dict[str, Any]] = field(default_factory=list)
    #: The most files this run will ever process at once (policy ceiling, file count, platform).
    ceiling: int = 0
    #: Files not yet submitted, in submission order (a live view: read, never change it).
    queued: Sequence[FileInfo] = field(default_factory=tuple)
    #: The performance monitor's latest sample (cpu_percent, rss, available, read_rate), if any.
    sample: dict[str, float] = field(default_factory=dict)
    #: How often a memory optimizer held a file back while a worker was free.
    memory_holds: int = 0
    #: The validated config model of the run (``orcapost.schemas`` v2 model).
    config: Any = None
    #: The config file's stem (``{config}`` in ``outputs.naming``), None for a config in memory.
    config_stem: str | None = None
    #: Where the config came from, as messages name it (path, or the built-in's name).
    config_source: str | None = None
    #: The run's performance monitor (:class:`orcapost.monitor.Monitor`), once started.
    monitor: Any = None
    #: A shard's run (``--shard I/N``): ``{"shard": "I/N", "fingerprint": ...}`` (the shard
    #: fingerprint of :func:`orcapost.shards.shard_fingerprint`); None for a whole campaign.
    shard: dict[str, Any] | None = None
    #: What the run's executor provides (:class:`orcapost.components.Capacity`).
    capacity: Any = None
    #: The executor's latest live figures (``Executor.metrics``: e.g. a dask cluster's
    #: workers, busy workers and their memory), refreshed every round of the loop.
    workers: dict[str, Any] = field(default_factory=dict)

    @property
    def total_files(self) -> int:
        return len(self.files)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@dataclass
class RunSummary:
    files: int
    ok: int
    failed: int
    partial: int
    bytes: int
    elapsed: float
    outputs: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    interrupted: bool = False
    #: The signal that stopped an interrupted run: "SIGINT" (Ctrl-C), "SIGTERM", "SIGHUP"...
    stopped_by: str | None = None
    #: Where the run's tables went: ``complete`` (every file done: the set replaced the
    #: previous one), ``directory``, and for a partial set the ``missing`` files.
    result_set: dict[str, Any] = field(default_factory=dict)
    #: The acceptance criteria's verdict (the run report's ``criteria`` section), when a
    #: column has a criterion: ``verdict``, ``checked``, ``breaches``, ``governing``, ...
    criteria: dict[str, Any] = field(default_factory=dict)
    #: Python warnings raised while the files were read (occurrences; listed in the run
    #: report's ``warnings``).
    warnings: int = 0

    @property
    def exit_code(self) -> int:
        return 0 if self.ok == self.files and not self.interrupted else 1


def plain(value: Any) -> Any:
    """Numpy scalars to Python ones, so results stay plain, picklable, JSON-able data."""
    # Checked by the type's module, not isinstance(np.generic): importing numpy here would
    # put it on the path of `orcapost --help`.
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    return value
