"""The whole orcapost run protocol, grouped by lifecycle phase.

Every hook is prefixed ``orcapost_``. Each docstring says what the hook receives, when it is
called, on which thread, and whether the first non-None result ends the call (firstresult).

Phases:

1. **Registration** -- once, when the plugin manager is built, on the main thread, before any
   config is validated. A plugin adds components by name through the ``register`` callback it is
   given. Config then selects each component by name; registration order never matters, and a
   name registered twice is an error that names both plugins.
2. **Run lifecycle** -- for each ``orcapost run``: start, one task per file, file done, finish.

No plugin may be registered or unregistered while a run is active.
"""

from __future__ import annotations

from orcapost.markers import hookspec

# ---------------------------------------------------------------------------------------------
# 1. Registration: called once per plugin manager, main thread, not firstresult.
#    ``register(component_class)`` adds a subclass of the matching base in
#    orcapost.components; the class's ``name`` is how config selects it and its ``Options``
#    model validates the options config gives it.
# ---------------------------------------------------------------------------------------------


@hookspec
def orcapost_register_sources(register):
    """Register result sources: readers chosen by file suffix.

    :param register: callable taking a :class:`orcapost.components.Source` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_extractors(register):
    """Register extractors: the ``kind`` of a result column.

    :param register: callable taking a :class:`orcapost.components.Extractor` subclass, whose
        ``Options`` model is the whole column model (``label`` and its own keys).

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_thread_policies(register):
    """Register thread policies: how many files run at once (``engine.thread_policy``).

    :param register: callable taking a :class:`orcapost.components.ThreadPolicy` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_memory_optimizers(register):
    """Register memory optimizers: links of ``engine.memory_optimizers``, applied in order.

    :param register: callable taking a :class:`orcapost.components.MemoryOptimizer` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_io_schedulers(register):
    """Register I/O schedulers: the order files are submitted in (``engine.io_scheduler``).

    :param register: callable taking a :class:`orcapost.components.IOScheduler` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_sinks(register):
    """Register sinks: output formats (``outputs.formats``).

    :param register: callable taking a :class:`orcapost.components.Sink` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_reporters(register):
    """Register progress reporters (``engine.progress``, ``--progress``).

    :param register: callable taking a :class:`orcapost.components.Reporter` subclass.

    Called once, on the main thread, when the plugin manager is built. Not firstresult.
    """


@hookspec
def orcapost_register_reductions(register):
    """Register campaign reductions: the ``kind`` of a ``campaign[].reductions`` entry.

    :param register: callable taking a :class:`orcapost.components.Reduction` subclass, whose
        ``Options`` model subclasses :class:`orcapost.schemas.config.ReductionOptions`.

    Called once, on the main thread, when the plugin manager is built. Not firstresult. The
    reductions themselves run on the coordinating thread after every file is done.
    """


@hookspec
def orcapost_register_commands(cli):
    """Add subcommands to the ``orcapost`` command line.

    :param cli: the root :class:`click.Group`; add commands with ``@cli.command()``.

    Called once, on the main thread, when the CLI starts. Not firstresult.
    """


# ---------------------------------------------------------------------------------------------
# 2. Run lifecycle.
# ---------------------------------------------------------------------------------------------


@hookspec
def orcapost_run_start(context):
    """A run is about to submit its first file.

    :param context: the :class:`orcapost.results.RunContext` (files discovered and ordered,
        output directory, executor, initial concurrency).

    Called once per run on the coordinating thread, after the config is validated and the files
    are discovered and ordered. Not firstresult.
    """


@hookspec(firstresult=True)
def orcapost_process_file(task):
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
def orcapost_file_done(context, result):
    """A file has finished (successfully or not) and its result reached the coordinator.

    :param context: the :class:`orcapost.results.RunContext`.
    :param result: the file's :class:`orcapost.results.FileResult`.

    Called once per file on the coordinating thread, in completion order, after sinks and the
    reporter have received it. Not firstresult.
    """


@hookspec
def orcapost_run_finish(context, summary):
    """A run has finished: every file done (or the run interrupted) and the outputs written.

    :param context: the :class:`orcapost.results.RunContext`.
    :param summary: the :class:`orcapost.results.RunSummary` (counts, outputs, failures).

    Called once per run on the coordinating thread, also after an interruption. Not firstresult.
    """
