"""Band filters of series columns (``filter:``): what every extractor reads, filtered.

A column with a ``filter`` gets a view of the result file whose :meth:`time_history` and
:meth:`range_values` return the filtered samples of the column's period; everything else is the
file's own. So every series extractor (statistics, extremes, fatigue, spectrum, exceedance, time
histories...) sees the same filtered series without knowing about filters.

The filter is a Butterworth filter (``scipy.signal.butter``, ``order`` 4 by default, second-order
sections) run forward and backward by ``scipy.signal.sosfiltfilt``: zero phase (peaks stay where
they are in time), magnitude response squared (-6 dB at the cut-off instead of -3 dB). The
series is the column's period only, extended at both ends by scipy's default odd reflection
(``padtype="odd"``): samples within about one period of the lowest cut-off frequency of either
end carry a start-up transient; choose a period that starts and ends that much inside the record
when the ends matter (docs/config.md#filters).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from orcapost.errors import ResultFileError
from orcapost.resultfile import sample_interval


def filtered_file(file: Any, column: Any) -> Any:
    """``file``, or a filtering view of it when ``column`` has a ``filter``."""
    spec = getattr(column, "filter", None)
    return file if spec is None else FilteredFile(file, spec)


def apply_filter(spec: Any, time: np.ndarray, values: np.ndarray, where: str = "") -> np.ndarray:
    """``values`` (samples along axis 0) filtered by ``spec`` at the sampling rate of ``time``."""
    from scipy import signal

    values = np.asarray(values, dtype=np.float64)
    if time.shape[0] < 2:
        raise ResultFileError(f"{where}{spec.describe()} filter needs at least 2 samples")
    dt = sample_interval(time, even=f"{where}{spec.describe()} filter")
    if not np.isfinite(values).all():
        # A filter spreads one NaN over the whole series: refuse rather than hide it.
        raise ResultFileError(f"{where}NaN or inf samples cannot be filtered "
                              f"({spec.describe()}); nan_policy does not apply to filtered columns")
    fs = 1.0 / dt
    nyquist = 0.5 * fs
    highest = max(np.atleast_1d(spec.cutoffs()))
    if highest >= nyquist:
        raise ResultFileError(f"{where}{spec.describe()} filter: cut-off {highest:g} Hz is at or "
                              f"above the Nyquist frequency {nyquist:g} Hz of the samples "
                              f"(dt = {dt:g} s)")
    sos = signal.butter(spec.order, spec.cutoffs(), btype=spec.kind(), fs=fs, output="sos")
    try:
        return np.asarray(signal.sosfiltfilt(sos, values, axis=0), dtype=np.float64)
    except ValueError as exc:  # series shorter than the filter's padding
        raise ResultFileError(f"{where}{spec.describe()} filter: {exc}") from None


class FilteredFile:
    """A result file whose series come out filtered (see the module docstring)."""

    def __init__(self, file: Any, spec: Any) -> None:
        self._file = file
        self._spec = spec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def time_history(self, obj: str, var: str, position: Any, period: Any) -> Any:
        series = self._file.time_history(obj, var, position, period)
        values = apply_filter(self._spec, series.time, series.values, f"{obj} / {var}: ")
        return dataclasses.replace(series, values=values)

    def time_history_block(self, obj: str, variables: Any, position: Any, period: Any) -> Any:
        # Each variable filtered, as time_history gives it (never the file's raw block).
        from orcapost.resultfile import stack_series

        return stack_series(list(variables), [self.time_history(obj, var, position, period)
                                              for var in variables])

    def range_values(self, obj: str, var: str, period: Any,
                     arc_range: Any = None) -> tuple[np.ndarray, np.ndarray]:
        arcs, grid = self._file.range_values(obj, var, period, arc_range)
        times = self._file.sample_times()[self._file.period_slice(period)]
        return arcs, apply_filter(self._spec, times, grid, f"{obj} / {var}: ")
