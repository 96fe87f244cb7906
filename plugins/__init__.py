"""orcapost's built-in plugins.

Each module here is an ordinary plugin, written exactly as a third-party one would be: it
imports ``hookimpl`` from ``orcapost`` and implements registration hooks. The host registers
them from this list; third-party plugins arrive through the ``orcapost`` entry-point group.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "orcapost.task",
    "orcapost.plugins.sources.archive",
    "orcapost.plugins.sources.orcaflex",
    "orcapost.plugins.sources.openfast",
    "orcapost.plugins.sources.export_archive",
    "orcapost.plugins.commands.export",
    "orcapost.plugins.extractors.statistics",
    "orcapost.plugins.extractors.range_graph",
    "orcapost.plugins.extractors.time_history",
    "orcapost.plugins.extractors.static",
    "orcapost.plugins.extractors.linked_statistics",
    "orcapost.plugins.extractors.extremes",
    "orcapost.plugins.extractors.fatigue",
    "orcapost.plugins.extractors.metadata",
    "orcapost.plugins.extractors.simulation_times",
    "orcapost.campaign",
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
    "orcapost.plugins.sources.contention",
    "orcapost.plugins.commands.report",
    "orcapost.plugins.commands.profile",
    "orcapost.plugins.commands.bench",
    "orcapost.plugins.sinks.csv",
    "orcapost.plugins.sinks.parquet",
    "orcapost.plugins.sinks.legacy_csv",
    "orcapost.plugins.commands.migrate",
    "orcapost.plugins.reporters.rich_progress",
    "orcapost.plugins.reporters.plain",
    "orcapost.plugins.reporters.silent",
)
