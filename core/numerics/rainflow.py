"""Rainflow cycle counting (ASTM E1049-85, section 5.4.4) with half cycles, and fatigue sums.

Conventions (kept identical to the ``rainflow`` package 3.2.0, which the tests compare against):

- The series is converted to float64 and must be 1-D and finite (NaN/inf raise ``ValueError``).
- **Turning points.** The series is first reduced to its reversals with numpy. Equal consecutive
  values collapse (a plateau is one point): a reversal on a plateau is reported at the *last*
  sample of the plateau; a plateau that is not a reversal is dropped. The first and the last
  samples are always turning points (index ``0`` and ``n - 1``), whatever their value.
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

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike
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


class _CachedKernel:
    """``numba.njit(cache=True)`` that never crashes because the cache cannot be used.

    Numba raises ``RuntimeError`` at decoration time when no cache directory is writable (read-only
    install, locked-down HOME), and an ``OSError`` at the first compile if the directory becomes
    unwritable in between. Both degrade to an in-memory compile with a warning: the kernel does no
    I/O itself, so an ``OSError`` out of it can only come from the cache.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._py_func = fn
        try:
            self._dispatcher = numba.njit(cache=True, nogil=True)(fn)
        except RuntimeError as exc:
            self._warn(exc)
            self._dispatcher = numba.njit(cache=False, nogil=True)(fn)

    def _warn(self, exc: BaseException) -> None:
        warnings.warn(
            f"numba cache unavailable for {self._py_func.__name__} ({exc}); compiling in memory "
            "(set NUMBA_CACHE_DIR to a writable directory to keep compiled code)",
            RuntimeWarning,
            stacklevel=3,
        )

    def __call__(self, *args: Any) -> Any:
        try:
            return self._dispatcher(*args)
        except OSError as exc:
            self._warn(exc)
            self._dispatcher = numba.njit(cache=False, nogil=True)(self._py_func)
            return self._dispatcher(*args)


def _count(values: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """ASTM E1049-85 5.4.4 on turning points; mirrors ``rainflow.extract_cycles`` step by step.

    The stack is an array with a movable bottom: ASTM discards the *oldest* point when a half
    cycle contains the starting point (a deque ``popleft``), and every point is pushed once, so
    ``n`` slots always suffice and nothing is ever copied.
    """
    n = values.shape[0]
    cap = max(n - 1, 0)  # each cycle removes at least one point from the stack for good
    rng = np.empty(cap, np.float64)
    mean = np.empty(cap, np.float64)
    cnt = np.empty(cap, np.float64)
    start = np.empty(cap, np.int64)
    end = np.empty(cap, np.int64)
    stack = np.empty(n, np.int64)
    bottom = 0
    top = 0
    k = 0
    for j in range(n):
        stack[top] = j
        top += 1
        while top - bottom >= 3:
            a = stack[top - 3]
            b = stack[top - 2]
            c = stack[top - 1]
            x_range = abs(values[c] - values[b])
            y_range = abs(values[b] - values[a])
            if x_range < y_range:
                break
            if top - bottom == 3:
                # Y contains the starting point: half cycle, drop the oldest point.
                p = stack[bottom]
                q = stack[bottom + 1]
                bottom += 1
                half = 0.5
            else:
                # Full cycle: drop the peak and the valley of Y, keep the newest point.
                p = a
                q = b
                stack[top - 3] = c
                top -= 2
                half = 1.0
            x1 = values[p]
            x2 = values[q]
            rng[k] = abs(x1 - x2)
            mean[k] = 0.5 * (x1 + x2)
            cnt[k] = half
            start[k] = indices[p]
            end[k] = indices[q]
            k += 1
    # Residue: the remaining ranges, oldest first, are half cycles.
    while top - bottom > 1:
        p = stack[bottom]
        q = stack[bottom + 1]
        bottom += 1
        x1 = values[p]
        x2 = values[q]
        rng[k] = abs(x1 - x2)
        mean[k] = 0.5 * (x1 + x2)
        cnt[k] = 0.5
        start[k] = indices[p]
        end[k] = indices[q]
        k += 1
    return rng[:k], mean[:k], cnt[:k], start[:k], end[:k]


_count_kernel = _CachedKernel(_count)


def _as_series(series: ArrayLike) -> np.ndarray:
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"rainflow expects a 1-D series, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("rainflow series contains NaN or inf")
    return x


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
    d = np.diff(x)  # d[k] = x[k+1] - x[k]: the step *out of* sample k
    # Plateaus (zero steps) are skipped entirely; the usual float series has none, and skipping
    # the compaction then saves two full passes.
    nonzero = d != 0
    if nonzero.all():
        nz = None
        dn = d
    else:
        nz = np.flatnonzero(nonzero)
        dn = d[nz]
    # Sample nz[j] is a reversal when the step out of it has the opposite sign to the previous
    # non-zero step. rainflow 3.2.0 tests ``d_prev * d_next < 0``; a sign test is equivalent
    # unless that product underflows to zero (both steps below ~1e-154), so the exact product
    # test is used only when such tiny steps exist: identity with the reference, bit for bit.
    tiny = 1e-154
    if np.any((dn < tiny) & (dn > -tiny)):
        turn = (dn[1:] * dn[:-1]) < 0
    else:
        up = dn > 0
        turn = up[1:] != up[:-1]
    j = np.flatnonzero(turn)
    j += 1
    interior = j if nz is None else nz[j]
    idx = np.empty(interior.size + 2, np.int64)
    idx[0] = 0
    idx[1:-1] = interior
    idx[-1] = n - 1
    return idx, x[idx]


def extract_cycles(series: ArrayLike) -> Cycles:
    """Rainflow-count ``series`` (ASTM E1049-85 with half cycles); see the module conventions."""
    idx, vals = reversals(series)
    ranges, means, counts, starts, ends = _count_kernel(vals, idx)
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
