"""The ``spectrum`` extractor: Welch power spectral density, spectral moments, Hs, Tz and Tp.

For each matched series (object, variable, at the column's position, over its period):

- the one-sided PSD by ``scipy.signal.welch`` (``scaling="density"``: unit^2/Hz, frequencies in
  Hz) with the column's ``nperseg``, ``overlap``, ``window`` and ``detrend``; written as the table
  ``<label> psd`` (``object``, ``variable``, ``frequency``, ``psd``) when ``table`` is true;
- spectral moments ``m_n = integral f^n S(f) df`` (trapezoid rule over the Welch frequencies,
  f in Hz) for n = 0, 1, 2, 4; ``hs = 4 sqrt(m0)`` (significant height of a wave-like series,
  in the variable's unit), ``tz = sqrt(m0 / m2)`` (mean zero-up-crossing period, s), ``tm01 = m0
  / m1`` (mean period, s) and ``tp = 1 / f_peak`` (the frequency of the largest PSD ordinate,
  the zero frequency excluded).

Units (:func:`spectral_units`): with f in Hz, ``m_n`` is in unit²·Hzⁿ (m0 unit², m1 unit²·Hz,
m2 unit²·Hz², m4 unit²·Hz⁴), hs in the variable's unit, tz, tm01 and tp in s; the PSD table's
``frequency`` in Hz and ``psd`` in unit²/Hz. A variable without a known unit leaves the
unit-dependent outputs without one (never a guessed unit).

Defaults and conventions: docs/extractors/spectrum.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    SECONDS,
    Extractor,
    ResultFileError,
    SampleGuard,
    SeriesColumn,
    common_unit,
    extra_table,
    hookimpl,
    sample_interval,
    series_names,
    table_title,
    with_units,
)
from pydantic import Field

SPECTRAL_OUTPUTS = ("m0", "m1", "m2", "m4", "hs", "tz", "tm01", "tp")
SpectralOutput = Literal["m0", "m1", "m2", "m4", "hs", "tz", "tm01", "tp"]
HERTZ = "Hz"
_SUPERSCRIPT = {1: "", 2: "²", 4: "⁴"}


def squared(unit: str | None) -> str | None:
    """``unit`` squared in the project's unit text (``kN`` -> ``kN²``, ``kN.m`` -> ``(kN.m)²``,
    ``-`` stays ``-``); None when the unit is unknown."""
    if not unit:
        return None
    if unit == DIMENSIONLESS:
        return DIMENSIONLESS
    # A compound unit (kN.m, m/s, kN·s) is bracketed, so the square applies to all of it.
    return f"{unit}²" if unit.isalpha() else f"({unit})²"


def moment_unit(unit: str | None, order: int) -> str | None:
    """The unit of ``m_order = integral f^order S(f) df`` (f in Hz, S in unit²/Hz):
    unit²·Hz^order."""
    if order == 0:
        return squared(unit)
    hertz = f"{HERTZ}{_SUPERSCRIPT[order]}"
    base = squared(unit)
    if base is None:
        return None
    return hertz if base == DIMENSIONLESS else f"{base}·{hertz}"


def psd_unit(unit: str | None) -> str | None:
    """The unit of a one-sided density PSD of a variable in ``unit``: unit²/Hz."""
    base = squared(unit)
    if base is None:
        return None
    return f"1/{HERTZ}" if base == DIMENSIONLESS else f"{base}/{HERTZ}"


def spectral_units(unit: str | None) -> dict[str, str | None]:
    """Output -> unit of every spectral output of a variable in ``unit``."""
    units: dict[str, str | None] = {f"m{k}": moment_unit(unit, k) for k in (0, 1, 2, 4)}
    units.update(hs=unit or None, tz=SECONDS, tm01=SECONDS, tp=SECONDS)
    return units


def _default_outputs() -> list[SpectralOutput]:
    return ["m0", "hs", "tz", "tp"]


class SpectrumColumn(SeriesColumn):
    outputs: list[SpectralOutput] = Field(
        default_factory=_default_outputs,
        description="m0, m1, m2, m4, hs (4 sqrt(m0)), tz (sqrt(m0/m2)), tm01 (m0/m1), tp.")
    nperseg: int | None = Field(
        default=None, ge=8, description="Samples per Welch segment (default: the largest power "
        "of two <= n / 4, so about 7 half-overlapping segments are averaged).")
    overlap: float = Field(default=0.5, ge=0, lt=1, description="Fraction of a segment that "
                           "overlaps the next.")
    window: str = Field(default="hann", description="scipy.signal.get_window name.")
    detrend: Literal["constant", "linear", "none"] = Field(
        default="constant", description="Per-segment detrend: constant removes the mean.")
    table: bool = Field(default=True, description="Write the PSD as the '<label> psd' table.")

    def output_names(self) -> list[str]:
        names = series_names(self, {"statistic": self.outputs}) if self.outputs else []
        return names + self.extra_table_names() + self.omitted_names()

    def extra_table_names(self) -> list[str]:
        return [table_title(self, "psd")] if self.table else []


def default_nperseg(n: int) -> int:
    """The largest power of two <= n / 4 (at least 8, at most n)."""
    if n < 8:
        return n
    return int(min(n, max(8, 2 ** int(np.floor(np.log2(n / 4))))))


def welch_psd(time: np.ndarray, x: np.ndarray, column: SpectrumColumn
              ) -> tuple[np.ndarray, np.ndarray]:
    """(frequency Hz, PSD unit^2/Hz) of ``x`` sampled at ``time`` (constant interval)."""
    from scipy import signal

    n = x.shape[0]
    if n < 8:
        raise ResultFileError(f"a spectrum needs at least 8 samples, the period has {n}")
    dt = sample_interval(time, even="a spectrum")
    nperseg = min(column.nperseg or default_nperseg(n), n)
    noverlap = int(round(column.overlap * nperseg))
    detrend: str | bool = False if column.detrend == "none" else column.detrend
    try:
        return signal.welch(np.asarray(x, dtype=np.float64), fs=1.0 / dt, window=column.window,
                            nperseg=nperseg, noverlap=noverlap, detrend=detrend,
                            scaling="density")
    except ValueError as exc:  # an unknown window name, for one
        raise ResultFileError(f"welch: {exc}") from None


def spectral_values(freq: np.ndarray, psd: np.ndarray, wanted: Sequence[str]
                    ) -> dict[str, float]:
    """The spectral outputs of a PSD (moments by the trapezoid rule, f in Hz)."""
    from scipy.integrate import trapezoid

    moments = {f"m{k}": float(trapezoid(freq**k * psd, freq)) for k in (0, 1, 2, 4)}
    out: dict[str, float] = {}
    for name in wanted:
        if name in moments:
            out[name] = moments[name]
        elif name == "hs":
            out[name] = 4.0 * float(np.sqrt(moments["m0"]))
        elif name == "tz":
            out[name] = _ratio("tz", moments["m0"], moments["m2"], root=True)
        elif name == "tm01":
            out[name] = _ratio("tm01", moments["m0"], moments["m1"], root=False)
        elif name == "tp":
            positive = freq > 0
            if not np.any(psd[positive] > 0):
                raise ResultFileError("tp is undefined: the spectrum is zero")
            out[name] = 1.0 / float(freq[positive][int(np.argmax(psd[positive]))])
    return out


def _ratio(name: str, num: float, den: float, root: bool) -> float:
    if not den > 0:
        raise ResultFileError(f"{name} is undefined: the spectrum is zero")
    return float(np.sqrt(num / den)) if root else num / den


class SpectrumExtractor(Extractor):
    """Welch PSD per series, spectral moments, Hs = 4 sqrt(m0), Tz, Tm01 and Tp."""

    name = "spectrum"
    Options = SpectrumColumn

    def extract(self, file, column: SpectrumColumn) -> dict:
        out: dict = {}
        units: dict[str, str | None] = {}
        psd_units: list[str | None] = []
        table: dict[str, list] = {"object": [], "variable": [], "frequency": [], "psd": []}
        guard = SampleGuard(column)
        for target, names in self.named_statistics(file, column, column.outputs):
            obj, var = target.obj.name, target.var.name
            unit_of = spectral_units(target.var.units)
            series = file.time_history(obj, var, column.position, column.period)
            time, values = guard.series(f"{obj} / {var}", series.time, series.values)
            try:
                freq, psd = welch_psd(time, values, column)
            except ResultFileError as exc:
                raise ResultFileError(f"{obj} / {var}: {exc}") from None
            for name, value in spectral_values(freq, psd, column.outputs).items():
                out[names[name]] = value
                units[names[name]] = unit_of[name]
            psd_units.append(psd_unit(target.var.units))
            if column.table:
                table["object"].extend([obj] * freq.size)
                table["variable"].extend([var] * freq.size)
                table["frequency"].extend(freq.tolist())
                table["psd"].extend(psd.tolist())
        if column.table:
            title = table_title(column, "psd")
            # One unit for the psd column only when every series in it has the same one.
            out[title] = extra_table(title, table, units={
                "frequency": HERTZ, "psd": common_unit(psd_units)})
        return with_units(guard.report(out), units)


@hookimpl
def orcapost_register_extractors(register):
    register(SpectrumExtractor)
