"""Base classes of the components a plugin registers by name.

A component is a class with a ``name`` and an ``Options`` model (its own validated options,
``extra="forbid"``). Config picks a component by name and gives its options; the host builds
the component with those options. The class docstring's first line is its summary in
``orcapost plugins``. Components are generic over their options model, so
``self.options.threads`` type-checks in a ``ThreadPolicy[FixedOptions]``.

Every optional part of a protocol is a method here with a no-op default: the host calls it
unconditionally and never discovers it with ``getattr``.

Kinds: sources (readers by file type), extractors (result column kinds), thread policies,
memory optimizers, I/O schedulers, executors (where files run), sinks, progress reporters and
campaign reductions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from orcapost.schemas.base import StrictModel

if TYPE_CHECKING:
    from concurrent import futures

    import pyarrow as pa
    from orcapost.extraction import Target
    from orcapost.resultfile import ResultFile
    from orcapost.results import FileInfo, FileResult, RunContext, RunSummary

OptionsT = TypeVar("OptionsT", bound=StrictModel)


class Component(ABC, Generic[OptionsT]):
    """Common base: a name, an options model, and the validated options."""

    name: ClassVar[str]
    Options: ClassVar[type[StrictModel]] = StrictModel

    def __init__(self, options: OptionsT | None = None) -> None:
        # A ClassVar cannot be typed with the class's type variable, so Options is declared
        # as type[StrictModel]; each component's Options is its OptionsT.
        self.options: OptionsT = (options if options is not None
                                  else self.Options())  # type: ignore[assignment]

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


class Source(Component[OptionsT]):
    """Opens result files of the types listed in ``suffixes`` (lower case, with the dot)."""

    suffixes: ClassVar[tuple[str, ...]] = ()
    #: True: the files this source opens give their own identity
    #: (:meth:`~orcapost.resultfile.ResultFile.read_identity`, from the bytes the source read),
    #: so the task does not open and hash each file a second time before opening it.
    identifies_files: ClassVar[bool] = False
    #: Whether an opened file may only be used by the thread that opened it (OrcaFlex models).
    #: True unless a source says otherwise; a source that sets it False lets the engine split
    #: one large file across several threads, each opening it itself (docs/engine.md,
    #: "Few large files": orcapost.split).
    thread_affinity: ClassVar[bool] = True

    @abstractmethod
    def open(self, path: Path) -> ResultFile:
        """Open ``path`` on the calling worker thread. Raise to fail the file at stage "open"."""

    def preflight(self, files: Sequence[FileInfo]) -> None:  # noqa: B027 - optional
        """Check, once per run and before anything is written, that this source can read
        ``files`` at all (e.g. that OrcFxAPI loads). Raise :class:`~orcapost.errors.OrcapostError`
        to stop the run with one message (exit 2); per-file problems belong in :meth:`open`."""


class Extractor(Component[OptionsT]):
    """A result column kind. ``Options`` is the whole column model (label and the rest).

    ``extract`` runs on the worker thread that opened the file and returns output column names
    mapped to plain values (float, int, str, bool or None). Raise
    :class:`~orcapost.errors.ResultFileError` for a problem with this file.
    """

    @abstractmethod
    def extract(self, file: ResultFile, column: Any) -> dict[str, Any]:
        """Output column name -> value for one file."""

    def named_targets(self, file: ResultFile, column: Any) -> list[tuple[Target, str]]:
        """``(target, output name)`` for every object/variable the column's patterns match.

        The name is the column's label with ``{object}``/``{variable}`` filled in, and the
        object or variable appended when the patterns matched several and the label has no
        placeholder for them (:func:`orcapost.extraction.namer_for`). Two targets never get one
        name: if a label makes them equal anyway, this raises
        :class:`~orcapost.errors.ResultFileError` (a per-file failure, never a lost column).
        """
        return [(target, names[""]) for target, names in self.named_statistics(file, column, [""])]

    def named_statistics(self, file: ResultFile, column: Any, statistics: Sequence[str]
                         ) -> list[tuple[Target, dict[str, str]]]:
        """``(target, {statistic: output name})`` for every target, as :meth:`named_targets`,
        with several outputs per target: the statistic fills ``{statistic}``, or is appended
        when more than one is given (a repeat counts) and the label has no placeholder for it.
        Every name is distinct over all targets and statistics (or this raises
        ``ResultFileError``).

        The answer depends only on the file's catalogue, the column and the statistics: files
        that share one catalogue object (the archive source's files of one layout) get the
        answer worked out for the last of them (kept per extractor instance, one entry)."""
        catalogue = file.catalogue()
        wanted_key = tuple(statistics)
        kept = self.__dict__.get("_named_kept")
        if (kept is not None and kept[0] is catalogue and kept[1] is column
                and kept[2] == wanted_key):
            return list(kept[3])
        named = self._named_statistics(file, column, statistics)
        # Replaced whole (one tuple): threads sharing the extractor see one entry or another.
        self.__dict__["_named_kept"] = (catalogue, column, wanted_key, tuple(named))
        return named

    def _named_statistics(self, file: ResultFile, column: Any, statistics: Sequence[str]
                          ) -> list[tuple[Target, dict[str, str]]]:
        from orcapost.errors import ResultFileError
        from orcapost.extraction import namer_for, targets

        found = list(targets(file, column))
        wanted = list(dict.fromkeys(statistics))
        # Several statistics as given (a repeat included) name the statistic, as they did before
        # this helper and as output_names() (orcapost.names.series_names) says they do.
        namer = namer_for(column.label, found, ["statistic"] if len(statistics) > 1 else [])
        named: list[tuple[Target, dict[str, str]]] = []
        owner: dict[str, str] = {}
        for target in found:
            names = {}
            for statistic in wanted:
                name = namer(object=target.obj.name, variable=target.var.name,
                             statistic=statistic)
                what = f"{target.obj.name} / {target.var.name} {statistic}".rstrip()
                if name in owner:
                    raise ResultFileError(
                        f"label {column.label!r} names both {owner[name]} and {what} "
                        f"{name!r}: put {{object}}, {{variable}} (and {{statistic}}) in it")
                owner[name] = what
                names[statistic] = name
            named.append((target, names))
        return named


@dataclass(frozen=True)
class Decision:
    """A thread policy's decision: how many files at once, why, and the figures behind it
    (all three written to the run report)."""

    concurrency: int
    reason: str | None = None
    measurement: dict[str, Any] = field(default_factory=dict)


def as_decision(value: Decision | int) -> Decision:
    """A policy's answer as a :class:`Decision` (a plain int is a decision without a reason)."""
    return value if isinstance(value, Decision) else Decision(int(value))


class ThreadPolicy(Component[OptionsT]):
    """Decides how many files are processed at once. Runs on the coordinating thread.

    ``initial`` and ``update`` return a :class:`Decision` (or a plain ``int``).
    """

    #: What the run's executor provides (set by the engine with :meth:`bind` before
    #: :meth:`initial`); None outside a run.
    capacity: Capacity | None = None

    def bind(self, capacity: Capacity) -> None:
        """The run's executor capacity (slots, cores, memory), before :meth:`initial`."""
        self.capacity = capacity

    @abstractmethod
    def initial(self, files: Sequence[FileInfo]) -> Decision | int:
        """Concurrency to start with (the engine caps it by the file count and the
        executor's slots)."""

    def ceiling(self, files: Sequence[FileInfo]) -> int:
        """The most workers this policy will ever ask for (the executor's size)."""
        return as_decision(self.initial(files)).concurrency

    def update(self, context: RunContext) -> Decision | int | None:
        """Called after each file completes; return a new decision, or None to keep it."""
        return None


class MemoryOptimizer(Component[OptionsT]):
    """One link of the memory chain.

    Two sides, each optional: on the coordinating thread, :meth:`admit` (may a file start?)
    and :meth:`file_done` (learn from a finished file); on the worker, :meth:`shrink` (make a
    kept value smaller before it leaves the worker). In a threads run one instance serves both
    sides; a worker process builds its own from the same options.
    """

    def bind(self, executor: Executor) -> None:  # noqa: B027 - optional
        """The run's executor, before the first file: its :meth:`Executor.capacity` and
        :meth:`Executor.memory` are where the workers' memory is read (not this machine's,
        when the workers are elsewhere)."""

    def worker_limit(self, capacity: Capacity, files: Sequence[FileInfo]) -> int | None:
        """The most workers the run may start (None: no limit of this optimizer's). Asked
        once, before the executor starts its workers: an executor of worker processes never
        starts more than this."""
        return None

    def admit(self, file: FileInfo, in_flight: Sequence[FileInfo]) -> bool:
        """May ``file`` start now, with ``in_flight`` already running? Never blocks."""
        return True

    def file_done(self, result: FileResult) -> None:  # noqa: B027 - optional
        """Learn from a finished file."""

    def shrink(self, value: Any) -> Any:
        """A value an extractor returned, made smaller to keep (on the worker). Identity by
        default; only optimizers that override it are applied to values."""
        return value

    @classmethod
    def shrinks_values(cls) -> bool:
        """Whether this optimizer overrides :meth:`shrink` (values then pass through it)."""
        return cls.shrink is not MemoryOptimizer.shrink


class IOScheduler(Component[OptionsT]):
    """Orders the files, and may pace their reads. Runs on the coordinating thread."""

    @abstractmethod
    def order(self, files: Sequence[FileInfo]) -> list[FileInfo]:
        """The files in the order they are to be submitted (before the first task)."""

    def may_start(self, file: FileInfo, in_flight: Sequence[FileInfo]) -> bool:
        """May ``file`` start now beside ``in_flight`` (e.g. a cap on concurrent large
        reads)? A file held back is tried again later; the engine looks further down the
        queue for one that may start."""
        return True

    def read_ahead(self, queued: Sequence[FileInfo],  # noqa: B027 - optional
                   context: RunContext) -> None:
        """Called after each round of submissions with the files still queued (e.g. to warm
        the page cache for the next ones). Must not block."""

    def close(self) -> None:  # noqa: B027 - optional
        """The run is over: release what the scheduler holds (threads, handles)."""


@dataclass(frozen=True)
class Capacity:
    """What an executor's workers can take: the engine, thread policies, memory admission and
    small-file batching read this, never the coordinator's own machine directly."""

    #: Files that can run at once (None: as many as asked -- threads of this process).
    slots: int | None
    #: Worker processes (None: threads of the coordinator's process).
    workers: int | None
    #: Cores the workers run on (the coordinator's for threads and processes, the cluster's
    #: threads for dask): CPU-bound batches of small files run at most one per core.
    cpu_count: int
    #: Memory the workers may use in all, and each (bytes); None: not known.
    memory_total: int | None = None
    memory_per_worker: int | None = None
    #: Whether each worker is a process of its own (whose own resident memory counts).
    separate_processes: bool = False
    #: Resident memory one worker process holds before any file (measured or estimated).
    worker_memory: int = 0
    #: Whether the workers run on this machine (its memory readings are theirs).
    local: bool = True
    #: Tasks a worker may hold waiting behind the one it runs (the slots count them): it
    #: starts the next the moment one ends. A task's ``engine.file_timeout`` then also covers
    #: the wait, so the engine allows it ``1 + queued`` times the timeout.
    queued: int = 0
    #: Seconds a task may wait inside the pool for its turn before it starts (a pool whose
    #: files take turns, ``orcapost.api.TurnPool``): the engine adds it to the task's
    #: ``engine.file_timeout``, which counts from the submission.
    turn_wait: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"slots": self.slots, "workers": self.workers, "cpu_count": self.cpu_count,
                "memory_total": self.memory_total, "memory_per_worker": self.memory_per_worker,
                "separate_processes": self.separate_processes,
                "worker_memory": self.worker_memory, "local": self.local,
                "queued": self.queued, "turn_wait": self.turn_wait}


@dataclass(frozen=True)
class MemoryState:
    """The workers' memory now: ``used`` by the run (coordinator and local workers, or the
    cluster's workers), ``available`` to new allocations where the workers run (bytes)."""

    used: int
    available: int


class Executor(Component[OptionsT]):
    """Where files run (``engine.executor``): provides a plain
    :class:`concurrent.futures.Executor` and says what it can take (:class:`Capacity`).

    Every method runs on the coordinating thread. The engine calls :meth:`open` once per run
    (before any worker starts), :meth:`start` for the pool (again to replace a pool whose
    worker died), :meth:`probe` once on the first pool, and :meth:`close` at the end.
    Results come back as plain picklable data; the coordinator alone writes outputs.
    """

    def fit(self, files: list[FileInfo], pm: Any,  # noqa: B027 - optional
            sources: Mapping[str, Any] | None = None) -> None:
        """Called before :meth:`open` with the run's files (after the I/O scheduler ordered
        them), the plugin manager and the run's sources (file suffix, lower case with its dot
        -> the :class:`Source` instance that reads it as the config set it up, None where no
        source does): an executor may size its workers by the campaign (the ``threads``
        executor starts worker processes only for large CPU-bound campaigns, and keeps large
        files on threads only when their source reads them in place,
        ``Source.reads_in_place``). An executor may leave ``sources`` out of its signature
        (``fit(self, files, pm)``): it is then called without it. Default: nothing."""

    @abstractmethod
    def open(self) -> Capacity:
        """Prepare for a run (e.g. connect to a cluster, start a local one); return the
        capacity."""

    @abstractmethod
    def capacity(self) -> Capacity:
        """The capacity now: what :meth:`open` gave, refined once measured (e.g. a worker
        process's own memory)."""

    @abstractmethod
    def start(self, workers: int) -> futures.Executor:
        """A pool for at most ``workers`` files at once (never more worker processes)."""

    def probe(self, pool: futures.Executor,
              task: Callable[[], dict[str, Any]]) -> Mapping[str, dict[str, Any]]:
        """Run ``task`` (a picklable check: plugins, versions, memory) on the workers; return
        its result by worker name. Default: nothing to check (threads share this process)."""
        return {}

    def timed_out(self, pool: futures.Executor, future: futures.Future) -> str | None:
        """``future``'s task ran past ``engine.file_timeout`` and was given up: free the worker
        running it if this executor can (dask restarts that worker); may take a moment, the
        coordinator waits for it. Returns what was done, for the run report's decision (None:
        nothing: the engine kills a process pool's workers itself; a thread is abandoned)."""
        return None

    def memory(self) -> MemoryState:
        """The workers' memory now (may be a reading up to a few tenths of a second old)."""
        from orcapost.monitor import available_memory, process_rss

        return MemoryState(used=process_rss(), available=available_memory())

    def metrics(self) -> dict[str, Any]:
        """Live figures for progress and the run report (e.g. memory per worker); cheap."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional
        """The run is over: release what the executor holds (a cluster, a client)."""


class TableLayout:
    """How a sink's tables are named and laid out: a named table-to-table transform (e.g.
    the legacy summary layout). A plain class: a sink returns its layout from
    :meth:`Sink.layout`. Tables are laid out once per run for each :meth:`key`, however many
    sinks share it.
    """

    name: ClassVar[str] = "plain"

    def key(self) -> str:
        """Identifies this layout and its settings: sinks with equal keys share tables."""
        return self.name

    def file_stem(self, table: str, context: RunContext) -> str:
        """The file name (without suffix) of the table named ``table``."""
        return context.config.outputs.naming.format(group=table, config=context.config_stem)

    def lay_out(self, table: str, data: pa.Table, tables: Any) -> pa.Table:
        """The table named ``table`` as this layout writes it. ``tables`` is the run's
        :class:`~orcapost.tables.RunTables` (a group's value columns, the config)."""
        return data


class Sink(Component[OptionsT]):
    """Writes a run's finished tables in one format (``outputs.formats``). A sink only writes.

    The host builds every table once per run, lays it out with the sink's :meth:`layout` and
    calls :meth:`write` for each, on the coordinating thread, with a staging folder: it then
    moves what the sink wrote into the output folder, atomically.
    """

    #: File suffix, with the dot (``.csv``).
    suffix: ClassVar[str] = ""

    def preflight(self) -> None:  # noqa: B027 - optional
        """Check, once per run and before any file is read, that this sink can write at all
        (e.g. that the library it writes with is installed). Raise
        :class:`~orcapost.errors.OrcapostError` to stop the run with one message (exit 2)."""

    def open(self, context: RunContext) -> None:  # noqa: B027 - optional
        """Called before the first table of a run is written."""

    def layout(self) -> TableLayout:
        """How this sink's tables are named and laid out (default: as they are)."""
        return TableLayout()

    def path_for(self, stem: str, directory: Path) -> Path:
        """Where the table with file name ``stem`` goes in ``directory``."""
        return Path(directory) / f"{stem}{self.suffix}"

    @abstractmethod
    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        """Write ``table`` as the file named ``name`` (no suffix) in ``directory``; return
        the path written (:meth:`path_for`)."""

    def finish(self, directory: Path) -> None:  # noqa: B027 - optional
        """Called once after the last :meth:`write` of a result set, with the same
        ``directory``: a sink that puts every table in one file (a workbook) writes it here,
        at the path its :meth:`write` calls returned."""


class Reporter(Component[OptionsT]):
    """Shows progress. Every method runs on the coordinating thread, called from the run
    hooks: ``orcapost_run_start`` (:meth:`start`), ``orcapost_file_started``,
    ``orcapost_file_done``, ``orcapost_heartbeat`` and ``orcapost_run_summary``
    (:meth:`finish`)."""

    def start(self, context: RunContext) -> None:  # noqa: B027 - optional
        pass

    def file_started(self, file: FileInfo) -> None:  # noqa: B027 - optional
        pass

    def file_done(self, result: FileResult) -> None:  # noqa: B027 - optional
        pass

    def heartbeat(self, context: RunContext) -> None:  # noqa: B027 - optional
        """Called about twice a second while files run, for live figures."""

    def finish(self, summary: RunSummary) -> None:  # noqa: B027 - optional
        pass


class Reduction(Component[OptionsT]):
    """A campaign reduction (``campaign[].reductions[].kind``): one group of rows -> values.

    ``Options`` subclasses :class:`orcapost.schemas.config.ReductionOptions` (``columns``
    patterns). ``reduce`` runs on the coordinating thread after every file is done.
    """

    #: Modules ``reduce`` imports at first use (kept out of the plugin's import to keep it
    #: cheap): while worker processes run files, the engine imports them in the background,
    #: so the tables at the end do not wait for them (``orcapost.warmup``).
    imports: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def reduce(self, column: str, values: Any, rows: Any) -> dict[str, Any]:
        """Output suffix -> value for one value column over one group of rows.

        :param column: the value column's name in the result group's table.
        :param values: its values in this group of rows, a float64 numpy array (NaN where a
            file has no value).
        :param rows: the group's rows, a :class:`pyarrow.Table` (metadata columns included).
        :return: suffix -> value; the campaign table's column is ``"<column> <suffix>"``.
        """

    def unit(self, suffix: str, unit: str | None) -> str | None:
        """The unit of output ``suffix`` of a value column in ``unit`` (None: unknown): by
        default the column's own (a max, a mean, a fitted extreme). Override for outputs in
        another unit (a count, a damage, years)."""
        return unit


#: Component kinds, in the order ``orcapost plugins`` shows them.
COMPONENT_KINDS: dict[str, type[Component]] = {
    "source": Source,
    "extractor": Extractor,
    "thread_policy": ThreadPolicy,
    "memory_optimizer": MemoryOptimizer,
    "io_scheduler": IOScheduler,
    "executor": Executor,
    "sink": Sink,
    "reporter": Reporter,
    "reduction": Reduction,
}
