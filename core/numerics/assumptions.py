"""Does a series satisfy the Rayleigh method's assumptions? (docs/numerics.md#when-the-rayleigh-method-does-not-apply)

The Rayleigh MPM ``mean + std sqrt(2 ln(T/Tz))`` holds for a stationary, Gaussian, narrow-band
process observed long enough that its mean, std and Tz describe the whole storm. A series with a
trend or a step (a drifting vessel, a line that slips, a ramp the period did not cut off)
inflates the std, and the MPM lands far above anything the series reached; a strongly skewed
or flat-topped series (a slack-taut mooring line, a regular wave) has extremes the Gaussian law
does not describe. These checks say when the assumptions clearly fail; they do not change the
value.

- **Stationarity**: the record is cut into ``k`` equal segments (``k`` = 20, fewer when a
  segment would hold less than 5 Tz, none below 10), and the reverse-arrangements test
  (Bendat & Piersol, *Random Data*, 4th ed. 2010, section 4.5.2 and Table A.6) is applied to the
  segment means and, separately, to the segment standard deviations. ``A`` counts the pairs
  ``i < j`` with ``x_i > x_j``; for independent, identically distributed values it has mean
  ``k(k-1)/4`` and variance ``k(2k+5)(k-1)/72``, and ``z = (A - mean)/sqrt(variance)`` is close
  to normal. ``|z| > 3.29`` (two-sided 0.1 %) is a trend or step beyond reasonable doubt
  (at k = 20 the 5 % test's region, 64 < A <= 125, is far narrower). The Mann-Kendall trend
  test is the same statistic (``S = k(k-1)/2 - 2A``).
- **Gaussianity**: sample skewness ``g1 = m3 / m2^1.5`` and excess kurtosis ``g2 = m4/m2^2 - 3``
  (central moments, ``scipy.stats.skew``/``kurtosis`` with ``bias=True``): ``|g1| > 0.5`` or
  ``|g2| > 1`` is clearly non-Gaussian (0 and 0 for a Gaussian process; a sine has g2 = -1.5).
  For records of 100 Tz and more the sampling error of g1 (about ``sqrt(6/n)`` with ``n`` the
  independent samples) is well below these limits.
- **Extrapolation**: a storm longer than :data:`STORM_RECORD_RATIO` (10) times the record: the
  MPM is then extrapolated more than a decade beyond the record, from a mean, std and Tz whose
  sampling error the record cannot show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "EXCESS_KURTOSIS_LIMIT",
    "SKEWNESS_LIMIT",
    "STATIONARITY_Z",
    "STORM_RECORD_RATIO",
    "RayleighAssumptionWarning",
    "RayleighChecks",
    "check_rayleigh",
    "reverse_arrangements",
    "reverse_arrangements_z",
]

#: Segments of the stationarity test, at most; each spans at least MIN_SEGMENT_TZ Tz.
SEGMENTS = 20
MIN_SEGMENT_TZ = 5.0
#: Fewer segments than this: the record is too short to judge stationarity (no test).
MIN_SEGMENTS = 10
#: |z| of the reverse-arrangements test beyond which a series is non-stationary (0.1 %).
STATIONARITY_Z = 3.29
#: |skewness| and |excess kurtosis| beyond which a series is non-Gaussian.
SKEWNESS_LIMIT = 0.5
EXCESS_KURTOSIS_LIMIT = 1.0
#: A storm longer than this many records is an extrapolation the record cannot support.
STORM_RECORD_RATIO = 10.0


class RayleighAssumptionWarning(UserWarning):
    """A series the Rayleigh method was applied to clearly breaks one of its assumptions."""


def reverse_arrangements(values: ArrayLike) -> int:
    """The number of pairs ``i < j`` with ``values[i] > values[j]`` (Bendat & Piersol)."""
    v = np.asarray(values, dtype=np.float64)
    return int(np.count_nonzero(np.triu(v[:, None] > v[None, :], k=1)))


def reverse_arrangements_z(values: ArrayLike) -> float:
    """The reverse-arrangements count as a standard normal deviate (negative: increasing)."""
    k = np.asarray(values).size
    if k < 3:
        raise ValueError("the reverse-arrangements test needs at least 3 values")
    mean = k * (k - 1) / 4.0
    variance = k * (2 * k + 5) * (k - 1) / 72.0
    return (reverse_arrangements(values) - mean) / math.sqrt(variance)


@dataclass(frozen=True)
class RayleighChecks:
    """The figures of the checks of one series (None: a test the record is too short for)."""

    segments: int
    z_mean: float | None
    z_std: float | None
    skewness: float
    excess_kurtosis: float
    record: float  # seconds the series spans (samples x dt)
    duration: float  # the storm

    @property
    def storm_ratio(self) -> float:
        return self.duration / self.record if self.record > 0 else math.inf

    def problems(self) -> list[str]:
        """One sentence per assumption that clearly fails, naming the figure that tripped it."""
        out = []
        for what, z in (("means", self.z_mean), ("standard deviations", self.z_std)):
            if z is not None and abs(z) > STATIONARITY_Z:
                out.append(
                    f"not stationary: the reverse-arrangements test of the {what} of "
                    f"{self.segments} equal segments gives z = {z:.2f} (|z| > {STATIONARITY_Z}: "
                    "a trend or a step)")
        if abs(self.skewness) > SKEWNESS_LIMIT:
            out.append(f"not Gaussian: skewness {self.skewness:.2f} "
                       f"(|skewness| > {SKEWNESS_LIMIT:g})")
        if abs(self.excess_kurtosis) > EXCESS_KURTOSIS_LIMIT:
            out.append(f"not Gaussian: excess kurtosis {self.excess_kurtosis:.2f} "
                       f"(|excess kurtosis| > {EXCESS_KURTOSIS_LIMIT:g})")
        if self.storm_ratio > STORM_RECORD_RATIO:
            out.append(f"the storm ({self.duration:g} s) is {self.storm_ratio:.1f} times the "
                       f"record ({self.record:g} s), more than {STORM_RECORD_RATIO:g} times")
        return out


def check_rayleigh(x: ArrayLike, dt: float, duration: float, tz: float) -> RayleighChecks:
    """The assumption checks of a finite series ``x`` sampled every ``dt`` with mean
    up-crossing period ``tz``, for a storm of ``duration`` (all in seconds)."""
    a = np.asarray(x, dtype=np.float64)
    record = a.size * dt
    k = SEGMENTS
    if tz > 0:
        k = min(SEGMENTS, int(record // (MIN_SEGMENT_TZ * tz)))
    z_mean = z_std = None
    if k >= MIN_SEGMENTS:
        per = a.size // k
        parts = a[: per * k].reshape(k, per)
        z_mean = reverse_arrangements_z(parts.mean(axis=1))
        z_std = reverse_arrangements_z(parts.std(axis=1))
    centred = a - a.mean()
    m2 = float(np.mean(centred**2))
    if m2 > 0:
        skewness = float(np.mean(centred**3)) / m2**1.5
        excess = float(np.mean(centred**4)) / m2**2 - 3.0
    else:
        skewness = excess = 0.0
    return RayleighChecks(segments=k, z_mean=z_mean, z_std=z_std, skewness=skewness,
                          excess_kurtosis=excess, record=record, duration=float(duration))
