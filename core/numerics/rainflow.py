"""Rainflow cycle counting (ASTM E1049-85, section 5.4.4) with half cycles, and fatigue sums.

Conventions (kept identical to the ``rainflow`` package 3.2.0, which the tests compare against):

- The series is converted to float64 and must be 1-D and finite (NaN/inf raise ``ValueError``).
- **Turning points.** The series is reduced to its reversals block by block (4096 samples), and
  the ASTM stack loop (numba) counts each block's reversals as they are found. Equal consecutive values collapse (a plateau is one
  point): a reversal on a plateau is reported at the *last* sample of the plateau; a plateau
  that is not a reversal is dropped. The first and the last samples are always turning points
  (index ``0`` and ``n - 1``), whatever their value.
- **Short series.** 0 or 1 sample: no reversal, no cycle. 2 samples: only the first sample is a
  reversal, hence no cycle (this is what ``rainflow`` 3.2.0 does; ASTM would count one half cycle,
  but a 2-sample history is not a load history and identity with the reference wins). A constant
  series of 3 or more samples gives one half cycle of range 0 (first and last samples).
- **Residue.** What is left on the stack when the series ends is counted as half cycles, pair by
  pair from the oldest point (ASTM E1049-85 5.4.4 and ``rainflow`` 3.2.0 alike).
- **Order.** Cycles come out in the order the ASTM stack algorithm closes them, which is the order
  ``rainflow.extract_cycles`` yields them: results are element-by-element identical.
- Range = ``abs(x1 - x2)``, mean = ``0.5 * (x1 + x2)``, count = 1.0 (full) or 0.5 (half);
  ``starts``/``ends`` are the indices in the original series of the two turning points of the
  cycle, in the order they occur in time (start < end).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from orcapost.numerics._kernels import CachedKernel
from orcapost.numerics.sn_curves import miner_damage

__all__ = [
    "Cycles",
    "del_",
    "extract_cycles",
    "miner_damage",
    "range_histogram",
    "reversals",
]


class Cycles(NamedTuple):
    """Rainflow cycles as parallel arrays (one entry per cycle, in ASTM closing order)."""

    ranges: np.ndarray  # float64, >= 0
    means: np.ndarray  # float64
    counts: np.ndarray  # float64, 0.5 (half cycle) or 1.0 (full cycle)
    starts: np.ndarray  # int64, index in the original series of the first turning point
    ends: np.ndarray  # int64, index in the original series of the second turning point


# Turning points are found and counted block by block: a block's reversals go to a small scratch
# buffer that stays in cache, instead of two series-long arrays written then read back. On a loaded
# virtual machine, first-touching fresh memory costs as much as the counting itself (page faults,
# huge-page compaction), so the only large arrays a call touches are its outputs. 4096 samples
# (64 KiB of scratch) measured best among 1024..16384.
_BLOCK = 4096


def _block_turning_points(
    x: np.ndarray, lo: int, hi: int, prev: float, bidx: np.ndarray, bval: np.ndarray
) -> tuple[int, float]:
    """Reversals among samples ``lo .. hi-1`` of ``x`` (``hi <= n - 1``) into ``bidx``/``bval``.

    ``prev`` is the last non-zero step before ``lo`` (carried from block to block); returns the
    number of reversals written and the new ``prev``. Sample ``k`` is a reversal when the step out
    of it, ``x[k+1] - x[k]``, has the opposite sign to ``prev``; zero steps (plateaus) are skipped,
    so a reversal on a plateau lands on its last sample. The test is ``prev * step < 0``, exactly as
    in rainflow 3.2.0 (it differs from a sign test only when the product underflows, for steps
    < 1e-154): identity with the reference is bit for bit.

    Branch-free on purpose: every candidate is written and the write position only advances on a
    reversal. White noise makes a branch here unpredictable (2/3 of samples are reversals).
    """
    m = 0
    for k in range(lo, hi):
        xk = x[k]
        step = x[k + 1] - xk
        bidx[m] = k
        bval[m] = xk
        m += prev * step < 0.0
        prev = step if step != 0.0 else prev
    return m, prev


def _block_count(
    values: np.ndarray,
    indices: np.ndarray,
    count: int,
    rng: np.ndarray,
    mean: np.ndarray,
    cnt: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    stack_v: np.ndarray,
    stack_i: np.ndarray,
    state: np.ndarray,
) -> None:
    """ASTM E1049-85 5.4.4 on the next ``count`` turning points; mirrors ``rainflow.extract_cycles``.

    ``state`` = ``[bottom, top, cycles]`` carries the stack and the output position between
    blocks. The newest point is compared before it is pushed (``X`` = its range to the top of
    the stack, ``Y`` = the top range), which keeps the two values compared in registers. The
    stack has a movable bottom: ASTM discards the *oldest* point when a half cycle contains the
    starting point (a deque ``popleft``), and every point is pushed once, so nothing is copied.
    """
    bottom = state[0]
    top = state[1]
    k = state[2]
    for j in range(count):
        xc = values[j]
        while top - bottom >= 2:
            xa = stack_v[top - 2]
            xb = stack_v[top - 1]
            if abs(xc - xb) < abs(xb - xa):  # X < Y: read the next point
                break
            if top - bottom == 2:
                # Y contains the starting point: half cycle, drop the oldest point.
                i1 = stack_i[bottom]
                i2 = stack_i[bottom + 1]
                bottom += 1
                half = 0.5
            else:
                # Full cycle: drop the peak and the valley of Y.
                i1 = stack_i[top - 2]
                i2 = stack_i[top - 1]
                top -= 2
                half = 1.0
            rng[k] = abs(xa - xb)
            mean[k] = 0.5 * (xa + xb)
            cnt[k] = half
            start[k] = i1
            end[k] = i2
            k += 1
        stack_v[top] = xc
        stack_i[top] = indices[j]
        top += 1
    state[0] = bottom
    state[1] = top
    state[2] = k


def _count(
    x: np.ndarray,
    rng: np.ndarray,
    mean: np.ndarray,
    cnt: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    stack_v: np.ndarray,
    stack_i: np.ndarray,
    block: int,
) -> int:
    """Rainflow-count ``x`` (``n >= 3``) into the output arrays; return the number of cycles.

    Output capacity ``n - 1`` (each cycle removes at least one point from the stack for good),
    stack capacity ``n``: allocated by the caller with numpy but only touched as far as they are
    used (the stack rarely holds more than a few dozen points). The first and last samples are
    always turning points; the residue is counted as half cycles, oldest first.
    """
    n = x.shape[0]
    state = np.zeros(3, np.int64)
    bidx = np.empty(block, np.int64)
    bval = np.empty(block, np.float64)
    bidx[0] = 0
    bval[0] = x[0]
    _block_count(bval, bidx, 1, rng, mean, cnt, start, end, stack_v, stack_i, state)
    prev = x[1] - x[0]
    lo = 1
    while lo < n - 1:
        hi = min(lo + block, n - 1)
        m, prev = _block_turning_points(x, lo, hi, prev, bidx, bval)
        _block_count(bval, bidx, m, rng, mean, cnt, start, end, stack_v, stack_i, state)
        lo = hi
    bidx[0] = n - 1
    bval[0] = x[n - 1]
    _block_count(bval, bidx, 1, rng, mean, cnt, start, end, stack_v, stack_i, state)
    # Residue: the remaining ranges, oldest first, are half cycles.
    bottom = state[0]
    top = state[1]
    k = state[2]
    while top - bottom > 1:
        x1 = stack_v[bottom]
        x2 = stack_v[bottom + 1]
        rng[k] = abs(x1 - x2)
        mean[k] = 0.5 * (x1 + x2)
        cnt[k] = 0.5
        start[k] = stack_i[bottom]
        end[k] = stack_i[bottom + 1]
        bottom += 1
        k += 1
    return k


_count_kernel = CachedKernel(_count, helpers=(_block_turning_points, _block_count))


def _as_series(series: ArrayLike) -> np.ndarray:
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"rainflow expects a 1-D series, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("rainflow series contains NaN or inf")
    return x


def _turning_points(x: np.ndarray, idx: np.ndarray, val: np.ndarray) -> int:
    """Write the turning points of ``x`` (``n >= 3``) into ``idx``/``val``; return their number.

    Sample ``k`` is a reversal when the step out of it, ``x[k+1] - x[k]``, has the opposite sign
    to the last non-zero step before it; zero steps (plateaus) are skipped, so a reversal on a
    plateau lands on its last sample. The test is ``prev * step < 0``, exactly as in rainflow
    3.2.0 (it differs from a sign test only when the product underflows, for steps < 1e-154):
    identity with the reference is bit for bit.

    Branch-free on purpose: every candidate is written and the write position only advances on a
    reversal. White noise makes a branch here unpredictable (2/3 of samples are reversals), and
    one pass replaces the ~7 full-length temporaries a numpy formulation needs (measured 3-8x
    slower; see docs/numerics.md).
    """
    n = x.shape[0]
    idx[0] = 0
    val[0] = x[0]
    m = 1
    prev = x[1] - x[0]
    for k in range(1, n - 1):
        xk = x[k]
        step = x[k + 1] - xk
        idx[m] = k
        val[m] = xk
        m += prev * step < 0.0
        prev = step if step != 0.0 else prev
    idx[m] = n - 1
    val[m] = x[n - 1]
    return m + 1


_turning_points_kernel = CachedKernel(_turning_points)


def reversals(series: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Turning points of ``series``: ``(indices, values)``, int64 and float64 arrays.

    Plateaus collapse: a reversal on a plateau is reported at the plateau's last sample. The first
    and last samples are always included (for 3 samples or more; see the module docstring for 0,
    1 and 2 samples).
    """
    x = _as_series(series)
    n = x.size
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    if n == 2:
        # rainflow 3.2.0 emits the last point only once it has seen a third one.
        return np.zeros(1, np.int64), x[:1].copy()
    idx = np.empty(n, np.int64)
    val = np.empty(n, np.float64)
    m = _turning_points_kernel(np.ascontiguousarray(x), idx, val)
    return idx[:m], val[:m]


def extract_cycles(series: ArrayLike) -> Cycles:
    """Rainflow-count ``series`` (ASTM E1049-85 with half cycles); see the module conventions."""
    return _extract_cycles(_as_series(series), _BLOCK)


def _extract_cycles(x: np.ndarray, block: int) -> Cycles:
    n = x.size
    if n < 3:
        # 0 or 1 sample: no reversal; 2 samples: one reversal (rainflow 3.2.0), so no cycle.
        empty = np.empty(0, np.float64)
        none = np.empty(0, np.int64)
        return Cycles(empty, empty.copy(), empty.copy(), none, none.copy())
    cap = n - 1
    out = (
        np.empty(cap, np.float64),
        np.empty(cap, np.float64),
        np.empty(cap, np.float64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
    )
    k = _count_kernel(
        np.ascontiguousarray(x), *out, np.empty(n, np.float64), np.empty(n, np.int64), block
    )
    ranges, means, counts, starts, ends = (a[:k] for a in out)
    return Cycles(ranges, means, counts, starts, ends)


def range_histogram(
    ranges: ArrayLike,
    counts: ArrayLike,
    bins: int | ArrayLike,
    range: tuple[float, float] | None = None,  # noqa: A002 - mirrors numpy.histogram
) -> tuple[np.ndarray, np.ndarray]:
    """Cycle-count histogram of ranges: ``(counts_per_bin, bin_edges)`` (``numpy.histogram``).

    Half cycles weigh 0.5. Bins follow numpy: half-open ``[a, b)`` except the last, closed.
    """
    return np.histogram(
        np.asarray(ranges, dtype=np.float64),
        bins=bins,
        range=range,
        weights=np.asarray(counts, dtype=np.float64),
    )


def del_(ranges: ArrayLike, counts: ArrayLike, m: float, n_eq: float) -> float:
    """Damage-equivalent load range: ``(sum(n_i * S_i**m) / n_eq) ** (1/m)``.

    ``m`` is the S-N (inverse) slope, ``n_eq`` the equivalent number of cycles (e.g. 1e7, or the
    number of seconds times 1 Hz). Units are those of ``ranges``. Returns 0.0 for no cycles.
    """
    if not m > 0:
        raise ValueError(f"m must be > 0, got {m}")
    if not n_eq > 0:
        raise ValueError(f"n_eq must be > 0, got {n_eq}")
    s = np.asarray(ranges, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    if s.shape != n.shape:
        raise ValueError(f"ranges and counts differ in shape: {s.shape} vs {n.shape}")
    if s.size == 0:
        return 0.0
    s_max = float(np.max(s))
    if s_max == 0.0:
        return 0.0
    # Factor out the largest range so S**m cannot overflow for large m or large load units.
    return s_max * float(np.sum(n * (s / s_max) ** m) / n_eq) ** (1.0 / m)
