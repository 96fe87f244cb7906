"""orcapost's built-in plugins.

Each module here is an ordinary plugin, written exactly as a third-party one would be: it
imports ``hookimpl`` from ``orcapost`` and implements registration hooks. The host registers
them from this list; third-party plugins arrive through the ``orcapost`` entry-point group.

The list is written out rather than discovered, because discovering would import every module
at startup. tests/test_builtin_plugins.py keeps it honest: every module under core/ and plugins/
with ``@hookimpl`` functions is listed here or in :data:`OPT_IN_PLUGINS`, and nothing else is.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "orcapost.plugins.process_file",
    "orcapost.plugins.sources.archive",
    "orcapost.plugins.sources.orcaflex",
    "orcapost.plugins.sources.openfast",
    "orcapost.plugins.extractors.export_archive",
    "orcapost.plugins.commands.export",
    "orcapost.plugins.extractors.statistics",
    "orcapost.plugins.extractors.range_graph",
    "orcapost.plugins.extractors.time_history",
    "orcapost.plugins.extractors.static",
    "orcapost.plugins.extractors.linked_statistics",
    "orcapost.plugins.extractors.extremes",
    "orcapost.plugins.extractors.fatigue",
    "orcapost.plugins.extractors.spectrum",
    "orcapost.plugins.extractors.exceedance",
    "orcapost.plugins.extractors.metadata",
    "orcapost.plugins.extractors.simulation_times",
    "orcapost.plugins.reductions.basic",
    "orcapost.plugins.reductions.gumbel",
    "orcapost.plugins.reductions.lifetime_damage",
    "orcapost.plugins.reductions.lifetime_del",
    "orcapost.plugins.reductions.governing",
    "orcapost.plugins.reductions.spread",
    "orcapost.plugins.policies.fixed",
    "orcapost.plugins.policies.file_size",
    "orcapost.plugins.policies.adaptive",
    "orcapost.plugins.optimizers.admission",
    "orcapost.plugins.optimizers.gc_collect",
    "orcapost.plugins.optimizers.single_precision",
    "orcapost.plugins.schedulers.as_listed",
    "orcapost.plugins.schedulers.largest_first",
    "orcapost.plugins.schedulers.smallest_first",
    "orcapost.plugins.schedulers.interleaved",
    "orcapost.plugins.executors.threads",
    "orcapost.plugins.executors.processes",
    "orcapost.plugins.executors.dask",
    "orcapost.plugins.commands.report",
    "orcapost.plugins.commands.profile",
    "orcapost.plugins.commands.bench",
    "orcapost.plugins.commands.merge",
    "orcapost.plugins.sinks.csv",
    "orcapost.plugins.sinks.parquet",
    "orcapost.plugins.sinks.legacy_csv",
    "orcapost.plugins.sinks.xlsx",
    "orcapost.plugins.commands.migrate",
    "orcapost.plugins.reporters.rich_progress",
    "orcapost.plugins.reporters.plain",
    "orcapost.plugins.reporters.silent",
)

#: The built-in plugins that add commands (every ``orcapost_register_commands`` of a built-in is
#: in ``orcapost.plugins.commands``; a test checks it): ``orcapost --help`` lists the commands
#: with only these and the installed plugins loaded, not every extractor and source.
COMMAND_PLUGINS: tuple[str, ...] = tuple(
    name for name in BUILTIN_PLUGINS if name.startswith("orcapost.plugins.commands."))

#: Plugins that ship with orcapost but are registered only by who asks for them
#: (``pm.register(module, module.__name__)``): ``contention`` is a simulated storage for testing
#: and benchmarking thread policies, not a file type users have.
OPT_IN_PLUGINS: tuple[str, ...] = (
    "orcapost.plugins.sources.contention",
)
