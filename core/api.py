"""orcapost's plugin API: everything a plugin imports from orcapost, in one module.

Built-in plugins import from orcapost only through this module (and the public library
namespaces ``orcapost.numerics``, ``orcapost.archive`` and ``orcapost.formats``), exactly as a
third-party plugin does; ``tests/test_plugin_api.py`` checks it. docs/plugins.md lists what is
here and what each name is for.

Every plugin module imports this one, and ``orcapost --help`` imports every plugin, so importing
it costs nothing: each name is looked up in the module that defines it the first time it is used
(PEP 562 ``__getattr__``), so a plugin pays only for what it imports.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it (the name is the same there, except where noted).
_SOURCES: dict[str, str] = {
    # The hook marker, one for built-in and third-party plugins alike; orcapost's version.
    "hookimpl": "orcapost.markers",
    "__version__": "orcapost",
    # Component bases, and the kinds they register as.
    "Component": "orcapost.components",
    "Source": "orcapost.components",
    "Extractor": "orcapost.components",
    "ThreadPolicy": "orcapost.components",
    "MemoryOptimizer": "orcapost.components",
    "IOScheduler": "orcapost.components",
    "Sink": "orcapost.components",
    "Reporter": "orcapost.components",
    "Reduction": "orcapost.components",
    "Decision": "orcapost.components",
    "as_decision": "orcapost.components",
    "TableLayout": "orcapost.components",
    "COMPONENT_KINDS": "orcapost.components",
    # Options models and the vocabulary they are written in.
    "StrictModel": "orcapost.schemas.base",
    "ColumnOptions": "orcapost.schemas.config",
    "SeriesColumn": "orcapost.schemas.config",
    "SampledColumn": "orcapost.schemas.config",
    "ReductionOptions": "orcapost.schemas.config",
    "Size": "orcapost.schemas.config",
    "Position": "orcapost.schemas.vocabulary",
    "Period": "orcapost.schemas.vocabulary",
    "PositionField": "orcapost.schemas.vocabulary",
    "PeriodField": "orcapost.schemas.vocabulary",
    "WHOLE_SIMULATION": "orcapost.schemas.vocabulary",
    "DataItem": "orcapost.schemas.vocabulary",
    # The result-file interface sources implement and extractors read.
    "ResultFile": "orcapost.resultfile",
    "Catalogue": "orcapost.resultfile",
    "ObjectInfo": "orcapost.resultfile",
    "VariableInfo": "orcapost.resultfile",
    "Series": "orcapost.resultfile",
    "Stage": "orcapost.archive.model",
    "TIME_TOLERANCE": "orcapost.resultfile",
    "ARC_LENGTH_VARIABLE": "orcapost.resultfile",
    "sample_interval": "orcapost.resultfile",
    "latest_wave": "orcapost.resultfile",
    "specified_bounds": "orcapost.resultfile",
    # The NaN policy of sampled columns (docs/numerics.md).
    "SampleGuard": "orcapost.finite",
    "all_finite": "orcapost.finite",
    # Errors.
    "OrcapostError": "orcapost.errors",
    "ResultFileError": "orcapost.errors",
    "PluginError": "orcapost.errors",
    # Naming an extractor's outputs and tables.
    "Target": "orcapost.extraction",
    "targets": "orcapost.extraction",
    "Namer": "orcapost.extraction",
    "namer_for": "orcapost.extraction",
    "table_name": "orcapost.extraction",
    # What a column will be named, known from its options (for output_names()).
    "series_names": "orcapost.names",
    "table_title": "orcapost.names",
    "is_pattern": "orcapost.names",
    # Extra tables an extractor returns.
    "extra_table": "orcapost.tables",
    "is_extra_table": "orcapost.tables",
    # Tables as sinks and layouts receive them.
    "RunTables": "orcapost.tables",
    "column_array": "orcapost.tables",
    "FAILURES_TABLE": "orcapost.tables",
    # Run data the hooks and components receive.
    "FileInfo": "orcapost.results",
    "FileResult": "orcapost.results",
    "Failure": "orcapost.results",
    "RunContext": "orcapost.results",
    "RunSummary": "orcapost.results",
    "STATUS_OK": "orcapost.results",
    "STATUS_PARTIAL": "orcapost.results",
    "STATUS_FAILED": "orcapost.results",
    "STATUS_UNFINISHED": "orcapost.results",
    "plain": "orcapost.results",
    # Campaign reductions read a value column as floats (NaN where a file has none).
    "float_values": "orcapost.campaign",
    # Defaults.
    "CONFIG_VERSION": "orcapost.defaults",
    "DEFAULT_THREADS": "orcapost.defaults",
    # Host services for command plugins (orcapost_register_commands): configs, runs, files,
    # memory, run reports, atomic writes, figures.
    "ConfigError": "orcapost.config",
    "LoadedConfig": "orcapost.config",
    "InputsConfig": "orcapost.schemas.config",
    "read_yaml": "orcapost.config",
    "load_config": "orcapost.config",
    "validate_data": "orcapost.config",
    "run_config": "orcapost.cli",
    "Engine": "orcapost.engine",
    "discover": "orcapost.discovery",
    "available_memory": "orcapost.monitor",
    "process_rss": "orcapost.monitor",
    "read_report": "orcapost.run_report",
    "atomic_path": "orcapost.atomic",
    "human_bytes": "orcapost.plugins.reporters._figures",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'orcapost.api' has no attribute {name!r}")
    # Not cached here: the defining module stays the one place a name lives (tests that
    # monkeypatch it, e.g. orcapost.monitor.process_rss, are seen by every plugin).
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

