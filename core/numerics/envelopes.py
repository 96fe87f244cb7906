"""Per-node envelopes of a line variable: statistics over time of a (samples, nodes) array.

One compiled pass (numba, cached) reads the array row by row in its stored order and precision
and keeps, per node, the max, the min, and float64 sums of the values and of their squares about
the node's first value (a shift that keeps the variance free of cancellation whenever the first
sample is within a few standard deviations of the mean, as for any physical response). So an
envelope costs one read of the data, whatever statistics are asked for, with no per-node Python
loop; numpy's ``axis=0`` reductions need a pass (and float64 temporaries) per statistic.

Results equal numpy's to rounding: ``max``/``min`` exactly, ``mean`` and ``std`` (``ddof`` as
numpy) within ~1e-12 relative (float64 accumulation in a different order).
"""

from __future__ import annotations

import numpy as np
from orcapost.numerics._kernels import CachedKernel

__all__ = ["ENVELOPE_STATISTICS", "envelopes"]

ENVELOPE_STATISTICS = ("max", "min", "mean", "std")


def _envelope(grid: np.ndarray, hi: np.ndarray, lo: np.ndarray, s1: np.ndarray,
              s2: np.ndarray) -> None:
    """Fill per-node max, min and the shifted sums of ``grid`` (samples >= 1, nodes)."""
    n, m = grid.shape
    for j in range(m):
        first = np.float64(grid[0, j])
        hi[j] = first
        lo[j] = first
        s1[j] = 0.0
        s2[j] = 0.0
    for i in range(1, n):
        for j in range(m):
            x = np.float64(grid[i, j])
            hi[j] = max(hi[j], x)
            lo[j] = min(lo[j], x)
            d = x - np.float64(grid[0, j])
            s1[j] += d
            s2[j] += d * d


_envelope_kernel = CachedKernel(_envelope)


def envelopes(grid: np.ndarray, wanted: list[str] | tuple[str, ...], ddof: int = 0
              ) -> dict[str, np.ndarray]:
    """Per-node statistics of ``grid`` (samples, nodes): name -> float64 array (nodes,)."""
    unknown = [name for name in wanted if name not in ENVELOPE_STATISTICS]
    if unknown:
        raise ValueError(f"unknown envelope statistic {unknown[0]!r}: use "
                         f"{', '.join(ENVELOPE_STATISTICS)}")
    if grid.ndim != 2 or grid.shape[0] == 0:
        raise ValueError(f"an envelope needs a (samples, nodes) array, got shape {grid.shape}")
    n, m = grid.shape
    hi, lo, s1, s2 = (np.empty(m) for _ in range(4))
    if grid.dtype not in (np.float32, np.float64):
        grid = grid.astype(np.float64)
    _envelope_kernel(grid, hi, lo, s1, s2)
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        if name == "max":
            out[name] = hi
        elif name == "min":
            out[name] = lo
        elif name == "mean":
            out[name] = grid[0].astype(np.float64) + s1 / n
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                var = (s2 - s1 * s1 / n) / (n - ddof)
            out[name] = np.sqrt(np.clip(var, 0.0, None))
    return out
