"""Rainflow cycle counting (ASTM E1049-85, section 5.4.4) with half cycles, and fatigue sums.

Conventions (kept identical to the ``rainflow`` package 3.2.0, which the tests compare against):

- The series is converted to float64 and must be 1-D and finite (NaN/inf raise ``ValueError``).
- **Turning points.** The series is reduced to its reversals block by block (4096 samples), and
  the ASTM stack loop (numba) counts each block's reversals as they are found; a block without a
  zero step is flagged in one vectorised pass (the same test, see ``_block_flags``), a block with
  one goes through the plateau-aware loop. Equal consecutive values collapse (a plateau is one
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
    """Rainflow cycles as parallel arrays (one entry per cycle, in ASTM closing order).

    The five arrays are views of two buffers (the three float arrays of one, the two index
    arrays of the other), of the series' length: to keep one array alone for long, copy it."""

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
#: A block with fewer reversals than one in this many samples is compacted word by word (8
#: samples at a time, skipping words without a reversal): smooth, oversampled series.
_SPARSE = 8

# Every block function indexes a *slice* of the series from 0: ``x[k + 1]`` with ``k`` from
# ``range(lo, hi)`` makes numba emit a negative-index wraparound per access (it cannot prove
# ``k >= 0``), which kept the turning-point loop at 1.5 ns a sample instead of 0.75 and stopped the
# flag pass from being vectorised at all (1.4 against 0.35 ns a sample).


def _block_flags(x: np.ndarray, lo: int, hi: int, flags: np.ndarray) -> tuple[int, int, int]:
    """One vectorised pass over samples ``lo .. hi-1`` (``1 <= lo``, ``hi <= n - 1``).

    ``flags[k - lo]`` = ``d[k-1] * d[k] < 0`` with ``d[k] = x[k+1] - x[k]``: sample ``k`` is a
    reversal by the package's test (``prev * step < 0``, ``prev`` the last non-zero step) whenever
    ``d[k-1]`` is not zero, because ``prev`` is then ``d[k-1]`` itself, bit for bit. Returns the
    number of flags, the number of zero steps ``d[lo-1] .. d[hi-2]`` (any: the flags are not used,
    the block goes through :func:`_block_scalar`) and how many of ``x[lo+1] .. x[hi]`` are finite
    (``v - v == 0`` is false for NaN and both infinities): the finiteness check costs no pass of
    its own.
    """
    v = x[lo - 1:hi + 1]
    rev = 0
    zeros = 0
    finite = 0
    for j in range(hi - lo):
        xa = v[j]
        xb = v[j + 1]
        xn = v[j + 2]
        d0 = xb - xa
        f = d0 * (xn - xb) < 0.0
        flags[j] = f
        rev += f
        zeros += d0 == 0.0
        finite += (xn - xn) == 0.0
    return rev, zeros, finite


def _block_scalar(
    x: np.ndarray, lo: int, hi: int, prev: float, bidx: np.ndarray, bval: np.ndarray
) -> tuple[int, float]:
    """Reversals among samples ``lo .. hi-1`` into ``bidx``/``bval``, for blocks with plateaus.

    ``prev`` is the last non-zero step before ``lo`` (carried from block to block); returns the
    number of reversals written and the new ``prev``. Sample ``k`` is a reversal when the step out
    of it, ``x[k+1] - x[k]``, has the opposite sign to ``prev``; zero steps (plateaus) are skipped,
    so a reversal on a plateau lands on its last sample. The test is ``prev * step < 0``, exactly as
    in rainflow 3.2.0 (it differs from a sign test only when the product underflows, for steps
    < 1e-154): identity with the reference is bit for bit.

    Branch-free on purpose: every candidate is written and the write position only advances on a
    reversal. White noise makes a branch here unpredictable (2/3 of samples are reversals).
    """
    v = x[lo:hi + 1]
    m = 0
    for k in range(hi - lo):
        xk = v[k]
        step = v[k + 1] - xk
        bidx[m] = lo + k
        bval[m] = xk
        m += prev * step < 0.0
        prev = step if step != 0.0 else prev
    return m, prev


def _block_dense(
    x: np.ndarray, lo: int, hi: int, flags: np.ndarray, bidx: np.ndarray, bval: np.ndarray
) -> int:
    """The flagged samples of ``lo .. hi-1`` into ``bidx``/``bval``, branch-free (many flags)."""
    v = x[lo:hi]
    m = 0
    for k in range(hi - lo):
        bidx[m] = lo + k
        bval[m] = v[k]
        m += flags[k]
    return m


def _block_sparse(
    x: np.ndarray, lo: int, hi: int, flags: np.ndarray, words: np.ndarray, bidx: np.ndarray,
    bval: np.ndarray,
) -> int:
    """The flagged samples of ``lo .. hi-1``, skipping 8 samples at a time (few flags).

    ``words`` is ``flags`` seen as uint64: a zero word has no reversal. On a smooth series the
    branch is predictable (most words are zero), which the branch-free loop cannot exploit.
    """
    v = x[lo:hi]
    size = hi - lo
    full = (size + 7) // 8
    for k in range(size, full * 8):
        flags[k] = 0  # the last word of a short block: no stale flags
    m = 0
    for q in range(full):
        if words[q] != 0:
            for k in range(q * 8, q * 8 + 8):
                if flags[k]:
                    bidx[m] = lo + k
                    bval[m] = v[k]
                    m += 1
    return m


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
    fstate: np.ndarray,
    istate: np.ndarray,
) -> None:
    """ASTM E1049-85 5.4.4 on the next ``count`` turning points; mirrors ``rainflow.extract_cycles``.

    The two newest points of the stack are kept in registers (``a`` the second, ``b`` the top,
    ``y = |b - a|`` the top range), the older ones in ``stack_v``/``stack_i[:t]``; ``r`` is how
    many of ``a``, ``b`` hold a point (0, 1, 2). ``fstate`` = ``[a, b, y]`` and ``istate`` =
    ``[t, r, cycles, index of a, index of b]`` carry them between blocks. The newest point ``c``
    is compared before it is pushed: ``X = |c - b|`` against ``Y = y``; ``X >= Y`` closes (a, b):
    a half cycle when they are the whole stack (ASTM drops the starting point, the oldest), a full
    cycle otherwise (both go; the next two come back from memory). Registers, not two loads and
    two subtractions per comparison: 13 % less time on white noise.
    """
    a = fstate[0]
    b = fstate[1]
    y = fstate[2]
    t = istate[0]
    r = istate[1]
    k = istate[2]
    ia = istate[3]
    ib = istate[4]
    for j in range(count):
        xc = values[j]
        while r == 2:
            if abs(xc - b) < y:  # X < Y: read the next point
                break
            rng[k] = y
            mean[k] = 0.5 * (a + b)
            start[k] = ia
            end[k] = ib
            if t >= 2:  # full cycle, two points below: they become a and b
                cnt[k] = 1.0
                t -= 2
                a = stack_v[t]
                ia = stack_i[t]
                b = stack_v[t + 1]
                ib = stack_i[t + 1]
                y = abs(a - b)
            elif t == 0:  # Y contains the starting point: half cycle, drop the oldest point
                cnt[k] = 0.5
                a = b
                ia = ib
                r = 1
            else:  # full cycle, one point below
                cnt[k] = 1.0
                t = 0
                b = stack_v[0]
                ib = stack_i[0]
                r = 1
            k += 1
        if r == 2:
            stack_v[t] = a
            stack_i[t] = ia
            t += 1
        if r >= 1:
            a = b
            ia = ib
            y = abs(xc - b)
            r = 2
        else:
            r = 1
        b = xc
        ib = indices[j]
    fstate[0] = a
    fstate[1] = b
    fstate[2] = y
    istate[0] = t
    istate[1] = r
    istate[2] = k
    istate[3] = ia
    istate[4] = ib


def _grown(
    floats: np.ndarray, ints: np.ndarray, keep: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two buffers (rows of float64, rows of int64) with their first ``keep`` columns copied
    into buffers of ``size`` columns: the stack (one row of values, one of indices) and the
    outputs (three rows and two) grow through it."""
    new_f = np.empty((floats.shape[0], size), np.float64)
    new_i = np.empty((ints.shape[0], size), np.int64)
    new_f[:, :keep] = floats[:, :keep]
    new_i[:, :keep] = ints[:, :keep]
    return new_f, new_i


def _output_size(cap: int, k: int, need: int, projected: int, n: int) -> int:
    """Columns for outputs of ``cap`` holding ``k`` cycles that need ``need``: double, or the
    cycles ``projected`` over the whole series and an eighth more (with the room the next call
    needs), whichever is more, at most the ``n - 1`` a series of ``n`` samples can hold."""
    return min(n - 1, max(need, 2 * cap, projected + projected // 8 + need - k))


def _count(x: np.ndarray, block: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Rainflow-count ``x`` (``n >= 3``); return the number of cycles ``k`` and the outputs, two
    buffers whose rows are ranges, means, counts (``floats``) and start and end indices
    (``ints``), each valid to ``k``; ``k`` is -1 if ``x`` holds a NaN or an infinity (checked
    on the way, block by block).

    Each cycle removes at least one point from the stack for good, so a call that is given
    ``m`` points makes at most ``m`` cycles more than the points the stack holds, and a series
    at most ``n - 1``. The outputs start at two blocks and grow before a block could fill them,
    to the cycle rate so far projected over the series: buffers of ``n - 1`` cycles, 40 MB for
    10^6 samples whatever the series, were fresh pages every call once other work had moved the
    heap (a narrow-band series of 10^4 cycles: 0.8 to 3 ms a call, against 0.7 ms into warm
    buffers). The stack rarely holds more than a few dozen points, so it starts at two blocks
    and doubles when a block could overflow it (a series whose ranges keep shrinking stacks
    every reversal); a stack of ``n`` points was another series-long allocation (see
    docs/numerics.md). The first and last samples are always turning points; the residue is
    counted as half cycles, oldest first.
    """
    n = x.shape[0]
    cap = min(n - 1, 2 * block + 2)
    floats = np.empty((3, cap), np.float64)
    ints = np.empty((2, cap), np.int64)
    if not (x[0] - x[0] == 0.0 and x[1] - x[1] == 0.0):
        return -1, floats, ints
    fstate = np.zeros(3, np.float64)
    istate = np.zeros(5, np.int64)
    # At most one push per turning point: before each call of the stack loop the stack has room
    # for one per point it is given (and, before the last sample's, for the residue's two).
    stack_f = np.empty((1, 2 * block + 2), np.float64)
    stack_n = np.empty((1, 2 * block + 2), np.int64)
    bidx = np.empty(block, np.int64)
    bval = np.empty(block, np.float64)
    flags = np.zeros((block + 7) // 8 * 8, np.uint8)
    words = flags.view(np.uint64)
    bidx[0] = 0
    bval[0] = x[0]
    # One point: no cycle yet.
    _block_count(bval, bidx, 1, floats[0], floats[1], floats[2], ints[0], ints[1], stack_f[0],
                 stack_n[0], fstate, istate)
    prev = x[1] - x[0]
    lo = 1
    while lo < n - 1:
        hi = min(lo + block, n - 1)
        rev, zeros, finite = _block_flags(x, lo, hi, flags)
        if finite != hi - lo:
            return -1, floats, ints
        if zeros > 0:
            m, prev = _block_scalar(x, lo, hi, prev, bidx, bval)
        else:
            if rev * _SPARSE < hi - lo:
                m = _block_sparse(x, lo, hi, flags, words, bidx, bval)
            else:
                m = _block_dense(x, lo, hi, flags, bidx, bval)
            # No zero step in the block: the last step, or the one before it, is non-zero.
            last = x[hi] - x[hi - 1]
            prev = last if last != 0.0 else x[hi - 1] - x[hi - 2]
        if istate[0] + m > stack_f.shape[1]:
            stack_f, stack_n = _grown(stack_f, stack_n, istate[0],
                                      max(istate[0] + m, 2 * stack_f.shape[1]))
        # Cycles so far, the points held (stack and registers) and the m new ones.
        held = istate[0] + istate[1]
        if istate[2] + held + m > floats.shape[1]:
            floats, ints = _grown(floats, ints, istate[2], _output_size(
                floats.shape[1], istate[2], istate[2] + held + m, (istate[2] + held) * n // lo, n))
        _block_count(bval, bidx, m, floats[0], floats[1], floats[2], ints[0], ints[1], stack_f[0],
                     stack_n[0], fstate, istate)
        lo = hi
    bidx[0] = n - 1
    bval[0] = x[n - 1]
    if istate[0] + 3 > stack_f.shape[1]:  # the last sample's push, then the residue's a and b
        stack_f, stack_n = _grown(stack_f, stack_n, istate[0],
                                  max(istate[0] + 3, 2 * stack_f.shape[1]))
    # Each of the last sample's cycles removes a point, and the residue makes one half cycle
    # fewer than the points left: at most as many more cycles as the points held now.
    need = istate[2] + istate[0] + istate[1]
    if need > floats.shape[1]:
        floats, ints = _grown(floats, ints, istate[2],
                              _output_size(floats.shape[1], istate[2], need, need, n))
    _block_count(bval, bidx, 1, floats[0], floats[1], floats[2], ints[0], ints[1], stack_f[0],
                 stack_n[0], fstate, istate)
    # Residue: the stack (memory, then a and b), oldest first; each range is a half cycle.
    rng = floats[0]
    mean = floats[1]
    cnt = floats[2]
    start = ints[0]
    end = ints[1]
    stack_v = stack_f[0]
    stack_i = stack_n[0]
    t = istate[0]
    k = istate[2]
    if istate[1] == 2:
        stack_v[t] = fstate[0]
        stack_i[t] = istate[3]
        t += 1
    stack_v[t] = fstate[1]
    stack_i[t] = istate[4]
    t += 1
    for q in range(t - 1):
        x1 = stack_v[q]
        x2 = stack_v[q + 1]
        rng[k] = abs(x1 - x2)
        mean[k] = 0.5 * (x1 + x2)
        cnt[k] = 0.5
        start[k] = stack_i[q]
        end[k] = stack_i[q + 1]
        k += 1
    return k, floats, ints


_count_kernel = CachedKernel(
    _count,
    helpers=(
        _block_flags, _block_scalar, _block_dense, _block_sparse, _block_count, _grown,
        _output_size,
    ),
)


_NOT_FINITE = "rainflow series contains NaN or inf"


def _as_series(series: ArrayLike) -> np.ndarray:
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"rainflow expects a 1-D series, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(_NOT_FINITE)
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
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"rainflow expects a 1-D series, got shape {x.shape}")
    return _extract_cycles(x, _BLOCK)


def _extract_cycles(x: np.ndarray, block: int) -> Cycles:
    """Count a 1-D float64 series; the kernel checks finiteness on the way (no pass of its own)."""
    n = x.size
    if n < 3:
        if not np.isfinite(x).all():
            raise ValueError(_NOT_FINITE)
        # 0 or 1 sample: no reversal; 2 samples: one reversal (rainflow 3.2.0), so no cycle.
        empty = np.empty(0, np.float64)
        none = np.empty(0, np.int64)
        return Cycles(empty, empty.copy(), empty.copy(), none, none.copy())
    # Two buffers, not five arrays, sized to the cycles found as the kernel goes: fewer,
    # smaller blocks are what lets the allocator hand the same (already mapped) memory to the
    # next call.
    k, floats, ints = _count_kernel(np.ascontiguousarray(x), block)
    if k < 0:
        raise ValueError(_NOT_FINITE)
    return Cycles(floats[0, :k], floats[1, :k], floats[2, :k], ints[0, :k], ints[1, :k])


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
