"""orcapost's plugin API: everything a plugin imports from orcapost, in one module.

Built-in plugins import from orcapost only through this module (and the public library
namespaces ``orcapost.numerics``, ``orcapost.archive`` and ``orcapost.formats``), exactly as a
third-party plugin does; ``tests/test_plugin_api.py`` checks it. docs/plugins.md lists what is
here and what each name is for.

Every plugin module imports this one, and ``orcapost --help`` imports every plugin, so importing
it costs nothing: each name is looked up in the module that defines it the first time it is used
(PEP 562 ``__getattr__``), so a plugin pays only for what it imports. Type checkers read the
``if TYPE_CHECKING:`` block instead, which imports every name from its module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "Executor": "orcapost.components",
    "Capacity": "orcapost.components",
    "MemoryState": "orcapost.components",
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
    "describe_qualifiers": "orcapost.schemas.positions",
    "same_point": "orcapost.schemas.positions",
    "is_default_point": "orcapost.schemas.positions",
    "position_at": "orcapost.schemas.positions",
    # The result-file interface sources implement and extractors read.
    "ResultFile": "orcapost.resultfile",
    "Catalogue": "orcapost.resultfile",
    "ObjectInfo": "orcapost.resultfile",
    "VariableInfo": "orcapost.resultfile",
    "Series": "orcapost.resultfile",
    "SeriesBlock": "orcapost.resultfile",
    "stack_series": "orcapost.resultfile",
    "Stage": "orcapost.archive.model",
    "TIME_TOLERANCE": "orcapost.resultfile",
    "ARC_LENGTH_VARIABLE": "orcapost.resultfile",
    "sample_interval": "orcapost.resultfile",
    "latest_wave": "orcapost.resultfile",
    "specified_bounds": "orcapost.resultfile",
    "position_qualifiers": "orcapost.resultfile",
    # A column's acceptance criterion (docs/criteria.md), for extractors that choose which
    # node's value to report.
    "has_criterion": "orcapost.criteria",
    "check_array": "orcapost.criteria",
    # The NaN policy of sampled columns (docs/numerics.md).
    "SampleGuard": "orcapost.finite",
    "all_finite": "orcapost.finite",
    # Errors.
    "OrcapostError": "orcapost.errors",
    "ResultFileError": "orcapost.errors",
    "NotInFile": "orcapost.errors",
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
    "safe_name": "orcapost.tables",
    "FAILURES_TABLE": "orcapost.tables",
    # Units of outputs and table columns (docs/outputs.md#units).
    "with_units": "orcapost.units",
    "UNIT_KEY": "orcapost.units",
    "SECONDS": "orcapost.units",
    "METRES": "orcapost.units",
    "DIMENSIONLESS": "orcapost.units",
    "common_unit": "orcapost.units",
    "field_unit": "orcapost.units",
    "table_units": "orcapost.units",
    "cell_texts": "orcapost.cells",
    "csv_lines": "orcapost.cells",
    "csv_chunks": "orcapost.cells",
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
    "governing": "orcapost.campaign",
    "load_case_keys": "orcapost.campaign",
    # Defaults.
    "CONFIG_VERSION": "orcapost.defaults",
    "DEFAULT_THREADS": "orcapost.defaults",
    # Host services for command plugins (orcapost_register_commands): configs, runs, files,
    # memory, run reports, atomic writes, figures.
    "ConfigError": "orcapost.config",
    "LoadedConfig": "orcapost.config",
    "InputsConfig": "orcapost.schemas.config",
    "ReportConfig": "orcapost.schemas.report",
    "read_yaml": "orcapost.config",
    "load_config": "orcapost.config",
    "validate_data": "orcapost.config",
    "run_config": "orcapost.cli",
    "Engine": "orcapost.engine",
    "WORKER_THREAD_PREFIX": "orcapost.engine",
    "WINDOWS_PROCESS_LIMIT": "orcapost.engine",
    "make_executor": "orcapost.engine",
    "HybridPool": "orcapost.hybrid",
    "TurnPool": "orcapost.turns",
    "reads_in_place": "orcapost.split",
    "discard_prestarted": "orcapost.hybrid",
    "kill_workers": "orcapost.engine",
    "discover": "orcapost.discovery",
    "available_memory": "orcapost.monitor",
    "process_rss": "orcapost.monitor",
    "read_report": "orcapost.run_report",
    # Merging the shards of a campaign (`orcapost merge`).
    "merge_shards": "orcapost.merge",
    "atomic_path": "orcapost.atomic",
    "human_bytes": "orcapost.plugins.reporters._figures",
}

__all__ = sorted(_SOURCES)

if TYPE_CHECKING:
    # What a type checker sees: the real names, so `from orcapost.api import X` type-checks.
    # At run time the block is skipped and __getattr__ looks each name up on first use;
    # tests/test_plugin_api.py keeps the block equal to _SOURCES.
    from orcapost import __version__ as __version__
    from orcapost.archive.model import Stage as Stage
    from orcapost.atomic import atomic_path as atomic_path
    from orcapost.campaign import float_values as float_values
    from orcapost.campaign import governing as governing
    from orcapost.campaign import load_case_keys as load_case_keys
    from orcapost.cells import cell_texts as cell_texts
    from orcapost.cells import csv_chunks as csv_chunks
    from orcapost.cells import csv_lines as csv_lines
    from orcapost.cli import run_config as run_config
    from orcapost.components import COMPONENT_KINDS as COMPONENT_KINDS
    from orcapost.components import Capacity as Capacity
    from orcapost.components import Component as Component
    from orcapost.components import Decision as Decision
    from orcapost.components import Executor as Executor
    from orcapost.components import Extractor as Extractor
    from orcapost.components import IOScheduler as IOScheduler
    from orcapost.components import MemoryOptimizer as MemoryOptimizer
    from orcapost.components import MemoryState as MemoryState
    from orcapost.components import Reduction as Reduction
    from orcapost.components import Reporter as Reporter
    from orcapost.components import Sink as Sink
    from orcapost.components import Source as Source
    from orcapost.components import TableLayout as TableLayout
    from orcapost.components import ThreadPolicy as ThreadPolicy
    from orcapost.components import as_decision as as_decision
    from orcapost.config import ConfigError as ConfigError
    from orcapost.config import LoadedConfig as LoadedConfig
    from orcapost.config import load_config as load_config
    from orcapost.config import read_yaml as read_yaml
    from orcapost.config import validate_data as validate_data
    from orcapost.criteria import check_array as check_array
    from orcapost.criteria import has_criterion as has_criterion
    from orcapost.defaults import CONFIG_VERSION as CONFIG_VERSION
    from orcapost.defaults import DEFAULT_THREADS as DEFAULT_THREADS
    from orcapost.discovery import discover as discover
    from orcapost.engine import WINDOWS_PROCESS_LIMIT as WINDOWS_PROCESS_LIMIT
    from orcapost.engine import WORKER_THREAD_PREFIX as WORKER_THREAD_PREFIX
    from orcapost.engine import Engine as Engine
    from orcapost.engine import kill_workers as kill_workers
    from orcapost.engine import make_executor as make_executor
    from orcapost.errors import NotInFile as NotInFile
    from orcapost.errors import OrcapostError as OrcapostError
    from orcapost.errors import PluginError as PluginError
    from orcapost.errors import ResultFileError as ResultFileError
    from orcapost.extraction import Namer as Namer
    from orcapost.extraction import Target as Target
    from orcapost.extraction import namer_for as namer_for
    from orcapost.extraction import table_name as table_name
    from orcapost.extraction import targets as targets
    from orcapost.finite import SampleGuard as SampleGuard
    from orcapost.finite import all_finite as all_finite
    from orcapost.hybrid import HybridPool as HybridPool
    from orcapost.hybrid import discard_prestarted as discard_prestarted
    from orcapost.markers import hookimpl as hookimpl
    from orcapost.merge import merge_shards as merge_shards
    from orcapost.monitor import available_memory as available_memory
    from orcapost.monitor import process_rss as process_rss
    from orcapost.names import is_pattern as is_pattern
    from orcapost.names import series_names as series_names
    from orcapost.names import table_title as table_title
    from orcapost.plugins.reporters._figures import human_bytes as human_bytes
    from orcapost.resultfile import ARC_LENGTH_VARIABLE as ARC_LENGTH_VARIABLE
    from orcapost.resultfile import TIME_TOLERANCE as TIME_TOLERANCE
    from orcapost.resultfile import Catalogue as Catalogue
    from orcapost.resultfile import ObjectInfo as ObjectInfo
    from orcapost.resultfile import ResultFile as ResultFile
    from orcapost.resultfile import Series as Series
    from orcapost.resultfile import SeriesBlock as SeriesBlock
    from orcapost.resultfile import VariableInfo as VariableInfo
    from orcapost.resultfile import latest_wave as latest_wave
    from orcapost.resultfile import position_qualifiers as position_qualifiers
    from orcapost.resultfile import sample_interval as sample_interval
    from orcapost.resultfile import specified_bounds as specified_bounds
    from orcapost.resultfile import stack_series as stack_series
    from orcapost.results import STATUS_FAILED as STATUS_FAILED
    from orcapost.results import STATUS_OK as STATUS_OK
    from orcapost.results import STATUS_PARTIAL as STATUS_PARTIAL
    from orcapost.results import STATUS_UNFINISHED as STATUS_UNFINISHED
    from orcapost.results import Failure as Failure
    from orcapost.results import FileInfo as FileInfo
    from orcapost.results import FileResult as FileResult
    from orcapost.results import RunContext as RunContext
    from orcapost.results import RunSummary as RunSummary
    from orcapost.results import plain as plain
    from orcapost.run_report import read_report as read_report
    from orcapost.schemas.base import StrictModel as StrictModel
    from orcapost.schemas.config import ColumnOptions as ColumnOptions
    from orcapost.schemas.config import InputsConfig as InputsConfig
    from orcapost.schemas.config import ReductionOptions as ReductionOptions
    from orcapost.schemas.config import SampledColumn as SampledColumn
    from orcapost.schemas.config import SeriesColumn as SeriesColumn
    from orcapost.schemas.config import Size as Size
    from orcapost.schemas.positions import describe_qualifiers as describe_qualifiers
    from orcapost.schemas.positions import is_default_point as is_default_point
    from orcapost.schemas.positions import position_at as position_at
    from orcapost.schemas.positions import same_point as same_point
    from orcapost.schemas.report import ReportConfig as ReportConfig
    from orcapost.schemas.vocabulary import WHOLE_SIMULATION as WHOLE_SIMULATION
    from orcapost.schemas.vocabulary import DataItem as DataItem
    from orcapost.schemas.vocabulary import Period as Period
    from orcapost.schemas.vocabulary import PeriodField as PeriodField
    from orcapost.schemas.vocabulary import Position as Position
    from orcapost.schemas.vocabulary import PositionField as PositionField
    from orcapost.split import reads_in_place as reads_in_place
    from orcapost.tables import FAILURES_TABLE as FAILURES_TABLE
    from orcapost.tables import RunTables as RunTables
    from orcapost.tables import column_array as column_array
    from orcapost.tables import extra_table as extra_table
    from orcapost.tables import is_extra_table as is_extra_table
    from orcapost.tables import safe_name as safe_name
    from orcapost.turns import TurnPool as TurnPool
    from orcapost.units import DIMENSIONLESS as DIMENSIONLESS
    from orcapost.units import METRES as METRES
    from orcapost.units import SECONDS as SECONDS
    from orcapost.units import UNIT_KEY as UNIT_KEY
    from orcapost.units import common_unit as common_unit
    from orcapost.units import field_unit as field_unit
    from orcapost.units import table_units as table_units
    from orcapost.units import with_units as with_units


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'orcapost.api' has no attribute {name!r}")
    # Not cached here: the defining module stays the one place a name lives (tests that
    # monkeypatch it, e.g. orcapost.monitor.process_rss, are seen by every plugin).
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

