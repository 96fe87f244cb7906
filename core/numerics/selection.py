"""Order statistics of many rows at once: the ``k``-th smallest values, exactly, without sorting.

``np.partition`` copies each row and runs introselect on it (~5 ns a sample on OpenFAST
channels); the per-file ``p50`` of a wide OpenFAST file spent 40 % of its worker time there.
:func:`order_statistics` reads each row twice and copies only a few samples (numba, cached):

1. a histogram of the row over ``B`` equal-width buckets between its min and max, with the
   bucket of a sample ``int((x - min) * s)``, ``s = (B - 1) / (max - min)``, computed in
   float64 -- monotonic in ``x`` (subtraction and scaling by a positive number round monotonically), so
   the buckets are in value order and equal values share one;
2. the cumulative counts say which bucket holds each wanted rank; a second pass copies the
   samples of those buckets only (a few dozen of thousands) and sorts them.

The value at rank ``k`` of a row is unique (a value, not a position), so it is the value
``np.partition`` puts at position ``k``, bit for bit -- except for the sign of a zero:
``-0.0 == 0.0``, and which of the two lands at ``k`` depends on the algorithm. The caller
(``exact_percentiles``) leaves to numpy every row where that matters, as it already did.

A row is left to the caller (``ok`` false) when it is not finite (its min or max is NaN or
infinite: NaN propagates through both), when its range overflows or is so small (below about
1e-304) that ``(B - 1) / range`` does, when a sample lies outside the ``lo``/``hi`` given for
it (or ``lo == hi`` and the row is not constant: bounds that are not the row's are never
trusted, nor read or written past), or when the buckets of its ranks hold more than about a
quarter of its samples (``n // 4 + 16``; a row of few distinct values): sorting them would
cost more than numpy's selection.

Numba's start-up (~0.5 s a process: importing it and loading its typing) is paid only where
it pays back (:func:`worth_compiling`): at once when numba is already loaded (fatigue, range
graphs, rainflow), else once numpy's selection has cost a process as much as the start-up
would (a "ski rental" rule: a short run of a few percentiles never pays for numba).
"""

from __future__ import annotations

import sys
import threading

import numpy as np
from orcapost.numerics._kernels import CachedKernel

__all__ = ["accepts", "order_statistics", "worth_compiling"]

#: Samples numpy selects in about the time numba's start-up takes in a fresh process (~0.5 s at
#: ~5 ns a sample): past this many, a process uses the compiled selection.
SKI_RENTAL_SAMPLES = 100_000_000
#: Rows shorter than this are selected by numpy: its per-call overhead is shared by the rows of
#: a block, and a short row's selection costs less than the kernel's two passes.
MIN_ROW_SAMPLES = 64

_selected = 0  # samples selected by numpy in this process (under _lock)
_lock = threading.Lock()


def worth_compiling(samples: int) -> bool:
    """Whether ``samples`` more samples should go through the compiled selection: numba is
    loaded already, or numpy's selection has cost this process about numba's start-up. Counts
    ``samples`` as numpy's when not."""
    global _selected
    if "numba" in sys.modules:
        return True
    with _lock:
        _selected += samples
        return _selected > SKI_RENTAL_SAMPLES


def buckets_for(count: int) -> int:
    """Histogram buckets for rows of ``count`` samples: a power of two near a third of them
    (a few samples a bucket), between 64 and 4096 (the histogram stays in the L1 cache)."""
    return min(4096, max(64, 1 << max(0, count // 3).bit_length()))


def _select(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, ranks: np.ndarray,
            out: np.ndarray, ok: np.ndarray, scratch: np.ndarray, hist: np.ndarray,
            wanted: np.ndarray) -> None:
    """``out[i, j]`` = the value of rank ``ranks[j]`` (ascending, distinct) of row ``i``, and
    ``ok[i]``; ``lo``/``hi`` are the rows' min and max; ``scratch`` holds the wanted buckets'
    samples (its size is the most a row may copy), ``hist`` the counts, ``wanted`` zeros."""
    m, n = rows.shape
    buckets = hist.shape[0]
    nk = ranks.shape[0]
    bucket_of = np.empty(nk, np.int64)
    before = np.empty(nk, np.int64)
    for i in range(m):
        a = np.float64(lo[i])
        span = np.float64(hi[i]) - a
        # NaN or an infinity in the row, or the range overflows (or bounds given the wrong
        # way round).
        if not (span - span == 0.0) or span < 0.0:
            ok[i] = False
            continue
        row = rows[i]
        if span == 0.0:  # every sample equal (a zero's sign is the caller's), if lo is the row's
            constant = True
            for p in range(n):
                if row[p] != a:
                    constant = False
                    break
            for j in range(nk):
                out[i, j] = row[0]
            ok[i] = constant
            continue
        scale = (buckets - 1) / span
        if not (scale - scale == 0.0):  # a subnormal range
            ok[i] = False
            continue
        hist[:] = 0
        inside = True
        for p in range(n):
            t = (np.float64(row[p]) - a) * scale
            if not (t >= 0.0 and t < buckets):  # outside [lo, hi] (or NaN): not the row's bounds
                inside = False
                break
            hist[int(t)] += 1
        if not inside:
            ok[i] = False
            continue
        seen = 0
        j = 0
        for b in range(buckets):
            c = hist[b]
            while j < nk and ranks[j] < seen + c:
                bucket_of[j] = b
                before[j] = seen
                j += 1
            seen += c
        copied = 0
        for j in range(nk):
            if wanted[bucket_of[j]] == 0:
                wanted[bucket_of[j]] = 1
                copied += hist[bucket_of[j]]
        if copied <= scratch.shape[0]:
            q = 0
            for p in range(n):
                x = row[p]
                if wanted[int((np.float64(x) - a) * scale)]:
                    scratch[q] = x
                    q += 1
            found = np.sort(scratch[:q])  # the wanted buckets, in bucket (value) order
            for j in range(nk):
                offset = 0  # samples of wanted buckets below this rank's bucket
                for jj in range(j):
                    if bucket_of[jj] < bucket_of[j] and (jj == 0
                                                         or bucket_of[jj] != bucket_of[jj - 1]):
                        offset += hist[bucket_of[jj]]
                out[i, j] = found[offset + ranks[j] - before[j]]
        ok[i] = copied <= scratch.shape[0]
        for j in range(nk):
            wanted[bucket_of[j]] = 0


_select_kernel = CachedKernel(_select)


def accepts(dtype: np.dtype) -> bool:
    """Whether :func:`order_statistics` takes rows of ``dtype``: native float32 or float64 (the
    kernel's two compiled types; big-endian and half-precision rows are numpy's to select)."""
    return dtype.type in (np.float32, np.float64) and dtype.isnative


def order_statistics(rows: np.ndarray, ranks: list[int], lo: np.ndarray, hi: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``ranks`` (distinct, ascending, each in ``0 .. n-1``) of every row of the
    2-D float ``rows`` (unit stride along a row), as ``(values, ok)``: ``values[i, j]`` in the
    rows' dtype, valid where ``ok[i]`` (see the module docstring for the rows left out).
    ``lo``/``hi``: each row's min and max (``np.minimum.reduce`` and ``np.maximum.reduce``
    along the rows, which propagate NaN)."""
    m, n = rows.shape
    if not accepts(rows.dtype):
        raise TypeError(f"rows must be native float32 or float64, not {rows.dtype}")
    if np.shape(lo) != (m,) or np.shape(hi) != (m,):
        raise ValueError(f"lo and hi must hold one bound per row ({m}), not {np.shape(lo)} "
                         f"and {np.shape(hi)}")
    if (any(not 0 <= r < n for r in ranks)
            or any(a >= b for a, b in zip(ranks, ranks[1:], strict=False))):
        raise ValueError(f"ranks must be distinct, ascending and in 0 .. {n - 1}: {ranks}")
    out = np.empty((m, len(ranks)), dtype=rows.dtype)
    ok = np.zeros(m, dtype=np.bool_)
    buckets = buckets_for(n)
    _select_kernel(rows, np.ascontiguousarray(lo, dtype=rows.dtype),
                   np.ascontiguousarray(hi, dtype=rows.dtype), np.asarray(ranks, np.int64),
                   out, ok, np.empty(n // 4 + 16, rows.dtype), np.empty(buckets, np.int64),
                   np.zeros(buckets, np.uint8))
    return out, ok
