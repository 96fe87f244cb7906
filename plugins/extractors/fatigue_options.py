"""Wind-energy fatigue options of the ``fatigue`` extractor: residue, Goodman, slopes, matrix.

Kept apart from ``fatigue.py`` so each convention is stated and tested on its own
(docs/extractors/fatigue.md#wind-energy-conventions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from orcapost.api import StrictModel
from pydantic import Field, field_validator

#: Columns of the range-mean matrix table, in order.
MATRIX_COLUMNS = ("object", "variable", "arc_length", "range_low", "range_high", "mean_low",
                  "mean_high", "cycles")


class GoodmanCorrection(StrictModel):
    """Goodman mean-stress correction: ``S' = S * U / (U - S_m)``, ``U`` the ultimate."""

    ultimate: float = Field(gt=0, description="Ultimate strength or load U, in the variable's "
                            "units (the units of the ranges and means).")


def _bins(value: Any) -> Any:
    if isinstance(value, int) and value < 1:
        raise ValueError("a bin count is at least 1")
    if isinstance(value, list) and (len(value) < 2 or np.any(np.diff(value) <= 0)):
        raise ValueError("bin edges are at least two increasing values")
    return value


class RangeMeanMatrix(StrictModel):
    """Bins of the range-mean rainflow matrix: a count (over each series' own span) or edges."""

    range_bins: int | list[float] = Field(default=10, description="Range bins: count or edges.")
    mean_bins: int | list[float] = Field(default=10, description="Mean bins: count or edges.")

    @field_validator("range_bins", "mean_bins")
    @classmethod
    def _check(cls, value: Any) -> Any:
        return _bins(value)


def del_names(slopes: list[float]) -> list[str]:
    """Output names of the DELs of several slopes: ``del m4``, ``del m10``, ``del m3.5``."""
    return [f"del m{m:g}" for m in slopes]


def residue_counts(counts: np.ndarray, residue: str) -> np.ndarray:
    """Cycle counts with the residue convention: ``half`` keeps ASTM's 0.5 for half cycles,
    ``full`` counts every half cycle as a whole one (1.0)."""
    return counts if residue == "half" else np.ones_like(counts)


def goodman_ranges(ranges: np.ndarray, means: np.ndarray, ultimate: float) -> np.ndarray:
    """``S * U / (U - S_m)``, which is ``S / (1 - S_m / U)``: the range of zero mean that does
    the same damage on a Goodman diagram. A cycle mean at or above ``U`` has no such range."""
    if means.size and float(np.max(means)) >= ultimate:
        raise ValueError(f"goodman: a cycle mean ({float(np.max(means)):g}) reaches the "
                         f"ultimate {ultimate:g}; the correction is undefined there")
    return ranges * (ultimate / (ultimate - means))


def corrected_cycles(cycles: Any, residue: str, goodman: GoodmanCorrection | None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The (ranges, counts) that damage and DEL use, with the residue and Goodman options."""
    ranges = cycles.ranges
    if goodman is not None:
        ranges = goodman_ranges(ranges, cycles.means, goodman.ultimate)
    return ranges, residue_counts(cycles.counts, residue)


def covering_bins(bins: int | list[float], values: Any) -> int | list[float]:
    """``bins`` as numpy takes them, widened so that every value is counted: given edges gain a
    bin from the smallest value up to the first edge, and one from the last edge up to the
    largest value, where values lie outside them (``numpy.histogram`` drops them silently: the
    largest, most damaging cycles were in no row). The last given edge then closes no bin: a
    value equal to it counts in the bin above it. A bin count covers every value already."""
    if isinstance(bins, int):
        return bins
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return bins
    edges = [float(edge) for edge in bins]
    low, high = float(values.min()), float(values.max())
    if low < edges[0]:
        edges.insert(0, low)
    if high > edges[-1]:
        edges.append(high)
    return edges


def matrix_rows(cycles: Any, spec: RangeMeanMatrix, residue: str) -> dict[str, list]:
    """The range-mean matrix of one series as long-table rows (every cell, zeros included).

    ``numpy.histogram2d`` of (range, mean) weighted by the cycle counts (residue option
    applied; no Goodman correction: the matrix is what was counted). Bins are half-open
    ``[a, b)`` except the last, closed, as numpy's.
    """
    counts = residue_counts(cycles.counts, residue)
    grid, r_edges, m_edges = np.histogram2d(cycles.ranges, cycles.means,
                                            bins=[covering_bins(spec.range_bins, cycles.ranges),
                                                  covering_bins(spec.mean_bins, cycles.means)],
                                            weights=counts)
    r_cells, m_cells = np.meshgrid(np.arange(r_edges.size - 1), np.arange(m_edges.size - 1),
                                   indexing="ij")
    ri, mi = r_cells.ravel(), m_cells.ravel()
    return {"range_low": r_edges[ri].tolist(), "range_high": r_edges[ri + 1].tolist(),
            "mean_low": m_edges[mi].tolist(), "mean_high": m_edges[mi + 1].tolist(),
            "cycles": grid.ravel().tolist()}
