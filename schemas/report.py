"""``outputs.report``: which figures ``orcapost report RESULTS --html`` draws.

Every list is optional: left out (null), the report picks figures from what the tables hold
(docs/report.md, "Defaults"); an empty list draws none of that kind. Tables are named as their
files are (the file stem: ``riser``, ``riser_Riser_tension_envelope``); columns as in the table.
"""

from __future__ import annotations

from typing import Literal

from orcapost.schemas.base import StrictModel
from pydantic import Field, field_validator, model_validator


class Allowable(StrictModel):
    """A horizontal limit line on an envelope plot (an allowable tension, a minimum)."""

    value: float = Field(description="The limit, in the unit of the plotted variable.")
    label: str = Field(default="allowable", min_length=1, description="Legend text.")


class EnvelopePlot(StrictModel):
    """Range-graph envelopes along arc length from an envelope table (range_graph
    ``envelope_output: true``): every load case's max and min, the governing envelope drawn
    bold."""

    table: str = Field(min_length=1, description="The envelope table (file stem).")
    statistics: list[str] = Field(
        default_factory=lambda: ["max", "min"], min_length=1,
        description="Envelope columns to draw (max, min, mean, std, ...).")
    allowables: list[Allowable] = Field(
        default_factory=list, description="Limit lines: [{value: 2500, label: MBL/1.67}].")
    unit: str | None = Field(
        default=None, description="The variable's unit for the axis; null: the table's "
        "'unit' field metadata, if any.")


class HeatMap(StrictModel):
    """A value column of a result group over two load-case keys (heading x Hs)."""

    group: str = Field(min_length=1, description="The result group (its table).")
    column: str = Field(min_length=1, description="The value column drawn.")
    x: str = Field(default="heading", min_length=1, description="Load-case key along x.")
    y: str = Field(default="Hs", min_length=1, description="Load-case key along y.")
    reduce: Literal["max", "min", "mean"] = Field(
        default="max", description="How the files of one cell (seeds) are combined.")

    @model_validator(mode="after")
    def _two_keys(self):
        if self.x == self.y:
            raise ValueError(f"x and y are both {self.x!r}: a heat map needs two load-case keys")
        return self


class ProbabilityPlot(StrictModel):
    """Per-file extremes of a column on Gumbel probability paper, with the maximum-likelihood
    Gumbel fit (the campaign ``gumbel`` reduction's): the data points at Gringorten plotting
    positions and the fitted line."""

    group: str = Field(min_length=1, description="The result group (its table).")
    column: str = Field(min_length=1, description="A column of per-file extremes (maxima).")
    tail: Literal["upper", "lower"] = Field(
        default="upper", description="upper: maxima; lower: minima.")
    by: list[str] | None = Field(
        default=None, description="Load-case keys of one sea state; the sea state with the "
        "largest (upper) or smallest (lower) mean is plotted. null: the heat-map keys found; "
        "[]: every file of the group.")


class RainflowPlot(StrictModel):
    """A rainflow range histogram from a fatigue column's histogram table (``bins``)."""

    table: str = Field(min_length=1, description="The range histogram table (file stem).")
    file: str | None = Field(
        default=None, description="The file drawn; null: the file with the largest range.")


class FitPlot(StrictModel):
    """The sample an extremes column fitted (its ``sample_output`` table: declustered peaks or
    block maxima) against the fitted distribution's exceedance probability."""

    table: str = Field(min_length=1, description="The extremes sample table (file stem).")
    file: str | None = Field(
        default=None, description="The file drawn; null: the one with the most extreme value.")


class TimeHistoryPlot(StrictModel):
    """Time histories from a long time-history table, the build-up (t < 0) shaded."""

    table: str = Field(min_length=1, description="The time-history table (file stem).")
    columns: list[str] | None = Field(
        default=None, description="Series drawn; null: every series column of the table.")
    files: int = Field(
        default=3, ge=1, le=20,
        description="How many files: those with the largest absolute value of the series.")


class ReportConfig(StrictModel):
    """The figures of the HTML report (``orcapost report RESULTS --html``)."""

    title: str | None = Field(default=None, description="Page title; null: the config's stem.")
    envelopes: list[EnvelopePlot] | None = Field(
        default=None, description="Envelope plots; null: one per envelope table.")
    heatmaps: list[HeatMap] | None = Field(
        default=None, description="Heat maps; null: per group, its first non-constant "
        "'... max' column over heading x Hs (when both are columns).")
    probability: list[ProbabilityPlot] | None = Field(
        default=None, description="Extreme-value probability plots; null: per group, its "
        "first non-constant '... max' column.")
    fits: list[FitPlot] | None = Field(
        default=None, description="Extreme-value fits against their data; null: one per "
        "extremes sample table (extremes sample_output: true).")
    rainflow: list[RainflowPlot] | None = Field(
        default=None, description="Rainflow histograms; null: one per range histogram table.")
    time_histories: list[TimeHistoryPlot] | None = Field(
        default=None, description="Time-history plots; null: one per long time-history table.")
    timeline: bool = Field(
        default=True, description="Draw the run timeline (concurrency, memory, throughput).")
    max_cases: int = Field(
        default=60, ge=1, description="Envelope plots draw each load case up to this many "
        "cases; beyond, the spread of all cases as a band and the governing cases as lines.")
    max_figures: int = Field(
        default=60, ge=1, description="At most this many figures (the rest are listed, not "
        "drawn), so a large campaign keeps a page a browser opens.")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("title is empty: give a title or leave it out")
        return value
