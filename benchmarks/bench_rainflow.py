"""Benchmark: numba rainflow counter vs a pure-Python ASTM E1049-85 implementation.

Run: ``python benchmarks/bench_rainflow.py [--repeat 5] [--python-samples 1000000]``

Prints samples/second (single thread: the counter is one sequential pass) for 1e6 and 1e7
samples after a warm-up call (so JIT compilation/cache loading is excluded), the time of the
pure-Python reference on 1e6 samples, and the speedup, for white noise (worst case) and for a
narrow-band wave response (what OrcaFlex results look like). Timings are the median of
``--repeat`` runs, with the best run in parentheses: on virtual machines the first touch of
fresh memory (page faults on the output arrays) is slow and depends on the allocator's state,
and the median is what a campaign of many files sees.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from orcapost.numerics.rainflow import extract_cycles


def python_rainflow(series: list[float]) -> list[tuple[float, float, float, int, int]]:
    """Pure-Python ASTM E1049-85 5.4.4 with half cycles (same conventions as the library).

    Turning points: plateaus collapse to their last sample, first and last samples are kept.
    Returns ``(range, mean, count, start, end)`` tuples in closing order.
    """
    n = len(series)
    if n < 2:
        return []
    points: list[tuple[int, float]] = [(0, series[0])]
    if n > 2:
        prev_step = series[1] - series[0]
        for k in range(1, n - 1):
            step = series[k + 1] - series[k]
            if step == 0.0:
                continue
            if prev_step * step < 0.0:
                points.append((k, series[k]))
            prev_step = step
        points.append((n - 1, series[n - 1]))

    cycles: list[tuple[float, float, float, int, int]] = []
    stack: list[tuple[int, float]] = []
    base = 0  # index of the oldest live point in ``stack`` (popleft without a deque)
    for point in points:
        stack.append(point)
        while len(stack) - base >= 3:
            (ia, xa), (ib, xb), (_, xc) = stack[-3], stack[-2], stack[-1]
            if abs(xc - xb) < abs(xb - xa):
                break
            if len(stack) - base == 3:
                (i1, x1), (i2, x2) = stack[base], stack[base + 1]
                cycles.append((abs(x1 - x2), 0.5 * (x1 + x2), 0.5, i1, i2))
                base += 1
            else:
                cycles.append((abs(xa - xb), 0.5 * (xa + xb), 1.0, ia, ib))
                del stack[-3:-1]
    for k in range(base, len(stack) - 1):
        (i1, x1), (i2, x2) = stack[k], stack[k + 1]
        cycles.append((abs(x1 - x2), 0.5 * (x1 + x2), 0.5, i1, i2))
    return cycles


def _times(fn, repeat: int) -> tuple[float, float]:
    """(median, min) wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def narrow_band(n: int, rng: np.random.Generator, dt: float = 0.1) -> np.ndarray:
    """Gaussian wave-frequency response: JONSWAP-like peak at Tp = 10 s, sampled every ``dt``.

    This is what OrcaFlex results look like (smooth, oversampled): ~2 % of samples are turning
    points, so the vectorised turning-point pass dominates and the stack loop is cheap.
    """
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, dt)
    wp = 2.0 * np.pi / 10.0
    amp = np.exp(-0.5 * ((omega - wp) / (0.12 * wp)) ** 2)
    phase = rng.uniform(0.0, 2.0 * np.pi, omega.size)
    return np.fft.irfft(amp * np.exp(1j * phase), n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python-samples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} logical CPUs; median of {args.repeat} runs"
    )

    # Warm-up: compile (or load from the numba cache) outside the timings.
    extract_cycles(rng.normal(size=1000))

    ok = True
    for label, make in (
        ("white noise (worst case: 2/3 of samples are turning points)", rng.normal),
        ("narrow-band response, dt = 0.1 s, Tp = 10 s", lambda size: narrow_band(size, rng)),
    ):
        print(f"\n{label}")
        for n in (1_000_000, 10_000_000):
            x = make(size=n)
            extract_cycles(x)  # touch the memory pools once
            t, t_min = _times(lambda x=x: extract_cycles(x), args.repeat)
            print(
                f"  numba counter n={n:>10,d}: {t * 1e3:8.1f} ms  "
                f"{n / t / 1e6:8.1f} M samples/s/core  (best run {n / t_min / 1e6:.1f})"
            )

        n = args.python_samples
        x = make(size=n)
        fast = extract_cycles(x)
        t_fast, t_fast_min = _times(lambda x=x: extract_cycles(x), args.repeat)
        xl = x.tolist()
        t_py, _ = _times(lambda xl=xl: python_rainflow(xl), max(1, args.repeat // 2))
        slow = python_rainflow(xl)
        same = len(slow) == fast.ranges.size and all(
            np.array_equal(np.array([c[j] for c in slow]), arr) for j, arr in enumerate(fast)
        )
        ok &= same
        print(
            f"  pure Python   n={n:>10,d}: {t_py * 1e3:8.1f} ms  "
            f"{n / t_py / 1e6:8.2f} M samples/s (identical cycles: {same})"
        )
        print(
            f"  speedup numba / pure Python on {n:,d} samples: {t_py / t_fast:,.0f}x "
            f"(best numba run: {t_py / t_fast_min:,.0f}x)"
        )
    if not ok:
        raise SystemExit("pure-Python reference disagrees with the numba counter")


if __name__ == "__main__":
    main()
