"""The v2 config model.

Components are chosen by name, each with its own options model, so the full model depends on the
plugins installed: :func:`build_config_model` assembles it from the component registry, with a
discriminated union per component kind (``name``) and per result column (``kind``). The same
model produces ``orcapost schema``, so editors see every plugin's options.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast

from orcapost.defaults import (
    CONFIG_VERSION,
    DEFAULT_EXECUTOR,
    DEFAULT_FILE_TIMEOUT,
    DEFAULT_IO_SCHEDULER,
    DEFAULT_OUTPUT_FORMATS,
    DEFAULT_THREAD_POLICY,
)
from orcapost.schemas.base import StrictModel
from orcapost.schemas.derived import DERIVED_DESCRIPTION, DerivedChannel, check_derived
from orcapost.schemas.filters import SeriesFilter
from orcapost.schemas.report import ReportConfig
from orcapost.schemas.vocabulary import WHOLE_SIMULATION, Period, PeriodField, PositionField
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ByteSize,
    Field,
    PrivateAttr,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from orcapost.components import Component

# ---------------------------------------------------------------------------------------------
# Column bases for extractor plugins
# ---------------------------------------------------------------------------------------------


#: Output names a criterion never applies to unless ``check`` names them: times and counts
#: (statistics' time_of_max/time_of_min, fatigue's duration and cycles).
NOT_CHECKABLE = (" time_of_max", " time_of_min", " duration", " cycles")


class Limits(StrictModel):
    """Bounds a column's values must stay within (docs/config.md#acceptance-criteria)."""

    max: float | None = Field(default=None, description="Largest allowed value.")
    min: float | None = Field(default=None, description="Smallest allowed value.")

    @model_validator(mode="after")
    def _one_bound(self):
        if self.max is None and self.min is None:
            raise ValueError("limits need max, min or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"limits min {self.min:g} is above max {self.max:g}")
        return self


class ColumnOptions(StrictModel):
    """Base of every result column: a label, which names the output column(s).

    The label may use ``{object}``, ``{variable}`` and, where the extractor has them, other
    placeholders; when a column expands to several values (glob patterns, several statistics)
    and the label has no placeholder for what varies, the varying parts are appended.
    """

    label: str = Field(min_length=1, description="Output column name (a template).")
    allowable: float | None = Field(
        default=None, gt=0, description="Acceptance criterion on the magnitude: each value "
        "passes when |value| <= allowable; utilisation |value| / allowable.")
    limits: Limits | None = Field(
        default=None, description="Acceptance criterion {max, min} on the value itself "
        "(instead of allowable).")
    criteria_outputs: list[Literal["utilisation", "pass"]] = Field(
        default_factory=list, description="Cells added beside each checked value: "
        "'<value> utilisation', '<value> pass'.")
    check: list[str] | None = Field(
        default=None, min_length=1, description="Which of the column's values the criterion "
        "checks, by name or glob pattern (default: every number it writes).")

    @model_validator(mode="after")
    def _criterion(self):
        if self.allowable is not None and self.limits is not None:
            raise ValueError("give allowable (a bound on |value|) or limits {max, min}, not both")
        if self.allowable is None and self.limits is None and (self.criteria_outputs
                                                                or self.check):
            raise ValueError("criteria_outputs and check need a criterion: allowable or limits")
        if "utilisation" in self.criteria_outputs and self.limits is not None:
            bad = [f"{side} {bound:g}" for side, bound in (("max", self.limits.max),
                                                         ("min", self.limits.min))
                   if bound is not None and bound <= 0]
            if bad:
                raise ValueError(f"a utilisation of limit {bad[0]} is not defined (value / max "
                                 "and min / value need bounds > 0): drop utilisation from "
                                 "criteria_outputs and keep pass")
        if (self.allowable is not None or self.limits is not None) and self.check is None:
            try:
                names = self.output_names()
            except Exception:  # names a plugin cannot work out are not checked here
                names = []
            # A time or a count beside the values is nothing an allowable bounds.
            other = [n for n in names if n.endswith(NOT_CHECKABLE)]
            if other:
                raise ValueError(f"the column also writes {other[0]!r}, which no allowable "
                                 "or limit bounds: name the values to check with check: "
                                 "[patterns] (e.g. ['* max'])")
        fields = type(self).model_fields
        if ((self.allowable is not None or self.limits is not None)
                and "envelope_output" in fields and getattr(self, "with_arc_length", None) is False):
            raise ValueError("a range graph with a criterion needs with_arc_length: true, so "
                             "the verdict names the governing arc length")
        return self

    def output_names(self) -> list[str]:
        """The names of the values this column writes into its group's row, as far as they
        are known before any file is read (``validate`` refuses two columns of a group that
        can write the same name). A name that holds what a file has (``{object}`` over a
        pattern) is left out: it is checked at run time. Extractor plugins may override it;
        by default nothing is known (docs/plugins.md#output-names)."""
        return []

    def extra_table_names(self) -> list[str]:
        """The titles of the extra tables (``layout: long``) this column writes, as far as
        they are known before any file is read (docs/plugins.md#output-names)."""
        return []


class SampledColumn(ColumnOptions):
    """A column that analyses samples over a period: what it does with non-finite samples and
    with a specified period the simulation does not cover (docs/numerics.md#non-finite-samples,
    docs/config.md#periods)."""

    nan_policy: Literal["fail", "omit"] = Field(
        default="fail",
        description="A NaN or inf sample in the period: fail (the column fails for the file, "
        "naming the count) or omit (skip those samples, '<label> omitted samples' counts them).",
    )
    period_policy: Literal["strict", "clip"] = Field(
        default="strict",
        description="A specified period [t0, t1] partly outside a complete simulation: strict "
        "(an error naming both spans) or clip (clipped to the simulation).",
    )

    def omitted_names(self) -> list[str]:
        """``<label> omitted samples``, the value ``nan_policy: omit`` adds (or nothing)."""
        if self.nan_policy != "omit":
            return []
        from orcapost.names import table_title

        return [table_title(self, "omitted samples")]

    @model_validator(mode="before")
    @classmethod
    def _clip_period(cls, data: Any) -> Any:
        # The policy travels with the period, so every source that resolves periods sees it.
        if not isinstance(data, dict) or data.get("period_policy") != "clip":
            return data
        period = Period.model_validate(data.get("period", WHOLE_SIMULATION))
        if period.kind != "specified":
            raise ValueError(f"period_policy: clip applies to a specified period [t0, t1], "
                             f"not {period.describe()}")
        return {**data, "period": period.model_copy(update={"clip": True})}


class SeriesColumn(SampledColumn):
    """A column over one variable of one or more objects, at a position, over a period."""

    object: str = Field(min_length=1, description="Object name or glob pattern (Line*).")
    variable: str = Field(min_length=1, description="Variable name or glob pattern.")
    position: PositionField | None = Field(
        default=None, description="End A, End B, Touchdown, {arc_length: S} or {node: N} "
        "(with radial: inner|outer|mid, theta: deg, clearance_line, blade), {point: [x, y, z]}, "
        "{support: N}, {winch_connection: N}, {external_result_text: TEXT} (docs/config.md).")
    period: PeriodField = Field(
        default=WHOLE_SIMULATION,
        description="whole simulation, latest wave, static state, {stage: N} or [t0, t1].",
    )
    filter: SeriesFilter | None = Field(
        default=None, description="Zero-phase Butterworth filter of every series the column "
        "reads: {low_pass: Hz}, {high_pass: Hz} or {band: [low, high]} (order 4).",
    )


class ReductionOptions(StrictModel):
    """Base of every campaign reduction: which value columns of the group it reduces."""

    columns: list[str] = Field(
        default_factory=lambda: ["*"], min_length=1,
        description="Value columns of the result group, by name or glob pattern (* = all).",
    )


class RankingConfig(StrictModel):
    """A ranking campaign table: the top rows per value column (docs/campaign-tables.md#ranking)."""

    columns: list[str] = Field(
        default_factory=lambda: ["*"], min_length=1,
        description="Value columns of the result group to rank, by name or glob pattern.")
    top: int = Field(default=10, ge=1, description="How many rows (load cases) per column.")
    order: Literal["descending", "ascending"] = Field(
        default="descending", description="descending: largest first; ascending: smallest first.")
    keys: list[str] | None = Field(
        default=None, description="Load-case columns naming each ranked row (default: every "
        "load-case key of the group).")


class CampaignTableConfig(StrictModel):
    """A table over the rows of one result group, reduced over groups of rows by metadata."""

    name: str = Field(min_length=1, description="Output table name (like a result group's).")
    group: str = Field(min_length=1, description="The result group whose rows are reduced.")
    by: list[str] = Field(
        default_factory=list,
        description="Metadata columns whose values form the groups of rows (e.g. [heading]); "
        "empty: the whole campaign is one group.",
    )
    ranking: RankingConfig | None = Field(
        default=None, description="Instead of reductions: the top N rows of each value column, "
        "with the file, load-case keys and arc length of each (one output row per rank).")

    @model_validator(mode="after")
    def _reductions_or_ranking(self):
        reductions = getattr(self, "reductions", None)
        if (self.ranking is None) == (not reductions):
            raise ValueError(f"campaign table {self.name!r}: give either reductions (a list) or "
                             "ranking, not both and not neither")
        return self


# ---------------------------------------------------------------------------------------------
# Fixed sections
# ---------------------------------------------------------------------------------------------


def _size(value: Any) -> Any:
    # ByteSize understands "10MB"/"1 GiB"; accept "10 MB" spelled with a space as well.
    return value.replace(" ", "") if isinstance(value, str) else value


Size = Annotated[ByteSize, BeforeValidator(_size)]


def _escapes(entry: str) -> str | None:
    """Why a pattern or file name would reach outside inputs.directory, or None."""
    from pathlib import PurePosixPath, PureWindowsPath

    # Both spellings on every platform: a config written on Windows runs on Linux too.
    if PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).anchor:
        return "is absolute"
    if ".." in re.split(r"[\\/]", entry):
        return "goes up with '..'"
    return None


class LoadCasesConfig(StrictModel):
    """A load-case table joined to every file (docs/campaign-tables.md#load-case-tables)."""

    path: Path = Field(description="A .csv or .xlsx table, relative to the config file.")
    # Not ``on``: YAML 1.1 reads an unquoted ``on`` as the boolean true.
    keys: list[str] | None = Field(
        default=None, min_length=1,
        description="Join by these load-case keys (the file's metadata values equal the "
        "table's); default: join by the file-name patterns of file_column.")
    file_column: str = Field(
        default="file", min_length=1,
        description="The column of file names or glob patterns (join by file name).")
    sheet: str | None = Field(default=None, description="The .xlsx sheet (default: the first).")
    #: The table as read when the config was validated (orcapost.load_cases.LoadCaseTable).
    _table: Any = PrivateAttr(default=None)


def _load_cases_short(value: Any) -> Any:
    """``load_cases: cases.csv`` is short for ``{path: cases.csv}``."""
    return {"path": value} if isinstance(value, str) else value


class InputsConfig(StrictModel):
    """Which result files a run processes."""

    directory: Path = Field(description="Folder of result files, relative to the config file.")
    patterns: list[str] = Field(
        default_factory=lambda: ["*.arrow"], min_length=1,
        description="Glob patterns of file names (*.arrow, *.sim, *.outb).",
    )
    files: list[str] = Field(
        default_factory=list,
        description="Explicit file names (relative to directory); when given, patterns are not "
        "used and a missing file is a failure row.",
    )
    recursive: bool = Field(default=False, description="Also search sub-folders.")
    include: list[str] = Field(
        default_factory=list, description="Keep only files whose name matches one of these globs."
    )
    exclude: list[str] = Field(
        default_factory=list, description="Drop files whose name matches one of these globs."
    )
    min_size: Size | None = Field(default=None, description="Skip smaller files (e.g. 1KB).")
    max_size: Size | None = Field(default=None, description="Skip larger files (e.g. 10GB).")
    load_cases: Annotated[LoadCasesConfig | None, BeforeValidator(
        _load_cases_short, json_schema_input_type=str | LoadCasesConfig | None)] = Field(
        default=None, description="A load-case table (CSV or .xlsx) joined to every file by "
        "file name or keys: its columns become load-case columns.")

    @field_validator("patterns")
    @classmethod
    def _inside_directory(cls, values: list[str]) -> list[str]:
        # A glob sweeps inputs.directory and nothing else: outputs are kept out of that folder,
        # and a config moved elsewhere must not start reading a neighbour's files. (Explicit
        # ``files`` are named one by one and may be anywhere: ``orcapost export`` lists paths.)
        for value in values:
            problem = _escapes(value)
            if problem:
                raise ValueError(
                    f"patterns entry {value!r} {problem}: patterns are relative to "
                    "inputs.directory and stay inside it; set inputs.directory to the folder "
                    "that holds the files"
                )
        return values


class OutputsConfig(StrictModel):
    """Where and how tables are written."""

    directory: Path = Field(
        default=Path("results"), description="Output folder, relative to the config file."
    )
    naming: str = Field(
        default="{group}",
        description="File name template (no suffix): {group}, {config} (the config's stem).",
    )
    write_into_inputs: bool = Field(
        default=False,
        description="Allow the output folder to be the input folder (refused otherwise).",
    )
    fail_on_breach: bool = Field(
        default=False,
        description="Exit with code 4 when a value breaches its column's allowable or limits "
        "(the tables and verdict are written either way).",
    )
    report: ReportConfig = Field(
        default_factory=ReportConfig,
        description="Figures of the HTML report (orcapost report RESULTS --html): docs/report.md.",
    )

    @field_validator("naming")
    @classmethod
    def _naming(cls, value: str) -> str:
        unknown = set(re.findall(r"{([^{}]*)}", value)) - {"group", "config"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}: use {{group}}, {{config}}")
        if "{group}" not in value:
            raise ValueError("naming must contain {group}, or every group writes the same file")
        from orcapost.names import file_name_problem

        problem = file_name_problem(value.replace("{group}", "group").replace("{config}", "config"))
        if problem is not None:
            raise ValueError(f"naming {value!r} {problem}")
        return value


# ---------------------------------------------------------------------------------------------
# The model assembled from the registry
# ---------------------------------------------------------------------------------------------


def _by_name(value: Any) -> Any:
    """``fixed`` is shorthand for ``{name: fixed}``."""
    return {"name": value} if isinstance(value, str) else value


def _by_name_or_entry(registry, kind: str) -> Any:
    """A component of ``kind`` chosen by an entry ``{name: ..., <options>}`` or, when its
    options all have defaults, by its name alone (``fixed`` for ``{name: fixed}``). The JSON
    Schema says both (``json_schema_input_type``), so an editor accepts exactly what
    ``orcapost validate`` does: the short names are those whose entry validates without
    options."""
    union = _tagged_union(registry, kind, "name")
    short = [entry.name for entry in registry.all(kind)
             if not any(field.is_required() for key, field in entry.cls.Options.model_fields.items()
                        if key != "name")]
    accepted: Any = Union[Literal[tuple(short)], union] if short else union  # noqa: UP007
    return Annotated[union, BeforeValidator(_by_name, json_schema_input_type=accepted)]


# The model is assembled from what the registry holds, so its field types are values built at
# run time: they are typed Any, and list[...] of one is spelled as what it is, a GenericAlias.
def _list_of(item: Any) -> Any:
    """``list[item]`` for a type built at run time."""
    return GenericAlias(list, (item,))


def _tagged_union(registry, kind: str, tag: str) -> Any:
    members = []
    for entry in registry.all(kind):
        selector: dict[str, Any] = {
            tag: (Literal[entry.name], Field(description=f"{kind.replace('_', ' ')}"))}
        member = create_model(
            f"{kind.title().replace('_', '')}_{re.sub(r'[^0-9A-Za-z]', '_', entry.name)}",
            __base__=entry.cls.Options,
            __doc__=entry.cls.summary(),
            **selector,
        )
        member.component = entry.cls  # what a validated entry selects, for code without a registry
        members.append(member)
    if not members:
        raise RuntimeError(f"no {kind} is registered")
    if len(members) == 1:
        return members[0]
    return Annotated[Union[tuple(members)], Field(discriminator=tag)]  # noqa: UP007


def _one_per_source(cls, value: list) -> list:
    names = [entry.name for entry in value]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"source {name!r} is listed twice: give its options once")
    return value


def options_of(spec: StrictModel, tag: str = "name") -> dict[str, Any]:
    """A selected component's options: the entry without its selecting tag."""
    return {key: getattr(spec, key) for key in type(spec).model_fields if key != tag}


def create_selected(cls: type[Component], spec: StrictModel, tag: str = "name") -> Any:
    """The component ``cls`` with the options a validated config entry gives it."""
    return cls(cls.Options.model_validate(options_of(spec, tag)))


def _check_campaign(config):
    """Campaign tables reduce existing result groups and never overwrite one."""
    names: set[str] = set()
    for table in getattr(config, "campaign", ()):
        if table.group not in config.results:
            raise ValueError(f"campaign table {table.name!r} reduces group {table.group!r}, "
                             f"which is not in results ({', '.join(config.results)})")
        if table.name in config.results or table.name in names:
            raise ValueError(f"campaign table name {table.name!r} is used twice: give each "
                             "campaign table a name no result group has")
        names.add(table.name)
    return config


def build_config_model(registry) -> type[StrictModel]:
    """The full v2 config model for the components in ``registry``."""
    policy: Any = _by_name_or_entry(registry, "thread_policy")
    optimizer: Any = (_by_name_or_entry(registry, "memory_optimizer")
                      if registry.names("memory_optimizer") else None)
    scheduler: Any = _by_name_or_entry(registry, "io_scheduler")
    executor: Any = _by_name_or_entry(registry, "executor")
    sink: Any = _by_name_or_entry(registry, "sink")
    reporter: Any = _by_name_or_entry(registry, "reporter")
    column = _tagged_union(registry, "extractor", "kind")
    source: Any = _by_name_or_entry(registry, "source")
    inputs = create_model(
        "Inputs", __base__=InputsConfig,
        __validators__={"one_entry_per_source": field_validator("sources")(_one_per_source)},
        sources=(_list_of(source), Field(
            default_factory=list,
            description="Options of the sources that read the files, by name (orcaflex: "
            "thread_count, licence_retries, ...). A source not listed runs with its defaults.",
        )),
    )

    engine_fields: dict[str, Any] = {
        "thread_policy": (policy, Field(
            default_factory=lambda: {"name": DEFAULT_THREAD_POLICY},
            validate_default=True,
            description="How many files run at once: a thread policy by name, with options.",
        )),
        "executor": (executor, Field(
            default_factory=lambda: {"name": DEFAULT_EXECUTOR}, validate_default=True,
            description="Where files run: an executor by name, with options (threads, the "
            "default; processes: spawn-safe worker processes; dask: a Dask cluster). A plain "
            "name is short for {name: ...}.",
        )),
        "io_scheduler": (scheduler, Field(
            default_factory=lambda: {"name": DEFAULT_IO_SCHEDULER}, validate_default=True,
            description="The order files are submitted in.",
        )),
        "progress": (Union[Literal["auto"], reporter], Field(  # noqa: UP007
            default="auto",
            description="auto (rich on a terminal, plain lines otherwise), or a reporter.",
        )),
        "file_timeout": (float | None, Field(
            default=DEFAULT_FILE_TIMEOUT, gt=0,
            description="Seconds a file may take (a batch of small files: this per file); a "
            "file taking longer fails with stage timeout and the run goes on. null: no limit.",
        )),
        "split_files": (Literal["auto"] | bool, Field(
            default="auto",
            description="Split a large file (64 MB or more) of a source without thread "
            "affinity (archives, OpenFAST; never OrcaFlex .sim) by column across the free "
            "worker threads, one large file at a time over the cores. auto (default): only "
            "where the parts read the file in place (archives with memory_map: true); true: "
            "every such file; false: every file runs whole on one worker. Never with worker "
            "processes, nor while a plugin implements orcapost_process_file.",
        )),
    }
    engine_fields["memory_optimizers"] = (
        _list_of(optimizer) if optimizer is not None else list[Any],
        Field(default_factory=list, description="Memory optimizers, applied in order."),
    )
    engine = create_model("EngineConfig", __base__=StrictModel, **engine_fields)

    group = create_model(
        "ResultGroup", __base__=StrictModel,
        columns=(_list_of(column), Field(min_length=1, description="Labelled result columns.")),
    )
    outputs = create_model(
        "Outputs", __base__=OutputsConfig,
        formats=(_list_of(sink), Field(
            default_factory=lambda: list(DEFAULT_OUTPUT_FORMATS), validate_default=True,
            min_length=1, description="Sinks by name: csv, parquet, ...",
        )),
    )

    campaign_fields: dict[str, Any] = {}
    if registry.names("reduction"):
        reduction = _tagged_union(registry, "reduction", "kind")
        campaign_table = create_model(
            "CampaignTable", __base__=CampaignTableConfig,
            reductions=(_list_of(reduction), Field(
                default_factory=list, description="Reductions, by kind (or ranking).")),
        )
        campaign_fields["campaign"] = (_list_of(campaign_table), Field(
            default_factory=list,
            description="Campaign tables: rows of a result group reduced by metadata columns, "
            "written beside the per-file tables after all files.",
        ))

    config_fields: dict[str, Any] = {
        "version": (Literal[CONFIG_VERSION], Field(description="Config format version.")),
        "inputs": (inputs, ...),
        "engine": (engine, Field(default_factory=dict, validate_default=True)),
        "results": (GenericAlias(dict, (str, group)), Field(
            min_length=1, description="Result groups by name: one output table each."
        )),
        "outputs": (outputs, Field(default_factory=dict, validate_default=True)),
        **campaign_fields,
        "derived": (Annotated[dict[str, Annotated[DerivedChannel, WithJsonSchema(
            {"anyOf": [{"type": "string", "description": "the expression alone"},
                       DerivedChannel.model_json_schema()]})]], AfterValidator(check_derived)],
                    Field(default_factory=dict, description=DERIVED_DESCRIPTION)),
    }
    # pydantic types __validators__ as plain callables; a decorated validator is the
    # descriptor proxy that create_model expects at run time.
    check_campaign = cast("Any", model_validator(mode="after")(_check_campaign))
    model = create_model(
        "OrcapostConfig",
        __base__=StrictModel,
        __validators__={"campaign_names": check_campaign},
        __doc__="An orcapost post-processing config (version 2).",
        **config_fields,
    )
    return model
