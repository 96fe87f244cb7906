"""The per-file task: open one file, run every extraction, close it -- all on one worker.

OrcaFlex models have thread affinity (a model may only be used by the thread that loaded it), so
a file is never handed between threads: :meth:`FileTask.execute` opens, extracts and closes on
the calling worker. It never raises for a bad file; it returns a failed :class:`FileResult`.

With ``--resume`` a task may carry cells reused from the journal (:attr:`FileTask.reused`,
group -> column index -> output name -> value): those columns are not extracted again, and
their cells are merged with the computed ones, in config order, into the one result.

The default ``orcapost_process_file`` (which calls :meth:`FileTask.execute`) is the built-in
plugin ``orcapost.plugins.process_file``.
"""

from __future__ import annotations

import math
import os
import stat
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from orcapost import pywarnings
from orcapost.criteria import criteria_cells
from orcapost.derived_file import DerivedChannels, with_derived
from orcapost.errors import ResultFileError
from orcapost.filtering import filtered_file
from orcapost.fingerprints import file_identity
from orcapost.results import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_PARTIAL,
    Failure,
    FileInfo,
    FileResult,
    plain,
)
from orcapost.tables import TABLE_LAYOUTS, TABLE_MARKER, is_extra_table
from orcapost.units import split_units


@dataclass(frozen=True)
class PlanSpec:
    """Picklable description of what to extract; a worker process rebuilds the plan from it."""

    key: str
    config_data: dict[str, Any]
    base_directory: str


@dataclass
class Plan:
    """What every file gets: the validated groups of columns and their extractors."""

    spec: PlanSpec
    pm: Any
    groups: list[tuple[str, list[tuple[Any, Any]]]]
    #: ``shrink(value)`` of the memory optimizers that make kept values smaller (in config order).
    shrinkers: list[Any] = field(default_factory=list)
    #: Validated source entries from ``inputs.sources`` by source name.
    source_options: dict[str, Any] = field(default_factory=dict)
    #: The plugin that registered each extractor kind, to name in a bad output's reason.
    extractor_plugins: dict[str, str] = field(default_factory=dict)
    #: The config's derived channels (``derived:``), added to every file opened.
    derived: DerivedChannels | None = None
    _sources: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _process_file: Any = None

    @classmethod
    def build(cls, pm, config_model, spec: PlanSpec, optimizers=None) -> Plan:
        """The plan of a config. ``optimizers``: the run's memory optimizers, when the plan is
        built in the coordinator's process (threads share them); a worker process builds its
        own from the config."""
        registry = pm.registry
        groups = []
        for group_name, group in config_model.results.items():
            columns = [(column, registry.create("extractor", column, tag="kind"))
                       for column in group.columns]
            groups.append((group_name, columns))
        if optimizers is None:
            optimizers = [registry.create("memory_optimizer", entry)
                          for entry in config_model.engine.memory_optimizers]
        shrinkers = [opt.shrink for opt in optimizers if opt.shrinks_values()]
        source_options = {entry.name: entry for entry in config_model.inputs.sources}
        plugins = {entry.name: entry.plugin for entry in registry.all("extractor")}
        derived = DerivedChannels(getattr(config_model, "derived", None) or {})
        return cls(spec=spec, pm=pm, groups=groups, shrinkers=shrinkers,
                   source_options=source_options, extractor_plugins=plugins,
                   derived=derived or None)

    def shrink(self, value: Any) -> Any:
        """``value`` through the memory optimizers that make kept values smaller."""
        for shrink in self.shrinkers:
            value = shrink(value)
        return value

    def process_file(self) -> Any:
        """How this plan's files call ``orcapost_process_file(task)``: the built-in directly
        when nothing else implements it, else pluggy (:func:`orcapost.dispatch.process_file_caller`).
        Chosen at the first file: the plugins are fixed while a run is active."""
        if self._process_file is None:
            from orcapost.dispatch import process_file_caller

            self._process_file = process_file_caller(self.pm)
        return self._process_file

    def source(self, suffix: str):
        """The source instance for a suffix (one per plan, shared by workers: stateless)."""
        with self._lock:
            if suffix not in self._sources:
                entry = self.pm.registry.source_for(suffix)
                if entry is None:
                    self._sources[suffix] = None
                elif entry.name in self.source_options:
                    self._sources[suffix] = self.pm.registry.create(
                        "source", self.source_options[entry.name])
                else:
                    self._sources[suffix] = entry.cls()
            return self._sources[suffix]


#: Plans of this process by key. Threads share the host's plan; a worker process builds its own.
_PLANS: dict[str, Plan] = {}
_PLANS_LOCK = threading.Lock()


def register_plan(plan: Plan) -> None:
    with _PLANS_LOCK:
        _PLANS[plan.spec.key] = plan


def forget_plan(key: str) -> None:
    with _PLANS_LOCK:
        _PLANS.pop(key, None)


def new_plan_key() -> str:
    return uuid.uuid4().hex


#: The plugin manager a worker process started early loaded before its first plan
#: (:func:`prepare_worker`); the first plan built there takes it.
_PREPARED_PM: Any = None


def prepare_worker() -> None:
    """In a worker process started before the run's plan exists (``orcapost run`` spawns them
    as it starts): import what a file needs and load the plugins now, so that the probe and the
    first file only validate the config and build the plan."""
    global _PREPARED_PM
    from orcapost.pluginmanager import get_plugin_manager

    with _PLANS_LOCK:
        if _PREPARED_PM is None:
            _PREPARED_PM = get_plugin_manager()


def _prepared_plugin_manager() -> Any:
    global _PREPARED_PM
    with _PLANS_LOCK:
        pm, _PREPARED_PM = _PREPARED_PM, None
    return pm


def _plan_for(spec: PlanSpec) -> Plan:
    with _PLANS_LOCK:
        plan = _PLANS.get(spec.key)
    if plan is not None:
        return plan
    # A fresh worker process (spawned): load plugins and validate the config again here.
    from orcapost.config import validate_data
    from orcapost.pluginmanager import get_plugin_manager

    pm = _prepared_plugin_manager() or get_plugin_manager()
    loaded = validate_data(spec.config_data, pm.registry,
                           base_directory=Path(spec.base_directory))
    plan = Plan.build(pm, loaded.model, spec)
    register_plan(plan)
    return plan


#: Cells reused from the journal for one file: group -> column index -> output name -> value.
Reused = dict[str, dict[int, dict[str, Any]]]


def run_file(spec: PlanSpec, file: FileInfo, reused: Reused | None = None) -> FileResult:
    """Executor entry point (module level, so it pickles under spawn). ``reused``: cells of
    this file's columns that ``--resume`` takes from the journal instead of computing.

    A plugin's ``orcapost_process_file`` that raises fails this file, naming the plugin (with
    the traceback for the run report), instead of passing for a dead worker."""
    plan = _plan_for(spec)
    task = FileTask(file=file, plan=plan, reused=reused)
    try:
        return plan.process_file()(task)
    except Exception as exc:
        plugin = _raising_plugin(plan.pm.hook.orcapost_process_file, exc)
        result = FileResult(path=str(file.path), size=file.size, status=STATUS_FAILED,
                            worker=threading.current_thread().name)
        result.failures.append(Failure(
            result.path, "process",
            f"{plugin} failed in orcapost_process_file: {_reason(exc)}; the file is not "
            "processed", traceback=_unforeseen(exc) or _traceback(exc)))
        return result


def _raising_plugin(hook: Any, exc: BaseException) -> str:
    """Which implementation of ``hook`` raised ``exc`` (the innermost in its traceback)."""
    codes = {impl.function.__code__: impl.plugin_name for impl in hook.get_hookimpls()
             if hasattr(impl.function, "__code__")}
    name = None
    tb = exc.__traceback__
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code, name)
        tb = tb.tb_next
    return f"plugin {name!r}" if name else "a plugin"


def run_files(spec: PlanSpec, files: list[FileInfo],
              reused: dict[str, Reused] | None = None) -> list[FileResult]:
    """Executor entry point for a batch of small files: each opened, extracted and closed in
    turn on this one worker, exactly as :func:`run_file` does for one. ``reused``: by file
    path, the cells ``--resume`` reuses (plain data, so it pickles with the batch)."""
    reused = reused or {}
    return [run_file(spec, file, reused.get(str(file.path))) for file in files]


#: Files at least this big have their memory growth measured (a psutil call costs more than a
#: tiny file's whole extraction).
MEASURE_MEMORY_BYTES = 1_000_000


_HOST: str | None = None
#: ``(pid, "host:pid")`` of the process that last asked (a forked child asks again).
_PROCESS: tuple[int, str] | None = None


def _process_name() -> str:
    """``host:pid`` of this worker process (worked out once per process)."""
    global _HOST, _PROCESS
    pid = os.getpid()
    if _PROCESS is not None and _PROCESS[0] == pid:
        return _PROCESS[1]
    if _HOST is None:
        import socket

        _HOST = socket.gethostname()
    _PROCESS = (pid, f"{_HOST}:{pid}")
    return _PROCESS[1]


def _rss() -> int:
    from orcapost.monitor import process_rss

    return process_rss(include_children=False)


@dataclass
class FileTask:
    file: FileInfo
    plan: Plan
    #: Cells reused from the journal (``--resume``): these columns are not extracted.
    reused: Reused | None = None

    def execute(self) -> FileResult:
        """Open, extract, close on this thread. Never raises for a problem with the file.

        Python warnings raised meanwhile (numpy's RuntimeWarning, an extractor's own) are
        counted into the result's ``warnings`` by group and column (:mod:`orcapost.pywarnings`),
        for the run report, instead of being printed."""
        with pywarnings.collecting() as caught:
            result = self._execute()
        result.warnings = caught.rows()
        return result

    def _execute(self) -> FileResult:
        path = self.file.path if isinstance(self.file.path, Path) else Path(self.file.path)
        result = FileResult(path=str(path), size=self.file.size,
                            worker=threading.current_thread().name, started_at=time.time(),
                            process=_process_name())
        started = time.perf_counter()
        rss_before = _rss() if self.file.size >= MEASURE_MEMORY_BYTES else None
        before = _stat(path)  # the file as it is opened, compared with it after close
        opened = self._open(path, result, started, before)
        if opened is None:
            return result
        result.timings["open"] = time.perf_counter() - started
        extract_start = time.perf_counter()
        try:
            result.simulation_state = opened.state()
            result.load_case = {k: plain(v) for k, v in opened.load_case().items()}
            reused = self.reused or {}
            for group_name, columns in self.plan.groups:
                self._extract_group(opened, result, group_name, columns,
                                    reused.get(group_name, {}))
        except Exception as exc:
            result.failures.append(Failure(result.path, "extract", _reason(exc),
                                           traceback=_unforeseen(exc)))
        finally:
            if rss_before is not None:  # before close: what the open file holds
                result.memory_growth = max(0, _rss() - rss_before)
                result.worker_rss = rss_before
            close_start = time.perf_counter()
            try:
                opened.close()
            except Exception as exc:
                result.failures.append(Failure(result.path, "close", _reason(exc)))
            result.closed_at = time.time()
            result.timings["close"] = time.perf_counter() - close_start
        result.timings["extract"] = close_start - extract_start
        change = _changed(path, before)
        if change is not None:  # what was read may mix two versions: none of it is kept
            result.values, result.outputs, result.failures = {}, {}, []
            result.units = {}
            result.load_case, result.simulation_state = {}, None
            result.reused = 0
            return self._failed(result, "extract", change, started)
        result.timings["total"] = time.perf_counter() - started
        result.status = status_of(result)
        return result

    def _open(self, path: Path, result: FileResult, started: float,
              before: os.stat_result | None) -> Any:
        """The opened file, or None with ``result`` failed at stage "open" (with the reason).
        ``before``: the file's stat just taken (None: no such file)."""
        if self.file.reason is not None:  # found, but not readable: never opened (a FIFO blocks)
            self._failed(result, "open", self.file.reason, started)
            return None
        source = self.plan.source(path.suffix.lower())
        if source is None:
            known = sorted(s for e in self.plan.pm.registry.all("source") for s in e.cls.suffixes)
            self._failed(result, "open", (
                f"no source reads {path.suffix or 'suffix-less'} files "
                f"(readable: {', '.join(known)})"
            ), started)
            return None
        if before is None or not stat.S_ISREG(before.st_mode):  # what path.is_file() said
            self._failed(result, "open", "file not found", started)
            return None
        # The identity of the file as it is read: from the source's own open and bytes when
        # it gives one (no second open, stat and read of each file), else hashed here first.
        identifies = getattr(source, "identifies_files", False)
        if not identifies:
            result.identity = file_identity(path)  # before the open: the file as it is read
        result.opened_at = time.time()
        try:
            raw = source.open(path)
            if identifies:
                try:
                    result.identity = raw.read_identity() or file_identity(path)
                except BaseException:
                    raw.close()
                    raise
            return with_derived(raw, self.plan.derived)
        except Exception as exc:  # every open problem becomes a failure row
            if identifies and result.identity is None:  # as when hashed before the open
                result.identity = file_identity(path)
            self._failed(result, "open", _reason(exc), started)
            result.failures[-1].traceback = _unforeseen(exc)
            return None

    def _extract_group(self, opened: Any, result: FileResult, group_name: str,
                       columns: list[tuple[Any, Any]], kept: dict[int, dict[str, Any]]) -> None:
        """Every column of one group into ``result``: reused cells in their place, the others
        extracted; one column's problem is its own failure row, never the others'."""
        values = result.values.setdefault(group_name, {})
        outputs = result.outputs[group_name] = [None] * len(columns)
        #: Which column (its index) wrote each value name of the group.
        writers: dict[str, int] = {}
        for index, (column, extractor) in enumerate(columns):
            if index in kept:  # reused from the journal, in its place
                # Shrunk again as when computed: the journal holds float32 as numbers.
                values.update({name: self.plan.shrink(v) for name, v in kept[index].items()}
                              if self.plan.shrinkers else kept[index])
                outputs[index] = list(kept[index])
                result.reused += len(kept[index])
                writers.update(dict.fromkeys(kept[index], index))
                continue
            outputs[index] = []
            try:
                with pywarnings.in_column(group_name, column.label):
                    # A column's `filter` hands the extractor filtered series
                    # (orcapost.filtering).
                    origin = _Origin(self, extractor, column, group_name)
                    out, units = _split_units(
                        extractor.extract(filtered_file(opened, column), column), origin)
                out = checked_outputs(out, column, origin)
                criteria = criteria_cells(column, out)
                out.update(criteria)  # utilisation / pass beside each value
                _check_writers(out, index, columns, writers)
            except Exception as exc:  # one column's problem never loses the others
                result.failures.append(Failure(
                    file=result.path, stage="extract", reason=_reason(exc),
                    group=group_name, column=column.label, traceback=_unforeseen(exc),
                ))
                continue
            if self.plan.shrinkers:
                out = {name: self.plan.shrink(v) for name, v in out.items()}
                values.update({name: plain(v) for name, v in out.items()})
            elif criteria:
                values.update({name: plain(v) for name, v in out.items()})
            else:  # checked_outputs made every value a plain one already
                values.update(out)
            if units:
                result.units.setdefault(group_name, {}).update(units)
            outputs[index] = list(out)
            writers.update(dict.fromkeys(out, index))

    def _origin(self, extractor: Any, column: Any, group: str) -> str:
        kind = getattr(column, "kind", "") or getattr(extractor, "name", "?")
        plugin = self.plan.extractor_plugins.get(kind)
        by = f"plugin {plugin!r}" if plugin else f"class {type(extractor).__qualname__}"
        return f"extractor {kind!r} ({by}), group {group!r}, column {column.label!r}"

    def _failed(self, result: FileResult, stage: str, reason: str, started: float) -> FileResult:
        result.status = STATUS_FAILED
        result.failures.append(Failure(file=result.path, stage=stage, reason=reason))
        result.timings["total"] = time.perf_counter() - started
        return result


class _Origin:
    """Which extractor (and plugin), group and column a bad output came from: worded only when
    a reason needs it (it was worded twice per column and file, needed or not)."""

    __slots__ = ("task", "extractor", "column", "group")

    def __init__(self, task: FileTask, extractor: Any, column: Any, group: str) -> None:
        self.task, self.extractor, self.column, self.group = task, extractor, column, group

    def __str__(self) -> str:
        return self.task._origin(self.extractor, self.column, self.group)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _changed(path: Path, before: os.stat_result | None) -> str | None:
    """Why the file at ``path`` is not the one that was opened (None: it is unchanged).

    Compares the file before the open with the file now, after close: another file under the
    name (replaced, e.g. by rsync's rename), no file (deleted), another size (truncated or
    appended) or another modification time (overwritten in place)."""
    if before is None:
        return None
    now = _stat(path)
    advice = "its results are discarded; run again once the file is complete"
    if now is None:
        return f"the file was deleted while it was read: {advice}"
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        return f"the file was replaced while it was read (another file now has its name): {advice}"
    if now.st_size != before.st_size:
        return (f"the file changed while it was read: it is now {now.st_size} bytes, was "
                f"{before.st_size}; {advice}")
    if now.st_mtime_ns != before.st_mtime_ns:
        return f"the file changed while it was read (it was written to): {advice}"
    return None


def status_of(result: FileResult) -> str:
    """The status of an opened file's result: partial with failures, the simulation state
    when it did not finish, ok otherwise."""
    if result.failures:
        return STATUS_PARTIAL
    if result.simulation_state not in (None, "complete", "static"):
        return result.simulation_state  # "unfinished" / "unstable": never silent
    return STATUS_OK


#: The longest text value an extractor may return, in UTF-8 bytes (a cell, not a document).
MAX_TEXT_BYTES = 64 * 1024
_SCALARS = (bool, int, float, str, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)


class BadOutput(ResultFileError):
    """An extractor returned something that is no cell value: that column fails for the file."""


def checked_outputs(out: Any, column: Any, origin: object) -> dict[str, Any]:
    """An extractor's outputs, checked at the worker boundary (docs/plugins.md#what-an-extractor-returns).

    Returns ``{name: value}`` with numpy scalars made Python ones; raises :class:`BadOutput`,
    naming ``origin`` (extractor, plugin, group, column), for anything that is not a mapping of
    string names to a number, a string of at most :data:`MAX_TEXT_BYTES`, None or an extra
    table (:func:`orcapost.tables.extra_table`). A NaN or inf number fails too, unless the
    column says ``nan_policy: omit``: then the cell is left empty.
    """
    if not isinstance(out, Mapping):
        raise BadOutput(f"{origin}: returned {_kind(out)}, not a mapping of output names to "
                        "values")
    if _plain_finite(out):
        return dict(out)
    omit = getattr(column, "nan_policy", "fail") == "omit"
    checked: dict[str, Any] = {}
    for name, value in out.items():
        if not isinstance(name, str) or not name:
            raise BadOutput(f"{origin}: output name {name!r} is not a non-empty string")
        checked[name] = _cell(name, value, origin, omit)
    return checked


#: Value types :func:`_plain_finite` passes without a look at each value.
_NUMBERS = frozenset({float, int, bool})


def _plain_finite(out: Mapping) -> bool:
    """Whether every name is a non-empty string and every value a finite Python number: what
    :func:`_cell` passes unchanged, checked in C over the whole mapping (a wide file's column
    has thousands of outputs). NaN and inf propagate into the sum; a sum that overflows, or
    anything else, goes the long way, value by value."""
    if type(out) is not dict or "" in out or not {str}.issuperset(map(type, out)):
        return False
    if not _NUMBERS.issuperset(map(type, out.values())):
        return False
    try:
        return math.isfinite(sum(out.values(), 0.0))
    except OverflowError:  # an int too large for a float: finite, but let _cell say so
        return False


def _cell(name: str, value: Any, origin: object, omit: bool) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        if omit:
            return None
        raise BadOutput(f"{origin}: output {name!r} is {value}; a plugin's value must be "
                        "finite (nan_policy: omit leaves the cell empty instead)")
    if isinstance(value, str):
        if len(value) > MAX_TEXT_BYTES // 4 and len(value.encode("utf-8")) > MAX_TEXT_BYTES:
            raise BadOutput(f"{origin}: output {name!r} is a text of "
                            f"{len(value.encode('utf-8'))} bytes; at most {MAX_TEXT_BYTES} "
                            "(write long data as an extra table)")
        return value
    if isinstance(value, _SCALARS):
        return value
    if is_extra_table(value):
        problem = _extra_table_problem(value)
        if problem is not None:
            raise BadOutput(f"{origin}: output {name!r} is a malformed extra table: {problem}")
        return value
    raise BadOutput(f"{origin}: output {name!r} is {_kind(value)}; a value is a number, a "
                    "string, None or an extra table (orcapost.tables.extra_table)")


def _extra_table_problem(value: dict) -> str | None:
    title, layout, columns = value.get(TABLE_MARKER), value.get("layout"), value.get("columns")
    if not isinstance(title, str) or not title:
        return f"its name {title!r} is not a non-empty string"
    if layout not in TABLE_LAYOUTS:
        return f"layout {layout!r} is not one of {', '.join(TABLE_LAYOUTS)}"
    if not isinstance(columns, dict):
        return f"its columns are {_kind(columns)}, not a mapping of names to lists"
    units = value.get("units", {})
    if not isinstance(units, dict) or not all(
            isinstance(k, str) and isinstance(u, str) for k, u in units.items()):
        return "its units are not a mapping of column names to unit strings"
    lengths = set()
    for key, cells in columns.items():
        if not isinstance(key, str):
            return f"column name {key!r} is not a string"
        if not isinstance(cells, list):
            return f"column {key!r} is {_kind(cells)}, not a list (use extra_table)"
        lengths.add(len(cells))
        if _SCALAR_TYPES.issuperset(map(type, cells)):
            continue  # the usual column (extra_table's lists): checked in C, 3x faster
        for i, cell in enumerate(cells):
            if type(cell) in _SCALARS:
                continue
            if isinstance(cell, np.generic):
                cells[i] = cell.item()
            elif not isinstance(cell, _SCALARS):
                return f"column {key!r} row {i} is {_kind(cell)}, not a number, string or None"
    if len(lengths) > 1:
        return f"its columns have different lengths {sorted(lengths)}"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a numpy array (shape {value.shape})"
    return f"a {type(value).__module__ + '.' if type(value).__module__ != 'builtins' else ''}" \
           f"{type(value).__qualname__}"


def _split_units(out: Any, origin: object) -> tuple[Any, dict[str, str]]:
    """An extractor's outputs and the units it gave them (:func:`orcapost.units.with_units`);
    a malformed units entry fails the column like any bad output."""
    try:
        return split_units(out)
    except ValueError as exc:
        raise BadOutput(f"{origin}: {exc}") from None


def _check_writers(out: dict[str, Any], index: int, columns: list, writers: dict[str, int]) -> None:
    """A value name another column of the group already wrote fails this column (both named)."""
    if writers.keys().isdisjoint(out):  # no name written before (checked in C)
        return
    for name in out:
        first = writers.get(name)
        if first is not None and first != index:
            raise ResultFileError(
                f"output {name!r} of column {index} ({columns[index][0].label!r}) was already "
                f"written by column {first} ({columns[first][0].label!r}) of this group: "
                "give the columns labels that keep their names apart ({object}, {variable})")


def _traceback(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _unforeseen(exc: BaseException) -> str | None:
    """The traceback of an exception whose reason is not written for the user (a plugin's or
    orcapost's bug, not a worded :class:`ResultFileError`), else None."""
    if isinstance(exc, (ResultFileError, FileNotFoundError)):
        return None
    return _traceback(exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (ResultFileError, FileNotFoundError)):
        text = str(exc) if not isinstance(exc, FileNotFoundError) else "file not found"
        return text
    name = type(exc).__name__
    text = str(exc)
    return f"{name}: {text}" if text else name
