"""Benchmark: orcapost's numba rainflow counter against the ``rainflow`` package (pure Python).

Run: ``python benchmarks/bench_rainflow.py [--rounds 7] [--samples 1000000]``
(``rainflow==3.2.0`` is in the ``dev`` extra: ``pip install -e ".[dev]"``).

What is timed, for white noise (worst case: 2/3 of samples are turning points) and a narrow-band
wave response (what OrcaFlex and OpenFAST results look like), 10^6 samples each:

- orcapost: ``orcapost.numerics.rainflow.extract_cycles(x)`` on a float64 array, returning the five
  cycle arrays (ranges, means, counts, starts, ends). Numba compilation (or loading it from the
  ``cache=True`` on-disk cache) happens in a warm-up call before any timing: it is not timed.
- ``rainflow``: ``list(rainflow.extract_cycles(xs))`` with ``xs`` a Python list of floats built
  before the timing (the package's fastest input: iterating a numpy array is ~1.5-2.5x slower,
  printed as well, once per round).

The two are timed in interleaved rounds (orcapost, then the package, then the package on the numpy
array), so a change of machine load hits both; the figures are medians over the rounds of the wall
time and of the thread's CPU time (``time.thread_time``, which leaves out time other processes take
on a shared machine), and the median of the per-round ratios. The cycles are checked to be
identical, element by element and in order, to the package's. Throughput on 10^7 samples is printed
for orcapost alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from orcapost.numerics.rainflow import extract_cycles

try:
    import rainflow
except ImportError:  # pragma: no cover - the benchmark says how to get it
    rainflow = None


def narrow_band(n: int, rng: np.random.Generator, dt: float = 0.1) -> np.ndarray:
    """Gaussian wave-frequency response: JONSWAP-like peak at Tp = 10 s, sampled every ``dt``.

    Smooth and oversampled like simulation output: ~2 % of samples are turning points, so the
    turning-point pass dominates and the stack loop is cheap.
    """
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, dt)
    wp = 2.0 * np.pi / 10.0
    amp = np.exp(-0.5 * ((omega - wp) / (0.12 * wp)) ** 2)
    phase = rng.uniform(0.0, 2.0 * np.pi, omega.size)
    return np.fft.irfft(amp * np.exp(1j * phase), n)


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, thread CPU) seconds of one call."""
    c0 = time.thread_time()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.thread_time() - c0


def identical(x: np.ndarray) -> bool:
    ours = extract_cycles(x)
    ref = list(rainflow.extract_cycles(x.tolist()))
    if len(ref) != ours.ranges.size:
        return False
    columns = list(zip(*ref, strict=True)) if ref else [()] * 5
    return all(
        np.array_equal(np.asarray(col, dtype=arr.dtype), arr)
        for col, arr in zip(columns, ours, strict=True)
    )


def compare(x: np.ndarray, rounds: int) -> dict[str, list[float]]:
    xs = x.tolist()
    extract_cycles(x)  # touch the allocator's pools once, like any long run does
    t: dict[str, list[float]] = {k: [] for k in ("ours", "ours_cpu", "pkg", "pkg_cpu", "pkg_np")}
    for _ in range(rounds):
        wall, cpu = _timed(lambda: extract_cycles(x))
        t["ours"].append(wall)
        t["ours_cpu"].append(cpu)
        wall, cpu = _timed(lambda: list(rainflow.extract_cycles(xs)))
        t["pkg"].append(wall)
        t["pkg_cpu"].append(cpu)
        t["pkg_np"].append(_timed(lambda: list(rainflow.extract_cycles(x)))[0])
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (>= 5)")
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if rainflow is None:
        print("skipped: the `rainflow` package is not installed (pip install rainflow==3.2.0, "
              'or pip install -e ".[dev]")')
        return
    med = statistics.median
    rng = np.random.default_rng(args.seed)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; python "
          f"{platform.python_version()}, numpy {np.__version__}, rainflow {rainflow.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} logical CPUs, load average "
          f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "")
    print(f"{args.rounds} interleaved rounds; medians; numba compile/cache load not timed")

    # Warm-up: compile, or load the ``cache=True`` machine code from disk. Not in the timed part
    # (the package has no such cost), but printed: it is what the first DEL of a process costs.
    c0, t0 = time.process_time(), time.perf_counter()
    extract_cycles(rng.normal(size=1000))
    print(f"first call (numba import + compile or cache load): {time.perf_counter() - t0:.2f} s "
          f"wall, {time.process_time() - c0:.2f} s CPU; the second: ", end="")
    c0, t0 = time.process_time(), time.perf_counter()
    extract_cycles(rng.normal(size=1000))
    print(f"{(time.perf_counter() - t0) * 1e6:.0f} us (dispatch of a 1000-sample series)")

    ok = True
    n = args.samples
    for label, x in (
        ("white noise", rng.normal(size=n)),
        ("narrow-band, dt = 0.1 s, Tp = 10 s", narrow_band(n, rng)),
    ):
        same = identical(x)
        ok &= same
        t = compare(x, args.rounds)
        ratios = [p / o for p, o in zip(t["pkg"], t["ours"], strict=True)]
        cpu_ratios = [p / o for p, o in zip(t["pkg_cpu"], t["ours_cpu"], strict=True)]
        print(f"\n{label}, n = {n:,d} ({extract_cycles(x).ranges.size:,d} cycles, identical: "
              f"{same})")
        print(f"  orcapost        : {med(t['ours']) * 1e3:8.2f} ms wall, "
              f"{med(t['ours_cpu']) * 1e3:8.2f} ms CPU  (best {min(t['ours']) * 1e3:.2f} ms)")
        print(f"  rainflow (list) : {med(t['pkg']) * 1e3:8.1f} ms wall, "
              f"{med(t['pkg_cpu']) * 1e3:8.1f} ms CPU")
        print(f"  rainflow (numpy): {med(t['pkg_np']) * 1e3:8.1f} ms wall")
        print(f"  speedup vs rainflow on a list: {med(ratios):6.1f}x wall (median of rounds; "
              f"ratio of medians {med(t['pkg']) / med(t['ours']):.1f}x), "
              f"{med(cpu_ratios):6.1f}x CPU")
        print(f"  speedup vs rainflow on the numpy array: "
              f"{med(t['pkg_np']) / med(t['ours']):6.1f}x wall")
        big = np.concatenate([x] * 10)
        extract_cycles(big)
        walls = [_timed(lambda big=big: extract_cycles(big))[0] for _ in range(args.rounds)]
        print(f"  orcapost on {big.size:,d} samples: {med(walls) * 1e3:.1f} ms, "
              f"{big.size / med(walls) / 1e6:.0f} M samples/s/core")
    if not ok:
        sys.exit("the rainflow package disagrees with orcapost's counter")


if __name__ == "__main__":
    main()
