"""Base classes of the components a plugin registers by name.

A component is a class with a ``name`` and an ``Options`` model (its own validated options,
``extra="forbid"``). Config picks a component by name and gives its options; the host builds
the component with those options. The class docstring's first line is its summary in
``orcapost plugins``.

Kinds: sources (readers by file type), extractors (result column kinds), thread policies,
memory optimizers, I/O schedulers, sinks, progress reporters and campaign reductions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from orcapost.schemas.base import StrictModel

if TYPE_CHECKING:
    from orcapost.extraction import Target
    from orcapost.resultfile import ResultFile
    from orcapost.results import FileInfo, FileResult, RunContext, RunSummary


class Component(ABC):
    """Common base: a name, an options model, and the validated options."""

    name: ClassVar[str]
    Options: ClassVar[type[StrictModel]] = StrictModel

    def __init__(self, options: StrictModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


class Source(Component):
    """Opens result files of the types listed in ``suffixes`` (lower case, with the dot)."""

    suffixes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def open(self, path: Path) -> ResultFile:
        """Open ``path`` on the calling worker thread. Raise to fail the file at stage "open"."""

    def preflight(self, files: Sequence[FileInfo]) -> None:  # noqa: B027 - optional
        """Check, once per run and before anything is written, that this source can read
        ``files`` at all (e.g. that OrcFxAPI loads). Raise :class:`~orcapost.errors.OrcapostError`
        to stop the run with one message (exit 2); per-file problems belong in :meth:`open`."""


class Extractor(Component):
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
        when there is more than one and the label has no placeholder for it. Every name is
        distinct over all targets and statistics (or this raises ``ResultFileError``)."""
        from orcapost.errors import ResultFileError
        from orcapost.extraction import namer_for, targets

        found = list(targets(file, column))
        wanted = list(dict.fromkeys(statistics))
        namer = namer_for(column.label, found, ["statistic"] if len(wanted) > 1 else [])
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


class ThreadPolicy(Component):
    """Decides how many files are processed at once. Runs on the coordinating thread."""

    @abstractmethod
    def initial(self, files: Sequence[FileInfo]) -> int:
        """Concurrency to start with (the engine caps it by the file count)."""

    def ceiling(self, files: Sequence[FileInfo]) -> int:
        """The most workers this policy will ever ask for (the executor's size)."""
        return self.initial(files)

    def update(self, context: RunContext) -> int | None:
        """Called after each file completes; return a new concurrency, or None to keep it."""
        return None


class MemoryOptimizer(Component):
    """One link of the memory chain. Runs on the coordinating thread."""

    def admit(self, file: FileInfo, in_flight: Sequence[FileInfo]) -> bool:
        """May ``file`` start now, with ``in_flight`` already running? Never blocks."""
        return True

    def file_done(self, result: FileResult) -> None:  # noqa: B027 - optional
        """Learn from a finished file."""


class IOScheduler(Component):
    """Orders the files. Runs on the coordinating thread before the first task."""

    @abstractmethod
    def order(self, files: Sequence[FileInfo]) -> list[FileInfo]:
        """The files in the order they are to be submitted."""


class Sink(Component):
    """Writes results. ``add`` is called on the coordinating thread as each file finishes."""

    def open(self, context: RunContext) -> None:  # noqa: B027 - optional
        pass

    @abstractmethod
    def add(self, result: FileResult) -> None:
        """Take one file's result (failed files included)."""

    @abstractmethod
    def close(self, summary: RunSummary) -> list[Path]:
        """Finish writing; return the paths written."""


class Reporter(Component):
    """Shows progress. Every method runs on the coordinating thread."""

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


class Reduction(Component):
    """A campaign reduction (``campaign[].reductions[].kind``): one group of rows -> values.

    ``Options`` subclasses :class:`orcapost.schemas.config.ReductionOptions` (``columns``
    patterns). ``reduce`` runs on the coordinating thread after every file is done.
    """

    @abstractmethod
    def reduce(self, column: str, values: Any, rows: Any) -> dict[str, Any]:
        """Output suffix -> value for one value column over one group of rows.

        :param column: the value column's name in the result group's table.
        :param values: its values in this group of rows, a float64 numpy array (NaN where a
            file has no value).
        :param rows: the group's rows, a :class:`pyarrow.Table` (metadata columns included).
        :return: suffix -> value; the campaign table's column is ``"<column> <suffix>"``.
        """


#: Component kinds, in the order ``orcapost plugins`` shows them.
COMPONENT_KINDS: dict[str, type[Component]] = {
    "source": Source,
    "extractor": Extractor,
    "thread_policy": ThreadPolicy,
    "memory_optimizer": MemoryOptimizer,
    "io_scheduler": IOScheduler,
    "sink": Sink,
    "reporter": Reporter,
    "reduction": Reduction,
}
