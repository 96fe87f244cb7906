"""The ``filter`` option of series columns: a zero-phase Butterworth band filter.

Written ``filter: {low_pass: 0.05}``, ``{high_pass: 0.05}`` or ``{band: [0.05, 0.5]}`` (Hz),
optionally with ``order`` (4). Applied by :mod:`orcapost.filtering` to every series a column
reads (docs/config.md#filters).
"""

from __future__ import annotations

from typing import Any

from orcapost.schemas.base import StrictModel
from pydantic import Field, model_validator


class SeriesFilter(StrictModel):
    """One of ``low_pass``, ``high_pass`` (cut-off, Hz) or ``band`` ([low, high], Hz)."""

    low_pass: float | None = Field(default=None, gt=0, description="Keep frequencies below (Hz).")
    high_pass: float | None = Field(default=None, gt=0, description="Keep frequencies above (Hz).")
    band: tuple[float, float] | None = Field(
        default=None, description="Keep frequencies between [low, high] (Hz).")
    order: int = Field(
        default=4, ge=1, le=10, description="Butterworth order of the one-way filter (applied "
        "forward and backward: the magnitude response is squared, the phase is zero).")

    @model_validator(mode="after")
    def _one_kind(self) -> SeriesFilter:
        given = [k for k in ("low_pass", "high_pass", "band") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a filter is exactly one of {low_pass: Hz}, {high_pass: Hz} or "
                             f"{{band: [low, high]}} (got {', '.join(given) or 'none'})")
        if self.band is not None and not 0 < self.band[0] < self.band[1]:
            raise ValueError(f"band [{self.band[0]:g}, {self.band[1]:g}] needs 0 < low < high")
        return self

    def kind(self) -> str:
        return "lowpass" if self.low_pass is not None else (
            "highpass" if self.high_pass is not None else "bandpass")

    def cutoffs(self) -> Any:
        """The cut-off(s) in Hz as scipy.signal.butter takes them (a float, or [low, high])."""
        if self.band is not None:
            return list(self.band)
        return self.low_pass if self.low_pass is not None else self.high_pass

    def describe(self) -> str:
        if self.band is not None:
            return f"band-pass {self.band[0]:g}-{self.band[1]:g} Hz"
        return (f"low-pass {self.low_pass:g} Hz" if self.low_pass is not None
                else f"high-pass {self.high_pass:g} Hz")
