"""The ``range_graph`` extractor: per-node envelopes of a line variable over an arc-length range.

Over the column's period, for the nodes between ``arc_length`` bounds (null: the whole line;
``[s0, s1]``: nodes with s0 <= s <= s1; ``S``: the variable interpolated at arc length S), the
envelopes max, min, mean and std at every node; one summary value per statistic (max of the max
envelope, min of the min, max of the mean and of the std) and, with ``with_arc_length``, the arc
length where it occurs (the first such node). ``envelope_output`` writes the whole envelope
table. Conventions: docs/extractors/range_graph.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from orcapost.api import (
    METRES,
    WHOLE_SIMULATION,
    Extractor,
    PeriodField,
    ResultFileError,
    SampledColumn,
    SampleGuard,
    check_array,
    common_unit,
    extra_table,
    has_criterion,
    hookimpl,
    namer_for,
    series_names,
    table_title,
    targets,
    with_units,
)
from orcapost.numerics.envelopes import FINITE_COUNT, envelopes
from orcapost.plugins.extractors._common import ArcLengths
from pydantic import Field

Envelope = Literal["max", "min", "mean", "std"]

#: Which node a statistic's summary value comes from.
SUMMARY = {"max": np.argmax, "min": np.argmin, "mean": np.argmax, "std": np.argmax}
#: Statistics whose summary node is not the one a criterion governs: the largest mean says
#: nothing of a node whose mean is far below a minimum or far from zero (an allowable on its
#: magnitude). With a criterion their summary is the governing node (below).
CHECKED_AT_WORST = frozenset({"mean", "std"})


def governing_node(column: RangeGraphColumn, values: np.ndarray, stat: str) -> int:
    """The node whose ``stat`` the summary cell reports: :data:`SUMMARY`'s, except for
    :data:`CHECKED_AT_WORST` statistics of a column with a criterion, where it is the worst
    node by the check (a breaching node first, the largest utilisation among them; else the
    largest utilisation), so that checking the summary is checking every node."""
    default = int(SUMMARY[stat](values))
    if stat not in CHECKED_AT_WORST or not has_criterion(column):
        return default
    utilisation, passed = check_array(column, values.tolist())
    worst = np.where(np.isnan(utilisation), np.inf, utilisation)  # undefined: a breach's worst
    failing = ~np.asarray(passed, dtype=bool)
    if failing.any():
        return int(np.argmax(np.where(failing, worst, -np.inf)))
    if np.isfinite(utilisation).any():
        return int(np.nanargmax(utilisation))
    return default


class RangeGraphColumn(SampledColumn):
    object: str = Field(min_length=1, description="Line name or glob pattern (Riser, Mooring*).")
    variable: str = Field(min_length=1, description="Line variable name or glob pattern.")
    period: PeriodField = Field(
        default=WHOLE_SIMULATION,
        description="whole simulation, latest wave, {stage: N} or [t0, t1].",
    )
    arc_length: ArcLengths = Field(
        default=None,
        description="null (whole line), S (one arc length), [s0, s1] or sections [[s0, s1], ...].")
    statistics: list[Envelope] = Field(
        default_factory=lambda: list[Envelope](["max"]), min_length=1,
        description="Envelopes to summarise: max, min, mean, std.")
    with_arc_length: bool = Field(
        default=False, description="Also emit '<label> arc length' where each summary occurs.")
    envelope_output: bool = Field(
        default=False, description="Write the per-node envelope table as its own output.")
    ddof: int = Field(default=0, ge=0, description="Delta degrees of freedom of std.")

    def output_names(self) -> list[str]:
        parts: dict[str, Sequence[str]] = {"statistic": self.statistics,
                                           "section": list(_sections(self.arc_length))}
        suffixes = ["", " arc length"] if self.with_arc_length else [""]
        return (series_names(self, parts, suffixes) + self.extra_table_names()
                + self.omitted_names())

    def extra_table_names(self) -> list[str]:
        return [table_title(self, "envelope")] if self.envelope_output else []


class RangeGraphExtractor(Extractor):
    """Per-node envelopes (max, min, mean, std) of a line variable over an arc-length range."""

    name = "range_graph"
    Options = RangeGraphColumn

    def extract(self, file, column: RangeGraphColumn) -> dict:
        found = list(targets(file, column))
        sections = _sections(column.arc_length)
        parts = ["statistic"] if len(column.statistics) > 1 else []
        if len(sections) > 1:
            parts.append("section")
        name = namer_for(column.label, found, parts)
        wanted = list(dict.fromkeys(column.statistics))
        out: dict = {}
        units: dict[str, str] = {}
        variable_units: list[str] = []
        guard = SampleGuard(column)
        table: dict[str, list] = {"object": [], "variable": [], "arc_length": []}
        if len(sections) > 1:
            table["section"] = []
        for stat in wanted:
            table[stat] = []
        for target in found:
            obj, var = target.obj.name, target.var.name
            if not target.var.along_line:
                raise ResultFileError(f"{obj} / {var} is not a line variable: no range graph")
            for section, arc_length in sections.items():
                arcs, grid = file.range_values(obj, var, column.period, arc_length)
                # Envelopes are over each node's finite samples; the guard decides whether a
                # non-finite one fails the column.
                env = envelopes(grid, [*wanted, FINITE_COUNT], column.ddof)
                guard.nodes(f"{obj} / {var}", arcs, env[FINITE_COUNT], grid.shape[0])
                for stat in wanted:
                    node = governing_node(column, env[stat], stat)
                    key = name(object=obj, variable=var, statistic=stat, section=section)
                    if key in out:  # a label that names two outputs alike: never overwrite
                        raise ResultFileError(
                            f"label {column.label!r} names two outputs {key!r} ({obj} / {var} "
                            f"{stat} {section}".rstrip() + "): put {object}, {variable}, "
                            "{statistic} or {section} in it")
                    out[key] = float(env[stat][node])
                    units[key] = target.var.units
                    if column.with_arc_length:
                        out[f"{key} arc length"] = float(arcs[node])
                        units[f"{key} arc length"] = METRES
                if column.envelope_output:
                    table["object"].extend([obj] * arcs.shape[0])
                    table["variable"].extend([var] * arcs.shape[0])
                    table["arc_length"].extend(arcs.tolist())
                    if "section" in table:
                        table["section"].extend([section] * arcs.shape[0])
                    for stat in wanted:
                        table[stat].extend(env[stat].tolist())
            variable_units.append(target.var.units)
        if column.envelope_output:
            title = table_title(column, "envelope")
            unit = common_unit(variable_units)
            out[title] = extra_table(title, table, units={"arc_length": METRES,
                                                          **dict.fromkeys(wanted, unit)})
        return with_units(guard.report(out), units)


def _sections(arc_length) -> dict[str, float | tuple[float, float] | None]:
    """Section name ("s0-s1") -> its arc-length spec; one unnamed entry without sections."""
    if isinstance(arc_length, tuple) and arc_length and isinstance(arc_length[0], tuple):
        return {f"{s0:g}-{s1:g}": (s0, s1) for s0, s1 in arc_length}
    return {"": arc_length}


@hookimpl
def orcapost_register_extractors(register):
    register(RangeGraphExtractor)
