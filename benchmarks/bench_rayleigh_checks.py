"""How often the Rayleigh assumption checks warn on series that satisfy the assumptions.

Run: ``python benchmarks/bench_rayleigh_checks.py [--seeds 300] [--components 300]``

Each seed is a stationary Gaussian 3-hour response sampled at 0.5 s: ``--components``
random-phase cosines at frequencies drawn uniformly in 0.05-0.3 Hz (random, not a uniform grid:
a grid makes the record periodic, i.e. a short record repeated), amplitudes from a peaked
spectrum around 0.1 Hz. Every seed goes through
:func:`orcapost.numerics.assumptions.check_rayleigh` with a 3-hour storm; the script prints the
false-warning count and the largest figures the checks saw, against their thresholds
(docs/numerics.md#when-the-rayleigh-method-does-not-apply records them). A figure, not a
timing: it does not depend on the machine.
"""

from __future__ import annotations

import argparse

import numpy as np
from orcapost.numerics.assumptions import (
    EXCESS_KURTOSIS_LIMIT,
    SKEWNESS_LIMIT,
    STATIONARITY_Z,
    check_rayleigh,
)
from orcapost.numerics.extremes import spectral_moments

DT = 0.5
STORM = 10800.0


def gaussian_response(seed: int, components: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    time = np.arange(0.0, STORM, DT)
    f = np.sort(rng.uniform(0.05, 0.3, components))
    amplitude = np.sqrt(2 * np.exp(-(((f - 0.1) / 0.03) ** 2)) * np.gradient(f))
    phase = rng.uniform(0, 2 * np.pi, components)
    return (amplitude[:, None] * np.cos(2 * np.pi * f[:, None] * time + phase[:, None])).sum(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--components", type=int, default=300)
    args = parser.parse_args()
    warned, z, g1, g2 = 0, [], [], []
    for seed in range(args.seeds):
        x = gaussian_response(seed, args.components)
        checks = check_rayleigh(x, DT, STORM, spectral_moments(x, DT).tz)
        warned += bool(checks.problems())
        z += [abs(checks.z_mean or 0.0), abs(checks.z_std or 0.0)]
        g1.append(abs(checks.skewness))
        g2.append(checks.excess_kurtosis)
    print(f"{warned} of {args.seeds} stationary Gaussian 3-hour series warned")
    print(f"largest |z| {max(z):.2f} (threshold {STATIONARITY_Z})")
    print(f"largest |skewness| {max(g1):.3f} (threshold {SKEWNESS_LIMIT})")
    print(f"excess kurtosis {min(g2):.3f} to {max(g2):.3f} (threshold +-{EXCESS_KURTOSIS_LIMIT})")


if __name__ == "__main__":
    main()
