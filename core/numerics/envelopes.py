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
#: Not a statistic: the number of finite samples of each node, which the envelopes are over.
FINITE_COUNT = "count"


def _envelope(grid: np.ndarray, hi: np.ndarray, lo: np.ndarray, s1: np.ndarray,
              s2: np.ndarray, shift: np.ndarray, count: np.ndarray) -> None:
    """Fill per-node max, min, shifted sums and count of the finite samples of ``grid``.

    NaN and inf are skipped (and not counted): an envelope is over finite samples only, so
    ``max`` cannot depend on whether the first sample was NaN. The shift is each node's first
    finite value (0 when there is none).
    """
    n, m = grid.shape
    for j in range(m):
        shift[j] = 0.0
        for i in range(n):
            first = np.float64(grid[i, j])
            if np.isfinite(first):
                shift[j] = first
                break
        hi[j] = -np.inf
        lo[j] = np.inf
        s1[j] = 0.0
        s2[j] = 0.0
        count[j] = 0
    for i in range(n):
        for j in range(m):
            x = np.float64(grid[i, j])
            if np.isfinite(x):
                hi[j] = max(hi[j], x)
                lo[j] = min(lo[j], x)
                d = x - shift[j]
                s1[j] += d
                s2[j] += d * d
                count[j] += 1


_envelope_kernel = CachedKernel(_envelope)


def envelopes(grid: np.ndarray, wanted: list[str] | tuple[str, ...], ddof: int = 0
              ) -> dict[str, np.ndarray]:
    """Per-node statistics of ``grid`` (samples, nodes) over each node's finite samples: name ->
    float64 array (nodes,); ``"count"`` in ``wanted`` also gives how many samples were finite
    (a node without any has max -inf, min +inf, mean and std NaN)."""
    unknown = [name for name in wanted if name not in (*ENVELOPE_STATISTICS, FINITE_COUNT)]
    if unknown:
        raise ValueError(f"unknown envelope statistic {unknown[0]!r}: use "
                         f"{', '.join(ENVELOPE_STATISTICS)}")
    if grid.ndim != 2 or grid.shape[0] == 0:
        raise ValueError(f"an envelope needs a (samples, nodes) array, got shape {grid.shape}")
    n, m = grid.shape
    hi, lo, s1, s2, shift = (np.empty(m) for _ in range(5))
    count = np.empty(m, np.int64)
    if grid.dtype not in (np.float32, np.float64):
        grid = grid.astype(np.float64)
    _envelope_kernel(grid, hi, lo, s1, s2, shift, count)
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in wanted:
            if name == "max":
                out[name] = hi
            elif name == "min":
                out[name] = lo
            elif name == "mean":
                out[name] = shift + s1 / count
            elif name == FINITE_COUNT:
                out[name] = count
            else:
                var = (s2 - s1 * s1 / count) / (count - ddof)
                out[name] = np.sqrt(np.clip(var, 0.0, None))
    return out
