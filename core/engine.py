"""The file-level parallel engine.

A run goes through five phases, each a method of :class:`Engine`:

1. *prepare* -- discover the files, order them (I/O scheduler), set the initial concurrency
   (thread policy) and build the extraction plan;
2. *preflight* -- each source checks it can read its files at all, and each sink that it can
   write, before anything is written;
3. *replay* -- with ``--resume``, results journaled by an earlier run are taken back;
4. *loop* -- one task per file (small files in batches) on the ``concurrent.futures.Executor``
   the run's executor component provides (``engine.executor``: threads, processes, dask, or a
   plugin's), as many at once as the policy says, the executor's slots hold and the memory
   optimizers admit;
5. *shutdown* -- stop the workers, then ``orcapost_run_finish`` (outputs written) and
   ``orcapost_run_summary`` (outputs shown).

Everything that listens to a run -- the journal, the tables and their sinks, the run report,
the progress reporter, third-party plugins -- listens through the run hooks: the engine
registers its own listeners on the plugin manager for the length of the run (see
:mod:`orcapost.hookspecs`) and emits each event once.

Concurrency is enforced by how many tasks are submitted, not by the pool's size, so a policy can
change it while a run is going. Nothing computed is lost: every result is appended to a journal
in the output folder as it arrives, and tables are written atomically at the end (also after an
interruption).
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orcapost import pywarnings, shards
from orcapost.components import Capacity, Reporter, as_decision
from orcapost.config import LoadedConfig
from orcapost.discovery import discover
from orcapost.dispatch import direct_caller, process_file_caller
from orcapost.errors import OrcapostError
from orcapost.fingerprints import RunFingerprints
from orcapost.hookguard import RunHookGuard
from orcapost.journal import Journal, JournalWriter, Reuse
from orcapost.lock import RunLock
from orcapost.monitor import DEFAULT_INTERVAL, Monitor
from orcapost.names import PARTIAL_FOLDER, SHARD_RECORD_NAME, STAGING_PREFIX
from orcapost.outputs import TableWriter, unchanged_set
from orcapost.reporting import REPORTER_PLUGIN, ReporterListener
from orcapost.results import (
    STATUS_FAILED,
    STATUS_OK,
    Failure,
    FileInfo,
    FileResult,
    RunContext,
    RunSummary,
)
from orcapost.run_report import RunReportWriter
from orcapost.shards import Shard
from orcapost.signals import StopSignals
from orcapost.split import (
    SPLIT_MIN_BYTES,
    Claims,
    SplitFile,
    column_positions,
    may_split,
    merge_parts,
    part_count,
    run_part,
)
from orcapost.task import (
    Plan,
    PlanSpec,
    forget_plan,
    new_plan_key,
    register_plan,
    run_files,
)

#: The name every worker thread's name starts with.
WORKER_THREAD_PREFIX = "orcapost-worker"
#: Windows cannot wait on more than 61 worker processes (WaitForMultipleObjects limit).
WINDOWS_PROCESS_LIMIT = 61
HEARTBEAT_SECONDS = 0.5
#: Files smaller than this are submitted in batches: one task per file costs a submission, a
#: wake-up of the coordinator and a GIL hand-off each, which dominate on campaigns of tiny files.
SMALL_FILE_BYTES = 2_000_000
#: A batch holds at most this many files and this many bytes.
BATCH_MAX_FILES = 32
BATCH_MAX_BYTES = 8_000_000
#: Batches of small files run at most one per core of worker processes (one at a time on the
#: threads of one process), whatever the policy's concurrency: a batch is CPU-bound (its files
#: come from the page cache in microseconds), so more of them than cores only adds GIL
#: hand-offs. Measured on 2 cores, 5000 files of 10 KB: 15 batches at once took 9.0 s, one per
#: core 6.0 s (benchmarks/bench_core.py); on threads, one at a time less again (engine.py,
#: _open_executor). Larger files keep the policy's count.
SMALL_BATCHES_PER_CORE = 1


def small_batch_limit(cpu_count: int | None = None) -> int:
    """Batches of small files at once: one per core the executor's workers run on (the
    executor's capacity; this machine's cores without one)."""
    return max(1, (cpu_count or os.cpu_count() or 1) * SMALL_BATCHES_PER_CORE)


#: How far down the queue the engine looks for a file the I/O scheduler lets start when the
#: next one is held back (e.g. by the cap on concurrent large reads).
LOOKAHEAD_FILES = 64


def concurrency_cap(requested: int, files: int, executor: str,
                    platform: str = sys.platform) -> int:
    """The most files at once: what the policy asks, at most the file count, at least 1, and on
    Windows at most 61 worker processes."""
    cap = min(requested, files)
    if executor == "processes" and platform == "win32":
        cap = min(cap, WINDOWS_PROCESS_LIMIT)
    return max(1, cap)


def make_executor(kind: str, workers: int) -> Executor:
    """A plain executor: threads by default; processes always use spawn, as on Windows.
    (What the built-in ``threads`` and ``processes`` executors start; a test's
    ``executor_factory`` may replace it.)"""
    if kind == "processes":
        from orcapost.hybrid import quiet_worker

        if sys.platform == "win32":
            workers = min(workers, WINDOWS_PROCESS_LIMIT)
        # Ctrl-C reaches every process of the terminal's group: the coordinator stops the run
        # and kills its workers; a worker left to it would print a KeyboardInterrupt traceback.
        return ProcessPoolExecutor(max_workers=workers, initializer=quiet_worker,
                                   mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=WORKER_THREAD_PREFIX)


def busy_worker_threads(wait: float = 0.0) -> list[threading.Thread]:
    """Worker threads still running a file after their run ended: a file that timed out (a
    stuck call no thread can be stopped in) or was in flight when the run was interrupted.
    Python would wait for them at exit; the command line exits without waiting instead."""
    deadline = time.monotonic() + wait
    busy = []
    for thread in threading.enumerate():
        if thread.name.startswith(WORKER_THREAD_PREFIX) and thread.is_alive():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                busy.append(thread)
    return busy


def kill_workers(executor: Executor) -> None:
    """Kill the worker processes of a process pool (a stuck file's, or after an interruption:
    Python would otherwise wait for their files at exit). Other executors are left alone."""
    if not isinstance(executor, ProcessPoolExecutor):
        own = getattr(executor, "kill_workers", None)  # a pool with processes of its own
        if own is not None:
            with contextlib.suppress(Exception):
                own()
        return
    from orcapost.hybrid import kill_pool_processes

    kill_pool_processes(executor)


def output_directory_for(loaded: LoadedConfig) -> tuple[Path, Path]:
    model = loaded.model
    inputs = loaded.resolve(model.inputs.directory).resolve()
    outputs = loaded.resolve(model.outputs.directory).resolve()
    if not model.outputs.write_into_inputs and (outputs == inputs or inputs in outputs.parents):
        raise OrcapostError(
            f"the output folder {outputs} is inside the input folder {inputs}",
            hint="choose another outputs.directory (or --output), or set "
                 "outputs.write_into_inputs: true",
        )
    # orcapost replaces and removes these folders of the output folder whole (a partial set,
    # a staging folder): input files in one of them would be deleted by the run that reads them.
    for folder in (inputs, *inputs.parents):
        if folder.parent == outputs and (folder.name == PARTIAL_FOLDER
                                         or folder.name.startswith(STAGING_PREFIX)):
            raise OrcapostError(
                f"the input folder {inputs} is inside {folder}, a folder orcapost replaces "
                "whole in the output folder (its partial set or staging): a run would delete "
                "the inputs",
                hint="move the input files elsewhere, or choose another outputs.directory "
                     "(or --output)")
    return inputs, outputs


#: Plugin names of the run's own listeners (registered for the length of a run).
JOURNAL_PLUGIN = "orcapost.run.journal"
TABLES_PLUGIN = "orcapost.run.tables"
REPORT_PLUGIN = "orcapost.run.report"
#: The listeners whose failure leaves the run's outputs incomplete (exit code 3); the
#: reporter only shows progress, so its failure is a warning like any plugin's.
OWN_LISTENERS = frozenset({JOURNAL_PLUGIN, TABLES_PLUGIN, REPORT_PLUGIN})
#: Listeners whose per-file hooks the engine may call directly (orcapost.dispatch).
DIRECT_LISTENERS = OWN_LISTENERS | {REPORTER_PLUGIN}


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


@dataclass
class _Run:
    """The state of one run in progress (the engine's own bookkeeping)."""

    context: RunContext
    spec: PlanSpec
    plan: Plan
    #: With ``--resume``: by path, what the journal still holds for each file.
    previous: dict[str, Reuse]
    fingerprints: RunFingerprints | None = None
    pending: deque[FileInfo] = field(default_factory=deque)
    running: dict[Future, list[FileInfo]] = field(default_factory=dict)
    executor: Executor | None = None
    interrupted: bool = False
    #: The signal that stopped the run ("SIGINT", "SIGTERM", ...), if one did.
    stopped_by: str | None = None
    stop: StopSignals | None = None
    #: Set once the run has ended, however it ended (a background warm-up then gives up).
    ended: threading.Event = field(default_factory=threading.Event)
    last_beat: float = 0.0
    #: Every file discovered (a shard's run takes a share of them: ``context.files``).
    campaign: list[FileInfo] = field(default_factory=list)
    inputs_directory: Path | None = None
    #: An unchanged --resume: the published set is confirmed, nothing runs.
    confirmed: bool = False
    #: The run's journal writer, flushed once per task (one write per batch of files), and
    #: the guard that records its failure as the journal's own.
    journal: JournalWriter | None = None
    guard: RunHookGuard | None = None
    #: How the per-file hooks are called this run (pluggy's callers, or direct loops).
    file_started: Callable[..., Any] | None = None
    file_done: Callable[..., Any] | None = None


def run_sources(plan: Plan, files: list[FileInfo]) -> dict[str, Any]:
    """The source of each suffix among ``files`` (lower case, with its dot: ``.arrow``) as this
    run configured it (its options: an archive's ``memory_map``); None for a suffix no source
    reads."""
    suffixes = sorted({Path(file.path).suffix.lower() for file in files})
    return {suffix: plan.source(suffix) for suffix in suffixes}


def fit_executor(executor: Any, files: list[FileInfo], pm: Any,
                 sources: dict[str, Any]) -> None:
    """``executor.fit(files, pm, sources=...)``; an executor whose ``fit`` was written before it
    took the run's sources (``fit(files, pm)``) is called without them."""
    import inspect

    try:
        inspect.signature(executor.fit).bind(files, pm, sources=sources)
    except TypeError:
        executor.fit(files, pm)
    else:
        executor.fit(files, pm, sources=sources)


class Engine:
    """Runs one validated config with the components it names."""

    def __init__(
        self,
        pm,
        loaded: LoadedConfig,
        *,
        reporter: Reporter | None = None,
        resume: bool = False,
        executor_factory: Callable[[str, int], Executor] | None = None,
        monitor_interval: float | None = None,
        warn: Callable[[str], None] = _warn,
        shard: Shard | None = None,
    ) -> None:
        self.pm = pm
        self.loaded = loaded
        self.model = loaded.model
        registry = pm.registry
        engine = self.model.engine
        self.policy = registry.create("thread_policy", engine.thread_policy)
        self.scheduler = registry.create("io_scheduler", engine.io_scheduler)
        self.optimizers = [registry.create("memory_optimizer", spec)
                           for spec in engine.memory_optimizers]
        #: Where files run (``engine.executor``): provides the pool and its capacity.
        self.executor = registry.create("executor", engine.executor)
        self.sinks = [registry.create("sink", spec) for spec in self.model.outputs.formats]
        self.reporter = reporter
        self.resume = resume
        #: ``--shard I/N``: only the files of this shard run (:mod:`orcapost.shards`).
        self.shard = shard
        #: Pools from this factory instead of the executor component (tests inject pools).
        self.executor_factory = executor_factory
        self._cpu_count: int | None = None
        #: Batches of small files at once are one per core of these (None: this machine's).
        self._batch_cores: int | None = None
        self.monitor_interval = monitor_interval
        self.warn = warn
        #: A file taking longer than this (seconds) fails with stage "timeout"; None: never.
        self.file_timeout: float | None = engine.file_timeout
        #: Whether a large file of a source without thread affinity may be split by column
        #: across free worker threads (``engine.split_files``: auto, true, false;
        #: orcapost.split.may_split).
        self.split_files: bool | str = getattr(engine, "split_files", "auto")
        self.monitor: Monitor | None = None
        #: Plugin hook implementations that raised during the last run
        #: (:class:`orcapost.hookguard.PluginError`), also in the run report.
        self.plugin_errors: list = []
        #: The run report of the last run (also written to the output folder).
        self.report: dict | None = None
        #: The tables of the last run (:class:`orcapost.tables.RunTables`).
        self.tables: Any = None
        self._submitted_at: dict[str, float] = {}
        #: Files whose worker died, to run again alone; and the files already run again.
        self._quarantine: deque[FileInfo] = deque()
        self._retried: set[str] = set()
        #: The pool each running task was submitted to: a broken pool fails every task it
        #: holds, and only the first failure of the current pool replaces it.
        self._pool_of: dict[Future, Executor] = {}
        #: With ``--resume``: by path, the cells a file's task reuses (its other columns run).
        self._reused: dict[str, dict] = {}
        self._reused_units: dict[str, dict[str, dict[str, str]]] = {}
        #: When each running task times out (time.monotonic()), with a file timeout.
        self._deadlines: dict[Future, float] = {}
        #: Worker threads given up on in the last run (a file that timed out under threads).
        self._abandoned = 0
        #: The run in progress (its per-file hook callers), None between runs.
        self._run_now: _Run | None = None
        #: The parts of split files in flight: each part's future -> (its file, part index).
        self._split_of: dict[Future, tuple[SplitFile, int]] = {}
        #: The plan of the run being prepared (its sources say whether files may be split).
        self._plan_for_split: Plan | None = None

    # -- the run, phase by phase ------------------------------------------------------------
    def run(self) -> RunSummary:
        # What the last run leaves (report, tables, plugin errors, monitor) is this run's
        # from here on: nothing of an earlier run is left behind when this one fails.
        self.report = self.tables = self.monitor = None
        self.plugin_errors = []
        try:
            run = self._prepare()
            self._preflight(run)
            # One run per output folder: the lock is taken before anything is written, and
            # released however the run ends.
            lock = RunLock(run.context.output_directory, run.context.config_source)
            for warning in lock.acquire():
                self.warn(warning)
            try:
                if self.shard is not None:  # another shard's or a whole run's set: refused
                    shards.check_output(run.context.output_directory, self.shard)
                self._start_workers(run)  # a worker that cannot run the config: nothing written
                self._warm_tail(run)
                # Python warnings of the files go into the run report, per file and column.
                with pywarnings.installed():
                    summary = self._run_locked(run)
            finally:
                run.ended.set()
                lock.release()
        finally:
            self._close_executor()
        return summary

    def _close_executor(self) -> None:
        try:
            self.executor.close()
        except Exception as exc:  # a cluster's clean-up must not cost the run its outputs
            self.warn(f"the executor {self.executor.name!r} failed to close: "
                      f"{type(exc).__name__}: {exc}")

    def _run_locked(self, run: _Run) -> RunSummary:
        """The run once the output folder is its own: listeners registered, every run hook
        guarded (a plugin that raises fails alone), stop signals caught."""
        self._record_shard(run)
        confirmed = None
        if self.resume:
            assert run.fingerprints is not None  # _preflight sets them
            # A plugin listening to files would get rows without values: it gets every
            # file replayed from the journal instead, as in any resume.
            listened = bool(self.pm.hook.orcapost_file_done.get_hookimpls())
            # A load-case table is joined when the tables are built and is no part of the
            # fingerprints: with one, the tables are always built again (unchanged files are
            # still not rewritten).
            joined = self.model.inputs.load_cases is not None
            confirmed = None if listened or joined else unchanged_set(
                run.context.output_directory, run.context.files, run.fingerprints)
            if confirmed is not None:  # every file's row as the published set holds it
                run.confirmed = True
                run.previous = {path: Reuse(result=result, complete=True)
                                for path, result in confirmed.results.items()}
            else:
                run.previous = Journal(run.context.output_directory).reusable(
                    run.context.files, run.fingerprints,
                    shrink=run.plan.shrink if run.plan.shrinkers else None)
        guard = RunHookGuard(self.pm, own=OWN_LISTENERS, warn=self.warn,
                             progress=lambda: run.context.done)
        self.plugin_errors = guard.errors
        listeners = self._listeners(run.context, run.fingerprints, guard.errors)
        report: RunReportWriter = listeners[REPORT_PLUGIN]
        run.journal, run.guard = listeners[JOURNAL_PLUGIN], guard
        if confirmed is not None:
            # An unchanged --resume: the published set stands, no journal line is written.
            listeners[TABLES_PLUGIN].confirmed = confirmed
            listeners[JOURNAL_PLUGIN].enabled = False
        try:
            # Inside the try: a listener that cannot be registered (its name taken) leaves
            # none of the others behind.
            for name, listener in listeners.items():
                self.pm.register(listener, name=name)
            self.pm.run_active = True
            self._run_now = run
            with guard, StopSignals() as stop:
                run.stop = stop
                # Looked at once per run (the set is fixed while it is active): only the
                # engine's listeners have the per-file hooks -> called without pluggy's
                # dispatch (orcapost.dispatch); any other plugin gets pluggy as always.
                run.file_started = direct_caller(self.pm, "orcapost_file_started",
                                                 DIRECT_LISTENERS)
                run.file_done = direct_caller(self.pm, "orcapost_file_done", DIRECT_LISTENERS)
                try:
                    self.pm.hook.orcapost_run_start(context=run.context)
                    self._replay(run)
                    self._loop(run)
                except KeyboardInterrupt:
                    # Ctrl-C, or a second stop signal (the first only asks the loop to
                    # stop), in whichever phase: the run ends with what finished.
                    run.interrupted = True
                    run.stopped_by = stop.requested or "SIGINT"
                finally:
                    stop.shutting_down()
                    summary = self._shutdown(run)
                    report.rewrite_if_changed(run.context)
        finally:
            self._run_now = None  # its direct callers hold the guarded functions
            self.pm.run_active = False
            for name, listener in listeners.items():
                if self.pm.get_plugin(name) is listener:  # never a plugin holding the name
                    self.pm.unregister(name=name)
            self.report = report.report
            self.tables = listeners[TABLES_PLUGIN].tables
        return summary

    def _record_shard(self, run: _Run) -> None:
        """A shard's run records what ``orcapost merge`` checks (docs/sharding.md); any other
        run into the folder removes an earlier shard's record: the folder is no shard now."""
        directory = run.context.output_directory
        if self.shard is None:
            (directory / SHARD_RECORD_NAME).unlink(missing_ok=True)
            return
        assert run.fingerprints is not None and run.inputs_directory is not None
        shards.write_record(directory, shards.shard_record(
            self.shard, self.loaded, run.fingerprints.versions, run.inputs_directory,
            run.campaign, run.context.files))

    def _prepare(self) -> _Run:
        """Discover and order the files, decide the initial concurrency, build the plan."""
        self._quarantine.clear()
        self._retried.clear()
        self._pool_of.clear()
        self._deadlines.clear()
        self._split_of.clear()
        self._abandoned = 0
        inputs_dir, output_dir = output_directory_for(self.loaded)
        files = discover(self.model.inputs, inputs_dir)
        if not files:
            raise OrcapostError(
                f"no input files in {inputs_dir} match {', '.join(self.model.inputs.patterns)}",
                hint="check inputs.directory, inputs.patterns and the include/exclude filters",
            )
        campaign = files
        if self.shard is not None:
            # Chosen before the scheduler orders them: a shard's files never depend on order.
            files = shards.select(files, inputs_dir, self.shard)
        files = self.scheduler.order(files)
        executor_kind = self.executor.name
        spec = PlanSpec(key=new_plan_key(), config_data=self.loaded.data,
                        base_directory=str(self.loaded.base_directory))
        plan = Plan.build(self.pm, self.model, spec, optimizers=self.optimizers)
        self._plan_for_split = plan
        capacity = self._open_executor(files, plan)
        ceiling = concurrency_cap(self.policy.ceiling(files), len(files), executor_kind)
        ceiling = max(ceiling, self._split_ceiling(files, capacity))
        if capacity.slots is not None:  # never more files at once than the workers take
            ceiling = min(ceiling, capacity.slots)
        ceiling = self._worker_limit(capacity, files, ceiling)
        decision = as_decision(self.policy.initial(files))
        concurrency = max(1, min(decision.concurrency, ceiling))
        context = RunContext(
            config_path=self.loaded.path, files=files, output_directory=output_dir,
            executor=executor_kind, concurrency=concurrency, ceiling=ceiling,
            config=self.model, config_stem=self.loaded.stem, config_source=self.loaded.source,
        )
        if self.shard is not None:
            context.shard = {"shard": str(self.shard),
                             "fingerprint": shards.shard_fingerprint(self.model)}
        context.capacity = capacity
        context.decisions.append({
            "at": 0.0, "after_files": 0, "from": None, "to": concurrency,
            "policy": self.policy.name, "reason": decision.reason or "initial concurrency",
            **decision.measurement,
        })
        return _Run(context=context, spec=spec, plan=plan, previous={}, campaign=campaign,
                    inputs_directory=inputs_dir)

    def _split_ceiling(self, files: list[FileInfo], capacity: Capacity) -> int:
        """Workers for the parts of split files: on a campaign with a file that may be split
        (at least SPLIT_MIN_BYTES, a source without thread affinity, threads of this process)
        as many as the policy asks and the cores run, even with fewer files; else 0."""
        if self.split_files is False or capacity.separate_processes or not capacity.local:
            return 0
        cores = capacity.cpu_count or os.cpu_count() or 1
        if cores < 2 or not any(file.size >= SPLIT_MIN_BYTES for file in files):
            return 0
        plan = self._plan_for_split
        suffixes = {Path(file.path).suffix.lower() for file in files
                    if file.size >= SPLIT_MIN_BYTES}
        if plan is None or not any(self._splittable(plan, suffix) for suffix in suffixes):
            return 0
        return min(self.policy.ceiling(files), cores)

    def _splittable(self, plan: Plan, suffix: str) -> bool:
        """Whether a large file with ``suffix`` may run in parts in this run: its source allows
        it (orcapost.split.may_split) and no plugin implements ``orcapost_process_file`` (a
        wrapper, a retry sees whole files: a part is no file, and a part's task cannot run
        twice)."""
        return (may_split(plan.source(suffix), self.split_files)
                and getattr(process_file_caller(self.pm), "direct", False))

    def _open_executor(self, files: list[FileInfo], plan: Plan) -> Capacity:
        """The executor's capacity, given to the policy and the memory optimizers: they size
        the run by the workers, not by the coordinator's machine."""
        fit_executor(self.executor, files, self.pm, run_sources(plan, files))
        capacity = self.executor.open()
        self._cpu_count = capacity.cpu_count
        # Batches of small files are CPU-bound Python work: threads of one process share one
        # GIL, so a second batch on another thread only adds hand-offs (5,000 tiny archives, 2
        # cores: 2 batches at once 6.5 s of CPU for 5.7 s, one 4.2 s for 4.3 s). One batch per
        # core only where the workers are processes of their own.
        self._batch_cores = capacity.cpu_count if capacity.separate_processes else 1
        self.policy.bind(capacity)
        for optimizer in self.optimizers:
            optimizer.bind(self.executor)
        return capacity

    def _worker_limit(self, capacity: Capacity, files: list[FileInfo], ceiling: int) -> int:
        """``ceiling`` capped by every memory optimizer's worker limit (e.g. admission: the
        worker processes that fit the memory budget)."""
        limits = [limit for opt in self.optimizers
                  if (limit := opt.worker_limit(capacity, files)) is not None]
        return max(1, min(ceiling, *limits)) if limits else ceiling

    def _new_pool(self, context: RunContext) -> Executor:
        if self.executor_factory is not None:
            return self.executor_factory(context.executor, context.ceiling)
        return self.executor.start(context.ceiling)

    def _start_workers(self, run: _Run) -> None:
        """Start the pool and check its workers before anything is written: each loads the
        same plugins and validates the config (a probe task; a missing plugin or another
        version is a clear error naming the worker), and reports its own memory."""
        from orcapost.workers import check_probes, expectations, probe_worker, run_probe

        run.executor = self._new_pool(run.context)
        # Worker processes `orcapost run` started early that the pool did not take over (another
        # executor, threads only): not wanted by this run.
        from orcapost.hybrid import discard_prestarted

        discard_prestarted()
        if self.executor_factory is not None:
            return
        task = functools.partial(probe_worker, run.spec, expectations(self.pm, run.plan))
        try:
            check_probes(self.executor.name, run_probe(self.executor, run.executor, task))
        except BaseException:
            kill_workers(run.executor)  # a worker that did not answer: never waited for at exit
            run.executor.shutdown(wait=False, cancel_futures=True)
            run.executor = None
            raise
        # With the measured worker memory: fewer workers may fit than the estimate said. The
        # pool may hold more, but never more run at once than the ceiling (a process pool
        # spawns its workers as tasks arrive), so no more worker processes start.
        context = run.context
        context.capacity = self.executor.capacity()
        ceiling = self._worker_limit(context.capacity, context.files, context.ceiling)
        if ceiling < context.ceiling:
            context.decisions.append({
                "at": round(context.elapsed, 3), "after_files": 0,
                "from": context.concurrency, "to": min(context.concurrency, ceiling),
                "policy": "engine", "reason": (
                    f"a worker measured {context.capacity.worker_memory / 1e6:.0f} MB: at most "
                    f"{ceiling} worker processes fit the memory budget")})
            context.ceiling = ceiling
            context.concurrency = min(context.concurrency, ceiling)

    def _warm_tail(self, run: _Run) -> None:
        """With worker processes beside the coordinator, import what the campaign tables will
        import in the background once the first file is done (``orcapost.warmup``): the
        tables then need not wait for it, and the worker processes take more files meanwhile.
        Threads alone gain nothing (the import holds the GIL the files need)."""
        capacity = run.context.capacity
        if capacity is None or not capacity.separate_processes or not capacity.local:
            return
        from orcapost.warmup import tail_imports, warm_in_background

        context = run.context
        warm_in_background(tail_imports(self.model), ready=lambda: context.done > 0,
                           stop=lambda: run.ended.is_set() or context.done >= len(context.files)
                           or run.stop is not None and run.stop.requested is not None)

    def _preflight(self, run: _Run) -> None:
        """A source that cannot read its files at all (OrcFxAPI off Windows) stops the run
        here, before anything is written: an earlier run's tables and journal stay as they
        were. Then the output folder is made (the lock goes in it)."""
        by_suffix: dict[str, list[FileInfo]] = {}
        for file in run.context.files:
            path = file.path if isinstance(file.path, Path) else Path(file.path)
            by_suffix.setdefault(path.suffix.lower(), []).append(file)
        for suffix, matching in by_suffix.items():
            source = run.plan.source(suffix)
            if source is not None:
                source.preflight(matching)
        for sink in self.sinks:  # a sink that cannot write would lose the run's tables
            sink.preflight()
        output_dir = run.context.output_directory
        output_dir.mkdir(parents=True, exist_ok=True)
        run.fingerprints = RunFingerprints.of(self.pm, self.model, run.plan, list(by_suffix))
        if run.context.shard is not None:
            run.fingerprints.shard = run.context.shard["shard"]
            run.fingerprints.shard_fingerprint = run.context.shard["fingerprint"]

    def _listeners(self, context: RunContext, fingerprints: RunFingerprints | None,
                   plugin_errors: list) -> dict[str, Any]:
        """The run's own listeners, by plugin name; ``plugin_errors``: the guard's live list,
        which the run report lists."""
        listeners: dict[str, Any] = {
            JOURNAL_PLUGIN: JournalWriter(context.output_directory, keep=self.resume,
                                          fingerprints=fingerprints),
            TABLES_PLUGIN: TableWriter(self.sinks, fingerprints),
            REPORT_PLUGIN: RunReportWriter(plugin_errors),
        }
        if self.reporter is not None:
            listeners[REPORTER_PLUGIN] = ReporterListener(self.reporter)
        return listeners

    def _replay(self, run: _Run) -> None:
        """Results journaled by an earlier run (``--resume``) whose every column is unchanged
        count as done, in file order; a file with only some columns unchanged is queued with
        those columns' cells, so its task runs only the others."""
        register_plan(run.plan)
        if not run.confirmed:  # an unchanged --resume runs nothing to monitor
            monitor = Monitor(self.monitor_interval or DEFAULT_INTERVAL,
                              memory=self.executor.memory)
            self.monitor = monitor.start()
            run.context.monitor = self.monitor
        whole = {path: reuse.result for path, reuse in run.previous.items()
                 if reuse.complete and reuse.result is not None}  # a complete one has both
        self._reused = {path: reuse.cells for path, reuse in run.previous.items()
                        if not reuse.complete}
        self._reused_units = {path: reuse.units for path, reuse in run.previous.items()
                              if not reuse.complete}
        run.pending = deque(f for f in run.context.files if str(f.path) not in whole)
        run.context.queued = run.pending
        for file in run.context.files:
            result = whole.get(str(file.path))
            if result is not None:
                self._handle(run.context, result, replayed=True)

    def _loop(self, run: _Run) -> None:
        """Submit files as concurrency and admission allow; take results as they come."""
        context = run.context
        if run.executor is None:  # started by run(); a caller driving the phases itself
            run.executor = self._new_pool(context)
        while (run.pending or run.running or self._quarantine) and not self._stop_asked(run):
            try:
                self._submit(context, run.executor, run.spec, run.pending, run.running)
            except BrokenExecutor:
                run.executor = self._replace(run.executor, context)
            # Busy workers, counted after the submissions: a heartbeat between a file's end
            # and the next file's start would show a worker idle that is not (0 busy with
            # --threads 1).
            context.in_flight = len(run.running)
            context.sample = self.monitor.latest if self.monitor else {}
            context.workers = self.executor.metrics()
            self._heartbeat(run)
            done, _ = wait(run.running, timeout=HEARTBEAT_SECONDS,
                           return_when=FIRST_COMPLETED)
            for future in done:
                self._collect(run, future)
            self._time_out(run)
            self._flush_journal(run)  # what the time-outs failed
        context.in_flight = len(run.running)
        context.workers = self.executor.metrics()  # as the run ends (a restart at the end)
        if run.stop is not None and run.stop.requested is not None:
            # The files in flight are given up: _shutdown cancels what has not started.
            run.interrupted = True
            run.stopped_by = run.stop.requested

    @staticmethod
    def _stop_asked(run: _Run) -> bool:
        return run.stop is not None and run.stop.requested is not None

    def _collect(self, run: _Run, future: Future) -> None:
        """A task is done: hand its files' results on, or deal with its worker's death."""
        batch = run.running.pop(future)
        pool = self._pool_of.pop(future, None)
        self._deadlines.pop(future, None)
        split = self._split_of.pop(future, None)
        if split is not None:  # one part of a split file
            try:
                outcome = future.result()[0]
            except Exception as exc:  # only this part's columns are lost
                outcome = f"{type(exc).__name__}: {exc or 'no message'}"
            self._part_done(run, *split, outcome)
            self._flush_journal(run)
            return
        try:
            results = future.result()
        except Exception as exc:  # the worker died (e.g. a process killed)
            for result in self._worker_died(batch, exc):
                self._handle(run.context, result)
            if isinstance(exc, BrokenExecutor) and pool is not None and pool is run.executor:
                # Replaced once per broken pool: the other tasks it failed, and a submission
                # it refused, are the same death.
                run.executor = self._replace(pool, run.context)
            return
        for result in results:
            self._handle(run.context, result)
        self._flush_journal(run)

    @staticmethod
    def _flush_journal(run: _Run) -> None:
        """Write the journal lines of the files just handled when they are due (orcapost.journal:
        256 lines, or half a second since the last write): a run killed outright loses at most
        the files of about the last second (docs/engine.md, "Nothing computed is lost"). A failure (a full disk)
        is the journal's own, recorded as if its hook had raised."""
        if run.journal is None:
            return
        try:
            run.journal.flush()
        except Exception as exc:
            if run.guard is None:
                raise
            run.guard.record(JOURNAL_PLUGIN, "orcapost_file_done", exc)

    def _heartbeat(self, run: _Run) -> None:
        now = time.perf_counter()
        if now - run.last_beat >= HEARTBEAT_SECONDS / 2:
            run.last_beat = now
            self.pm.hook.orcapost_heartbeat(context=run.context)

    def _shutdown(self, run: _Run) -> RunSummary:
        """Stop the workers, then let the listeners write and show the outputs.

        After an interruption nothing waits for the files in flight: worker processes are
        killed, worker threads are left to end on their own (the command line exits without
        waiting for them)."""
        if run.executor is not None:
            if run.interrupted:
                kill_workers(run.executor)
            run.executor.shutdown(wait=not run.interrupted and not self._abandoned,
                                  cancel_futures=True)
        forget_plan(run.spec.key)
        self._pool_of.clear()
        self._deadlines.clear()
        try:
            self.scheduler.close()
        except Exception as exc:  # a scheduler's clean-up must not cost the run its outputs
            self.warn(f"the I/O scheduler {self.scheduler.name!r} failed to close: "
                      f"{type(exc).__name__}: {exc}")
        results = run.context.results
        summary = RunSummary(
            files=len(run.context.files),
            ok=sum(r.status == STATUS_OK for r in results),
            failed=sum(r.status == STATUS_FAILED for r in results),
            partial=sum(r.status not in (STATUS_OK, STATUS_FAILED) for r in results),
            bytes=run.context.bytes_done,
            elapsed=run.context.elapsed,
            failures=[f for r in results for f in r.failures],
            interrupted=run.interrupted,
            stopped_by=run.stopped_by if run.interrupted else None,
            warnings=sum(w["count"] for r in results for w in r.warnings),
        )
        self.pm.hook.orcapost_run_finish(context=run.context, summary=summary)
        # The run report's writer stops the monitor itself, once the tables are written and
        # before it reads the samples; this stop is the owner's, for a run without a report.
        if self.monitor is not None:
            self.monitor.stop()
        self.pm.hook.orcapost_run_summary(context=run.context, summary=summary)
        return summary

    # -- submitting files -------------------------------------------------------------------
    def _admitted(self, file: FileInfo, in_flight: list[FileInfo]) -> bool:
        return all(opt.admit(file, in_flight) for opt in self.optimizers)

    def _next(self, context, pending, in_flight) -> int | None:
        """Index in ``pending`` of the next file to start now, or None to wait.

        The I/O scheduler may hold a file back (e.g. one large read too many): the engine then
        looks a little further down the queue for one it lets start. A memory optimizer's no
        stops the search: a smaller file jumping ahead could starve a large one for ever.
        """
        if not in_flight:
            # With nothing running, a file is always admitted: a file bigger than the whole
            # memory budget still runs, alone, and the run cannot deadlock.
            return 0
        for index in range(min(len(pending), LOOKAHEAD_FILES)):
            candidate = pending[index]
            if not self.scheduler.may_start(candidate, in_flight):
                continue
            if not self._admitted(candidate, in_flight):
                context.memory_holds += 1
                return None
            return index
        return None

    def _submit(self, context, executor, spec, pending, running) -> None:
        if self._quarantine:
            # A file whose worker died runs alone, with nothing beside it, so a second death
            # is its own and no other file is lost with it.
            if not running:
                self._start(context, executor, spec, running, [self._quarantine.popleft()],
                            self._quarantine)
            return
        while pending and len(running) < context.concurrency:
            in_flight = [file for batch in running.values() for file in batch]
            if self._split_of:  # each file once: a split file's parts are one file
                in_flight = list(dict.fromkeys(in_flight))
            index = self._next(context, pending, in_flight)
            if index is None:
                break
            first = pending[index]
            small_limit = small_batch_limit(self._batch_cores)
            if first.size < SMALL_FILE_BYTES and running and sum(
                    1 for files in running.values() if files[0].size < SMALL_FILE_BYTES
            ) >= small_limit:
                break
            del pending[index]
            batch = [first]
            if index == 0:
                self._extend_batch(batch, pending, min(context.concurrency, small_limit),
                                   in_flight)
            parts = self._parts_for(first, context, executor, running) if len(batch) == 1 else 1
            if parts > 1:
                self._start_split(context, executor, spec, running, first, parts, pending)
                continue
            self._start(context, executor, spec, running, batch, pending)
        if pending:
            self.scheduler.read_ahead(pending, context)

    def _parts_for(self, file: FileInfo, context: RunContext, executor, running) -> int:
        """How many parts ``file`` runs in now (1: whole; orcapost.split.part_count): only a
        large file of a source without thread affinity, with no cells reused, on threads of
        this process with more than one of them free."""
        if (self.split_files is False or file.size < SPLIT_MIN_BYTES
                or not isinstance(executor, ThreadPoolExecutor)):
            return 1
        free = context.concurrency - len(running)
        if free < 2 or str(file.path) in self._reused or self._run_now is None:
            return 1
        plan = self._run_now.plan
        if not self._splittable(plan, Path(file.path).suffix.lower()):
            return 1
        return part_count(file, free=free, cores=self._cpu_count or os.cpu_count() or 1,
                          columns=sum(len(columns) for _, columns in plan.groups))

    def _start_split(self, context: RunContext, executor, spec, running, file: FileInfo,
                     parts: int, queue: deque) -> None:
        """Submit ``parts`` parts of one file (orcapost.split); its result is merged when the
        last part is back (:meth:`_collect`)."""
        assert self._run_now is not None
        split = SplitFile(file=file, claims=Claims(column_positions(self._run_now.plan), parts),
                          parts=[None] * parts)
        futures = []
        interrupted: BaseException | None = None
        try:
            for part in range(parts):
                futures.append(executor.submit(run_part, spec, file, split.claims, part))
        except BaseException as exc:
            if not futures:
                queue.appendleft(file)  # not started: nothing is lost
                raise
            # Some parts started: the others are failed parts, their columns failure rows.
            for part in range(len(futures), parts):
                split.parts[part] = "the worker pool refused this part"
            if not isinstance(exc, Exception):  # Ctrl-C: once the started parts are tracked
                interrupted = exc
        self._submitted_at[str(file.path)] = time.time()
        for part, future in enumerate(futures):
            running[future] = [file]
            self._pool_of[future] = executor
            self._split_of[future] = (split, part)
            if self.file_timeout is not None:
                self._deadlines[future] = self._deadline(context, files=1)
        file_started = self._run_now.file_started
        (file_started or self.pm.hook.orcapost_file_started)(context=context, file=file)
        if interrupted is not None:
            raise interrupted

    def _part_done(self, run: _Run, split: SplitFile, part: int, outcome) -> None:
        """One part of a split file is back (its result, or why it failed); the last one
        hands the merged result on."""
        split.parts[part] = outcome
        if split.done:
            self._handle(run.context, merge_parts(run.plan, split.file, split.claims,
                                                  split.parts))  # type: ignore[arg-type]

    def _extend_batch(self, batch, pending, concurrency, in_flight) -> None:
        """Add small files to a small file's task, keeping every worker busy to the end."""
        if batch[0].size >= SMALL_FILE_BYTES:
            return
        # Never take more than a fair share of what is left, so the last batches spread out.
        limit = min(BATCH_MAX_FILES, max(1, (len(pending) + 1) // max(1, concurrency)))
        size = batch[0].size
        while pending and len(batch) < limit:
            candidate = pending[0]
            if candidate.size >= SMALL_FILE_BYTES or size + candidate.size > BATCH_MAX_BYTES:
                break
            if self.optimizers and not self._admitted(candidate, in_flight + batch):
                break
            batch.append(pending.popleft())
            size += candidate.size

    def _start(self, context: RunContext, executor, spec, running, batch: list[FileInfo],
               queue: deque) -> None:
        reused = {str(f.path): self._reused[str(f.path)] for f in batch
                  if str(f.path) in self._reused}
        try:
            future = (executor.submit(run_files, spec, batch, reused) if reused
                      else executor.submit(run_files, spec, batch))
        except BaseException:
            queue.extendleft(reversed(batch))  # not started: nothing is lost
            raise
        now = time.time()
        for file in batch:
            self._submitted_at[str(file.path)] = now
        running[future] = batch
        self._pool_of[future] = executor
        if self.file_timeout is not None:
            self._deadlines[future] = self._deadline(context, files=len(batch))
        file_started = self._run_now.file_started if self._run_now is not None else None
        for file in batch:
            (file_started or self.pm.hook.orcapost_file_started)(context=context, file=file)

    def _deadline(self, context: RunContext, files: int) -> float:
        """When a task of ``files`` files submitted now times out (``time.monotonic()``): the
        timeout once per file; a task that may wait behind another on its worker
        (``Capacity.queued``) has the other's too, and one that may wait for its turn
        (``Capacity.turn_wait``) that wait as well -- its timeout counts from the submission."""
        assert self.file_timeout is not None
        capacity = context.capacity
        queued, turn_wait = (capacity.queued, capacity.turn_wait) if capacity else (0, 0.0)
        return time.monotonic() + self.file_timeout * files * (1 + queued) + turn_wait

    def _worker_died(self, batch: list[FileInfo], exc: BaseException) -> list[FileResult]:
        """A task ended without results: its worker died (a killed or crashed process takes
        every task of its pool with it). Each file is run again, alone; a file whose worker
        dies while it runs alone is the one that kills it, and only it fails."""
        failed = []
        for file in batch:
            key = str(file.path)
            if key not in self._retried:
                self._retried.add(key)
                self._quarantine.append(file)
                continue
            result = FileResult(path=key, size=file.size, status=STATUS_FAILED)
            result.failures.append(Failure(key, "worker", (
                f"the worker died while processing this file, alone "
                f"({type(exc).__name__}: {exc or 'no message'})"
            )))
            failed.append(result)
        return failed

    def _replace(self, executor: Executor, context: RunContext, reason: str = (
            "a worker died: new worker pool; its files run again, one at a time")) -> Executor:
        """A broken pool (a worker process died) accepts nothing more: start a new one."""
        executor.shutdown(wait=False, cancel_futures=True)
        context.decisions.append({
            "at": round(context.elapsed, 3), "after_files": context.done,
            "from": context.concurrency, "to": context.concurrency, "policy": "engine",
            "reason": reason,
        })
        return self._new_pool(context)

    # -- file timeout -------------------------------------------------------------------------
    def _requeue_others(self, run: _Run, pool: Executor) -> None:
        """Before a pool's workers are killed: its other tasks would fail with it, and those
        files did nothing wrong, so they go back to the front of the queue, not to quarantine.
        A task that already finished keeps its results."""
        for future, batch in list(run.running.items()):
            if self._pool_of.get(future) is not pool:
                continue
            if future.done():
                self._collect(run, future)
                continue
            del run.running[future]
            self._pool_of.pop(future, None)
            self._deadlines.pop(future, None)
            run.pending.extendleft(reversed(batch))

    def _time_out(self, run: _Run) -> None:
        """Tasks past their deadline (``engine.file_timeout``): a lone file fails with stage
        "timeout"; the files of a batch run again alone (which one hangs is not known). The
        pool they ran on is replaced: under processes its workers are killed (and the other
        files in flight on it start again), under threads the stuck thread is abandoned."""
        if not self._deadlines:
            return
        now = time.monotonic()
        expired = [future for future in run.running
                   if not future.done() and self._deadlines.get(future, now + 1) <= now]
        if not expired:
            return
        pools = []
        freed: list[str] = []  # what the executor did to free a timed-out task's worker
        for future in expired:
            batch = run.running.pop(future)
            pool = self._pool_of.pop(future, None)
            self._deadlines.pop(future, None)
            future.cancel()
            if pool is not None and self.executor_factory is None:
                done = self.executor.timed_out(pool, future)  # e.g. dask: restart its worker
                if done:
                    freed.append(done)
            if pool is not None and pool not in pools:
                pools.append(pool)
            split = self._split_of.pop(future, None)
            if split is not None:  # one part: its columns fail, the other parts' stay
                self._part_done(run, *split, (
                    f"took longer than engine.file_timeout ({self.file_timeout:g} s); "
                    "the part was given up"))
            elif len(batch) == 1:
                self._handle(run.context, self._timed_out(batch[0]))
            else:
                for file in batch:
                    self._retried.add(str(file.path))
                    self._quarantine.append(file)
        for pool in pools:
            processes = isinstance(pool, ProcessPoolExecutor)
            if processes:
                self._requeue_others(run, pool)
                kill_workers(pool)
            else:
                self._abandoned += 1
                # A hybrid pool's worker processes may run the stuck file: killed, their
                # other files run again alone (a thread cannot be stopped).
                kill_workers(pool)
            if pool is run.executor:
                run.executor = self._replace(pool, run.context, (
                    f"a file took longer than engine.file_timeout ({self.file_timeout:g} s): "
                    + ("its worker process was killed; new worker pool" if processes else
                       ("; ".join(freed) if freed else
                        "its worker thread is abandoned (a thread cannot be stopped)")
                       + "; new worker pool")))
            else:
                pool.shutdown(wait=False, cancel_futures=True)

    def _timed_out(self, file: FileInfo) -> FileResult:
        key = str(file.path)
        result = FileResult(path=key, size=file.size, status=STATUS_FAILED)
        result.failures.append(Failure(key, "timeout", (
            f"took longer than engine.file_timeout ({self.file_timeout:g} s); "
            "the file was given up")))
        return result

    # -- results ----------------------------------------------------------------------------
    def _handle(self, context: RunContext, result: FileResult, replayed: bool = False) -> None:
        """One file's result: count it, let every listener have it, let the engine learn."""
        handle_start = time.perf_counter()
        submitted = self._submitted_at.pop(result.path, None)
        if submitted is not None and result.started_at is not None:
            result.timings["queued"] = max(0.0, result.started_at - submitted)
        for group, units in self._reused_units.pop(result.path, {}).items():
            # The units of cells reused from the journal: the task did not compute them.
            known = result.units.setdefault(group, {})
            for name, unit in units.items():
                known.setdefault(name, unit)
        context.done += 1
        context.bytes_done += result.size
        if result.status != STATUS_OK:
            context.failed += 1
        context.results.append(result)
        file_done = self._run_now.file_done if self._run_now is not None else None
        (file_done or self.pm.hook.orcapost_file_done)(context=context, result=result,
                                                       replayed=replayed)
        if not replayed:
            # Every listener's share (journal, tables, reporter, plugins): the coordinator's
            # time per file, which is what a run of many small files is bounded by.
            result.timings["write"] = time.perf_counter() - handle_start
        for optimizer in self.optimizers:
            optimizer.file_done(result)
        if not replayed:
            self._update_concurrency(context)

    def _update_concurrency(self, context: RunContext) -> None:
        answer = self.policy.update(context)
        if answer is None:
            return
        decision = as_decision(answer)
        new = max(1, min(decision.concurrency, context.ceiling))
        if new != context.concurrency:
            context.decisions.append({
                "at": round(context.elapsed, 3), "after_files": context.done,
                "from": context.concurrency, "to": new, "policy": self.policy.name,
                "reason": decision.reason, **decision.measurement,
            })
            context.concurrency = new
