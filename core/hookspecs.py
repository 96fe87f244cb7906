"""The whole orcapost run protocol, grouped by lifecycle phase.

Every hook is prefixed ``orcapost_``. Each docstring says what the hook receives, when it is
called, on which thread, and whether the first non-None result ends the call (firstresult).

Phases:

1. **Registration** -- once, when the plugin manager is built, on the main thread, before any
   config is validated. A plugin adds components by name through the ``register`` callback it is
   given. Config then selects each component by name; registration order never matters, and a
   name registered twice is an error that names both plugins.
2. **Run lifecycle** -- for each ``orcapost run``, in this order: ``run_start``; per file
   ``file_started``, ``process_file`` (on the worker) and ``file_done``, with ``heartbeat``
   about twice a second in between; then ``run_finish`` (outputs are written) and
   ``run_summary`` (outputs are shown).

The run's own listeners are plugins on these hooks, registered by the engine for the length of
a run under the names below (``orcapost plugins`` lists them; block a name with
``ORCAPOST_DISABLE_PLUGINS`` to replace it with your own):

- ``orcapost.run.journal`` -- appends each file's result to the journal (file_done);
- ``orcapost.run.tables`` -- builds the run's tables once and writes them through every sink
  (file_done, run_finish);
- ``orcapost.run.report`` -- writes the run report after every other output (a wrapper
  around run_finish);
- ``orcapost.run.reporter`` -- the progress reporter (every run hook but run_finish).

No plugin may be registered or unregistered while a run is active.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from orcapost.markers import hookspec

if TYPE_CHECKING:
    import click
    from orcapost.components import (
        Executor,
        Extractor,
        IOScheduler,
        MemoryOptimizer,
        Reduction,
        Reporter,
        Sink,
        Source,
        ThreadPolicy,
    )
    from orcapost.results import FileInfo, FileResult, RunContext, RunSummary
    from orcapost.task import FileTask

# ---------------------------------------------------------------------------------------------
# 1. Registration: called once per plugin manager, main thread, not firstresult.
#    ``register(component_class)`` adds a subclass of the matching base in
#    orcapost.components; the class's ``name`` is how config selects it and its ``Options``
#    model validates the options config gives it.
# ---------------------------------------------------------------------------------------------


@hookspec
def orcapost_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register result sources: readers chosen by file suffix.

    :param register: callable taking a :class:`orcapost.components.Source` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_extractors(register: Callable[[type[Extractor]], None]) -> None:
    """Register extractors: the ``kind`` of a result column.

    :param register: callable taking a :class:`orcapost.components.Extractor` subclass, whose
        ``Options`` model is the whole column model (``label`` and its own keys).

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_thread_policies(register: Callable[[type[ThreadPolicy]], None]) -> None:
    """Register thread policies: how many files run at once (``engine.thread_policy``).

    :param register: callable taking a :class:`orcapost.components.ThreadPolicy` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_memory_optimizers(register: Callable[[type[MemoryOptimizer]], None]) -> None:
    """Register memory optimizers: links of ``engine.memory_optimizers``, applied in order.

    :param register: callable taking a :class:`orcapost.components.MemoryOptimizer` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_io_schedulers(register: Callable[[type[IOScheduler]], None]) -> None:
    """Register I/O schedulers: the order files are submitted in (``engine.io_scheduler``).

    :param register: callable taking a :class:`orcapost.components.IOScheduler` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_executors(register: Callable[[type[Executor]], None]) -> None:
    """Register executors: where files run (``engine.executor``: threads, processes, dask).

    :param register: callable taking a :class:`orcapost.components.Executor` subclass, which
        provides a plain ``concurrent.futures.Executor`` and reports its capacity (slots,
        cores, memory per worker, whether workers are separate processes).

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_sinks(register: Callable[[type[Sink]], None]) -> None:
    """Register sinks: output formats (``outputs.formats``).

    :param register: callable taking a :class:`orcapost.components.Sink` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_reporters(register: Callable[[type[Reporter]], None]) -> None:
    """Register progress reporters (``engine.progress``, ``--progress``).

    :param register: callable taking a :class:`orcapost.components.Reporter` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_reductions(register: Callable[[type[Reduction]], None]) -> None:
    """Register campaign reductions: the ``kind`` of a ``campaign[].reductions`` entry.

    :param register: callable taking a :class:`orcapost.components.Reduction` subclass, whose
        ``Options`` model subclasses :class:`orcapost.schemas.config.ReductionOptions`.

    Called once, on the main thread, when the plugin manager is built. Not firstresult. The
    reductions themselves run on the coordinating thread after every file is done.
    """


@hookspec
def orcapost_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``orcapost`` command line.

    :param cli: the root :class:`click.Group`; add commands with ``@cli.command()``.

    Called once, on the main thread, when the CLI starts. Not firstresult.
    """


# ---------------------------------------------------------------------------------------------
# 2. Run lifecycle.
# ---------------------------------------------------------------------------------------------


@hookspec
def orcapost_run_start(context: RunContext) -> None:
    """A run is about to submit its first file.

    :param context: the :class:`orcapost.results.RunContext` (config, files discovered and
        ordered, output directory, executor, initial concurrency).

    Called once per run on the coordinating thread, after the config is validated, the files
    are discovered and ordered and the sources' preflight checks passed. Not firstresult.
    """


@hookspec
def orcapost_file_started(context: RunContext, file: FileInfo) -> None:
    """A file has been submitted to a worker.

    :param context: the :class:`orcapost.results.RunContext`.
    :param file: the :class:`orcapost.results.FileInfo` (path, size) submitted.

    Called once per file (and again each time the file is submitted again: alone after its
    worker died or its batch ran out of ``engine.file_timeout``, or after the worker pool it
    ran on was killed) on the coordinating thread, when its task is submitted. Not
    firstresult.
    """


@hookspec(firstresult=True)
def orcapost_process_file(task: FileTask) -> FileResult | None:
    """Process one file: open it, run every extraction, close it; return a FileResult.

    :param task: the :class:`orcapost.task.FileTask` (``task.file``, ``task.execute()``).
    :return: a :class:`orcapost.results.FileResult` (plain, picklable data).

    Called once per file on the **worker** that processes it (a worker thread, or a worker
    process with the ``processes`` executor, where plugins are loaded again). firstresult: the
    built-in implementation (trylast) calls ``task.execute()``. A plugin can wrap it
    (``@hookimpl(wrapper=True)``) to time or measure one file, or implement it ``tryfirst`` and
    call ``task.execute()`` more than once to retry. ``task.execute()`` never raises for a bad
    file: it returns a failed FileResult.
    """


@hookspec
def orcapost_file_done(context: RunContext, result: FileResult, replayed: bool) -> None:
    """A file has finished (successfully or not) and its result reached the coordinator.

    :param context: the :class:`orcapost.results.RunContext` (counts already include it).
    :param result: the file's :class:`orcapost.results.FileResult`.
    :param replayed: True for a result read back from the journal by ``--resume`` (the file
        was not processed again in this run). A plugin implementing this hook always gets
        replayed results with their values: with it registered, an unchanged ``--resume``
        replays every file from the journal instead of confirming the published set from its
        run report (the tables are still not rewritten: their bytes do not change).

    Called once per file on the coordinating thread, in completion order (replayed results
    first). The run's journal, tables and reporter receive the file through this hook. Not
    firstresult.
    """


@hookspec
def orcapost_heartbeat(context: RunContext) -> None:
    """Time passes while files run: for live figures (progress bars, monitoring).

    :param context: the :class:`orcapost.results.RunContext` (done, in flight, the monitor's
        latest ``sample``).

    Called about twice a second on the coordinating thread while files are running (at least
    ``HEARTBEAT_SECONDS / 2`` apart), never after ``orcapost_run_finish``. Not firstresult.
    """


@hookspec
def orcapost_run_finish(context: RunContext, summary: RunSummary) -> None:
    """A run has finished: every file done (or the run interrupted). Write the outputs here.

    :param context: the :class:`orcapost.results.RunContext`.
    :param summary: the :class:`orcapost.results.RunSummary` (counts, failures); an
        implementation that writes a file appends its path to ``summary.outputs``.

    Called once per run on the coordinating thread, also after an interruption, once the
    workers have stopped. The run's tables and journal are written by implementations of this
    hook, and the run report by a wrapper around it (after every other output). Not
    firstresult.
    """


@hookspec
def orcapost_run_summary(context: RunContext, summary: RunSummary) -> None:
    """Every output of the run is written: show the summary.

    :param context: the :class:`orcapost.results.RunContext`.
    :param summary: the final :class:`orcapost.results.RunSummary` (``outputs`` lists every
        file written, the run report last).

    Called once per run on the coordinating thread, after ``orcapost_run_finish``, also after
    an interruption. The progress reporter prints its summary here. Not firstresult.
    """
