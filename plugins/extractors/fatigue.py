"""The ``fatigue`` extractor: rainflow counting, damage-equivalent load and Miner damage.

The series (at a position, or at every node of an arc-length range of a line variable) is
rainflow-counted per ASTM E1049-85 with half cycles (the residue counts as half cycles; see
docs/numerics.md), in compiled code. Outputs, by name in ``outputs``:

- ``damage``: Palmgren-Miner damage ``sum n_i / N(S_i)`` on an S-N curve (a DNV-RP-C203 curve
  by name, or a user curve), with ``S_i = range_i * stress_factor * scf * thickness factor``;
- ``del``: damage-equivalent load range ``(sum n_i S_i^m / n_eq)^(1/m)`` in the variable's units;
- ``cycles``: the number of cycles (half cycles count 0.5); ``max_range``: the largest range;
- ``duration``: the seconds the counted period spans (t1 - t0), for lifetime scaling.

Wind-energy conventions as pCrunch users know them (docs/extractors/fatigue.md): ``n_eq:
per_second`` (a 1 Hz DEL: n_eq = the record's duration in seconds), several slopes ``m: [4, 10]``
(one ``del m4``, ``del m10`` output per slope), ``residue: half | full`` and a Goodman mean-stress
correction (``goodman: {ultimate: U}``). ``matrix`` writes the range-mean rainflow matrix table.

Over a range of nodes each output is summarised by its largest value over the nodes (with
``with_arc_length``, the arc length where it occurs; ``duration``, the same at every node, has
none). ``bins`` writes the range histogram as a
table of its own. Conventions and references: docs/extractors/fatigue.md.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    METRES,
    SECONDS,
    Extractor,
    OrcapostError,
    ResultFileError,
    SampleGuard,
    SeriesColumn,
    all_finite,
    common_unit,
    extra_table,
    hookimpl,
    series_names,
    table_title,
    with_units,
)
from orcapost.numerics.rainflow import del_, extract_cycles, range_histogram
from orcapost.numerics.sn_curves import SNCurve, miner_damage, resolve_curve
from orcapost.plugins.extractors._common import ArcLength
from orcapost.plugins.extractors.fatigue_options import (
    MATRIX_COLUMNS,
    GoodmanCorrection,
    RangeMeanMatrix,
    corrected_cycles,
    covering_bins,
    del_names,
    matrix_rows,
)
from pydantic import Field, field_validator, model_validator

OUTPUTS = ("damage", "del", "cycles", "max_range", "duration")
#: Outputs that are the same at every node: where their "largest" occurs means nothing, so
#: ``with_arc_length`` gives them no ``arc length`` (it used to name the first node).
NO_ARC_LENGTH = frozenset({"duration"})
#: Units of the outputs not in the variable's unit (del and max_range are: the ranges are
#: counted on the variable itself, before any stress_factor).
OUTPUT_UNITS = {"damage": DIMENSIONLESS, "cycles": DIMENSIONLESS, "duration": SECONDS}


class FatigueColumn(SeriesColumn):
    arc_length: ArcLength = Field(
        default=None, description="Line variables without a position: every node of the whole "
        "line (null) or of [s0, s1].")
    sn_curve: str | dict[str, Any] | None = Field(
        default=None, description="S-N curve: a built-in name (DNV-RP-C203:D:seawater-cp) or "
        "{m1, log_a1[, m2, log_a2, n_knee, fatigue_limit, t_ref, k]}.")
    stress_factor: float = Field(
        default=1.0, gt=0, description="Multiplies the variable into the curve's stress unit.")
    scf: float = Field(default=1.0, gt=0, description="Stress concentration factor.")
    thickness: float | None = Field(
        default=None, gt=0, description="Thickness (mm) for the curve's thickness effect.")
    m: float | list[float] | None = Field(
        default=None, description="S-N slope of the DEL, or several ([4, 10]): one output per "
        "slope, named 'del m4', 'del m10'.")
    n_eq: float | Literal["per_second"] = Field(
        default=1e7, description="Equivalent cycle count of the DEL, or per_second: one cycle "
        "per second of the counted period (a 1 Hz DEL, n_eq = t1 - t0).")
    residue: Literal["half", "full"] = Field(
        default="half", description="Half cycles (the ASTM residue): half (count 0.5, ASTM "
        "E1049) or full (each counts as a whole cycle).")
    goodman: GoodmanCorrection | None = Field(
        default=None, description="Goodman mean correction of the ranges of del and damage: "
        "{ultimate: U} in the variable's units; S' = S * U / (U - mean).")
    matrix: RangeMeanMatrix | None = Field(
        default=None, description="Range-mean rainflow matrix {range_bins, mean_bins} (a bin "
        "count or edges each), written as its own table.")
    outputs: list[Literal["damage", "del", "cycles", "max_range", "duration"]] = Field(
        default_factory=list, description="damage, del, cycles, max_range, duration (default: "
        "damage with an S-N curve, del with m).")
    bins: int | list[float] | None = Field(
        default=None, description="Range histogram: a bin count or the bin edges; written as "
        "its own table.")
    with_arc_length: bool = Field(
        default=False, description="Over a range of nodes: also emit where each summary occurs.")

    @field_validator("sn_curve")
    @classmethod
    def _curve(cls, value):
        if value is not None:
            try:
                resolve_curve(value)
            except OrcapostError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("bins")
    @classmethod
    def _bins(cls, value):
        if isinstance(value, int) and value < 1:
            raise ValueError("bins must be at least 1")
        if isinstance(value, list) and (len(value) < 2 or np.any(np.diff(value) <= 0)):
            raise ValueError("bin edges must be at least two increasing values")
        return value

    @field_validator("m")
    @classmethod
    def _slopes(cls, value):
        slopes = value if isinstance(value, list) else [value] if value is not None else []
        if any(not m > 0 for m in slopes):
            raise ValueError("every S-N slope m must be > 0")
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("m is a slope or a list of distinct slopes")
        return value

    @field_validator("n_eq")
    @classmethod
    def _n_eq(cls, value):
        if not isinstance(value, str) and not value > 0:
            raise ValueError("n_eq must be > 0 (or per_second)")
        return value

    def slopes(self) -> list[float]:
        """The DEL slopes, in the order given."""
        return [] if self.m is None else list(self.m) if isinstance(self.m, list) else [self.m]

    @model_validator(mode="after")
    def _something(self):
        wanted = self.wanted()
        if not wanted and self.bins is None and self.matrix is None:
            raise ValueError("give sn_curve (damage), m (DEL), outputs, bins or matrix")
        if "damage" in wanted and self.sn_curve is None:
            raise ValueError("damage needs an sn_curve")
        if "del" in wanted and self.m is None:
            raise ValueError("del needs the S-N slope m")
        if self.thickness is not None:
            # The thickness factor is the curve's (t / t_ref)^k: without a curve, or with a user
            # curve that gives no k (0 by default), it is 1 and the damage was silently that of
            # the reference thickness.
            if self.sn_curve is None:
                raise ValueError("thickness applies to an sn_curve's damage: give sn_curve, or "
                                 "remove thickness")
            if isinstance(self.sn_curve, dict) and "k" not in self.sn_curve:
                raise ValueError(
                    "thickness has no effect on a user S-N curve without a thickness exponent: "
                    "add k to sn_curve (DNV-RP-C203 Table 2-1, e.g. 0.20 for curve D; t_ref "
                    "defaults to 25 mm), or remove thickness")
        return self

    def output_names(self) -> list[str]:
        wanted = self.wanted()
        names = series_names(self, {"statistic": wanted}) if wanted else []
        if self.with_arc_length:  # one name per output (the statistic is the only part)
            names = [n for name, output in zip(names, wanted, strict=False)
                     for n in ([name] if output in NO_ARC_LENGTH else [name, f"{name} arc length"])]
        return names + self.extra_table_names() + self.omitted_names()

    def extra_table_names(self) -> list[str]:
        return ([table_title(self, "range histogram")] if self.bins is not None else []) + (
            [table_title(self, "range-mean matrix")] if self.matrix is not None else [])

    def wanted(self) -> list[str]:
        """The output statistics: ``del`` is one ``del m<slope>`` per slope when several."""
        chosen: list[str]
        if self.outputs:
            chosen = list(dict.fromkeys(self.outputs))
        else:
            chosen = ([("damage")] if self.sn_curve is not None else []) + (
                ["del"] if self.m is not None else [])
        if "del" in chosen and isinstance(self.m, list) and len(self.m) > 1:
            at = chosen.index("del")
            chosen[at:at + 1] = del_names(self.slopes())
        return chosen


def fatigue_values(series: np.ndarray, column: FatigueColumn, curve: SNCurve | None,
                   duration: float = 0.0) -> tuple[dict[str, float], Any]:
    """The column's outputs for one series spanning ``duration`` seconds, and its cycles."""
    cycles = extract_cycles(series)
    # The ranges and counts damage and DEL use: residue and Goodman options applied.
    ranges, counts = corrected_cycles(cycles, column.residue, column.goodman)
    out: dict[str, float] = {"duration": duration}
    slopes = dict(zip(del_names(column.slopes()), column.slopes(), strict=True))
    if len(slopes) == 1:
        slopes = {"del": column.slopes()[0]}
    for output in column.wanted():
        if output == "damage":
            if curve is None:  # the column's validator asks for one
                raise ValueError("damage needs an S-N curve")
            factor = curve.thickness_factor(column.thickness) if column.thickness else 1.0
            out[output] = miner_damage(ranges * column.stress_factor, counts,
                                       curve, scf=column.scf, thickness_factor=factor)
        elif output in slopes:
            if column.n_eq == "per_second":
                if not duration > 0:
                    raise ValueError("n_eq: per_second needs a period longer than 0 s")
                n_eq = duration
            else:
                n_eq = float(column.n_eq)
            out[output] = del_(ranges, counts, slopes[output], n_eq)
        elif output == "del":  # the column's validator asks for m
            raise ValueError("del needs the S-N slope m")
        elif output == "cycles":
            out[output] = float(counts.sum())
        elif output == "max_range":
            out[output] = float(cycles.ranges.max()) if cycles.ranges.size else 0.0
    return out, cycles


class FatigueExtractor(Extractor):
    """Rainflow counting (ASTM E1049-85), DEL and Miner damage on S-N curves, range histograms."""

    name = "fatigue"
    Options = FatigueColumn

    def extract(self, file, column: FatigueColumn) -> dict:
        wanted = column.wanted()
        curve = resolve_curve(column.sn_curve) if column.sn_curve is not None else None
        out: dict = {}
        units: dict[str, str] = {}
        histogram_units: list[str] = []
        histogram: dict[str, list] = {"object": [], "variable": [], "arc_length": [],
                                      "range_low": [], "range_high": [], "cycles": []}
        matrix: dict[str, list] = {key: [] for key in MATRIX_COLUMNS}
        times = file.sample_times()[file.period_slice(column.period)]
        duration = float(times[-1] - times[0])
        guard = SampleGuard(column)
        for target, names in self.named_statistics(file, column, wanted):
            obj, var = target.obj.name, target.var.name
            if target.var.along_line and column.position is None:
                arcs, grid = file.range_values(obj, var, column.period, column.arc_length)
                series = [grid[:, j] for j in range(arcs.shape[0])]
                checked = all_finite(grid)  # one pass over the grid, not one per node
            else:
                values = file.time_history(obj, var, column.position, column.period).values
                arcs, series = np.array([np.nan]), [values]
                checked = False
            per_node: dict[str, list[float]] = {output: [] for output in wanted}
            for s, x in zip(arcs.tolist(), series, strict=True):
                if not checked:
                    where = f"{obj} / {var}" + ("" if np.isnan(s) else f" at arc length {s:g}")
                    # Omitted samples are cut out: the cycles run across the gap.
                    x = guard.series(where, times, x)[1]
                try:
                    values, cycles = fatigue_values(x, column, curve, duration)
                except ValueError as exc:
                    raise ResultFileError(f"{obj} / {var}: {exc}") from None
                for output in wanted:
                    per_node[output].append(values[output])
                if column.bins is not None:
                    counts, edges = range_histogram(cycles.ranges, cycles.counts,
                                                    covering_bins(column.bins, cycles.ranges))
                    histogram["object"].extend([obj] * counts.size)
                    histogram["variable"].extend([var] * counts.size)
                    histogram["arc_length"].extend([s] * counts.size)
                    histogram["range_low"].extend(edges[:-1].tolist())
                    histogram["range_high"].extend(edges[1:].tolist())
                    histogram["cycles"].extend(counts.tolist())
                if column.matrix is not None:
                    rows = matrix_rows(cycles, column.matrix, column.residue)
                    size = len(rows["cycles"])
                    for key, values_ in {"object": [obj] * size, "variable": [var] * size,
                                         "arc_length": [s] * size, **rows}.items():
                        matrix[key].extend(values_)
            for output in wanted:
                node = int(np.argmax(per_node[output]))
                key = names[output]
                out[key] = per_node[output][node]
                units[key] = OUTPUT_UNITS.get(output, target.var.units)
                if column.with_arc_length and arcs.shape[0] > 1 and output not in NO_ARC_LENGTH:
                    out[f"{key} arc length"] = float(arcs[node])
                    units[f"{key} arc length"] = METRES
            histogram_units.append(target.var.units)
        if column.bins is not None:
            title = table_title(column, "range histogram")
            ranges = common_unit(histogram_units)
            out[title] = extra_table(title, histogram, units={
                "arc_length": METRES, "range_low": ranges, "range_high": ranges,
                "cycles": DIMENSIONLESS})
        if column.matrix is not None:
            title = table_title(column, "range-mean matrix")
            ranges = common_unit(histogram_units)  # ranges and means: the variable's unit
            out[title] = extra_table(title, matrix, units={
                "arc_length": METRES, "range_low": ranges, "range_high": ranges,
                "mean_low": ranges, "mean_high": ranges, "cycles": DIMENSIONLESS})
        return with_units(guard.report(out), units)


@hookimpl
def orcapost_register_extractors(register):
    register(FatigueExtractor)
