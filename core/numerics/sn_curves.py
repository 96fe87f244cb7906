"""S-N curves (one or two slopes) and Palmgren-Miner damage.

Conventions:

- Curves are ``log10 N = log10 a - m log10 S`` with ``S`` the stress range (MPa for the built-in
  DNV curves) and ``N`` the number of cycles to failure.
- A two-slope (bilinear) curve uses ``(m1, log_a1)`` for ``N <= n_knee`` and ``(m2, log_a2)``
  beyond, as DNV-RP-C203 tables do. The branch is chosen by comparing ``S`` with the knee stress
  ``S_knee = 10 ** ((log_a1 - log10 n_knee) / m1)`` (i.e. ``N1(S) <= n_knee``). With the rounded
  table values the two branches do not meet exactly at the knee (relative jump in N ~ 1e-3):
  that is the table, not an error.
- ``fatigue_limit`` (optional) is a cut-off: ranges strictly below it do no damage. DNV-RP-C203
  curves have none for variable-amplitude loading (the second slope plays that role), so the
  built-ins leave it ``None``.
- Thickness effect (DNV-RP-C203 2.4.3): the stress is multiplied by ``(t / t_ref) ** k`` for
  ``t > t_ref``; see :meth:`SNCurve.thickness_factor`. ``miner_damage`` takes the factor itself.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from orcapost.errors import OrcapostError

__all__ = [
    "BUILTIN_CURVES",
    "SNCurve",
    "SNCurveSpecError",
    "UnknownSNCurveError",
    "curve_names",
    "get_curve",
    "miner_damage",
    "resolve_curve",
]


class UnknownSNCurveError(OrcapostError, LookupError):
    """An S-N curve name that is not in the registry."""


class SNCurveSpecError(OrcapostError, ValueError):
    """A user S-N curve definition that is incomplete or inconsistent."""


@dataclass(frozen=True)
class SNCurve:
    """A one- or two-slope S-N curve ``log10 N = log10 a - m log10 S`` (see module conventions)."""

    name: str
    m1: float
    log_a1: float
    m2: float | None = None
    log_a2: float | None = None
    n_knee: float | None = None
    fatigue_limit: float | None = None
    t_ref: float = 25.0  # mm, reference thickness (DNV-RP-C203: 25 mm except tubular joints)
    k: float = 0.0  # thickness exponent
    source: str = ""

    def __post_init__(self) -> None:
        if not (self.m1 > 0 and math.isfinite(self.log_a1)):
            raise SNCurveSpecError(f"S-N curve {self.name!r}: m1 must be > 0 and log_a1 finite")
        second = (self.m2, self.log_a2, self.n_knee)
        if any(v is not None for v in second) and any(v is None for v in second):
            raise SNCurveSpecError(
                f"S-N curve {self.name!r}: a two-slope curve needs m2, log_a2 and n_knee together",
                hint="give all three, or none for a one-slope curve",
            )
        if (self.m2 is not None and self.n_knee is not None
                and not (self.m2 > 0 and self.n_knee > 0)):
            raise SNCurveSpecError(f"S-N curve {self.name!r}: m2 and n_knee must be > 0")
        if self.fatigue_limit is not None and self.fatigue_limit < 0:
            raise SNCurveSpecError(f"S-N curve {self.name!r}: fatigue_limit must be >= 0")
        if not (self.t_ref > 0 and self.k >= 0):
            raise SNCurveSpecError(f"S-N curve {self.name!r}: t_ref must be > 0 and k >= 0")

    @property
    def two_slope(self) -> bool:
        return self.m2 is not None

    @property
    def s_knee(self) -> float | None:
        """Stress range at the knee (on the first branch), or None for a one-slope curve."""
        second = self.second_slope
        return None if second is None else second[2]

    @property
    def second_slope(self) -> tuple[float, float, float] | None:
        """``(m2, log_a2, s_knee)`` of a two-slope curve, None for a one-slope curve."""
        if self.m2 is None or self.log_a2 is None or self.n_knee is None:
            return None  # __post_init__ allows all three or none
        s_knee = 10.0 ** ((self.log_a1 - math.log10(self.n_knee)) / self.m1)
        return self.m2, self.log_a2, s_knee

    def thickness_factor(self, t: float) -> float:
        """DNV thickness factor ``max(1, t / t_ref) ** k`` (``t`` in the same unit as ``t_ref``)."""
        return max(1.0, t / self.t_ref) ** self.k

    def cycles(self, s: ArrayLike) -> np.ndarray:
        """Cycles to failure ``N(S)``; ``inf`` for ``S == 0`` and below the fatigue limit."""
        s = np.asarray(s, dtype=np.float64)
        with np.errstate(divide="ignore"):
            logs = np.log10(s)
        log_n = self.log_a1 - self.m1 * logs
        second = self.second_slope
        if second is not None:
            m2, log_a2, s_knee = second
            upper = s >= s_knee
            log_n = np.where(upper, log_n, log_a2 - m2 * logs)
        n = 10.0**log_n
        if self.fatigue_limit is not None:
            n = np.where(s < self.fatigue_limit, np.inf, n)
        return n

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SNCurve:
        """Build a curve from a mapping with the field names of this class.

        ``m``/``log_a`` are accepted as aliases of ``m1``/``log_a1`` for one-slope curves, and
        ``a1``/``a2`` (linear intercepts) instead of ``log_a1``/``log_a2``.
        """
        d = dict(spec)
        for alias, key in (("m", "m1"), ("log_a", "log_a1")):
            if alias in d:
                if key in d:
                    raise SNCurveSpecError(f"S-N curve spec gives both {alias!r} and {key!r}")
                d[key] = d.pop(alias)
        for lin, key in (("a1", "log_a1"), ("a2", "log_a2"), ("a", "log_a1")):
            if lin in d:
                if key in d:
                    raise SNCurveSpecError(f"S-N curve spec gives both {lin!r} and {key!r}")
                a = float(d.pop(lin))
                if not a > 0:
                    raise SNCurveSpecError(f"S-N curve spec: {lin} must be > 0, got {a}")
                d[key] = math.log10(a)
        d.setdefault("name", "user")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SNCurveSpecError(
                f"S-N curve spec has unknown keys {unknown}",
                hint=f"valid keys: {sorted(known)} (aliases m, log_a, a, a1, a2)",
            )
        missing = [k for k in ("m1", "log_a1") if k not in d]
        if missing:
            raise SNCurveSpecError(f"S-N curve spec is missing {missing}")
        try:
            for key in ("m1", "log_a1", "m2", "log_a2", "n_knee", "fatigue_limit", "t_ref", "k"):
                if d.get(key) is not None:
                    d[key] = float(d[key])
        except (TypeError, ValueError) as exc:
            raise SNCurveSpecError(f"S-N curve spec has a non-numeric value: {exc}") from None
        return cls(**d)


def miner_damage(
    ranges: ArrayLike,
    counts: ArrayLike,
    curve: SNCurve,
    scf: float = 1.0,
    thickness_factor: float = 1.0,
) -> float:
    """Palmgren-Miner damage ``sum(n_i / N(S_i))`` with ``S_i = range_i * scf * thickness_factor``.

    Vectorised over the cycles. Ranges must be in the unit of the curve (MPa for DNV curves).
    Zero ranges, and ranges below the curve's fatigue limit, do no damage.
    """
    s = np.asarray(ranges, dtype=np.float64) * (scf * thickness_factor)
    n = np.asarray(counts, dtype=np.float64)
    if s.shape != n.shape:
        raise ValueError(f"ranges and counts differ in shape: {s.shape} vs {n.shape}")
    if np.any(s < 0):
        raise ValueError("stress ranges must be >= 0")
    # n / N = n * S**m / a, evaluated per branch; S**m with S == 0 gives 0 (no log of zero).
    second = curve.second_slope
    if second is not None:
        m2, log_a2, s_knee = second
        upper = s >= s_knee
        d = np.where(
            upper,
            s**curve.m1 * 10.0 ** (-curve.log_a1),
            s**m2 * 10.0 ** (-log_a2),
        )
    else:
        d = s**curve.m1 * 10.0 ** (-curve.log_a1)
    if curve.fatigue_limit is not None:
        d = np.where(s < curve.fatigue_limit, 0.0, d)
    return float(np.sum(n * d))


# --- built-in curves ---------------------------------------------------------------------------
# DNVGL-RP-C203 (edition April 2016), Table 2-1 "S-N curves in air" and Table 2-2 "S-N curves in
# seawater with cathodic protection". The 2019 and 2021 editions keep these values; the 2024
# edition changes B1-C2 (knee at 5e6 cycles, m1 = 3.5 for C-C2) and is NOT what is tabulated here.
# Columns: name, m1, log a1 (N <= knee), log a2 (N > knee, m2 = 5), thickness exponent k.
# Knee: 1e7 cycles in air, 1e6 in seawater with CP. The "fatigue limit at 1e7 cycles" column of
# the tables is the stress at 1e7 cycles on the curve, not a cut-off, so it is not stored as one.
_AIR = (
    ("B1", 4.0, 15.117, 17.146, 0.00),
    ("B2", 4.0, 14.885, 16.856, 0.00),
    ("C", 3.0, 12.592, 16.320, 0.05),
    ("C1", 3.0, 12.449, 16.081, 0.10),
    ("C2", 3.0, 12.301, 15.835, 0.15),
    ("D", 3.0, 12.164, 15.606, 0.20),
    ("E", 3.0, 12.010, 15.350, 0.20),
    ("F", 3.0, 11.855, 15.091, 0.25),
    ("F1", 3.0, 11.699, 14.832, 0.25),
    ("F3", 3.0, 11.546, 14.576, 0.25),
    ("G", 3.0, 11.398, 14.330, 0.25),
    ("W1", 3.0, 11.261, 14.101, 0.25),
    ("W2", 3.0, 11.107, 13.845, 0.25),
    ("W3", 3.0, 10.970, 13.617, 0.25),
)
_SEAWATER_CP = (
    ("B1", 4.0, 14.917, 17.146, 0.00),
    ("B2", 4.0, 14.685, 16.856, 0.00),
    ("C", 3.0, 12.192, 16.320, 0.05),
    ("C1", 3.0, 12.049, 16.081, 0.10),
    ("C2", 3.0, 11.901, 15.835, 0.15),
    ("D", 3.0, 11.764, 15.606, 0.20),
    ("E", 3.0, 11.610, 15.350, 0.20),
    ("F", 3.0, 11.455, 15.091, 0.25),
    ("F1", 3.0, 11.299, 14.832, 0.25),
    ("F3", 3.0, 11.146, 14.576, 0.25),
    ("G", 3.0, 10.998, 14.330, 0.25),
    ("W1", 3.0, 10.861, 14.101, 0.25),
    ("W2", 3.0, 10.707, 13.845, 0.25),
    ("W3", 3.0, 10.570, 13.617, 0.25),
)


def _builtin() -> dict[str, SNCurve]:
    out: dict[str, SNCurve] = {}
    for env, rows, knee, table in (
        ("air", _AIR, 1e7, "Table 2-1"),
        ("seawater-cp", _SEAWATER_CP, 1e6, "Table 2-2"),
    ):
        for cls, m1, log_a1, log_a2, k in rows:
            name = f"DNV-RP-C203:{cls}:{env}"
            out[name] = SNCurve(
                name=name,
                m1=m1,
                log_a1=log_a1,
                m2=5.0,
                log_a2=log_a2,
                n_knee=knee,
                k=k,
                source=f"DNVGL-RP-C203 (2016) {table}",
            )
    return out


BUILTIN_CURVES: Mapping[str, SNCurve] = MappingProxyType(_builtin())
_BY_FOLDED_NAME = {name.casefold(): curve for name, curve in BUILTIN_CURVES.items()}


def curve_names() -> list[str]:
    """Built-in curve names, e.g. ``'DNV-RP-C203:D:air'``, ``'DNV-RP-C203:F:seawater-cp'``."""
    return list(BUILTIN_CURVES)


def get_curve(name: str) -> SNCurve:
    """Built-in curve by name (case-insensitive); a wrong name lists the valid ones."""
    curve = _BY_FOLDED_NAME.get(name.strip().casefold())
    if curve is not None:
        return curve
    close = difflib.get_close_matches(name.strip(), list(BUILTIN_CURVES), n=1, cutoff=0.5)
    if not close:  # case-insensitive second chance (e.g. 'dnv-rp-c203:d:Air ')
        folded = difflib.get_close_matches(name.strip().casefold(), list(_BY_FOLDED_NAME), n=1)
        close = [_BY_FOLDED_NAME[folded[0]].name] if folded else []
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    raise UnknownSNCurveError(
        f"unknown S-N curve {name!r}",
        hint=f"{suggestion}valid names: {', '.join(BUILTIN_CURVES)}",
    )


def resolve_curve(spec: str | Mapping[str, Any] | SNCurve) -> SNCurve:
    """A curve from a built-in name, a user mapping (see :meth:`SNCurve.from_dict`) or a curve."""
    if isinstance(spec, SNCurve):
        return spec
    if isinstance(spec, str):
        return get_curve(spec)
    if isinstance(spec, Mapping):
        return SNCurve.from_dict(spec)
    raise SNCurveSpecError(f"cannot make an S-N curve from {type(spec).__name__}")
